"""Entra-style protocol paths below `/<tenant>/`, in DOT's `oauth2_provider` namespace so that
DOT's own reverse() calls resolve."""

from django.urls import path
from oauth2_provider import views as dot_views

from apps.oidc import views

app_name = "oauth2_provider"

urlpatterns = [
    path("oauth2/v2.0/authorize", views.AuthorizeView.as_view(), name="authorize"),
    path("oauth2/v2.0/token", views.TokenView.as_view(), name="token"),
    path("oauth2/v2.0/revoke", dot_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("oauth2/v2.0/introspect", views.IntrospectView.as_view(), name="introspect"),
    path("oauth2/v2.0/userinfo", dot_views.UserInfoView.as_view(), name="user-info"),
    path("oauth2/v2.0/logout", views.LogoutView.as_view(), name="rp-initiated-logout"),
    path(
        "v2.0/.well-known/openid-configuration",
        views.DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("discovery/v2.0/keys", views.JwksView.as_view(), name="jwks-info"),
]
