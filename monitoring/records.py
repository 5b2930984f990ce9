"""Writing the sign-in log (issue 13): `sign_in_record` keeps one attempt.

A sign-in never waits on anything but PostgreSQL to be recorded, and never fails for it:

- in a request, the records are kept on the request and written by
  `monitoring.middleware.SignInLogMiddleware` once the response is ready, all of the request's
  in one INSERT, outside every transaction of the view (a sign-in whose transaction rolls back
  still leaves its failure in the log);
- elsewhere (a Celery task, a shell), at once.

Each record also goes to the structured event stream (tenants/events.py) as it is written.
"""

import ipaddress
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from monitoring.metrics import sign_in_count
from monitoring.models import ConditionalAccessStatus, SignInEvent, SignInKind, SignInStatus
from monitoring.reasons import Reason, outcome_of
from tenants.correlation import correlation_id_current, correlation_id_replace
from tenants.current import current_tenant
from tenants.events import event_emit

logger = logging.getLogger(__name__)

_REQUEST_ATTRIBUTE = "_ciam_sign_ins"
_CORRELATION_ATTRIBUTE = "_ciam_correlation_id"
_USER_AGENT_MAX = 512


@dataclass(frozen=True)
class AppliedPolicy:
    name: str
    grant: str  # "block" or "mfa"
    report_only: bool = False


@dataclass(frozen=True)
class SignInRecord:
    """One attempt, as the caller knows it; the request fills in address and user agent."""

    kind: SignInKind
    reason: Reason
    customer_object_id: uuid.UUID | str | None = None
    customer_email: str = ""
    client_id: str = ""
    app_name: str = ""
    methods: Sequence[str] = ()
    mfa_detail: str = ""
    identity_provider: str = ""
    conditional_access: ConditionalAccessStatus = ConditionalAccessStatus.NOT_APPLIED
    policies: Sequence[AppliedPolicy] = ()
    risk_level: str = ""
    location: str = ""
    correlation_id: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def correlation_id_of(request: HttpRequest) -> str:
    """The request's correlation ID: the one the journey set for its auth transaction
    (`correlation_id_set`), else the request's own (tenants/correlation.py: its X-Request-ID
    or one made for it), else one made now (a request that came by no middleware)."""
    found = getattr(request, _CORRELATION_ATTRIBUTE, None) or correlation_id_current()
    if not found:
        found = str(uuid.uuid4())
    setattr(request, _CORRELATION_ATTRIBUTE, found)
    return str(found)


def correlation_id_set(request: HttpRequest, correlation_id: str) -> None:
    """Name the rest of the request by a journey's ID: its sign-in log rows, its log lines and
    its answer's X-Request-ID."""
    setattr(request, _CORRELATION_ATTRIBUTE, correlation_id)
    correlation_id_replace(correlation_id)


def client_address(request: HttpRequest) -> str | None:
    """The client's address as allauth reads it (`get_client_ip`: behind
    CIAM_TRUSTED_PROXY_COUNT proxies, the entry they appended to X-Forwarded-For), whole, and
    an IPv4 address mapped into IPv6 (a dual-stack socket) as the IPv4 address; None when it
    cannot be read (no REMOTE_ADDR, a chain shorter than the trusted proxies, not an address).
    The one reader: the request limits count this address (an IPv6 one by its /64,
    protection/limits.py), the log shows it."""
    try:
        parsed = ipaddress.ip_address(str(get_adapter().get_client_ip(request)).strip())
    except (PermissionDenied, ImproperlyConfigured, ValueError):
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def client_address_of_environ(environ: Mapping[str, Any]) -> str | None:
    """`client_address` for what is not Django's request (the WSGI entry's environ,
    oauthlib's copy of the request's META)."""
    request = HttpRequest()
    request.META = dict(environ)
    return client_address(request)


