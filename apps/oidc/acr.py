"""How strongly a customer signed in: the `amr` and `acr` of the tokens, and what an app asks
for with `acr_values` or the `claims` parameter (OIDC Core §2, §3.1.2.1, §5.5.1.1).

`amr` lists the methods the sign-in used, with RFC 8176's registered values:

- `pwd`: a password; `otp`: a one-time code (an emailed code, an authenticator app's code, a
  recovery code); `hwk`/`swk`: a passkey, proof of a key held in hardware (a single-device
  credential, bound to its authenticator) or in software (a multi-device passkey that syncs,
  WebAuthn's backup-eligible flag); `mfa`: two factors of different kinds;
- `fed`: the sign-in went through an identity provider. RFC 8176 registers no value for this;
  `fed` is Entra's, and apps of an Entra-like service read it (RFC 8176 §2 lets parties agree on
  values outside the registry).

`acr` is one of two values this server defines and publishes (`acr_values_supported`):
`urn:ciam:sfa`, one factor, and `urn:ciam:mfa`, two factors (`mfa` in `amr`). An app asks for
two factors with `acr_values=urn:ciam:mfa` (voluntary: honoured when the tenant offers a second
factor this customer can use, else the sign-in ends with one factor and `acr` says so, for the
app to decide), or as an essential claim (`claims={"id_token":{"acr":{"essential":true,
"values":["urn:ciam:mfa"]}}}`: the sign-in then has two factors or the app gets
`unmet_authentication_requirements`, OpenID Connect Unmet Authentication Requirements 1.0).
Unknown values are ignored where voluntary (OIDC Core §3.1.2.1); an essential request naming
none this server knows can never be met and is answered with that error at once.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

SINGLE_FACTOR = "urn:ciam:sfa"
MULTI_FACTOR = "urn:ciam:mfa"
# In the order of strength; discovery lists them (OIDC Discovery 1.0 §3).
ACR_VALUES_SUPPORTED = (SINGLE_FACTOR, MULTI_FACTOR)

PASSWORD = "pwd"
ONE_TIME_CODE = "otp"
HARDWARE_KEY = "hwk"
SOFTWARE_KEY = "swk"
FEDERATED = "fed"
MULTIPLE_FACTORS = "mfa"
# Every value a token may carry, in the order a token lists them.
AMR_VALUES = (FEDERATED, PASSWORD, ONE_TIME_CODE, HARDWARE_KEY, SOFTWARE_KEY, MULTIPLE_FACTORS)

# OpenID Connect Unmet Authentication Requirements 1.0 §4.
UNMET_AUTHENTICATION_REQUIREMENTS = "unmet_authentication_requirements"


@dataclass(frozen=True)
class AcrRequest:
    """What the app asked of the sign-in's strength: `mfa` two factors, `essential` as an
    essential claim (then it must be met), `unmet` an essential request that names no value
    this server knows (it can never be met)."""

    mfa: bool = False
    essential: bool = False
    unmet: bool = False


def acr_request(*, acr_values: str, claims: object) -> AcrRequest:
    """Read the request's `acr_values` (space-separated, in the app's order of preference) and
    the `acr` member of its `claims` parameter (a JSON object, or its text), OIDC Core
    §3.1.2.1 and §5.5.1.1. An essential `acr` wins over `acr_values`; a `claims` value that is
    not the JSON object it should be is ignored (never an error here: it asks nothing)."""
    essential = _essential_acr(claims)
    if essential is not None:
        known = [value for value in essential if value in ACR_VALUES_SUPPORTED]
        if not known:
            return AcrRequest(essential=True, unmet=True)
        # Any value listed satisfies the app; one factor is always possible.
        return AcrRequest(mfa=SINGLE_FACTOR not in known, essential=True)
    preferred = next((v for v in acr_values.split() if v in ACR_VALUES_SUPPORTED), None)
    return AcrRequest(mfa=preferred == MULTI_FACTOR)


def _essential_acr(claims: object) -> list[str] | None:
    """The values of an essential `acr` claim asked for the ID token or userinfo; None when
    `acr` is not asked as essential."""
    if isinstance(claims, str):
        try:
            claims = json.loads(claims) if claims else None
        except ValueError:
            return None
    if not isinstance(claims, dict):
        return None
    for member in ("id_token", "userinfo"):
        requested = claims.get(member)
        acr = requested.get("acr") if isinstance(requested, dict) else None
        if not isinstance(acr, dict) or acr.get("essential") is not True:
            continue
        values = acr.get("values")
        if isinstance(values, list):
            return [value for value in values if isinstance(value, str)]
        value = acr.get("value")
        return [value] if isinstance(value, str) else list(ACR_VALUES_SUPPORTED)
    return None


def amr_ordered(methods: Iterable[str]) -> tuple[str, ...]:
    """The methods as a token lists them: known values only, each once, in one order. (Whether
    two factors were used is the sign-in's to say, with `mfa`: an emailed code then an
    authenticator app's code are two factors, both `otp`.)"""
    present = set(methods)
    return tuple(value for value in AMR_VALUES if value in present)


def acr_of(amr: Iterable[str]) -> str:
    """The `acr` of a sign-in with these methods."""
    return MULTI_FACTOR if MULTIPLE_FACTORS in set(amr) else SINGLE_FACTOR
