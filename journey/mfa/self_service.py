"""A signed-in customer's own second factors: allauth.mfa's pages (their list, setting up and
removing an authenticator app and passkeys, recovery codes seen once and made anew), mounted
under account/2fa/ and wearing the tenant's branding through our layout. Each change asks the
customer to confirm it is them first (allauth's reauthentication: the password, an emailed code
or a second factor, within the last five minutes).

Setting up is offered only for the kinds the tenant enables (its Authentication methods);
removing is always possible. allauth's own sign-in step (`mfa_authenticate`) is not mounted:
the journey's stage asks for the second factor (journey/mfa/stages.py).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.mfa.base import views as base_views
from allauth.mfa.recovery_codes import views as recovery_code_views
from allauth.mfa.totp import views as totp_views
from allauth.mfa.webauthn import views as webauthn_views
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path

from protection.methods import SecondFactor, enabled_second_factors
from protection.selectors import authentication_methods_policy

View = Callable[..., HttpResponse]


def offered_kinds() -> tuple[SecondFactor, ...]:
    """The kinds the tenant lets a customer set up (call in the tenant's schema)."""
    return enabled_second_factors(authentication_methods_policy(), first_factor_emailed=False)


def offered(kind: SecondFactor) -> Callable[[View], View]:
    """A page that sets up `kind`: not there (404) while the tenant does not enable it."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if kind not in offered_kinds():
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class IndexView(base_views.IndexView):  # type: ignore[misc]
    """The customer's second factors, with what the tenant lets them set up."""

    template_name = "mfa/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["offered"] = [kind.value for kind in offered_kinds()]
        return context


urlpatterns: list[URLPattern] = [
    path("", IndexView.as_view(), name="mfa_index"),
    path("reauthenticate/", base_views.reauthenticate, name="mfa_reauthenticate"),
    path(
        "totp/activate/",
        offered(SecondFactor.TOTP)(totp_views.activate_totp),
        name="mfa_activate_totp",
    ),
    path("totp/deactivate/", totp_views.deactivate_totp, name="mfa_deactivate_totp"),
    path(
        "recovery-codes/",
        recovery_code_views.view_recovery_codes,
        name="mfa_view_recovery_codes",
    ),
    path(
        "recovery-codes/generate/",
        recovery_code_views.generate_recovery_codes,
        name="mfa_generate_recovery_codes",
    ),
    path(
        "recovery-codes/download/",
        recovery_code_views.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
    path("webauthn/", webauthn_views.list_webauthn, name="mfa_list_webauthn"),
    path(
        "webauthn/add/",
        offered(SecondFactor.PASSKEY)(webauthn_views.add_webauthn),
        name="mfa_add_webauthn",
    ),
    path(
        "webauthn/reauthenticate/",
        webauthn_views.reauthenticate_webauthn,
        name="mfa_reauthenticate_webauthn",
    ),
    path(
        "webauthn/keys/<int:pk>/remove/",
        webauthn_views.remove_webauthn,
        name="mfa_remove_webauthn",
    ),
    path("webauthn/keys/<int:pk>/edit/", webauthn_views.edit_webauthn, name="mfa_edit_webauthn"),
]
