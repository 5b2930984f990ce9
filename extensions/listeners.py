"""Where OnTokenIssuanceStart is listened for (issue 14): one listener per app, naming the
extension (the app's custom claims provider) and what its failure does. The attribute
collection and OTP listeners are set elsewhere (extensions/services.py)."""

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

_EVENT = ExtensionEvent.TOKEN_ISSUANCE_START


def token_issuance_listener_set(
    *,
    app: AppRegistration,
    extension: CustomAuthenticationExtension,
    failure_policy: str | None = None,
) -> ExtensionListener:
    """Make `extension` the app's custom claims provider (tenant schema), replacing the one it
    had; `failure_policy` defaults to Entra's for the event (continue without the claims).

    Refuses (ValidationError) an extension of another event, an unknown policy, and a new
    listener beyond the tenant's MAX_LISTENERS. Every node calls the new one within
    CIAM_LOOKUP_SECONDS."""
    if extension.event != _EVENT:
        raise ValidationError(_("This extension does not listen for OnTokenIssuanceStart."))
    policy = failure_policy or DEFAULT_FAILURE_POLICY[_EVENT]
    if policy not in FailurePolicy.values:
        raise ValidationError(_("Unknown failure policy."))
    with transaction.atomic():
        listener = (
            ExtensionListener.objects.select_for_update().filter(event=_EVENT, app=app).first()
        )
        if listener is None:
            if ExtensionListener.objects.count() >= MAX_LISTENERS:
                raise ValidationError(
                    _("A tenant has at most %(limit)s event listeners.") % {"limit": MAX_LISTENERS}
                )
            listener = ExtensionListener(event=_EVENT, app=app)
        listener.extension = extension
        listener.failure_policy = policy
        listener.save()
    return listener


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
