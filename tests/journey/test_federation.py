"""A customer of fabrikam signs in through an OpenID Provider, contoso, another tenant of this
same product (issue 11): tests/factories/federation.py sets them up and walks the sign-in."""

from urllib.parse import parse_qs, urlsplit

from allauth.socialaccount.models import SocialAccount

from accounts.models import User
from apps.models import Grant
from apps.oidc.views import discovery_document
from federation.models import IdentityProvider
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tenants.selectors import tenant_issuer
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.federation import (
    Federation,
    InProcess,
    browser,
    federate,
    id_token_of,
    through_contoso,
)
from tests.factories.flows import FLOW_APP_REDIRECT, make_flow_world


def test_first_sign_in_through_contoso_is_sign_up_through_the_flow(
    federation: Federation,
) -> None:
    fabrikam = federation.fabrikam.tenant
    customer = make_customer(federation.contoso, "ada@contoso.example")
    with in_tenant(federation.contoso):
        User.objects.filter(pk=customer.pk).update(display_name="Ada Lovelace")
    client = browser()
    client.get(authorize_url(federation.fabrikam))
    sign_up = client.get(f"/{fabrikam.domain_name}/account/signup/")
    assert "Continue with Contoso" in sign_up.text  # the sign-up page offers it too

    answer = through_contoso(client, federation, "ada@contoso.example")
    complete = f"/{fabrikam.domain_name}/account/complete/"
    assert answer.status_code == 302, answer.content[:500]
    assert answer["Location"] == complete  # fabrikam's flow requires a first name and a tier
    page = client.get(complete)
    assert page.status_code == 200
    assert "Password" not in page.text  # the customer signs in at contoso
    with in_tenant(fabrikam):
        user = User.objects.get(email="ada@contoso.example")
        assert user.display_name == "Ada Lovelace"  # mapped from contoso's `name`
        assert not user.profile_completed
        assert not user.has_usable_password()
        assert user.emailaddress_set.get().verified  # contoso says so, and is trusted
        account = SocialAccount.objects.get(user=user)
        assert account.provider == "contoso"
    done = client.post(complete, {"attr_given_name": "Ada", "attr_Tier": "gold"})
    claims = id_token_of(client, federation.fabrikam, done)
    assert claims["idp"] == tenant_issuer(federation.contoso)
    assert claims["iss"] == tenant_issuer(fabrikam)

    # Again, in a new browser: straight back to the app, no attribute page.
    second = browser()
    again = through_contoso(second, federation, "ada@contoso.example")
    assert again.status_code == 302
    assert again["Location"] == authorize_url(federation.fabrikam)  # `next`: the app's request
    again = second.get(again["Location"])
    assert again["Location"].startswith(f"{FLOW_APP_REDIRECT}?code="), again["Location"]
    with in_tenant(fabrikam):
        assert User.objects.filter(email__iexact="ada@contoso.example").count() == 1


def test_a_password_sign_in_after_a_federated_one_carries_no_idp(
    federation: Federation,
) -> None:
    fabrikam = federation.fabrikam.tenant
    make_customer(federation.contoso, "grace@contoso.example")
    make_customer(fabrikam, "local@fabrikam.example")
    client = browser()
    answer = through_contoso(client, federation, "grace@contoso.example")
    done = client.post(answer["Location"], {"attr_given_name": "Grace", "attr_Tier": "gold"})
    assert "idp" in id_token_of(client, federation.fabrikam, done)
    client.post(f"/{fabrikam.domain_name}/account/logout/")
    client.get(authorize_url(federation.fabrikam))
    local = client.post(
        f"/{fabrikam.domain_name}/account/login/",
        {
            "login": "local@fabrikam.example",
            "password": PASSWORD,
            "next": authorize_url(federation.fabrikam),
        },
    )
    assert "idp" not in id_token_of(client, federation.fabrikam, local)


def test_an_untrusted_providers_email_is_verified_here(
    tenant_a: Tenant, tenant_b: Tenant, in_process_http: None
) -> None:
    world = federate(tenant_a, tenant_b, trusted=False)
    make_customer(world.contoso, "eve@contoso.example")
    answer = through_contoso(browser(), world, "eve@contoso.example")
    assert answer.status_code == 302
    assert answer["Location"] == f"/{world.fabrikam.tenant.domain_name}/account/confirm-email/"
    with in_tenant(world.fabrikam.tenant):
        user = User.objects.get(email="eve@contoso.example")
        assert not user.emailaddress_set.get().verified


