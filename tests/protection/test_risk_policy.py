"""Sign-in risk reaches conditional access: a policy that requires a second factor for
medium and high risk asks it of a customer whose password was guessed at from this address
before it came right (protection/risk.py grades it medium), and not of a quiet sign-in."""

from django.test import Client

from protection.conditional_access import PolicySettings, conditional_access_policy_create
from protection.risk import MEDIUM_FAILURES
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import make_customer
from tests.factories.flows import FlowWorld
from tests.journey.test_second_factor import methods, second_factor_page, sign_in

EMAIL = "risky@example.com"


def test_a_risky_sign_in_is_asked_a_second_factor_and_a_quiet_one_is_not(
    flow_world: FlowWorld,
) -> None:
    world = flow_world
    make_customer(world.tenant, EMAIL)
    make_customer(world.tenant, "quiet@example.com")
    methods(world, email=True, totp=True)
    with in_tenant(world.tenant):
        conditional_access_policy_create(
            settings=PolicySettings(
                name="Risky sign-ins", state="on", grant="mfa", risk_levels=["medium", "high"]
            )
        )
    quiet = sign_in(
        Client(REMOTE_ADDR="198.51.100.7"), world, authorize_url(world), "quiet@example.com"
    )
    assert quiet.status_code == 302  # on to the app, no second factor: nothing risky happened

    guesser = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(MEDIUM_FAILURES):
        wrong = guesser.post(
            f"/{world.tenant.domain_name}/account/login/",
            {"login": EMAIL, "password": "not-the-password"},
        )
        assert wrong.status_code == 200
    risky = sign_in(guesser, world, authorize_url(world), EMAIL)
    second_factor_page(risky)  # the policy asks a second factor
