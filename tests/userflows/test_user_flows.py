"""User flows and custom attributes: limits (also under concurrency), layout, app assignment."""

import threading
import uuid
from collections.abc import Callable

import pytest
from django.db import connections
from django.test import Client

from accounts.models import CustomAttribute, Directory, User
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


def test_custom_attributes_are_read_only_rows_with_add_and_edit_pages(
    admin_client: Client, tenant_a: Tenant
) -> None:
    url = f"{base(tenant_a)}/custom-attributes/"
    empty = admin_client.get(url).text
    assert "No custom attributes yet." in empty
    assert f'href="{url}new/"' in empty
    add_page = admin_client.get(f"{url}new/")
    assert add_page.status_code == 200
    assert 'name="name"' in add_page.text
    assert (
        admin_client.post(
            f"{url}new/", {"name": "Loyalty", "data_type": "int", "description": "Card number"}
        ).status_code
        == 302
    )
    with in_tenant(tenant_a):
        attribute = CustomAttribute.objects.get(name="Loyalty")
        app_id = Directory.objects.get().extensions_app_id
    listed = admin_client.get(url).text
    assert "<form" not in listed.split('<main id="main"', 1)[1].split("</main>")[0]
    assert "<input" not in listed.split('<main id="main"', 1)[1]
    assert f"extension_{app_id.hex}_Loyalty" in listed
    assert "Card number" in listed
    assert ">Int<" in listed
    assert f'href="{url}{attribute.pk}/"' in listed
    edit = admin_client.get(f"{url}{attribute.pk}/").text
    assert 'name="name"' not in edit  # the name is fixed: claims carry it
    assert 'value="Card number"' in edit
    assert (
        admin_client.post(
            f"{url}{attribute.pk}/", {"data_type": "string", "description": "Member card"}
        ).status_code
        == 302
    )
    with in_tenant(tenant_a):
        attribute.refresh_from_db()
    assert (attribute.data_type, attribute.description, attribute.user_editable) == (
        "string",
        "Member card",
        False,
    )
    assert admin_client.get(f"{url}999999/").status_code == 404


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
    layouts = f"{url}page-layouts/"
    tier, city, surname = (f"a{items[key].pk}" for key in ("Tier", "city", "surname"))
    rows = {f"{city}-input_type": "TextBox", f"{surname}-input_type": "TextBox"}
    bad = admin_client.post(
        layouts,
        {
            **rows,
            f"{city}-label": "Town",
            f"{tier}-label": "Tier",
            f"{tier}-input_type": "RadioSingleSelect",
            f"{tier}-options": "Gold | g,old",
        },
    )
    assert bad.status_code == 400
    assert "no commas" in bad.text
    with in_tenant(tenant_a):  # one row refused: no row is stored
        assert flow.attributes.get(pk=items["city"].pk).label == ""
    bad = admin_client.post(layouts, {**rows, f"{tier}-input_type": "NumericTextBox"})
    assert bad.status_code == 400
    good = admin_client.post(
        layouts,
        {
            **rows,
            f"{tier}-label": "<b>Your tier</b>",
            f"{tier}-input_type": "RadioSingleSelect",
            f"{tier}-options": "Gold | gold\nSilver | silver",
        },
    )
    assert good.status_code == 302
    with in_tenant(tenant_a):
        item = flow.attributes.get(pk=items["Tier"].pk)
        assert item.options == [
            {"text": "Gold", "value": "gold"},
            {"text": "Silver", "value": "silver"},
        ]
    assert "&lt;b&gt;Your tier&lt;/b&gt;" in admin_client.get(layouts).text
    assert (
        admin_client.post(f"{url}attributes/{items['city'].pk}/move/", {"to": "x"}).status_code
        == 400
    )


