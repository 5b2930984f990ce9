"""A customer's linked identities on their admin-center page (issue 11): each one's provider,
subject, when it was linked and last used; removing one after a confirmation, audited, after
which the next sign-in through that provider no longer reaches the customer."""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts import services
from accounts.models import User
from federation.models import IdentityProvider
from tenants.models import AdminRole, AuditAction, AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_signup_flow import authorize_url
from tests.factories.accounts import MakeOperator, make_customer, operator_client
from tests.factories.federation import Federation, browser, through_contoso
from tests.factories.flows import FLOW_APP_REDIRECT


@pytest.fixture
def users_admin(tenant_a: Tenant, operator_factory: MakeOperator) -> Client:
    operator_factory("users@admins.example", tenant=tenant_a, roles=[AdminRole.USER_ADMINISTRATOR])
    return operator_client("users@admins.example")


def customer_page(tenant: Tenant, customer: User) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}/customers/{customer.object_id}/"


def remove_page(tenant: Tenant, customer: User, identity_id: int) -> str:
    return f"{customer_page(tenant, customer)}identities/{identity_id}/remove/"


def signed_up_through_contoso(world: Federation, email: str) -> tuple[User, SocialAccount]:
    make_customer(world.contoso, email)
    client = browser()
    answer = through_contoso(client, world, email)
    done = client.post(answer["Location"], {"attr_given_name": "Ada", "attr_Tier": "gold"})
    assert done["Location"].startswith(f"{FLOW_APP_REDIRECT}?code=")
    with in_tenant(world.fabrikam.tenant):
        customer = User.objects.get(email=email)
        return customer, SocialAccount.objects.get(user=customer)


