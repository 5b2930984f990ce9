"""The configuration document's shape: strict reading (every unknown key, wrong type or
missing field is an error naming its path, `apps[2].platforms.web[0]`), defaults filled, and
lists put in the order the export writes them, so that a document and the export of the tenant
it was applied to compare equal. YAML in and out (safe loader, keys sorted)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from apps.models import REDIRECT_PLATFORMS, Platform

API_VERSION = "ciam/v1"
KIND = "TenantConfiguration"

HEADER = (
    "# Tenant configuration (docs/configuration-as-code.md). Credentials are not exported:\n"
    "# app registrations' client secrets and certificates are left out, identity providers'\n"
    "# secrets are read from the environment variable each `fromEnv` names.\n"
)


class ConfigurationInvalid(Exception):
    """The document, or applying it, is wrong; `errors` are `path: message` lines."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


_REQUIRED = object()
_ABSENT = object()  # an optional key with no default: left out when not given

Check = Callable[[Any, str, list[str]], Any]


def _scalar(kind: type, label: str) -> Check:
    def check(value: Any, path: str, errors: list[str]) -> Any:
        if kind is int and isinstance(value, bool):
            errors.append(f"{path}: expected {label}")
            return value
        if not isinstance(value, kind):
            errors.append(f"{path}: expected {label}")
        return value

    return check


STR = _scalar(str, "a string")
BOOL = _scalar(bool, "true or false")
INT = _scalar(int, "a whole number")


def _nullable(inner: Check) -> Check:
    def check(value: Any, path: str, errors: list[str]) -> Any:
        return None if value is None else inner(value, path, errors)

    return check


def _branding_value(value: Any, path: str, errors: list[str]) -> Any:
    if not isinstance(value, str | bool):
        errors.append(f"{path}: expected a string or true or false")
    return value


def _list(inner: Check) -> Check:
    def check(value: Any, path: str, errors: list[str]) -> Any:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list")
            return []
        return [inner(item, f"{path}[{index}]", errors) for index, item in enumerate(value)]

    return check


def _map(inner: Check) -> Check:
    def check(value: Any, path: str, errors: list[str]) -> Any:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping")
            return {}
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                errors.append(f"{path}: keys must be strings")
                continue
            result[key] = inner(item, f"{path}.{key}", errors)
        return dict(sorted(result.items()))

    return check


@dataclass(frozen=True)
class _Object:
    fields: dict[str, tuple[Check, Any]]
    exactly_one: tuple[tuple[str, ...], ...] = field(default=())

    def __call__(self, value: Any, path: str, errors: list[str]) -> Any:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping")
            return {}
        for key in value:
            if key not in self.fields:
                errors.append(f"{path}.{key}: unknown key")
        result: dict[str, Any] = {}
        for key, (check, default) in self.fields.items():
            if key in value:
                result[key] = check(value[key], f"{path}.{key}", errors)
            elif default is _REQUIRED:
                errors.append(f"{path}.{key}: required")
            elif default is not _ABSENT:
                result[key] = default() if callable(default) else default
        for group in self.exactly_one:
            if sum(key in value for key in group) != 1:
                errors.append(f"{path}: give exactly one of {', '.join(group)}")
        return result


def _obj(**fields: tuple[Check, Any]) -> _Object:
    return _Object(fields)


_SCOPE_OR_ROLE = _obj(
    value=(STR, _REQUIRED),
    displayName=(STR, _REQUIRED),
    description=(STR, ""),
    enabled=(BOOL, True),
)
_CLAIM = _Object(
    {
        "builtin": (STR, _ABSENT),
        "custom": (STR, _ABSENT),
        "idToken": (BOOL, True),
        "accessToken": (BOOL, False),
    },
    exactly_one=(("builtin", "custom"),),
)
_PERMISSION = _obj(
    scope=(STR, _ABSENT), role=(STR, _ABSENT), api=(STR, _ABSENT), consented=(BOOL, True)
)
_APP = _obj(
    name=(STR, _REQUIRED),
    clientId=(STR, _ABSENT),
    platform=(STR, _REQUIRED),
    # The redirect URIs per platform (Entra's web, spa and publicClient); `redirectUris`, the
    # older spelling, is the main platform's. Settled into `platforms` by _platforms_settle.
    platforms=(_map(_list(STR)), _ABSENT),
    redirectUris=(_list(STR), _ABSENT),
    postLogoutRedirectUris=(_list(STR), list),
    frontChannelLogoutUrl=(STR, ""),
    appIdUri=(STR, ""),
    userFlow=(_nullable(STR), None),
    scopes=(_list(_SCOPE_OR_ROLE), list),
    roles=(_list(_SCOPE_OR_ROLE), list),
    permissions=(_list(_PERMISSION), list),
    claims=(_list(_CLAIM), list),
    customClaims=(
        _list(
            _obj(
                claimId=(STR, _REQUIRED),
                jwtClaimName=(STR, _REQUIRED),
                idToken=(BOOL, True),
                accessToken=(BOOL, False),
            )
        ),
        list,
    ),
)
_FLOW_ATTRIBUTE = _Object(
    {
        "builtin": (STR, _ABSENT),
        "custom": (STR, _ABSENT),
        "label": (STR, ""),
        "required": (BOOL, False),
        "inputType": (STR, "TextBox"),
        "options": (_list(_obj(text=(STR, _REQUIRED), value=(STR, _REQUIRED))), list),
    },
    exactly_one=(("builtin", "custom"),),
)
_IMAGE = _obj(sha256=(STR, _REQUIRED), data=(STR, _REQUIRED))
_LISTENER = _obj(app=(STR, _ABSENT), userFlow=(STR, _ABSENT), failurePolicy=(STR, _REQUIRED))

