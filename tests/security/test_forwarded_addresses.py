"""Behind load balancers the customer's address comes from X-Forwarded-For; a chain that did
not come through the trusted proxies is refused with a 400, never a 500."""

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
