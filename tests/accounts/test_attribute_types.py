"""The table of attribute types: for every data type and every input type it allows, the hosted
page's field, the cleaner (which the profile API and the admin center use), the admin center's
field and the claim converter agree on which values exist and what they become."""

import base64
import json
import re

import pytest
from django import forms
from django.test import Client

from accounts.attributes import (
    ATTRIBUTE_TYPES,
    INPUT_KINDS,
    INT_MAX,
    INT_MIN,
    AttributeChoices,
    AttributeType,
    AttributeValue,
    DataType,
    EditSpec,
    FieldSpec,
    InputKind,
    InputType,
    input_kind,
    several_values,
)
from accounts.models import CustomAttribute, Directory
from accounts.services import custom_attribute_create
from apps.services import app_claims_set
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.accounts.test_me_api import token_for
from tests.factories.accounts import make_customer
from tests.factories.flows import FlowWorld

OPTIONS = [("gold", "Gold"), ("silver", "Silver"), ("hiking", "Hiking"), ("books", "Books")]

# What a customer posts with each input type, and the value stored for it. Every input type the
# table knows needs its samples here (checked below), so a new one cannot go untested.
ACCEPTED: dict[str, list[tuple[object, AttributeValue]]] = {
    InputType.TEXT_BOX: [(" <b>L-1</b> ", "<b>L-1</b>"), ("Zürich", "Zürich")],
    InputType.RADIO_SINGLE_SELECT: [("gold", "gold")],
    InputType.CHECKBOX_MULTI_SELECT: [(["hiking", "books"], "hiking,books"), (["gold"], "gold")],
    # An unticked optional box is an answer ("no"), kept and emitted as false.
    InputType.CHECKBOX_SINGLE_SELECT: [("on", True), ("", False)],
    InputType.NUMERIC_TEXT_BOX: [
        ("36", 36),
        (" -12 ", -12),
        ("0", 0),
        (str(INT_MAX), INT_MAX),
        (str(INT_MIN), INT_MIN),
    ],
}

# Text typed into a free-text input type that no way in may store.
REFUSED: list[tuple[str, str]] = [
    (InputType.TEXT_BOX, "x" * 251),
    (InputType.TEXT_BOX, "a\x00b"),
    (InputType.NUMERIC_TEXT_BOX, "twelve"),
    (InputType.NUMERIC_TEXT_BOX, "1_000"),
    (InputType.NUMERIC_TEXT_BOX, "١٢"),
    (InputType.NUMERIC_TEXT_BOX, "12.0"),
    (InputType.NUMERIC_TEXT_BOX, str(INT_MAX + 1)),
    (InputType.NUMERIC_TEXT_BOX, str(INT_MIN - 1)),
]


def row_of(kind: InputKind) -> AttributeType:
    [row] = [row for row in ATTRIBUTE_TYPES.values() if kind in row.inputs]
    return row


def hosted_field(kind: InputKind) -> forms.Field:
    return kind.field(FieldSpec(label="Attribute", required=False, choices=OPTIONS))


def offered(kind: InputKind) -> AttributeChoices | None:
    if not kind.with_options:
        return None
    return AttributeChoices(
        multiple=kind.input_type == InputType.CHECKBOX_MULTI_SELECT, options=OPTIONS
    )


def through_the_admin_page(row: AttributeType, kind: InputKind, stored: object) -> object:
    """What the admin center's profile page shows for a stored value, posted back unchanged,
    as its form hands it to the service."""
    form = forms.Form()
    form.fields["value"] = row.edit_field(
        EditSpec(label="Attribute", help_text="", value=stored, offered=offered(kind))
    )
    shown = form["value"].value()
    cleaned = form.fields["value"].clean(shown)
    return several_values(cleaned) if isinstance(cleaned, list) else cleaned


def test_the_table_has_one_row_per_data_type_and_one_data_type_per_input_type() -> None:
    assert set(ATTRIBUTE_TYPES) == set(DataType.values)
    assert all(key == row.data_type for key, row in ATTRIBUTE_TYPES.items())
    served = [kind.input_type for row in ATTRIBUTE_TYPES.values() for kind in row.inputs]
    assert sorted(served) == sorted(InputType.values)
    assert set(ACCEPTED) == set(INPUT_KINDS)
    # The model's choices are the table's enum, not a second list.
    assert CustomAttribute._meta.get_field("data_type").choices == DataType.choices


def test_an_unknown_input_type_is_asked_for_as_text() -> None:
    assert input_kind("Slider") is INPUT_KINDS[InputType.TEXT_BOX]


