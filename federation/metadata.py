"""An OpenID Provider's discovery document: fetched with bounds, then checked against OpenID
Connect Discovery 1.0 (§3 the metadata, §4 obtaining it, §4.3 validating the issuer).

The document is fetched once, when an admin saves the registration; what the journey later uses
is the copy validated here, never a document fetched during a customer's sign-in.
"""

import ipaddress
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.utils.translation import gettext as _

from federation.exceptions import MetadataUnavailable

WELL_KNOWN_SUFFIX = "/.well-known/openid-configuration"
METADATA_TIMEOUT_SECONDS = 5
METADATA_MAX_BYTES = 256 * 1024
_MAX_REDIRECTS = 3

# Takes the document's URL, returns its body; raises MetadataUnavailable.
Fetch = Callable[[str], bytes]


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine (where plain http is allowed, for development)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why `url` is no acceptable provider URL (https, or http to a loopback host), or None."""
    parts = urlsplit(url)
    if not parts.hostname:
        return _("Enter a full URL, such as https://login.example.com%(suffix)s.") % {
            "suffix": WELL_KNOWN_SUFFIX
        }
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname)):
        return None
    return _("The URL must use https (plain http is accepted only for localhost).")


def metadata_fetch(url: str) -> bytes:
    """GET `url` (timeout 5 s, at most 256 KB read), following redirects only within the same
    scheme and host: the document an admin named, not one another host chooses."""
    origin = urlsplit(url)[:2]
    for _hop in range(_MAX_REDIRECTS + 1):
        try:
            response = requests.get(
                url,
                timeout=METADATA_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as error:
            raise MetadataUnavailable(
                _("The provider could not be reached (%(reason)s).")
                % {"reason": type(error).__name__}
            ) from error
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("Location", ""))
                if urlsplit(url)[:2] != origin:
                    raise MetadataUnavailable(
                        _("The provider redirected to another host; enter the final URL.")
                    )
                continue
            if response.status_code != 200:
                raise MetadataUnavailable(
                    _("The provider answered with HTTP status %(status)d.")
                    % {"status": response.status_code}
                )
            body = response.raw.read(METADATA_MAX_BYTES + 1, decode_content=True)
        if len(body) > METADATA_MAX_BYTES:
            raise MetadataUnavailable(
                _("The document is larger than %(size)d KB.") % {"size": METADATA_MAX_BYTES // 1024}
            )
        return bytes(body)
    raise MetadataUnavailable(_("The provider redirected too many times."))


def expected_issuer(well_known_url: str) -> str:
    """The issuer a well-known URL promises: the URL minus `/.well-known/openid-configuration`
    (OIDC Discovery §4.1, §4.3)."""
    return well_known_url.removesuffix(WELL_KNOWN_SUFFIX)


def metadata_load(well_known_url: str, *, fetch: Fetch) -> tuple[dict[str, Any], list[str]]:
    """The provider's validated discovery document and no errors, or `{}` and the reasons it
    was refused (each a sentence for the admin)."""
    try:
        body = fetch(well_known_url)
    except MetadataUnavailable as error:
        return {}, [str(error)]
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}, [_("The document at this URL is not JSON.")]
    if not isinstance(document, dict):
        return {}, [_("The document at this URL is not a JSON object.")]
    errors: list[str] = []
    issuer = expected_issuer(well_known_url)
    if document.get("issuer") != issuer:
        errors.append(
            _("The document's issuer is not %(issuer)s (OpenID Connect Discovery §4.3).")
            % {"issuer": issuer}
        )
    # OIDC Discovery §3: the endpoints the authorization code flow needs.
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value:
            errors.append(_("The document has no %(name)s.") % {"name": name})
        elif url_problem(value) is not None:
            errors.append(
                _("The document's %(name)s must use https (http only for localhost).")
                % {"name": name}
            )
    response_types = document.get("response_types_supported")
    if not isinstance(response_types, list) or "code" not in response_types:
        errors.append(_("The provider does not support the authorization code flow (code)."))
    return (document if not errors else {}), errors
