"""What an app asks of the sign-in's strength (`acr_values`, the `claims` parameter's `acr`),
read by the protocol (apps/oidc/acr.py), and the `amr`/`acr` a sign-in's methods make."""

import json

import pytest

from apps.oidc.acr import AcrRequest, acr_of, acr_request, amr_ordered
from apps.oidc.claims import sign_in_strength_claims

MFA = "urn:ciam:mfa"
SFA = "urn:ciam:sfa"


def essential(*values: str, member: str = "id_token") -> str:
    return json.dumps({member: {"acr": {"essential": True, "values": list(values)}}})


@pytest.mark.parametrize(
    ("acr_values", "claims", "asked"),
    [
        ("", None, AcrRequest()),
        (MFA, None, AcrRequest(mfa=True)),
        # In the app's order of preference: the first value this server knows decides.
        (f"urn:other {MFA} {SFA}", None, AcrRequest(mfa=True)),
        (f"{SFA} {MFA}", None, AcrRequest()),
        ("urn:other:loa:3", None, AcrRequest()),  # unknown and voluntary: ignored
        ("", essential(MFA), AcrRequest(mfa=True, essential=True)),
        ("", essential(MFA, member="userinfo"), AcrRequest(mfa=True, essential=True)),
        ("", essential(SFA, MFA), AcrRequest(essential=True)),  # one factor satisfies it
        ("", essential("urn:other"), AcrRequest(essential=True, unmet=True)),
        ("", essential("urn:other", MFA), AcrRequest(mfa=True, essential=True)),
        # An essential claim wins over acr_values.
        (MFA, essential(SFA), AcrRequest(essential=True)),
        (
            "",
            json.dumps({"id_token": {"acr": {"essential": True, "value": MFA}}}),
            AcrRequest(mfa=True, essential=True),
        ),
        # Voluntary in claims: asks nothing of the sign-in; malformed: ignored here.
        ("", json.dumps({"id_token": {"acr": {"values": [MFA]}}}), AcrRequest()),
        ("", "{not json", AcrRequest()),
        ("", json.dumps(["acr"]), AcrRequest()),
        (
            "",
            {"id_token": {"acr": {"essential": True, "values": [MFA]}}},
            AcrRequest(mfa=True, essential=True),
        ),
    ],
)
def test_what_the_app_asks(acr_values: str, claims: object, asked: AcrRequest) -> None:
    assert acr_request(acr_values=acr_values, claims=claims) == asked


def test_amr_values_are_known_ordered_and_once() -> None:
    assert amr_ordered(["mfa", "otp", "pwd", "otp", "made-up"]) == ("pwd", "otp", "mfa")
    assert amr_ordered(["hwk", "fed", "mfa"]) == ("fed", "hwk", "mfa")
    assert acr_of(["pwd"]) == SFA
    assert acr_of(["otp", "mfa"]) == MFA


def test_the_tokens_claims_of_recorded_methods() -> None:
    assert sign_in_strength_claims("pwd otp mfa") == {"amr": ["pwd", "otp", "mfa"], "acr": MFA}
    assert sign_in_strength_claims("fed") == {"amr": ["fed"], "acr": SFA}
    assert sign_in_strength_claims("") == {}  # a session signed in before they were recorded
