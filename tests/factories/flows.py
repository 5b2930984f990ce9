"""A user flow that collects built-in and custom attributes of every input type."""

from dataclasses import dataclass

import pytest

from accounts.models import CustomAttribute
from accounts.services import custom_attribute_create
from apps import services as app_services
from apps.models import AppRegistration, Platform
from tenants.models import Tenant
from tenants.schemas import in_tenant
from userflows import services as flow_services
from userflows.models import SignInMethod, UserFlow

FLOW_APP_REDIRECT = "https://shop.example/callback"


@dataclass
class FlowWorld:
    tenant: Tenant
    flow: UserFlow
    app: AppRegistration
    secret: str


def make_flow_world(tenant: Tenant, method: str = SignInMethod.EMAIL_PASSWORD) -> FlowWorld:
    with in_tenant(tenant):
        loyalty = custom_attribute_create(name="LoyaltyNumber", data_type="string")
        tier = custom_attribute_create(name="Tier", data_type="string")
        interests = custom_attribute_create(name="Interests", data_type="string")
        newsletter = custom_attribute_create(name="Newsletter", data_type="boolean")
        age = custom_attribute_create(name="Age", data_type="int")
        flow = flow_services.userflow_create(
            name=f"Sign up and sign in ({method})",
            sign_in_method=method,
            builtin_attributes=["given_name", "surname", "city"],
            custom_attributes=[loyalty, tier, interests, newsletter, age],
        )
        items = {
            item.custom_attribute.name if item.custom_attribute else item.builtin: item
            for item in flow.attributes.all()
        }
        flow_services.flow_attribute_update(
            attribute=items["given_name"],
            label="First name",
            required=True,
            input_type="TextBox",
            options=[],
        )
        flow_services.flow_attribute_update(
            attribute=items["Tier"],
            label="Tier",
            required=True,
            input_type="RadioSingleSelect",
            options=[{"text": "Gold", "value": "gold"}, {"text": "Silver", "value": "silver"}],
        )
        flow_services.flow_attribute_update(
            attribute=items["Interests"],
            label="Interests",
            required=False,
            input_type="CheckboxMultiSelect",
            options=[
                {"text": "Hiking", "value": "hiking"},
                {"text": "Books", "value": "books"},
                {"text": "See [our terms](https://shop.example/terms)", "value": "terms"},
            ],
        )
        flow_services.flow_attribute_update(
            attribute=items["Newsletter"],
            label="Send me news",
            required=False,
            input_type="CheckboxSingleSelect",
            options=[],
        )
        app = app_services.app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=[FLOW_APP_REDIRECT]
        )
        flow_services.flow_apps_assign(flow=flow, apps=[app])
        _s, secret = app_services.client_secret_add(app=app, description="t", lifetime_days=90)
    return FlowWorld(tenant=tenant, flow=flow, app=app, secret=secret)


@pytest.fixture
def flow_world(tenant_a: Tenant) -> FlowWorld:
    return make_flow_world(tenant_a)


__all__ = ["CustomAttribute", "FlowWorld", "flow_world", "make_flow_world"]
