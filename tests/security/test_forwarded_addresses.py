"""Behind load balancers the customer's address comes from X-Forwarded-For; a chain that did
not come through the trusted proxies is refused with a 400, never a 500. So are parameters
Django refuses to read."""

import pytest
from django.test import Client, override_settings

from tenants.models import Tenant


@pytest.mark.parametrize(
    ("proxies", "forwarded", "refused"),
    [
        (1, "198.51.100.7", False),
        (1, "203.0.113.1, 198.51.100.7", False),
        (1, "garbage", True),
        (1, " , ", True),
        (2, "198.51.100.7", True),  # one entry where two proxies must have written
        (2, "198.51.100.7, 10.0.0.2", False),
        (2, "[2001:db8::1]:443, 10.0.0.2", False),
        (0, "garbage", False),  # no proxy trusted: the header means nothing
    ],
)
def test_the_forwarding_chain_is_checked(
    tenant_a: Tenant, proxies: int, forwarded: str, refused: bool
) -> None:
    with override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=proxies):
        client = Client(HTTP_X_FORWARDED_FOR=forwarded)
        response = client.post(
            f"/{tenant_a.domain_name}/account/login/",
            {"login": "someone@example.com", "password": "not-the-password"},
        )
    if refused:
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"
    else:
        assert response.status_code == 200
        assert "not correct" in response.text


MANY_FIELDS = "&".join(f"f{number}=1" for number in range(1_001))


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status"),
    [
        ("GET", "/{tenant}/account/login/?" + MANY_FIELDS, b"", "", 400),
        ("GET", "/admin-center/sign-in/?" + MANY_FIELDS, b"", "", 400),
        ("POST", "/{tenant}/account/login/", MANY_FIELDS.encode(), "", 400),
        ("POST", "/{tenant}/oauth2/v2.0/token", MANY_FIELDS.encode(), "", 400),
        ("POST", "/{tenant}/account/login/", b"a=\xe9", "; charset=latin-1", 400),
        ("POST", "/{tenant}/account/login/", b"a=" + b"x" * 3_000_000, "", 413),
    ],
)
def test_parameters_django_refuses_to_read_get_a_json_error(
    tenant_a: Tenant, method: str, path: str, body: bytes, content_type: str, status: int
) -> None:
    """Over 1,000 parameters, a body over 2.5 MB, a form that is not UTF-8: Django raises while
    the guard reads them, before there is a session, where its own error pages crashed."""
    response = Client(raise_request_exception=False).generic(
        method,
        path.format(tenant=tenant_a.domain_name),
        body,
        content_type="application/x-www-form-urlencoded" + content_type,
    )
    assert response.status_code == status
    assert response.json()["error"] == "invalid_request"
