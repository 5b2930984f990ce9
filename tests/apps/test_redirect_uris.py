import pytest
from django.core.exceptions import ValidationError

from apps.models import Platform
from apps.services import redirect_uri_check


@pytest.mark.parametrize(
    ("platform", "uri"),
    [
        (Platform.WEB, "https://app.example/cb"),
        (Platform.WEB, "http://localhost:5000/cb"),
        (Platform.WEB, "http://127.0.0.1:8080/cb"),
        (Platform.WEB, "http://[::1]:8080/cb"),
        (Platform.SPA, "https://spa.example/"),
        (Platform.MOBILE, "com.example.app:/oauth2redirect"),
        (Platform.MOBILE, "msal00000000-0000-0000-0000-000000000000://auth"),
        (Platform.MOBILE, "http://127.0.0.1/callback"),
    ],
)
def test_accepted(platform: str, uri: str) -> None:
    redirect_uri_check(platform=platform, uri=uri)


@pytest.mark.parametrize(
    ("platform", "uri"),
    [
        (Platform.WEB, "http://app.example/cb"),
        (Platform.WEB, "https://app.example/cb#x"),
        (Platform.WEB, "https://*.example/cb"),
        (Platform.WEB, "com.example.app:/cb"),
        (Platform.WEB, "/relative"),
        (Platform.WEB, "https:///nohost"),
        (Platform.SPA, "http://spa.example/"),
        (Platform.MOBILE, "javascript:alert(1)"),
        (Platform.MOBILE, "myapp:/cb"),
        (Platform.MOBILE, "http://phone.example/cb"),
        (Platform.WEB, "https://bücher.example/cb"),
        (Platform.WEB, "https://app.example/c b"),
    ],
)
def test_refused(platform: str, uri: str) -> None:
    with pytest.raises(ValidationError):
        redirect_uri_check(platform=platform, uri=uri)
