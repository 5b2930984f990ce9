"""The customer's own page of their linked identities (issue 11): their accounts at identity
providers that sign them in here, each with a way to remove it.

An app opens it for its signed-in customers at `/<tenant>/account/identities/?client_id=<its
client ID>`, and the app's user flow decides: the page is there only when that flow lets its
customers see and remove their linked identities (`UserFlow.identities_self_service`, set by an
admin); an unknown app, an app without a flow and a flow that does not allow it are a 404 alike.
The page wears the app's branding and leads back only to an address registered for the app.

A customer who is not signed in goes to the sign-in page and comes back. That sign-in runs the
app's flow (its sign-in method and identity providers: a customer who signs in only through one
needs its button) through an auth transaction with no authorization request behind it: nothing
is answered to the app, the customer just returns here (`next`).
"""

from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import User
from accounts.services import CustomerDeleted, IdentityNotLinked, customer_identity_remove
from apps import lookups
from apps.models import AppRegistration
from apps.oidc.sign_in import SignInRequest
from federation.selectors import linked_identity_get, linked_identity_list
from journey import transaction


def _app_allowing(request: HttpRequest) -> AppRegistration:
    """The app named by `client_id` whose user flow lets customers manage their linked
    identities; else 404. The page wears that app's branding (branding/context.py)."""
    app = lookups.client(request.GET.get("client_id", ""))
    flow = app.user_flow if app is not None else None
    if app is None or flow is None or not flow.identities_self_service:
        raise Http404
    request.branding_client_id = app.client_id  # type: ignore[attr-defined]
    return app


def _sign_in_first(request: HttpRequest, app: AppRegistration) -> HttpResponse:
    """To the sign-in page, through the app's user flow, and back to this page afterwards."""
    flow = app.user_flow
    transaction.begin(
        request,
        SignInRequest(
            client_id=app.client_id,
            redirect_uri="",
            scopes=(),
            state="",
            nonce="",
            code_challenge="",
            code_challenge_method="",
            prompt=(),
            max_age=None,
            login_hint="",
            ui_locales=(),
            user_flow=flow.flow_id if flow is not None else None,
            fresh_sign_in=False,
        ),
    )
    return redirect_to_login(request.get_full_path())


def app_return_url(app: AppRegistration) -> str:
    """Where "Back to <app>" leads: an http(s) address registered for the app, its first
    post-logout redirect URI (a page of the app that needs no sign-in response), else its first
    redirect URI; "" when it has none (a native app's custom scheme is not linked to)."""
    registered: list[str] = [
        *str(app.post_logout_redirect_uris).split(),
        *str(app.redirect_uris).split(),
    ]
    return next((uri for uri in registered if urlsplit(uri).scheme in {"https", "http"}), "")


def _list_url(app: AppRegistration) -> str:
    return f"{reverse('customer-identities')}?{urlencode({'client_id': app.client_id})}"


@never_cache
@require_http_methods(["GET", "HEAD"])
def linked_identities(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's linked identities, oldest first, each with a Remove link."""
    app = _app_allowing(request)
    if not request.user.is_authenticated:
        return _sign_in_first(request, app)
    customer: User = request.user
    return render(
        request,
        "account/identities.html",
        {
            "identities": linked_identity_list(customer=customer),
            "app": app,
            "client_id": app.client_id,
            "return_url": app_return_url(app),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def linked_identity_remove(request: HttpRequest, identity_id: int) -> HttpResponse:
    """Confirm, then remove one of the signed-in customer's own linked identities (another
    customer's, or one already gone, is a 404) and go back to the list."""
    app = _app_allowing(request)
    if not request.user.is_authenticated:
        return _sign_in_first(request, app)
    customer: User = request.user
    identity = linked_identity_get(customer=customer, identity_id=identity_id)
    if identity is None:
        raise Http404
    if request.method == "POST":
        try:
            customer_identity_remove(customer=customer, identity_id=identity.id)
        except (IdentityNotLinked, CustomerDeleted) as error:
            raise Http404 from error
        messages.success(
            request,
            _("Your %(provider)s account is no longer linked.")
            % {"provider": identity.provider_name},
        )
        return redirect(_list_url(app))
    return render(
        request,
        "account/identity_remove.html",
        {
            "identity": identity,
            "app": app,
            "client_id": app.client_id,
            "list_url": _list_url(app),
            "has_password": customer.has_usable_password(),
            "last_one": len(linked_identity_list(customer=customer)) == 1,
        },
    )
