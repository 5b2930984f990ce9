"""Reads about user flows, and which flow a hosted-page request runs."""

from django.http import HttpRequest

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
    # Read once per request: the login view, the adapter and the guards all ask.
    remembered = getattr(request, "_ciam_auth_app", None)
    if remembered is not None and remembered.client_id == client_id:
        return remembered  # type: ignore[no-any-return]
    app: AppRegistration | None = (
        AppRegistration.objects.select_related("user_flow").filter(client_id=client_id).first()
    )
    request._ciam_auth_app = app  # type: ignore[attr-defined]
    return app


def flow_for_request(request: HttpRequest) -> UserFlow | None:
    """The user flow of the app in the customer's auth transaction, if any."""
    app = auth_transaction_app(request)
    return app.user_flow if app is not None else None


def flow_attributes(flow: UserFlow) -> list[UserFlowAttribute]:
    """The attributes the flow collects, in page order, with their custom definitions."""
    return list(flow.attributes.select_related("custom_attribute").order_by("position", "pk"))


def userflow_list() -> list[UserFlow]:
    return list(UserFlow.objects.prefetch_related("apps").order_by("name"))