def _event(record: SignInRecord, request: HttpRequest | None) -> SignInEvent:
    outcome = outcome_of(record.reason)
    address = None
    user_agent = ""
    correlation = record.correlation_id
    if request is not None:
        address = client_address(request)
        user_agent = str(request.META.get("HTTP_USER_AGENT", ""))[:_USER_AGENT_MAX]
        correlation = correlation or correlation_id_of(request)
    customer = record.customer_object_id
    return SignInEvent(
        occurred_at=timezone.now(),
        correlation_id=correlation[:64],
        kind=record.kind,
        status=SignInStatus.SUCCESS if record.reason == Reason.SUCCESS else SignInStatus.FAILURE,
        error_code=outcome.code,
        reason=record.reason,
        customer_object_id=uuid.UUID(str(customer)) if customer else None,
        customer_email=record.customer_email[:254],
        client_id=record.client_id[:255],
        app_name=record.app_name[:256],
        ip_address=address,
        location=record.location[:256],
        user_agent=user_agent,
        methods=list(record.methods),
        mfa_detail=record.mfa_detail[:64],
        identity_provider=record.identity_provider[:255],
        conditional_access=record.conditional_access,
        policies=[
            {"name": p.name, "grant": p.grant, "report_only": p.report_only}
            for p in record.policies
        ],
        risk_level=record.risk_level,
        details=record.details,
    )


def sign_in_record(record: SignInRecord, *, request: HttpRequest | None = None) -> None:
    """Keep one sign-in attempt in the tenant's log (call in the tenant's schema); nothing
    when CIAM_SIGN_IN_LOG is off. Counted in the metrics either way."""
    sign_in_count(kind=record.kind, reason=record.reason)
    if not settings.CIAM_SIGN_IN_LOG:
        return
    event = _event(record, request)
    if request is not None:
        pending: list[SignInEvent] | None = getattr(request, _REQUEST_ATTRIBUTE, None)
        if pending is None:
            pending = []
            setattr(request, _REQUEST_ATTRIBUTE, pending)
        pending.append(event)
        return
    sign_in_events_write([event])


def sign_in_events_pending(request: HttpRequest) -> list[SignInEvent]:
    """The request's records not written yet, taken off it."""
    pending: list[SignInEvent] = request.__dict__.pop(_REQUEST_ATTRIBUTE, None) or []
    return pending


def sign_in_events_write(events: list[SignInEvent]) -> None:
    """Write the events in one INSERT and put each on the event stream. A failure to write is
    logged, never raised: the sign-in it describes has already been answered."""
    if not events:
        return
    tenant = current_tenant()
    try:
        if len(events) == 1:
            # One row, the common case: its INSERT alone (bulk_create wraps even one row in a
            # transaction, a BEGIN and a COMMIT more per sign-in).
            events[0].save(force_insert=True)
        else:
            SignInEvent.objects.bulk_create(events)
    except Exception:
        logger.exception("Sign-in log: %s record(s) not written", len(events))
    for event in events:
        event_emit(
            "sign_in",
            sign_in_event_fields(event, tenant_id=str(tenant.tenant_id), domain=tenant.domain_name),
        )


def sign_in_event_fields(event: SignInEvent, *, tenant_id: str, domain: str) -> dict[str, Any]:
    """An event as the stream and the JSON download carry it."""
    return {
        "tenant": tenant_id,
        "domain": domain,
        "id": event.pk,
        "occurred_at": event.occurred_at.isoformat(),
        "correlation_id": event.correlation_id,
        "kind": event.kind,
        "status": event.status,
        "error_code": event.error_code,
        "reason": event.reason,
        "customer_object_id": str(event.customer_object_id or ""),
        "customer_email": event.customer_email,
        "client_id": event.client_id,
        "app_name": event.app_name,
        "ip_address": event.ip_address or "",
        "location": event.location,
        "user_agent": event.user_agent,
        "methods": list(event.methods),
        "mfa_detail": event.mfa_detail,
        "identity_provider": event.identity_provider,
        "conditional_access": event.conditional_access,
        "policies": event.policies,
        "risk_level": event.risk_level,
    }
