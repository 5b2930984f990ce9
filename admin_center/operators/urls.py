from django.urls import path

from admin_center.operators import views

urlpatterns = [
    path("sign-in/", views.OperatorSignInView.as_view(), name="sign-in"),
    path("sign-out/", views.OperatorSignOutView.as_view(), name="sign-out"),
    path("password/", views.OperatorPasswordChangeView.as_view(), name="password-change"),
]
