"""Which user flow a hosted-page request runs."""

from django.http import HttpRequest

from apps import lookups
from journey import transaction
from userflows.models import UserFlow


def flow_for_request(request: HttpRequest) -> UserFlow | None:
    """The user flow of the customer's auth transaction: the flow the app had when the
    transaction began, run to the end even if an admin assigns the app another one meanwhile.
    None without a transaction (the customer came to the hosted pages without an app).

    The flow comes with the app from the per-process memory of hot lookups, so an edit of the
    flow made in the admin center applies within its few seconds; only a flow the app no longer
    has is read from the database.
    """
    journey = transaction.current(request)
    if journey is None or journey.user_flow is None:
        return None
    app = lookups.client(journey.client_id)
    flow: UserFlow | None = app.user_flow if app is not None else None
    if flow is not None and flow.flow_id == journey.user_flow:
        return flow
    return UserFlow.objects.filter(flow_id=journey.user_flow).first()


def app_name_for_request(request: HttpRequest) -> str:
    """The name of the app the customer is signing in to (its registration's name), or ""
    without an auth transaction."""
    journey = transaction.current(request)
    app = lookups.client(journey.client_id) if journey is not None else None
    return app.name if app is not None else ""