@pytest.mark.parametrize(
    ("input_type", "posted", "stored"),
    [(kind, posted, stored) for kind, samples in ACCEPTED.items() for posted, stored in samples],
)
def test_what_the_hosted_page_accepts_every_way_in_stores_and_emits_alike(
    input_type: str, posted: object, stored: AttributeValue
) -> None:
    kind = INPUT_KINDS[input_type]
    row = row_of(kind)
    # Hosted sign-up: the input type's field, then the data type's cleaner.
    value = kind.value(hosted_field(kind).clean(posted))
    assert row.clean(value) == stored
    assert type(row.clean(value)) is type(stored)
    # The profile API: the same value sent as JSON, and the stored value read back and resent.
    assert row.clean(json.loads(json.dumps(value))) == stored
    assert row.clean(json.loads(json.dumps(stored))) == stored
    # The admin center: the page shows the stored value; saving it unchanged keeps it.
    assert row.clean(through_the_admin_page(row, kind, stored)) == stored
    # Claims and /me carry the stored value, as its JSON type.
    claim = row.claim_value(stored)
    assert claim == stored
    assert type(claim) is type(stored)
    assert json.loads(json.dumps(claim)) == claim


@pytest.mark.parametrize(("input_type", "typed"), REFUSED)
def test_what_the_hosted_page_refuses_no_other_way_in_stores(input_type: str, typed: str) -> None:
    kind = INPUT_KINDS[input_type]
    row = row_of(kind)
    with pytest.raises(forms.ValidationError):
        hosted_field(kind).clean(typed)
    with pytest.raises(forms.ValidationError):
        row.clean(typed)  # the profile API, sent as a JSON string
    admin = row.edit_field(EditSpec(label="Attribute", help_text="", value=None))
    with pytest.raises(forms.ValidationError):
        row.clean(admin.clean(typed))


@pytest.mark.parametrize(
    ("data_type", "sent"),
    [
        (DataType.BOOLEAN, "maybe"),
        (DataType.BOOLEAN, 1),
        (DataType.BOOLEAN, None),
        (DataType.INT, True),
        (DataType.INT, INT_MAX + 1),
        (DataType.INT, INT_MIN - 1),
        (DataType.INT, 1.5),
        (DataType.STRING, 5),
        (DataType.STRING, ["a"]),
        (DataType.STRING, "\ud800"),
    ],
)
def test_the_cleaner_refuses_values_of_another_json_type(data_type: str, sent: object) -> None:
    with pytest.raises(forms.ValidationError):
        ATTRIBUTE_TYPES[data_type].clean(sent)


@pytest.mark.parametrize(
    ("data_type", "stored"),
    [(DataType.BOOLEAN, "true"), (DataType.INT, "36"), (DataType.INT, False), (DataType.STRING, 7)],
)
def test_a_stored_value_of_another_type_is_no_claim(data_type: str, stored: object) -> None:
    assert ATTRIBUTE_TYPES[data_type].claim_value(stored) is None


def test_a_flow_value_reaches_me_and_the_token_as_the_same_claim(flow_world: FlowWorld) -> None:
    """End to end on a flow that asks with every input type: what each hosted field accepts,
    sent to /api/v1/me as JSON, is stored and read back, then emitted in the next access token
    under the attribute's extension claim with the same value."""
    tenant, app = flow_world.tenant, flow_world.app
    with in_tenant(tenant):
        items = [item for item in flow_world.flow.attributes.all() if item.custom_attribute]
        assert {item.input_type for item in items} == set(INPUT_KINDS)
        names = [item.custom_attribute.name for item in items if item.custom_attribute]
        app_claims_set(app=app, entries=[(name, False, True) for name in names])
        extension = Directory.objects.get_or_create(singleton=True)[0].extensions_app_id.hex
    make_customer(tenant, "walk@example.com")

    sent: dict[str, object] = {}
    expected: dict[str, AttributeValue] = {}
    for item in items:
        assert item.custom_attribute is not None
        kind = input_kind(item.input_type)
        posted, stored = ACCEPTED[item.input_type][0]
        field = kind.field(
            FieldSpec(
                label="Attribute",
                required=item.required,
                choices=[(option["value"], option["text"]) for option in item.options],
            )
        )
        sent[item.custom_attribute.name] = kind.value(field.clean(posted))
        expected[item.custom_attribute.name] = stored

    url = f"/{tenant.domain_name}/api/v1/me"
    me = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(flow_world, 'walk@example.com')}")
    response = me.patch(url, json.dumps({"customAttributes": sent}), "application/json")
    assert response.status_code == 200, response.content
    assert response.json()["customAttributes"] == expected
    assert me.get(url).json()["customAttributes"] == expected

    access = token_for(flow_world, "walk@example.com")
    part = access.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    emitted = {name: claims[f"extension_{extension}_{name}"] for name in names}
    assert emitted == expected
    assert {name: type(value) for name, value in emitted.items()} == {
        name: type(value) for name, value in expected.items()
    }


def test_the_custom_attributes_page_offers_the_tables_data_types(
    admin_client: Client, tenant_a: Tenant
) -> None:
    with in_tenant(tenant_a):
        age = custom_attribute_create(name="Age", data_type=DataType.INT)
    page = admin_client.get(
        f"/admin-center/tenants/{tenant_a.tenant_id}/custom-attributes/{age.pk}/"
    )
    assert page.status_code == 200
    select = page.text.split('<select name="data_type"', 1)[1].split(">", 1)[1]
    select = select.split("</select>", 1)[0]
    assert re.sub(r"\s+", "", select) == "".join(
        f'<optionvalue="{value}"{"selected" if value == DataType.INT else ""}>{label}</option>'
        for value, label in DataType.choices
    )
