"""Signing operators in and out of the admin center, and changing their password."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.http import HttpResponse
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from accounts.services import password_change_done
from admin_center.operators.forms import OperatorSignInForm
from admin_center.operators.throttle import device_cookie_set


class OperatorSignInView(auth_views.LoginView):
    template_name = "admin_center/sign_in.html"
    authentication_form = OperatorSignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("admin_center:home")

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        device_cookie_set(response=response, operator=form.get_user())
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if isinstance(form, OperatorSignInForm) and form.throttled:
            response.status_code = 429
        return response


@method_decorator(require_POST, name="dispatch")
class OperatorSignOutView(auth_views.LogoutView):
    def get_default_redirect_url(self) -> str:
        return reverse("admin_center:sign-in")


class OperatorPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "admin_center/password_change.html"
    success_url = reverse_lazy("admin_center:home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        password_change_done(user=self.request.user)  # type: ignore[arg-type]
        return response
