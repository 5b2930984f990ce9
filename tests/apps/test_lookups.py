"""The token endpoint's remembered lookups: fast, per tenant, and short-lived."""

from django.test import override_settings

from apps import lookups
from apps import services as app_services
from apps.models import AppRegistration, Platform
from tenants.models import Tenant
from tenants.schemas import in_tenant


@override_settings(CIAM_LOOKUP_SECONDS=60)
def test_lookups_are_remembered_per_tenant(
    tenant_a: Tenant, tenant_b: Tenant, django_assert_num_queries: object
) -> None:
    lookups.forget_all()
    with in_tenant(tenant_a):
        app = app_services.app_register(name="A", platform=Platform.DAEMON)
        assert lookups.client(app.client_id) == app
        settings_row = lookups.token_settings()
        with django_assert_num_queries(0):  # type: ignore[operator]
            assert lookups.client(app.client_id) == app
            assert lookups.token_settings() is settings_row
    with in_tenant(tenant_b):
        # The same client ID means nothing in another tenant, remembered or not.
        assert lookups.client(app.client_id) is None
        assert not AppRegistration.objects.filter(client_id=app.client_id).exists()
    lookups.forget_all()


def test_without_memory_every_lookup_reads_the_database(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        app = app_services.app_register(name="B", platform=Platform.DAEMON)
        assert lookups.client(app.client_id) == app
        AppRegistration.objects.filter(pk=app.pk).delete()
        assert lookups.client(app.client_id) is None


@override_settings(CIAM_LOOKUP_SECONDS=60)
def test_the_sign_in_path_reads_client_flow_permissions_and_claims_from_memory(
    tenant_a: Tenant, django_assert_num_queries: object
) -> None:
    """What the authorization endpoint, the hosted pages and the token endpoint ask on every
    sign-in: the app with its user flow, its consented permissions, its claim choices."""
    from userflows.models import UserFlow
    from userflows.services import flow_apps_assign

    lookups.forget_all()
    with in_tenant(tenant_a):
        app = app_services.app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=["https://shop.example/cb"]
        )
        flow = UserFlow.objects.create(name="Shoppers")
        flow_apps_assign(flow=flow, apps=[app])
        app_services.app_claims_set(app=app, entries=[("given_name", True, False)])
        scopes = ["openid", "profile"]
        first = (
            lookups.client(app.client_id),
            lookups.delegated_grant(app, scopes),
            lookups.claim_choices(app),
        )
        with django_assert_num_queries(0):  # type: ignore[operator]
            remembered = lookups.client(app.client_id)
            assert remembered is not None
            assert remembered.user_flow == flow
            assert lookups.delegated_grant(app, scopes) == first[1]
            assert lookups.claim_choices(app) == [("given_name", None, True, False)]
        assert first[1] is not None
        assert first[1].oidc_scopes == scopes
    lookups.forget_all()
