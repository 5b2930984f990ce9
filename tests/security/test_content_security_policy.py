"""Every page carries a Content Security Policy that allows only this site's own scripts, styles
and images, nothing inline, and no framing (django-csp)."""

import pytest
from django.test import Client

from tenants.models import Tenant


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize(
    "path",
    [
        "/{tenant}/account/login/",
        "/{tenant}/account/signup/",
        "/{tenant}/account/password/reset/",
        "/admin-center/sign-in/",
        "/{tenant}/no-such-page/",
        "/no-such-tenant/account/login/",
    ],
)
def test_pages_allow_only_their_own_resources(tenant_a: Tenant, path: str) -> None:
    response = Client().get(path.format(tenant=tenant_a.domain_name))
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    for kind in ("script-src", "style-src", "connect-src", "font-src"):
        assert policy[kind] == ["'self'"], kind
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "unsafe" not in response["Content-Security-Policy"]
    assert "<style" not in response.text
    assert "<script>" not in response.text
