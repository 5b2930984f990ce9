from django.urls import URLPattern, path

from admin_center.access import open_to_anyone, operator_signed_in
from admin_center.operators import views

urlpatterns: list[URLPattern] = [
    path("sign-in/", open_to_anyone(views.OperatorSignInView.as_view()), name="sign-in"),
    path("sign-out/", open_to_anyone(views.OperatorSignOutView.as_view()), name="sign-out"),
    path(
        "password/",
        operator_signed_in(views.OperatorPasswordChangeView.as_view()),
        name="password-change",
    ),
]