def test_the_customer_page_lists_the_identity_linked_at_sign_up(
    federation: Federation, users_admin: Client
) -> None:
    fabrikam = federation.fabrikam.tenant
    customer, account = signed_up_through_contoso(federation, "ada@contoso.example")
    page = users_admin.get(customer_page(fabrikam, customer))
    assert page.status_code == 200
    section = page.text[page.text.index('id="linked-identities"') :]
    section = section[: section.index("</section>")]
    row = re.search(r"<tbody>(.*)</tbody>", section, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[0] == "Contoso"
    assert cells[1] == f"<code>{account.uid}</code>"
    assert account.uid  # contoso's (pairwise) subject
    assert f"{account.date_joined:%Y-%m-%d %H:%M} UTC" in cells[2]
    assert f"{account.last_login:%Y-%m-%d %H:%M} UTC" in cells[3]
    assert remove_page(fabrikam, customer, account.pk) in cells[4]


def test_removing_an_identity_is_confirmed_audited_and_ends_its_sign_in(
    federation: Federation, users_admin: Client
) -> None:
    fabrikam = federation.fabrikam.tenant
    customer, account = signed_up_through_contoso(federation, "ada@contoso.example")
    url = remove_page(fabrikam, customer, account.pk)

    confirm = users_admin.get(url)
    assert confirm.status_code == 200
    assert "Remove the Contoso identity?" in confirm.text
    assert account.uid in confirm.text
    assert "Their next sign-in through Contoso is treated as a new one" in confirm.text
    assert "This customer has no password" in confirm.text  # signed up through contoso
    with in_tenant(fabrikam):
        assert SocialAccount.objects.filter(pk=account.pk).exists()  # a GET changes nothing

    # The form is protected against cross-site requests like every other.
    forged = Client(enforce_csrf_checks=True)
    forged.cookies = users_admin.cookies
    assert forged.post(url).status_code == 403
    with in_tenant(fabrikam):
        assert SocialAccount.objects.filter(pk=account.pk).exists()

    removed = users_admin.post(url, follow=True)
    assert removed.redirect_chain[-1][0] == customer_page(fabrikam, customer)
    assert "The Contoso identity is no longer linked to ada@contoso.example." in removed.text
    assert "None: this customer signs in with their email address only." in removed.text
    with in_tenant(fabrikam):
        assert not SocialAccount.objects.filter(user=customer).exists()
        assert User.objects.filter(pk=customer.pk, is_active=True).exists()  # only unlinked
    entry = AuditEntry.objects.get(
        tenant_uuid=fabrikam.tenant_id, action=AuditAction.CUSTOMER_IDENTITY_REMOVED
    )
    assert entry.actor_email == "users@admins.example"
    assert entry.target == "ada@contoso.example"
    assert entry.details == {
        "object_id": str(customer.object_id),
        "provider": "contoso",
        "subject": account.uid,
    }
    assert users_admin.post(url).status_code == 404  # gone

    # Contoso still vouches for ada, but that no longer signs her in to this account.
    client = browser()
    answer = through_contoso(client, federation, "ada@contoso.example")
    assert not (
        answer.status_code == 302 and answer["Location"] == authorize_url(federation.fabrikam)
    ), "signed in through the removed identity"
    assert client.get(f"/{fabrikam.domain_name}/").status_code == 302  # nobody signed in
    with in_tenant(fabrikam):
        assert not SocialAccount.objects.filter(user=customer).exists()
        assert User.objects.filter(email__iexact="ada@contoso.example").count() == 1


def test_removing_a_provider_unlinks_its_identities(
    federation: Federation, users_admin: Client, operator_factory: MakeOperator
) -> None:
    """A provider added again under the same name (another issuer, perhaps) never signs anyone
    in through a link made with the one removed: the customer keeps the account, the link
    goes, and the removal page said so."""
    fabrikam = federation.fabrikam.tenant
    customer, account = signed_up_through_contoso(federation, "ada@contoso.example")
    make_customer(fabrikam, "other@fabrikam.example")
    admin = operator_client(
        operator_factory(tenant=fabrikam, roles=[AdminRole.IDENTITY_PROVIDER_ADMINISTRATOR])
    )
    remove = f"/admin-center/tenants/{fabrikam.tenant_id}/identity-providers/contoso/remove/"
    page = admin.get(remove)
    assert "One customer has an identity linked with it: the link is removed." in page.text
    assert admin.post(remove).status_code == 302
    with in_tenant(fabrikam):
        assert not IdentityProvider.objects.exists()
        assert not SocialAccount.objects.exists()
        assert User.objects.filter(pk=customer.pk, is_active=True).exists()
    entry = AuditEntry.objects.get(
        tenant_uuid=fabrikam.tenant_id, action=AuditAction.IDENTITY_PROVIDER_REMOVED
    )
    assert entry.details["identities_unlinked"] == 1
    assert account.uid not in users_admin.get(customer_page(fabrikam, customer)).text


def test_only_the_customers_own_identities_can_be_removed(
    tenant_a: Tenant, users_admin: Client
) -> None:
    ada = make_customer(tenant_a, "ada@example.com")
    bob = make_customer(tenant_a, "bob@example.com")
    with in_tenant(tenant_a):
        bobs = SocialAccount.objects.create(user=bob, provider="google", uid="bob-at-google")
    assert users_admin.get(remove_page(tenant_a, ada, bobs.pk)).status_code == 404
    assert users_admin.post(remove_page(tenant_a, ada, bobs.pk)).status_code == 404
    assert users_admin.post(remove_page(tenant_a, ada, 999_999)).status_code == 404
    with in_tenant(tenant_a):
        assert SocialAccount.objects.filter(pk=bobs.pk).exists()
        with pytest.raises(services.IdentityNotLinked):
            services.customer_identity_remove(customer=ada, identity_id=bobs.pk)
    assert not AuditEntry.objects.filter(
        tenant_uuid=tenant_a.tenant_id, action=AuditAction.CUSTOMER_IDENTITY_REMOVED
    ).exists()


def test_a_deleted_customers_identities_are_listed_but_kept_until_restored(
    tenant_a: Tenant, users_admin: Client
) -> None:
    ada = make_customer(tenant_a, "ada@example.com")
    with in_tenant(tenant_a):
        linked = SocialAccount.objects.create(user=ada, provider="google", uid="ada-at-google")
        services.customer_delete(customer=ada)
    page = users_admin.get(customer_page(tenant_a, ada))
    assert "<code>ada-at-google</code>" in page.text
    assert remove_page(tenant_a, ada, linked.pk) not in page.text
    answer = users_admin.post(remove_page(tenant_a, ada, linked.pk), follow=True)
    assert "This customer is deleted: restore it first." in answer.text
    with in_tenant(tenant_a):
        assert SocialAccount.objects.filter(pk=linked.pk).exists()
        with pytest.raises(services.CustomerDeleted):
            services.customer_identity_remove(customer=ada, identity_id=linked.pk)


def test_an_admin_who_may_not_manage_customers_cannot_remove_one(
    tenant_a: Tenant, operator_factory: MakeOperator
) -> None:
    ada = make_customer(tenant_a, "ada@example.com")
    with in_tenant(tenant_a):
        linked = SocialAccount.objects.create(user=ada, provider="google", uid="ada-at-google")
    operator_factory(
        "idp@admins.example",
        tenant=tenant_a,
        roles=[AdminRole.IDENTITY_PROVIDER_ADMINISTRATOR],
    )
    client = operator_client("idp@admins.example")
    assert client.post(remove_page(tenant_a, ada, linked.pk)).status_code == 403
    with in_tenant(tenant_a):
        assert SocialAccount.objects.filter(pk=linked.pk).exists()
