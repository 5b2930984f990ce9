"""The customer's own page of their linked identities (issue 11), `/<tenant>/account/identities/
?client_id=<app>`: there only when the app's user flow allows it, behind a sign-in through
that flow, in the app's branding, with a confirmed Remove and a way back to the app."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import User
from apps import services as app_services
from apps.models import Platform
from branding.services import branding_layer_save
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import PASSWORD, make_customer
from tests.factories.federation import Federation, browser, federate, path_of
from tests.factories.flows import FLOW_APP_REDIRECT, FlowWorld
from userflows import services as flow_services


@pytest.fixture
def federation(tenant_a: Tenant, tenant_b: Tenant, in_process_http: None) -> Federation:
    world = federate(tenant_a, tenant_b)
    allow(world.fabrikam, True)
    return world


def allow(world: FlowWorld, allowed: bool) -> None:
    with in_tenant(world.tenant):
        world.flow.identities_self_service = allowed
        world.flow.save(update_fields=["identities_self_service"])


def identities_url(world: FlowWorld, client_id: str | None = None) -> str:
    return (
        f"/{world.tenant.domain_name}/account/identities/"
        f"?client_id={quote(client_id if client_id is not None else world.app.client_id)}"
    )


def remove_url(world: FlowWorld, identity_id: int) -> str:
    return (
        f"/{world.tenant.domain_name}/account/identities/{identity_id}/remove/"
        f"?client_id={world.app.client_id}"
    )


def signed_in_with_password(world: FlowWorld, email: str) -> Client:
    client = browser()
    answer = client.post(
        f"/{world.tenant.domain_name}/account/login/",
        {"login": email, "password": PASSWORD, "next": f"/{world.tenant.domain_name}/"},
    )
    assert answer.status_code == 302, answer.content[:300]
    return client


def test_not_there_unless_the_apps_flow_allows_it(flow_world: FlowWorld) -> None:
    tenant = flow_world.tenant
    make_customer(tenant, "ada@example.com")
    client = signed_in_with_password(flow_world, "ada@example.com")
    with in_tenant(tenant):
        flowless = app_services.app_register(
            name="Flowless", platform=Platform.WEB, redirect_uris=["https://flowless.example/cb"]
        )
    assert not flow_world.flow.identities_self_service  # off by default
    for url in (
        identities_url(flow_world),  # the app's flow does not allow it
        f"/{tenant.domain_name}/account/identities/",  # no app
        identities_url(flow_world, "no-such-app"),
        identities_url(flow_world, "x" * 300),
        identities_url(flow_world, flowless.client_id),  # an app without a user flow
    ):
        assert client.get(url).status_code == 404, url
        assert browser().get(url).status_code == 404, url  # nor asks anyone to sign in
    allow(flow_world, True)
    assert client.get(identities_url(flow_world)).status_code == 200
    assert client.get(identities_url(flow_world, flowless.client_id)).status_code == 404


def test_a_customer_not_signed_in_signs_in_through_the_apps_flow_and_comes_back(
    federation: Federation,
) -> None:
    """The sign-in page the page sends a customer to runs the app's flow: it offers "Continue
    with Contoso", whose first sign-in is a sign-up through the flow, and brings the customer
    back to the page; the app is sent nothing."""
    world = federation.fabrikam
    fabrikam = world.tenant.domain_name
    make_customer(federation.contoso, "ada@contoso.example")
    client = browser()
    page = client.get(identities_url(world))
    assert page.status_code == 302
    login = urlsplit(page["Location"])
    assert login.path == f"/{fabrikam}/account/login/"
    assert parse_qs(login.query)["next"] == [identities_url(world)]
    sign_in = client.get(path_of(page["Location"]))
    assert sign_in.status_code == 200
    assert "Continue with Contoso" in sign_in.text  # the app's flow's provider

    start = client.post(
        f"/{fabrikam}/account/oidc/contoso/login/",
        {"process": "login", "next": identities_url(world)},
    )
    assert start.status_code == 302
    assert client.get(path_of(start["Location"])).status_code == 200  # contoso's sign-in
    signed_in = client.post(
        f"/{federation.contoso.domain_name}/account/login/",
        {"login": "ada@contoso.example", "password": PASSWORD, "next": path_of(start["Location"])},
    )
    back = client.get(path_of(signed_in["Location"]))
    assert back["Location"] == f"/{fabrikam}/account/complete/"  # the flow's attribute page
    done = client.post(back["Location"], {"attr_given_name": "Ada", "attr_Tier": "gold"})
    assert done.status_code == 302
    assert done["Location"] == identities_url(world)  # back here, no code for the app
    listed = client.get(done["Location"])
    assert listed.status_code == 200
    assert '<p class="linked-identity-name">Contoso</p>' in listed.text
    with in_tenant(world.tenant):
        ada = User.objects.get(email="ada@contoso.example")
        linked = SocialAccount.objects.get(user=ada)
    # ada has no password here: removing her only linked account tells her how to sign in.
    confirm = client.get(remove_url(world, linked.pk))
    assert "<h1>Remove your Contoso account?</h1>" in confirm.text
    assert "You have no password here" in confirm.text


def test_the_customer_sees_and_removes_their_own_linked_identity(
    flow_world: FlowWorld,
) -> None:
    allow(flow_world, True)
    tenant = flow_world.tenant
    ada = make_customer(tenant, "ada@example.com")
    bob = make_customer(tenant, "bob@example.com")
    with in_tenant(tenant):
        linked = SocialAccount.objects.create(user=ada, provider="google", uid="ada-at-google")
        bobs = SocialAccount.objects.create(user=bob, provider="google", uid="bob-at-google")
        branding_layer_save(
            app_id=flow_world.app.pk, locale="", values={"accent_color": "#8a1538"}, images={}
        )
    client = signed_in_with_password(flow_world, "ada@example.com")
    page = client.get(identities_url(flow_world))
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0")  # never cached
    assert "<h1>Linked accounts</h1>" in page.text
    assert "<strong>ada@example.com</strong>" in page.text
    # A provider the tenant has not registered (any more) shows by its name at allauth.
    assert '<p class="linked-identity-name">google</p>' in page.text
    assert "ada-at-google" not in page.text  # the subject means nothing to the customer
    assert f'href="{remove_url(flow_world, linked.pk)}"' in page.text
    assert f"app={flow_world.app.client_id}" in page.text  # the app's theme stylesheet
    assert f'<a href="{FLOW_APP_REDIRECT}">Back to Shop</a>' in page.text

    # Another customer's identity is not there for ada.
    assert client.get(remove_url(flow_world, bobs.pk)).status_code == 404
    assert client.post(remove_url(flow_world, bobs.pk)).status_code == 404

    confirm = client.get(remove_url(flow_world, linked.pk))
    assert confirm.status_code == 200
    assert "<h1>Remove your google account?</h1>" in confirm.text
    assert "it counts as a new sign-in" in confirm.text
    assert "You have no password here" not in confirm.text  # ada has one
    forged = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    forged.cookies = client.cookies
    assert forged.post(remove_url(flow_world, linked.pk)).status_code == 403
    with in_tenant(tenant):
        assert SocialAccount.objects.filter(pk=linked.pk).exists()

    removed = client.post(remove_url(flow_world, linked.pk), follow=True)
    assert removed.redirect_chain == [(identities_url(flow_world), 302)]
    assert "Your google account is no longer linked." in removed.text
    assert "No account at another provider is linked" in removed.text
    with in_tenant(tenant):
        assert not SocialAccount.objects.filter(user=ada).exists()
        assert SocialAccount.objects.filter(pk=bobs.pk).exists()
    assert client.post(remove_url(flow_world, linked.pk)).status_code == 404  # gone


def test_the_back_link_leads_only_to_a_web_address_registered_for_the_app(
    flow_world: FlowWorld,
) -> None:
    allow(flow_world, True)
    tenant = flow_world.tenant
    make_customer(tenant, "ada@example.com")
    client = signed_in_with_password(flow_world, "ada@example.com")
    with in_tenant(tenant):
        app_services.app_authentication_update(
            app=flow_world.app,
            redirect_uris=[FLOW_APP_REDIRECT],
            post_logout_redirect_uris=["https://shop.example/"],
            front_channel_logout_url="",
        )
    page = client.get(identities_url(flow_world))
    assert '<a href="https://shop.example/">Back to Shop</a>' in page.text
    with in_tenant(tenant):
        native = app_services.app_register(
            name="Shop for phones", platform=Platform.MOBILE, redirect_uris=["shop.app://auth"]
        )
        flow_services.flow_apps_assign(flow=flow_world.flow, apps=[flow_world.app, native])
    page = client.get(identities_url(flow_world, native.client_id))
    assert page.status_code == 200
    assert "Back to" not in page.text  # a custom scheme is not linked to
