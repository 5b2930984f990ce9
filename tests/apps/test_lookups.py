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
