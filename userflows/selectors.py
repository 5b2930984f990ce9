"""Reads about user flows, and which flow a hosted-page request runs."""

from django.http import HttpRequest

from accounts.attributes import INPUT_TYPES_WITH_OPTIONS, AttributeChoices, InputType
from accounts.models import CustomAttribute
from apps import lookups
from apps.models import AppRegistration
from userflows.models import UserFlow, UserFlowAttribute

# The authorization request a customer is in the middle of (DESIGN.md: the auth transaction),
# stored by the authorization endpoint before it sends the browser to the hosted pages.
AUTH_TRANSACTION_SESSION_KEY = "ciam.auth"


def auth_transaction_app(request: HttpRequest) -> AppRegistration | None:
    """The app whose authorization request brought the customer to the hosted pages."""
    transaction = request.session.get(AUTH_TRANSACTION_SESSION_KEY) or {}
    client_id = transaction.get("client_id") if isinstance(transaction, dict) else None
    if not isinstance(client_id, str):
        return None
    # The app with its user flow, from the per-process memory of hot lookups (a flow edited in
    # the admin center applies within its few seconds).
    return lookups.client(client_id)


def flow_for_request(request: HttpRequest) -> UserFlow | None:
    """The user flow of the app in the customer's auth transaction, if any."""
    app = auth_transaction_app(request)
    return app.user_flow if app is not None else None


def flow_attributes(flow: UserFlow) -> list[UserFlowAttribute]:
    """The attributes the flow collects, in page order, with their custom definitions."""
    return list(flow.attributes.select_related("custom_attribute").order_by("position", "pk"))


def userflow_list() -> list[UserFlow]:
    return list(UserFlow.objects.prefetch_related("apps").order_by("name"))


def custom_attribute_choices() -> dict[str, AttributeChoices]:
    """For each custom String attribute that user flows collect only by picking options, the
    union of those options (first text wins), and whether several may be picked (when any flow
    uses CheckboxMultiSelect). An attribute some flow collects as free text is not in the
    result: any text is a valid value for it."""
    found: dict[str, tuple[bool, dict[str, str]]] = {}
    items = (
        UserFlowAttribute.objects.filter(custom_attribute__isnull=False)
        .select_related("custom_attribute")
        .order_by("flow__name", "position", "pk")
    )
    text_box: set[str] = set()
    for item in items:
        attribute: CustomAttribute | None = item.custom_attribute
        if attribute is None:
            continue
        if item.input_type not in INPUT_TYPES_WITH_OPTIONS:
            text_box.add(attribute.name)
            continue
        multiple, options = found.get(attribute.name, (False, {}))
        multiple = multiple or item.input_type == InputType.CHECKBOX_MULTI_SELECT
        for option in item.options:
            options.setdefault(str(option.get("value", "")), str(option.get("text", "")))
        found[attribute.name] = (multiple, options)
    return {
        name: AttributeChoices(multiple=multiple, options=list(options.items()))
        for name, (multiple, options) in found.items()
        if name not in text_box and options
    }
