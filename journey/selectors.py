"""Which app, and so which user flow, a hosted-page request serves."""

from django.http import HttpRequest

from apps import lookups
from apps.models import AppRegistration
from userflows.models import UserFlow

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
