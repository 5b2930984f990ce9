"""Signing operators in and out of the admin center."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from accounts.services import password_change_done
from admin_center.operators.forms import OperatorSignInForm


class OperatorSignInView(auth_views.LoginView):
    template_name = "admin_center/sign_in.html"
    authentication_form = OperatorSignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("admin_center:home")


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