_SECTIONS: dict[str, Check] = {
    "attributes": _list(
        _obj(
            name=(STR, _REQUIRED),
            dataType=(STR, _REQUIRED),
            description=(STR, ""),
            userEditable=(BOOL, True),
        )
    ),
    "apps": _list(_APP),
    "userFlows": _list(
        _obj(
            name=(STR, _REQUIRED),
            signInMethod=(STR, "email_password"),
            signUpAllowed=(BOOL, True),
            identitiesSelfService=(BOOL, False),
            identityProviders=(_list(STR), list),
            attributes=(_list(_FLOW_ATTRIBUTE), _REQUIRED),
        )
    ),
    "branding": _list(
        _obj(
            app=(_nullable(STR), None),
            locale=(STR, ""),
            values=(_map(_branding_value), dict),
            images=(_map(_IMAGE), dict),
        )
    ),
    "languages": _obj(default=(STR, "en"), overrides=(_map(_map(STR)), dict)),
    "identityProviders": _list(
        _obj(
            slug=(STR, _REQUIRED),
            kind=(STR, _REQUIRED),
            displayName=(STR, _REQUIRED),
            clientId=(STR, _REQUIRED),
            clientSecret=(_obj(fromEnv=(STR, _REQUIRED)), _REQUIRED),
            clientAuthentication=(STR, "client_secret_post"),
            keyId=(STR, ""),
            teamId=(STR, ""),
            wellKnownUrl=(STR, ""),
            scopes=(_list(STR), list),
            claimsMapping=(_map(STR), dict),
            trustedForEmail=(BOOL, False),
        )
    ),
    "authenticationMethods": _obj(
        emailOtp=(BOOL, True), totp=(BOOL, False), passkeys=(BOOL, False)
    ),
    "signInProtection": _obj(
        lockoutThreshold=(INT, 10),
        lockoutSeconds=(INT, 60),
        requestsPerSecondPerAddress=(INT, 20),
        requestsPerSecondPerTenant=(INT, 200),
        breachedPasswordsRefused=(BOOL, True),
    ),
    "namedLocations": _list(
        _obj(name=(STR, _REQUIRED), ipRanges=(_list(STR), list), trusted=(BOOL, False))
    ),
    "conditionalAccessPolicies": _list(
        _obj(
            name=(STR, _REQUIRED),
            state=(STR, "report_only"),
            grant=(STR, _REQUIRED),
            allApps=(BOOL, True),
            apps=(_list(STR), list),
            excludedApps=(_list(STR), list),
            riskLevels=(_list(STR), list),
            locations=(STR, "any"),
            includedLocations=(_list(STR), list),
            excludeTrustedLocations=(BOOL, False),
            excludedLocations=(_list(STR), list),
        )
    ),
    "extensions": _list(
        _obj(
            name=(STR, _REQUIRED),
            description=(STR, ""),
            event=(STR, _REQUIRED),
            targetUrl=(STR, _REQUIRED),
            timeoutMs=(INT, 2000),
            maxRetries=(INT, 1),
            apiApp=(STR, _REQUIRED),
            listeners=(_list(_LISTENER), list),
        )
    ),
    "tokenLifetimes": _obj(
        accessTokenMinutes=(INT, 60),
        idTokenMinutes=(INT, 60),
        spaRefreshTokenHours=(INT, 24),
        refreshTokenDays=(INT, 90),
    ),
}

# The key each list section's objects are named by (the plan's unit of change).
SECTION_KEYS: dict[str, Callable[[dict[str, Any]], str]] = {
    "attributes": lambda item: item["name"],
    "apps": lambda item: item["name"],
    "userFlows": lambda item: item["name"],
    "branding": lambda item: f"{item['app'] or '(tenant)'}/{item['locale'] or '(all languages)'}",
    "identityProviders": lambda item: item["slug"],
    "namedLocations": lambda item: item["name"],
    "conditionalAccessPolicies": lambda item: item["name"],
    "extensions": lambda item: item["name"],
}
SECTIONS = tuple(_SECTIONS)