def test_options_appear_and_are_required_only_for_input_types_that_take_them(
    admin_client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        tier = custom_attribute_create(name="Tier", data_type="string")
        age = custom_attribute_create(name="Age", data_type="int")
        flow = services.userflow_create(
            name="Options", builtin_attributes=["city"], custom_attributes=[tier, age]
        )
        rows = {
            a.custom_attribute.name if a.custom_attribute else a.builtin: f"a{a.pk}"
            for a in flow.attributes.all()
        }
    layouts = f"{base(tenant_a)}/user-flows/{flow.flow_id}/page-layouts/"
    page = admin_client.get(layouts).text
    # A text attribute may become a radio or multi-checkbox list: its options are there, hidden
    # while its input type takes none; a built-in or Int attribute has no options at all.
    assert f'name="{rows["Tier"]}-options"' in page
    assert f'data-shown-by="id_{rows["Tier"]}-input_type"' in page
    assert 'data-shown-for="CheckboxMultiSelect RadioSingleSelect" hidden' in page
    assert f'name="{rows["city"]}-options"' not in page
    assert f'name="{rows["Age"]}-options"' not in page
    assert 'placeholder="City"' in page  # the default label shows in the empty Label field
    # A text box needs no options; a radio list needs one at least.
    fixed = {
        f"{rows['city']}-input_type": "TextBox",
        f"{rows['Age']}-input_type": "NumericTextBox",
    }
    assert (
        admin_client.post(layouts, {**fixed, f"{rows['Tier']}-input_type": "TextBox"}).status_code
        == 302
    )
    refused = admin_client.post(
        layouts, {**fixed, f"{rows['Tier']}-input_type": "RadioSingleSelect"}
    )
    assert refused.status_code == 400
    assert "Add at least one option." in refused.text
    # Shown now, so the admin can type them.
    assert 'data-shown-for="CheckboxMultiSelect RadioSingleSelect">' in refused.text


def test_user_attributes_section_chooses_what_is_collected_and_required(
    admin_client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        tier = custom_attribute_create(name="Tier", data_type="string")
        flow = services.userflow_create(name="Choice", builtin_attributes=["city", "surname"])
        city = flow.attributes.get(builtin="city")
        services.flow_attribute_update(
            attribute=city, label="Town", required=False, input_type="TextBox", options=[]
        )
    url = f"{base(tenant_a)}/user-flows/{flow.flow_id}/user-attributes/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.text.count('name="collect"') == 9 + 1  # the built-ins but email, and Tier
    response = admin_client.post(
        url,
        {
            "collect": ["builtin:city", f"custom:{tier.pk}"],
            "required": ["builtin:city", "builtin:surname"],
        },
    )
    assert response.status_code == 302
    with in_tenant(tenant_a):
        kept = list(flow.attributes.order_by("position").select_related("custom_attribute"))
    assert [(a.builtin or a.custom_attribute.name, a.required) for a in kept] == [  # type: ignore[union-attr]
        ("email", True),
        ("city", True),
        ("Tier", False),
    ]
    assert kept[1].label == "Town"  # kept with its look
    for value in ("custom:999999", "builtin:email", "builtin:nope", "custom:²"):
        assert admin_client.post(url, {"collect": [value]}).status_code == 400, value
    with in_tenant(tenant_a):
        assert flow.attributes.count() == 3


def test_each_section_renders_and_saves_only_its_own_form(
    admin_client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        flow = services.userflow_create(name="Sections", builtin_attributes=["city"])
    url = f"{base(tenant_a)}/user-flows/{flow.flow_id}/"
    sections = {
        "": "properties/",
        "identity-providers/": "identity-providers/",
        "user-attributes/": "user-attributes/",
        "page-layouts/": "page-layouts/",
        "applications/": "apps/",
    }
    for page_path, action in sections.items():
        page = admin_client.get(f"{url}{page_path}")
        assert page.status_code == 200, page_path
        assert page.text.count('aria-current="page"') == 3, page_path  # side nav, crumb, tab
        post_forms = [form for form in page.text.split("<form")[1:] if 'method="post"' in form]
        saves = [form for form in post_forms if ">Save</button>" in form]
        assert len(saves) == 1, page_path
        assert f'action="{url}{action}"' in saves[0] or "action=" not in saves[0].split(">")[0]
    # Properties: the name and sign-up, nothing of the sign-in method.
    admin_client.post(f"{url}properties/", {"name": "Renamed"})
    with in_tenant(tenant_a):
        flow.refresh_from_db()
    assert (flow.name, flow.sign_up_allowed, flow.sign_in_method) == (
        "Renamed",
        False,
        "email_password",
    )
    assert "sign_in_method" not in admin_client.get(url).text
    # Identity providers: the sign-in method, nothing else.
    page = admin_client.get(f"{url}identity-providers/").text
    assert "Email with password" in page
    assert "Email one-time passcode" in page
    assert "Social and OpenID Connect providers" in page
    saved = admin_client.post(f"{url}identity-providers/", {"sign_in_method": "email_otp"})
    assert saved.status_code == 302
    with in_tenant(tenant_a):
        flow.refresh_from_db()
    assert (flow.name, flow.sign_up_allowed, flow.sign_in_method) == (
        "Renamed",
        False,
        "email_otp",
    )
    refused = admin_client.post(f"{url}identity-providers/", {"sign_in_method": "magic"})
    assert refused.status_code == 400
    # A GET on an operation's address goes to its section.
    for operation, section in (
        ("properties/", url),
        ("apps/", f"{url}applications/"),
        ("delete/", url),
    ):
        response = admin_client.get(f"{url}{operation}")
        assert response.status_code == 302
        assert response["Location"] == section


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
        (f"{page}user-attributes/", {"collect": [f"custom:{row_id}"]}),
        (f"{page}attributes/{row_id}/move/", {"to": "up"}),
        (f"{base(tenant_a)}/custom-attributes/{row_id}/", {"data_type": "string"}),
    ):
        assert admin_client.post(url, data).status_code in (302, 400, 404), url
    with in_tenant(tenant_a):
        assert [item.builtin for item in flow.attributes.all()] == ["email"]
