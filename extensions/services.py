"""Registering custom authentication extensions (issue 14), and sending them test events.

Each service runs in the tenant's schema. A registration is checked before it is stored:
- the target URL is `https`, or `http` only to a loopback host (127.0.0.0/8, ::1, localhost), for
  an extension a developer runs on their own machine: a call carries a bearer token and the
  customer's data, never in clear text over a network;
- the timeout is 200 to 2000 ms (Entra's maximum), retries 0 or 1;
- the API app is one of the tenant's app registrations (a call's token is issued for it);
- at most `MAX_EXTENSIONS` per tenant, names unique.
`ExtensionInvalid` carries the errors by field name, for the form that submitted them.
"""

import contextlib
import ipaddress
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.models import AppRegistration
from extensions.client import CallResult, extension_call
from extensions.models import (
    MAX_EXTENSIONS,
    MAX_TIMEOUT_MS,
    MIN_TIMEOUT_MS,
    CustomAuthenticationExtension,
    ExtensionEvent,
)


class ExtensionInvalid(ValueError):
    """The registration cannot be stored: `errors` maps each field name (or None) to a list
    of messages."""

    def __init__(self, errors: dict[str | None, list[str]]) -> None:
        super().__init__("; ".join(message for found in errors.values() for message in found))
        self.errors = errors


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: a service on the machine calling it."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def target_url_problem(url: str) -> str | None:
    """Why `url` cannot be an extension's target, or None when it can."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (an out-of-range port raises here)
    except ValueError:
        return _("Enter a valid URL.")
    if not host or parts.username or parts.password:
        return _("Enter a URL with a host name and no user name or password in it.")
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and is_loopback_host(host):
        return None
    return _(
        "Use https. Plain http is allowed only to this machine (127.0.0.1, ::1 or localhost), "
        "for development."
    )


def _checked(
    *,
    name: str,
    event: str,
    target_url: str,
    timeout_ms: int,
    max_retries: int,
    api_app_id: Any,
    extension: CustomAuthenticationExtension | None,
) -> AppRegistration:
    errors: dict[str | None, list[str]] = {}
    if event not in ExtensionEvent.values:
        errors["event"] = [_("Choose one of the events.")]
    problem = target_url_problem(target_url)
    if problem:
        errors["target_url"] = [problem]
    if not MIN_TIMEOUT_MS <= timeout_ms <= MAX_TIMEOUT_MS:
        errors["timeout_ms"] = [
            _("Between %(low)d and %(high)d milliseconds.")
            % {"low": MIN_TIMEOUT_MS, "high": MAX_TIMEOUT_MS}
        ]
    if max_retries not in {0, 1}:
        errors["max_retries"] = [_("0 or 1.")]
    others = CustomAuthenticationExtension.objects.all()
    if extension is not None:
        others = others.exclude(pk=extension.pk)
    if others.filter(name__iexact=name).exists():
        errors["name"] = [_("Another extension has this name.")]
    api_app: AppRegistration | None = None
    with contextlib.suppress(ValueError):  # not an ID: no app has it
        api_app = AppRegistration.objects.filter(object_id=uuid.UUID(str(api_app_id))).first()
    if api_app is None:
        errors["api_app"] = [_("Choose one of the tenant's app registrations.")]
    if errors or api_app is None:
        raise ExtensionInvalid(errors)
    return api_app


@transaction.atomic
def extension_create(
    *,
    name: str,
    description: str = "",
    event: str,
    target_url: str,
    timeout_ms: int,
    max_retries: int,
    api_app_id: Any,
) -> CustomAuthenticationExtension:
    """Register an extension (tenant schema). The table is locked against other writers until
    the transaction ends, so two registrations at once cannot pass the limit together."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(CustomAuthenticationExtension._meta.db_table)
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    if CustomAuthenticationExtension.objects.count() >= MAX_EXTENSIONS:
        raise ExtensionInvalid(
            {None: [_("A tenant has at most %(max)d extensions.") % {"max": MAX_EXTENSIONS}]}
        )
    api_app = _checked(
        name=name,
        event=event,
        target_url=target_url,
        timeout_ms=timeout_ms,
        max_retries=max_retries,
        api_app_id=api_app_id,
        extension=None,
    )
    return CustomAuthenticationExtension.objects.create(
        name=name,
        description=description,
        event=event,
        target_url=target_url,
        timeout_ms=timeout_ms,
        max_retries=max_retries,
        api_app=api_app,
    )


@transaction.atomic
def extension_update(
    *,
    extension: CustomAuthenticationExtension,
    name: str,
    description: str = "",
    target_url: str,
    timeout_ms: int,
    max_retries: int,
    api_app_id: Any,
) -> CustomAuthenticationExtension:
    """Change an extension's registration (tenant schema). Its event never changes: its
    listeners and recorded calls are of that event."""
    api_app = _checked(
        name=name,
        event=extension.event,
        target_url=target_url,
        timeout_ms=timeout_ms,
        max_retries=max_retries,
        api_app_id=api_app_id,
        extension=extension,
    )
    extension.name = name
    extension.description = description
    extension.target_url = target_url
    extension.timeout_ms = timeout_ms
    extension.max_retries = max_retries
    extension.api_app = api_app
    extension.updated_at = timezone.now()
    extension.save()
    return extension


@transaction.atomic
def extension_delete(*, extension: CustomAuthenticationExtension) -> int:
    """Remove the extension, its listeners (no sign-in calls it any more) and its recorded
    calls. Returns how many listeners were removed."""
    listeners = extension.listeners.count()
    extension.delete()
    return listeners


def extension_test(
    *, extension: CustomAuthenticationExtension, payload: dict[str, Any], origin: str
) -> CallResult:
    """Send `payload` to the extension's current URL as a test (`origin` "test") or a replay
    of a recorded call ("replay"); the call is recorded like a sign-in's, and whatever the
    extension does is its outcome, never an error here."""
    if origin not in {"test", "replay"}:
        raise ValueError(origin)
    correlation = payload.get("data", {}).get("authenticationContext", {})
    correlation_id = correlation.get("correlationId", "") if isinstance(correlation, dict) else ""
    return extension_call(
        extension=extension,
        listener=None,
        payload=payload,
        correlation_id=str(correlation_id),
        origin=origin,
    )
