"""An https deployment tells browsers never to reach it over plain HTTP again (HSTS)."""

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tenants.models import Tenant
from tests.factories.fresh_process import settings_value


@pytest.mark.parametrize(
    ("environment", "seconds"),
    [
        ({"CIAM_BASE_URL": "https://id.example.com"}, "31536000"),
        ({"CIAM_BASE_URL": "http://127.0.0.1:8000"}, "0"),
        ({"CIAM_BASE_URL": "https://id.example.com", "CIAM_HSTS_SECONDS": "600"}, "600"),
    ],
)
def test_hsts_follows_the_deployment(environment: dict[str, str], seconds: str) -> None:
    assert settings_value("SECURE_HSTS_SECONDS", **environment) == seconds


def test_https_answers_carry_hsts(tenant_a: Tenant) -> None:
    with override_settings(SECURE_HSTS_SECONDS=31_536_000):
        response = Client().get(f"/{tenant_a.domain_name}/account/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    assert settings.SECURE_HSTS_SECONDS == 0  # the test server itself is plain HTTP