def _platforms_settle(item: dict[str, Any], path: str, errors: list[str]) -> None:
    """Put an app's redirect URIs in the export's form: `platforms` listing the main platform
    (even without URIs, as after registration) and every other platform that has URIs, in
    web, spa, mobile order; a daemon has none. The main platform is the one the apps room
    derives: web whenever the app has web redirect URIs, else its first public platform."""
    main = item.get("platform")
    if not isinstance(main, str):
        return  # already an error: the platform is required, and a string
    if "platforms" in item and "redirectUris" in item:
        errors.append(f"{path}: give platforms or redirectUris, not both")
        return
    given = item.pop("platforms", None)
    if given is None:
        uris = item.pop("redirectUris", [])
        given = {main: uris} if main in REDIRECT_PLATFORMS or uris else {}
    for key in given:
        if key not in REDIRECT_PLATFORMS:
            known = ", ".join(REDIRECT_PLATFORMS)
            errors.append(f"{path}.platforms.{key}: expected one of {known}")
    if main == Platform.DAEMON:
        if any(given.values()):
            errors.append(f"{path}.platforms: a daemon signs no user in: it has no redirect URIs")
        item["platforms"] = {}
        return
    platforms = {
        key: given.get(key, []) for key in REDIRECT_PLATFORMS if given.get(key) or key == main
    }
    first = next(iter(platforms), main)
    if main in REDIRECT_PLATFORMS and first != main:
        errors.append(
            f"{path}.platform: {first}, not {main}: the main platform is web whenever the app "
            "has web redirect URIs, else its first public platform"
        )
    item["platforms"] = platforms


def _permission_order(entry: dict[str, Any]) -> tuple[str, str, str]:
    kind = "role" if "role" in entry else "scope"
    return (entry.get("api", ""), kind, entry.get(kind, ""))


def _sorted_inside(section: str, item: dict[str, Any]) -> None:
    """Put an object's own lists in the export's order."""
    if section == "apps":
        item["scopes"].sort(key=lambda entry: entry["value"])
        item["roles"].sort(key=lambda entry: entry["value"])
        item["permissions"].sort(key=_permission_order)
        item["claims"].sort(key=lambda entry: (entry.get("builtin", ""), entry.get("custom", "")))
        item["customClaims"].sort(key=lambda entry: entry["jwtClaimName"])
    elif section == "userFlows":
        item["identityProviders"].sort()
    elif section == "conditionalAccessPolicies":
        for key in ("apps", "excludedApps", "includedLocations", "excludedLocations"):
            item[key].sort()
    elif section == "extensions":
        item["listeners"].sort(key=lambda entry: (entry.get("app", ""), entry.get("userFlow", "")))


def canonical_order(sections: dict[str, Any]) -> dict[str, Any]:
    """Put every list of the sections in the document's order (in place; returned), the same
    for an export and for a file, whatever order a database collation or an author chose."""
    for section, keyed in SECTION_KEYS.items():
        items = sections.get(section)
        if isinstance(items, list):
            for item in items:
                _sorted_inside(section, item)
            items.sort(key=keyed)
    return sections


@dataclass
class Document:
    """A checked document: its sections (only those the file has: a section left out is not
    managed by it), in canonical form, and where each named object was in the file."""

    sections: dict[str, Any]
    paths: dict[tuple[str, str], str]


def document_read(data: Any) -> Document:
    """Check `data` (the parsed YAML or JSON) and return it in canonical form, or raise
    ConfigurationInvalid with every problem found, each with its path."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ConfigurationInvalid(["(document): expected a mapping"])
    if data.get("apiVersion") != API_VERSION:
        errors.append(f"apiVersion: expected {API_VERSION}")
    if data.get("kind") != KIND:
        errors.append(f"kind: expected {KIND}")
    for key in data:
        if key not in _SECTIONS and key not in {"apiVersion", "kind"}:
            errors.append(f"{key}: unknown key")
    sections: dict[str, Any] = {}
    paths: dict[tuple[str, str], str] = {}
    for section, check in _SECTIONS.items():
        if section not in data:
            continue
        value = check(data[section], section, errors)
        if section in SECTION_KEYS and isinstance(value, list):
            keyed = SECTION_KEYS[section]
            for index, item in enumerate(value):
                if section == "apps":
                    _platforms_settle(item, f"{section}[{index}]", errors)
                try:
                    name = keyed(item)
                except KeyError:
                    continue  # a required key is missing: already an error
                where = f"{section}[{index}]"
                if (section, name) in paths:
                    errors.append(f"{where}: {name} is named twice")
                paths[(section, name)] = where
        sections[section] = value
    if errors:
        raise ConfigurationInvalid(errors)
    return Document(sections=canonical_order(sections), paths=paths)


def yaml_dump(data: dict[str, Any]) -> str:
    """The document as YAML: keys sorted, block style, Unicode kept."""
    return yaml.safe_dump(
        data, sort_keys=True, default_flow_style=False, allow_unicode=True, width=100
    )


def yaml_load(text: str) -> Any:
    """Parse YAML (or JSON, which is YAML) safely; a syntax error is a ConfigurationInvalid."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigurationInvalid([f"(document): not valid YAML: {error}"]) from None
