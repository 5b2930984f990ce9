"""A customer of fabrikam signs in through an OpenID Provider, contoso, another tenant of this
same product (issue 11), in process (tests/factories/federation.py): contoso's real endpoints
answer allauth's server-side calls, no mock."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount

from accounts.attributes import extension_claim_name
from accounts.models import Directory, User
from accounts.services import custom_attribute_create
from apps import services as app_services
from apps.models import Grant
from apps.oidc.views import discovery_document
from federation.models import IdentityProvider
from journey.providers import apply_claims
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


def contoso_sends(world: Federation, email: str, **attributes: str) -> dict[str, str]:
    """A customer of contoso whose attributes contoso's app for fabrikam puts in its tokens
    (and userinfo): built-in ones under their claims, custom ones (created here) under
    Entra's extension claim names. The claim names, by attribute."""
    customer = make_customer(world.contoso, email)
    builtin = {key: value for key, value in attributes.items() if key.islower()}
    custom = {key: value for key, value in attributes.items() if not key.islower()}
    with in_tenant(world.contoso):
        for name in custom:
            custom_attribute_create(name=name, data_type="string")
        User.objects.filter(pk=customer.pk).update(**builtin, custom_attributes=custom)
        app_services.app_claims_set(
            app=world.contoso_app, entries=[(key, True, False) for key in attributes]
        )
        extensions = Directory.objects.get().extensions_app_id
    claims = {"given_name": "given_name", "surname": "family_name", "city": "city"}
    return {
        key: claims[key] if key in builtin else extension_claim_name(extensions, key)
        for key in attributes
    }


def contoso_object_id(world: Federation, email: str) -> str:
    with in_tenant(world.contoso):
        return str(User.objects.get(email=email).object_id)


def test_the_mapping_names_the_claims_that_fill_attributes_and_skip_the_attribute_page(
    federation: Federation,
) -> None:
    """fabrikam maps sub to contoso's `oid`, and its required first name and tier to contoso's
    claims: the customer goes straight back to the app. surname, which contoso sends but the
    mapping leaves out, is not filled."""
    fabrikam = federation.fabrikam.tenant
    sent = contoso_sends(
        federation, "ada@contoso.example", given_name="Ada", surname="Lovelace", Tier="gold"
    )
    with in_tenant(fabrikam):
        IdentityProvider.objects.filter(pk=federation.provider.pk).update(
            claims_mapping={
                "sub": "oid",
                "given_name": sent["given_name"],
                "Tier": sent["Tier"],
            }
        )
    client = browser()
    answer = through_contoso(client, federation, "ada@contoso.example")
    assert answer.status_code == 302, answer.content[:500]
    assert answer["Location"] == authorize_url(federation.fabrikam)  # no attribute page
    claims = id_token_of(client, federation.fabrikam, client.get(answer["Location"]))
    assert claims["idp"] == tenant_issuer(federation.contoso)
    with in_tenant(fabrikam):
        user = User.objects.get(email="ada@contoso.example")
        assert (user.given_name, user.surname) == ("Ada", "")
        assert user.custom_attributes == {"Tier": "gold"}
        assert user.profile_completed
        account = SocialAccount.objects.get(user=user)
        assert account.uid == contoso_object_id(federation, "ada@contoso.example")


def test_email_and_its_verification_come_from_the_claims_the_mapping_names(
    federation: Federation,
) -> None:
    """email mapped to another claim of contoso's; email_verified to a claim contoso does not
    send: the address is taken, and not believed verified even from a trusted provider."""
    fabrikam = federation.fabrikam.tenant
    sent = contoso_sends(federation, "bo@contoso.example", WorkEmail="Bo@Work.example")
    with in_tenant(fabrikam):
        IdentityProvider.objects.filter(pk=federation.provider.pk).update(
            claims_mapping={
                "sub": "sub",
                "email": sent["WorkEmail"],
                "email_verified": "work_email_verified",
            }
        )
    answer = through_contoso(browser(), federation, "bo@contoso.example")
    assert answer.status_code == 302, answer.content[:500]
    assert answer["Location"] == f"/{fabrikam.domain_name}/account/confirm-email/"
    with in_tenant(fabrikam):
        user = User.objects.get()
        assert user.email.lower() == "bo@work.example"
        address = user.emailaddress_set.get()
        assert address.email.lower() == "bo@work.example"
        assert not address.verified


def test_the_mapped_email_verified_claim_is_believed_from_a_trusted_provider(
    federation: Federation,
) -> None:
    """The same, with email_verified mapped to the claim contoso sends for its address."""
    fabrikam = federation.fabrikam.tenant
    make_customer(federation.contoso, "cy@contoso.example")
    with in_tenant(fabrikam):
        IdentityProvider.objects.filter(pk=federation.provider.pk).update(
            claims_mapping={"sub": "oid", "email": "email", "email_verified": "email_verified"}
        )
    answer = through_contoso(browser(), federation, "cy@contoso.example")
    assert answer["Location"] == f"/{fabrikam.domain_name}/account/complete/"
    with in_tenant(fabrikam):
        user = User.objects.get()
        assert user.emailaddress_set.get().verified
        account = SocialAccount.objects.get(user=user)
        assert account.uid == contoso_object_id(federation, "cy@contoso.example")


@pytest.mark.parametrize("sub", ["no_such_claim", "email_verified"])
def test_no_usable_identifier_in_the_mapped_sub_claim_is_a_clear_page(
    federation: Federation, sub: str
) -> None:
    """A claim contoso does not send, or one that is no identifier (a boolean): the sign-in
    does not complete, with our page, and nothing is stored."""
    fabrikam = federation.fabrikam.tenant
    make_customer(federation.contoso, "dee@contoso.example")
    with in_tenant(fabrikam):
        IdentityProvider.objects.filter(pk=federation.provider.pk).update(
            claims_mapping={"sub": sub}
        )
    answer = through_contoso(browser(), federation, "dee@contoso.example")
    assert answer.status_code == 400
    assert "Signing in with Contoso did not complete." in answer.text
    with in_tenant(fabrikam):
        assert not User.objects.exists()
        assert not SocialAccount.objects.exists()


def test_claims_fill_custom_attributes_through_their_data_types_cleaner(
    tenant_a: Tenant,
) -> None:
    """What a provider sends passes the same cleaner as every other write: "42" is the Int 42,
    "true" the Boolean true; a text too long for a String, a number out of range or text
    PostgreSQL cannot store is left out, never stored."""
    with in_tenant(tenant_a):
        for name, data_type in (
            ("Age", "int"),
            ("Newsletter", "boolean"),
            ("Tier", "string"),
            ("Code", "string"),
            ("Big", "int"),
        ):
            custom_attribute_create(name=name, data_type=data_type)
        provider = IdentityProvider(
            slug="p",
            kind="openid_connect",
            claims_mapping={
                "sub": "sub",
                "Age": "age",
                "Newsletter": "news",
                "Tier": "tier",
                "Code": "code",
                "Big": "big",
                "given_name": "first",
            },
        )
        user = User(email="x@example.com")
        apply_claims(
            user,
            provider,
            {
                "age": "42",
                "news": "true",
                "tier": "t" * 251,
                "code": "\ud800",
                "big": 2**63,
                "first": " Ada ",
                "family_name": "Lovelace",  # the standard claim, but surname is not mapped
            },
        )
    assert user.custom_attributes == {"Age": 42, "Newsletter": True}
    assert (user.given_name, user.surname) == ("Ada", "")
