"""A user flow's listeners for the attribute collection events (issue 14): which extension,
if any, the attribute page calls before it shows (OnAttributeCollectionStart) and after its
form validates (OnAttributeCollectionSubmit), and what a failure of that extension does.

Reads and writes are in the tenant's schema; the admin center records the audit entry.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from extensions.listeners import listener_put
from extensions.models import (
    DEFAULT_FAILURE_POLICY,
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
)
from userflows.models import UserFlow

FLOW_EVENTS: tuple[ExtensionEvent, ...] = (
    ExtensionEvent.ATTRIBUTE_COLLECTION_START,
    ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT,
)


@dataclass(frozen=True)
class FlowListener:
    """One event of a flow: its listener (None: no extension is called) and the extensions
    of that event type an admin may choose from."""

    event: ExtensionEvent
    listener: ExtensionListener | None
    choices: list[CustomAuthenticationExtension]

    @property
    def failure_policy(self) -> str:
        if self.listener is not None:
            return self.listener.failure_policy
        return DEFAULT_FAILURE_POLICY[self.event]


def flow_listeners(*, flow: UserFlow) -> list[FlowListener]:
    """The flow's two attribute collection events, in the order the page meets them."""
    listeners = {
        listener.event: listener
        for listener in ExtensionListener.objects.select_related("extension").filter(
            user_flow=flow, event__in=FLOW_EVENTS
        )
    }
    extensions = list(CustomAuthenticationExtension.objects.filter(event__in=FLOW_EVENTS))
    return [
        FlowListener(
            event=event,
            listener=listeners.get(event),
            choices=[extension for extension in extensions if extension.event == event],
        )
        for event in FLOW_EVENTS
    ]


def flow_listener(*, flow: UserFlow, event: ExtensionEvent) -> ExtensionListener | None:
    """The listener the journey calls for `event` on `flow`, with its extension, or None."""
    return (
        ExtensionListener.objects.select_related("extension", "extension__api_app")
        .filter(user_flow=flow, event=event)
        .first()
    )


def flow_listener_set(
    *,
    flow: UserFlow,
    event: ExtensionEvent,
    extension: CustomAuthenticationExtension | None,
    failure_policy: str,
) -> ExtensionListener | None:
    """Exactly one listener for `event` on `flow` afterwards, calling `extension` with
    `failure_policy`; or none when `extension` is None. Raises ValidationError for an
    extension of another event type, an unknown policy, or the tenant's 249 listeners."""
    if event not in FLOW_EVENTS:
        raise ValidationError(_("A user flow listens only to the attribute collection events."))
    if extension is None:
        ExtensionListener.objects.filter(user_flow=flow, event=event).delete()
        return None
    return listener_put(
        event=event, extension=extension, failure_policy=failure_policy, user_flow=flow
    )