def test_an_email_with_an_account_here_is_not_taken_over(federation: Federation) -> None:
    fabrikam = federation.fabrikam.tenant
    make_customer(fabrikam, "Mallory@Example.com")
    make_customer(federation.contoso, "mallory@example.com")
    answer = through_contoso(browser(), federation, "mallory@example.com")
    # Linking is offered, after a sign-in here (tests/journey/test_linking.py); nothing yet.
    assert answer.status_code == 302
    assert answer["Location"] == f"/{fabrikam.domain_name}/account/link/"
    with in_tenant(fabrikam):
        assert not SocialAccount.objects.exists()
        assert User.objects.count() == 1
        assert not Grant.objects.exists()


def test_a_flow_closed_to_sign_up_creates_no_account(federation: Federation) -> None:
    fabrikam = federation.fabrikam.tenant
    with in_tenant(fabrikam):
        federation.fabrikam.flow.sign_up_allowed = False
        federation.fabrikam.flow.save()
    make_customer(federation.contoso, "closed@contoso.example")
    answer = through_contoso(browser(), federation, "closed@contoso.example")
    assert "Sign-up is closed" in answer.text
    with in_tenant(fabrikam):
        assert not User.objects.filter(email="closed@contoso.example").exists()


def test_a_provider_the_flow_does_not_enable_is_not_there(
    tenant_a: Tenant, tenant_b: Tenant, in_process_http: None
) -> None:
    world = federate(tenant_a, tenant_b, enabled=False)
    fabrikam = world.fabrikam.tenant.domain_name
    client = browser()
    page = client.get(authorize_url(world.fabrikam))
    assert "Continue with" not in page.text
    started = client.post(f"/{fabrikam}/account/oidc/contoso/login/", {"process": "login"})
    assert started.status_code == 404
    # Without an app's sign-in under way there is no flow, so no provider either.
    assert browser().post(f"/{fabrikam}/account/oidc/contoso/login/").status_code == 404
    assert browser().post(f"/{fabrikam}/account/google/login/").status_code == 404


def test_a_callback_that_does_not_complete_is_a_clear_page_and_stores_nothing(
    federation: Federation,
) -> None:
    fabrikam = federation.fabrikam.tenant
    client = browser()
    client.get(authorize_url(federation.fabrikam))
    for query in (
        {"error": "access_denied"},  # the customer said no at contoso
        {"code": "forged", "state": "not-the-state"},
        {"code": "not-a-code-contoso-issued"},  # contoso's token endpoint refuses it
    ):
        start = client.post(
            f"/{fabrikam.domain_name}/account/oidc/contoso/login/",
            {"process": "login", "next": authorize_url(federation.fabrikam)},
        )
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        answer = client.get(federation.callback, {"state": state, **query})
        assert answer.status_code == 400, query
        assert "Signing in with Contoso did not complete." in answer.text
        assert "<h1>Sign-in did not complete</h1>" in answer.text
    with in_tenant(fabrikam):
        assert not User.objects.exists()
        assert not SocialAccount.objects.exists()


def test_the_discovery_document_validated_on_save_is_the_one_a_sign_in_reads(
    federation: Federation,
) -> None:
    """No fetch of contoso's well-known URL at sign-in: the stored copy answers it."""
    with in_tenant(federation.contoso):
        document = discovery_document()
    with in_tenant(federation.fabrikam.tenant):
        IdentityProvider.objects.filter(pk=federation.provider.pk).update(metadata=document)
    make_customer(federation.contoso, "stored@contoso.example")
    answer = through_contoso(browser(), federation, "stored@contoso.example")
    assert answer["Location"].endswith("/account/complete/")
    assert InProcess.requested, "token and userinfo still go to contoso"
    assert not [url for url in InProcess.requested if "/.well-known/" in url]


def test_a_provider_of_one_tenant_is_not_there_through_another(federation: Federation) -> None:
    """fabrikam's "contoso" provider is fabrikam's alone: through contoso's own addresses, even
    during a sign-in to an app of contoso whose flow enables everything it has, it is a 404."""
    contoso = federation.contoso
    contoso_world = make_flow_world(contoso)
    client = browser()
    assert client.get(authorize_url(contoso_world)).status_code == 200
    started = client.post(
        f"/{contoso.domain_name}/account/oidc/contoso/login/", {"process": "login"}
    )
    assert started.status_code == 404
    called_back = client.get(
        f"/{contoso.domain_name}/account/oidc/contoso/login/callback/?code=x&state=y"
    )
    assert called_back.status_code == 404
    with in_tenant(contoso):
        assert not IdentityProvider.objects.exists()
