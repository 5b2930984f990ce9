"""User flows and custom attributes: limits (also under concurrency), layout, app assignment."""

import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connections
from django.test import Client

from accounts.models import CustomAttribute, User
from accounts.services import CustomAttributeLimitReached, custom_attribute_create
from apps import services as app_services
from apps.models import AppRegistration, Platform
from tenants import services as tenant_services
from tenants.models import AuditEntry, Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer
from userflows import services
from userflows.models import UserFlow


def base(tenant: Tenant) -> str:
    return f"/admin-center/tenants/{tenant.tenant_id}"


def test_create_flow_in_the_admin_center_and_the_eleventh_is_refused(
    admin_client: Client, tenant_a: Tenant
) -> None:
    url = f"{base(tenant_a)}/user-flows/"
    response = admin_client.post(
        url,
        {
            "name": "SignUpSignIn",
            "sign_in_method": "email_password",
            "sign_up_allowed": "on",
            "builtin_attributes": ["city"],
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        flow = UserFlow.objects.get(name="SignUpSignIn")
        assert [a.builtin for a in flow.attributes.order_by("position")] == ["email", "city"]
        for index in range(9):
            services.userflow_create(name=f"Flow {index}")
    response = admin_client.post(url, {"name": "Eleventh", "sign_in_method": "email_otp"})
    assert response.status_code == 200
    assert "at most 10 user flows" in response.text
    with in_tenant(tenant_a):
        assert UserFlow.objects.count() == 10


def race_for_the_last_place(
    fill: Callable[[], None], create: Callable[[str], object], refused: type[Exception]
) -> list[str]:
    """In a committed tenant filled to one below its limit, two creators race for the last
    place, each on its own connection. Returns their outcomes; removes the tenant."""
    tenant = tenant_services.tenant_create(
        display_name="Race",
        domain_name=f"race-{uuid.uuid4().hex[:8]}",
        country="US",
        creator=None,
    )
    outcomes: list[str] = []
    try:
        with in_tenant(tenant):
            fill()
        barrier = threading.Barrier(2)

        def attempt(name: str) -> None:
            try:
                with in_tenant(tenant):
                    barrier.wait()
                    create(name)
                outcomes.append("created")
            except refused:
                outcomes.append("refused")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt, args=(f"Last {i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        with in_tenant(tenant):
            outcomes.append(f"flows={UserFlow.objects.count()}")
            outcomes.append(f"attributes={CustomAttribute.objects.count()}")
    finally:
        AuditEntry.objects.filter(tenant_uuid=tenant.tenant_id).delete()
        tenant.delete(force_drop=True)
    return outcomes


def test_two_simultaneous_creations_never_pass_ten(committed_db: None) -> None:
    def fill() -> None:
        for index in range(9):
            services.userflow_create(name=f"Flow {index}")

    outcomes = race_for_the_last_place(
        fill, lambda name: services.userflow_create(name=name), services.UserFlowLimitReached
    )
    assert sorted(outcomes[:2]) == ["created", "refused"]
    assert "flows=10" in outcomes


def test_the_hundred_and_first_custom_attribute_is_refused(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        CustomAttribute.objects.bulk_create(
            CustomAttribute(name=f"Attr{i}", data_type="string") for i in range(100)
        )
        with pytest.raises(CustomAttributeLimitReached):
            custom_attribute_create(name="OneTooMany", data_type="int")


def test_custom_attribute_form_errors_and_type_lock(admin_client: Client, tenant_a: Tenant) -> None:
    url = f"{base(tenant_a)}/custom-attributes/"
    for data, message in [
        ({"name": "has space", "data_type": "string"}, "Start with a letter"),
        ({"name": "1abc", "data_type": "string"}, "Start with a letter"),
        ({"name": "GivenName", "data_type": "string"}, "reserved"),
        ({"name": "Ok", "data_type": "float"}, "Select a valid choice"),
        ({"name": "Ökonomie", "data_type": "string"}, "Start with a letter"),
        ({"name": "x" * 65, "data_type": "string"}, "at most 64"),
    ]:
        response = admin_client.post(f"{url}new/", data)
        assert message in response.text, message
    assert (
        admin_client.post(
            f"{url}new/",
            {
                "name": "Loyalty",
                "data_type": "string",
                "description": "<script>alert(1)</script>",
            },
        ).status_code
        == 302
    )
    page = admin_client.get(url)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    with in_tenant(tenant_a):
        attribute = CustomAttribute.objects.get(name="Loyalty")
        user = make_customer(tenant_a, "has-value@example.com")
    with in_tenant(tenant_a):
        User.objects.filter(pk=user.pk).update(custom_attributes={"Loyalty": "L1"})
    response = admin_client.post(f"{url}{attribute.pk}/", {"data_type": "int", "description": ""})
    assert response.status_code == 400
    assert "data type is fixed" in response.text
    with in_tenant(tenant_a):
        attribute.refresh_from_db()
        assert attribute.data_type == "string"


def test_page_layout_moves_labels_and_options(admin_client: Client, tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        tier = custom_attribute_create(name="Tier", data_type="string")
        flow = services.userflow_create(
            name="Layout", builtin_attributes=["city", "surname"], custom_attributes=[tier]
        )
        items = {
            a.custom_attribute.name if a.custom_attribute else a.builtin: a
            for a in flow.attributes.all()
        }
    url = f"{base(tenant_a)}/user-flows/{flow.flow_id}/"
    admin_client.post(f"{url}attributes/{items['Tier'].pk}/move/", {"to": "top"})
    admin_client.post(f"{url}attributes/{items['city'].pk}/move/", {"to": "bottom"})
    with in_tenant(tenant_a):
        order = [
            a.custom_attribute.name if a.custom_attribute else a.builtin
            for a in flow.attributes.order_by("position")
        ]
    assert order == ["Tier", "email", "surname", "city"]
    prefix = f"a{items['Tier'].pk}"
    tier_url = f"{url}attributes/{items['Tier'].pk}/"
    bad = admin_client.post(
        tier_url,
        {
            f"{prefix}-label": "Tier",
            f"{prefix}-input_type": "RadioSingleSelect",
            f"{prefix}-options": "Gold | g,old",
        },
    )
    assert bad.status_code == 400
    assert "no commas" in bad.text
    bad = admin_client.post(tier_url, {f"{prefix}-input_type": "NumericTextBox"})
    assert bad.status_code == 400
    good = admin_client.post(
        tier_url,
        {
            f"{prefix}-label": "<b>Your tier</b>",
            f"{prefix}-required": "on",
            f"{prefix}-input_type": "RadioSingleSelect",
            f"{prefix}-options": "Gold | gold\nSilver | silver",
        },
    )
    assert good.status_code == 302
    with in_tenant(tenant_a):
        item = flow.attributes.get(pk=items["Tier"].pk)
        assert item.required
        assert item.options == [
            {"text": "Gold", "value": "gold"},
            {"text": "Silver", "value": "silver"},
        ]
    assert "&lt;b&gt;Your tier&lt;/b&gt;" in admin_client.get(url).text
    removed = admin_client.post(f"{url}attributes/{items['email'].pk}/remove/")
    assert "always collected" in removed.text.lower()


def test_assigning_an_app_moves_it_between_flows(admin_client: Client, tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        first = services.userflow_create(name="First")
        second = services.userflow_create(name="Second")
        app = app_services.app_register(
            name="Web", platform=Platform.WEB, redirect_uris=["https://a.example/cb"]
        )
    admin_client.post(f"{base(tenant_a)}/user-flows/{first.flow_id}/apps/", {"apps": [app.pk]})
    with in_tenant(tenant_a):
        assert AppRegistration.objects.get(pk=app.pk).user_flow == first
    page = admin_client.post(
        f"{base(tenant_a)}/user-flows/{second.flow_id}/apps/",
        {"apps": [app.pk]},
        follow=True,
    )
    assert "Run for Web" in page.text
    with in_tenant(tenant_a):
        assert AppRegistration.objects.get(pk=app.pk).user_flow == second


def test_two_simultaneous_custom_attributes_never_pass_a_hundred(committed_db: None) -> None:
    def fill() -> None:
        CustomAttribute.objects.bulk_create(
            CustomAttribute(name=f"Attr{i}", data_type="string") for i in range(99)
        )

    outcomes = race_for_the_last_place(
        fill,
        lambda name: custom_attribute_create(name=name.replace(" ", ""), data_type="int"),
        CustomAttributeLimitReached,
    )
    assert sorted(outcomes[:2]) == ["created", "refused"]
    assert "attributes=100" in outcomes


@pytest.mark.parametrize("row_id", ["²", "9" * 5_000, "9" * 30])
def test_ids_that_are_no_row_ids_change_nothing(
    admin_client: Client, tenant_a: Tenant, row_id: str
) -> None:
    """`"²".isdigit()` is true and int() refuses it (and 5,000 digits), and 30 digits overflow
    PostgreSQL's integers: in a form field or in a path, never a 500."""
    with in_tenant(tenant_a):
        flow = services.userflow_create(name="Ids")
    admin_client.raise_request_exception = False
    page = f"{base(tenant_a)}/user-flows/{flow.flow_id}/"
    for url, data in (
        (f"{page}apps/", {"apps": [row_id]}),
        (f"{page}attributes/", {"attribute": f"custom:{row_id}"}),
        (f"{page}attributes/{row_id}/move/", {"to": "up"}),
        (f"{page}attributes/{row_id}/remove/", {}),
        (f"{base(tenant_a)}/custom-attributes/{row_id}/", {"data_type": "string"}),
    ):
        assert admin_client.post(url, data).status_code in (302, 400, 404), url
    with in_tenant(tenant_a):
        assert [item.builtin for item in flow.attributes.all()] == ["email"]
