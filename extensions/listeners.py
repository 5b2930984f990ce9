"""Listeners (issue 14): `listener_put`, the one way any listener is made or changed (one per
event and place: an app, a user flow, or the whole tenant; the extension must serve the event;
at most MAX_LISTENERS a tenant), and OnTokenIssuanceStart's on an app: the app's custom claims
provider and what its failure does. A user flow's attribute collection listeners are in
extensions/flow_listeners.py, the tenant's OnOtpSend listener in extensions/otp_listeners.py."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps import lookups
from apps.models import AppRegistration
from extensions.models import (
    DEFAULT_FAILURE_POLICY,
    MAX_LISTENERS,
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from userflows.models import UserFlow

_EVENT = ExtensionEvent.TOKEN_ISSUANCE_START


def listener_put(
    *,
    event: ExtensionEvent,
    extension: CustomAuthenticationExtension,
    failure_policy: str,
    app: AppRegistration | None = None,
    user_flow: UserFlow | None = None,
) -> ExtensionListener:
    """Make `extension` the listener of `event` at its place (`app`, `user_flow`, or neither:
    the tenant), with `failure_policy`, replacing the one there (tenant schema, one
    transaction). Refused (ValidationError) for an extension of another event, an unknown
    policy, or a new listener beyond the tenant's MAX_LISTENERS."""
    if extension.event != event:
        raise ValidationError(
            _("The extension %(name)s serves another event.") % {"name": extension.name}
        )
    if failure_policy not in FailurePolicy.values:
        raise ValidationError(_("Unknown failure policy."))
    with transaction.atomic():
        listener = (
            ExtensionListener.objects.select_for_update()
            .filter(event=event, app=app, user_flow=user_flow)
            .first()
        )
        if listener is None:
            if ExtensionListener.objects.count() >= MAX_LISTENERS:
                raise ValidationError(
                    _("A tenant has at most %(limit)s event listeners.") % {"limit": MAX_LISTENERS}
                )
            listener = ExtensionListener(event=event, app=app, user_flow=user_flow)
        listener.extension = extension
        listener.failure_policy = failure_policy
        listener.save()
    return listener


def token_issuance_listener_set(
    *,
    app: AppRegistration,
    extension: CustomAuthenticationExtension,
    failure_policy: str | None = None,
) -> ExtensionListener:
    """Make `extension` the app's custom claims provider (tenant schema), replacing the one it
    had; `failure_policy` defaults to Entra's for the event (continue without the claims).
    Refused as `listener_put` refuses. Every node calls the new one within
    CIAM_LOOKUP_SECONDS."""
    return listener_put(
        event=_EVENT,
        extension=extension,
        failure_policy=failure_policy or DEFAULT_FAILURE_POLICY[_EVENT],
        app=app,
    )


def token_issuance_listener_remove(*, app: AppRegistration) -> bool:
    """The app's tokens go out without a custom claims provider again; False if it had none."""
    deleted, _rows = ExtensionListener.objects.filter(event=_EVENT, app=app).delete()
    return deleted > 0


def token_issuance_listener_of(app: AppRegistration) -> ExtensionListener | None:
    """The app's OnTokenIssuanceStart listener with its extension and API app, as this node
    remembers it (at most CIAM_LOOKUP_SECONDS old): it is read on every token response."""

    def load() -> ExtensionListener | None:
        found: ExtensionListener | None = (
            ExtensionListener.objects.select_related("extension__api_app")
            .filter(event=_EVENT, app=app)
            .first()
        )
        return found

    return lookups.remembered("token-issuance-listener", str(app.pk), load)
