"""The public base URL (every issuer and link) follows where the server listens, unless set."""

import pytest

from tests.factories.fresh_process import settings_values

# What the test run's own environment may hold is cleared: an empty value is an unset one.
UNSET = {"CIAM_BASE_URL": "", "CIAM_HOST": "", "PORT": "", "CIAM_ALLOWED_HOSTS": ""}


@pytest.mark.parametrize(
    ("environment", "base_url", "host"),
    [
        ({}, "http://127.0.0.1:8000", "127.0.0.1"),
        ({"PORT": "8300"}, "http://127.0.0.1:8300", "127.0.0.1"),
        ({"CIAM_HOST": "localhost", "PORT": "8300"}, "http://localhost:8300", "localhost"),
        ({"CIAM_HOST": "id.internal", "PORT": "9000"}, "http://id.internal:9000", "id.internal"),
        ({"CIAM_HOST": "0.0.0.0", "PORT": "8300"}, "http://127.0.0.1:8300", "127.0.0.1"),  # noqa: S104
        ({"CIAM_HOST": "::1", "PORT": "8300"}, "http://[::1]:8300", "::1"),
        (
            {"CIAM_BASE_URL": "https://id.example.com/", "PORT": "8300"},
            "https://id.example.com",
            "id.example.com",
        ),
    ],
)
def test_base_url_follows_port_and_host_unless_set(
    environment: dict[str, str], base_url: str, host: str
) -> None:
    computed, allowed, origins = settings_values(
        "CIAM_BASE_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", **{**UNSET, **environment}
    )
    assert computed == base_url
    assert isinstance(allowed, list)
    assert set(allowed) == {host, "localhost", "127.0.0.1"}
    assert origins == [base_url]
