"""Registering extensions (issue 14): where calls may go (https, or http to this machine only),
the timeout and retries Entra allows, an API app of the tenant, at most 100 per tenant, and
removal taking the listeners with it."""

import pytest

from apps.models import AppRegistration, Platform
from apps.services import app_register
from extensions.models import (
    MAX_EXTENSIONS,
    CustomAuthenticationExtension,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from extensions.services import (
    ExtensionInvalid,
    extension_create,
    extension_delete,
    extension_update,
    target_url_problem,
)
from tenants.models import Tenant
from tenants.schemas import in_tenant


def _create(api: AppRegistration, **changes: object) -> CustomAuthenticationExtension:
    arguments: dict[str, object] = {
        "name": "Loyalty claims",
        "event": ExtensionEvent.TOKEN_ISSUANCE_START,
        "target_url": "https://claims.example.com/api",
        "timeout_ms": 1500,
        "max_retries": 1,
        "api_app_id": api.object_id,
        **changes,
    }
    return extension_create(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "https://claims.example.com/api",
        "https://claims.example.com:8443/api?code=x",
        "http://127.0.0.1:7071/api/claims",
        "http://127.8.9.10/hook",
        "http://[::1]:8080/hook",
        "http://localhost:7071/api",
        "http://LOCALHOST/api",
    ],
)
def test_https_anywhere_and_http_to_this_machine_are_targets(url: str) -> None:
    assert target_url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://claims.example.com/api",
        "http://10.0.0.5/api",
        "http://128.0.0.1/api",
        "http://localhost.example.com/api",
        "http://127.0.0.1.nip.io/api",
        "ftp://127.0.0.1/api",
        "https://user:secret@claims.example.com/api",
        "https:///no-host",
        "https://claims.example.com:99999/api",
        "https://[::1/api",
        "javascript:alert(1)",
    ],
)
def test_clear_text_to_another_machine_and_odd_urls_are_refused(url: str) -> None:
    assert target_url_problem(url) is not None


def test_a_registration_is_stored_with_its_api_app(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        api = app_register(name="Claims API", platform=Platform.DAEMON)
        extension = _create(api)
        stored = CustomAuthenticationExtension.objects.get()
    assert stored.pk == extension.pk
    assert stored.api_app_id == api.pk
    assert (stored.timeout_ms, stored.max_retries) == (1500, 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_url": "http://claims.example.com/api"}, "target_url"),
        ({"timeout_ms": 199}, "timeout_ms"),
        ({"timeout_ms": 2001}, "timeout_ms"),
        ({"max_retries": 2}, "max_retries"),
        ({"event": "onPasswordSubmit"}, "event"),
        ({"api_app_id": "00000000-0000-4000-8000-000000000000"}, "api_app"),
        ({"api_app_id": "not-an-id"}, "api_app"),
    ],
)
def test_a_bad_registration_is_refused_by_field_and_nothing_is_stored(
    tenant_a: Tenant, changes: dict[str, object], field: str
) -> None:
    with in_tenant(tenant_a):
        api = app_register(name="Claims API", platform=Platform.DAEMON)
        with pytest.raises(ExtensionInvalid) as refused:
            _create(api, **changes)
        assert not CustomAuthenticationExtension.objects.exists()
    assert list(refused.value.errors) == [field]


def test_an_api_app_of_another_tenant_is_not_found(tenant_a: Tenant, tenant_b: Tenant) -> None:
    with in_tenant(tenant_b):
        foreign = app_register(name="B's API", platform=Platform.DAEMON)
    with in_tenant(tenant_a), pytest.raises(ExtensionInvalid) as refused:
        _create(foreign)
    assert list(refused.value.errors) == ["api_app"]


def test_names_are_unique_ignoring_case_and_an_edit_may_keep_its_own(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        api = app_register(name="Claims API", platform=Platform.DAEMON)
        first = _create(api)
        with pytest.raises(ExtensionInvalid) as refused:
            _create(api, name="LOYALTY claims")
        extension_update(
            extension=first,
            name="Loyalty claims",
            target_url="http://127.0.0.1:7071/api",
            timeout_ms=200,
            max_retries=0,
            api_app_id=api.object_id,
        )
        first.refresh_from_db()
    assert list(refused.value.errors) == ["name"]
    assert (first.target_url, first.timeout_ms, first.max_retries) == (
        "http://127.0.0.1:7071/api",
        200,
        0,
    )


def test_a_tenant_holds_at_most_100_extensions(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        api = app_register(name="Claims API", platform=Platform.DAEMON)
        CustomAuthenticationExtension.objects.bulk_create(
            CustomAuthenticationExtension(
                name=f"Extension {number}",
                event=ExtensionEvent.TOKEN_ISSUANCE_START,
                target_url="https://claims.example.com/api",
                api_app=api,
            )
            for number in range(MAX_EXTENSIONS)
        )
        with pytest.raises(ExtensionInvalid) as refused:
            _create(api, name="One too many")
        assert CustomAuthenticationExtension.objects.count() == MAX_EXTENSIONS
    assert list(refused.value.errors) == [None]


def test_removing_an_extension_removes_its_listeners(tenant_a: Tenant) -> None:
    with in_tenant(tenant_a):
        api = app_register(name="Claims API", platform=Platform.DAEMON)
        shop = app_register(name="Shop", platform=Platform.WEB)
        extension = _create(api)
        ExtensionListener.objects.create(
            extension=extension,
            event=extension.event,
            app=shop,
            failure_policy=FailurePolicy.CONTINUE,
        )
        removed = extension_delete(extension=extension)
        assert not ExtensionListener.objects.exists()
        assert not CustomAuthenticationExtension.objects.exists()
        assert AppRegistration.objects.filter(pk=shop.pk).exists()
    assert removed == 1
