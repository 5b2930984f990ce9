"""Hourly housekeeping removes the tokens and codes nobody can use any more, and only those."""

import uuid
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from accounts.models import User
from apps import services as app_services
from apps.housekeeping import tokens_clear_expired as tokens_clear_expired_here
from apps.models import (
    AccessToken,
    AppRegistration,
    Grant,
    IDToken,
    Platform,
    RefreshToken,
    SpentClientAssertion,
)
from apps.oidc.client_auth import client_assertion_spend
from apps.tasks import tokens_clear_expired
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer


def _app() -> AppRegistration:
    app: AppRegistration = app_services.app_register(
        name="Web", platform=Platform.WEB, redirect_uris=["https://web.example/cb"]
    )
    return app


def _refresh(
    user: User, app: AppRegistration, family: uuid.UUID, age: timedelta, **kw: object
) -> RefreshToken:
    access = AccessToken.objects.create(
        user=user,
        application=app,
        token=f"a-{uuid.uuid4().hex}",
        expires=timezone.now() - age + timedelta(hours=1),
    )
    token = RefreshToken.objects.create(
        user=user,
        application=app,
        token=f"r-{uuid.uuid4().hex}",
        access_token=access,
        token_family=family,
        **kw,
    )
    RefreshToken.objects.filter(pk=token.pk).update(created=timezone.now() - age)
    return token


def test_only_what_nobody_can_use_goes(tenant_a: Tenant, tenant_b: Tenant) -> None:
    """Default lifetimes: refresh 90 days, codes kept a day after they expire."""
    now = timezone.now()
    customer = make_customer(tenant_a, "tokens@example.com")
    other = make_customer(tenant_b, "tokens@example.com")
    with in_tenant(tenant_a):
        app = _app()
        ended, live = uuid.uuid4(), uuid.uuid4()
        # A family that started 91 days ago has ended, even though its newest member is a day old.
        ended_old = _refresh(customer, app, ended, timedelta(days=91), revoked=now)
        ended_new = _refresh(customer, app, ended, timedelta(days=1))
        # One that started 30 days ago lives on, with its revoked members (replay detection).
        live_old = _refresh(customer, app, live, timedelta(days=30), revoked=now)
        live_new = _refresh(customer, app, live, timedelta(hours=2))
        lone = AccessToken.objects.create(
            user=customer,
            application=app,
            token="expired-alone",
            expires=now - timedelta(minutes=1),
        )
        current = AccessToken.objects.create(
            user=customer, application=app, token="current", expires=now + timedelta(minutes=30)
        )
        IDToken.objects.create(  # expired 91 days ago: goes
            user=customer, application=app, expires=now - timedelta(days=91)
        )
        recent_id = IDToken.objects.create(
            user=customer, application=app, expires=now - timedelta(hours=1)
        )
        Grant.objects.create(  # expired two days ago: goes
            user=customer,
            application=app,
            code="old-code",
            redirect_uri="https://web.example/cb",
            expires=now - timedelta(days=2),
        )
        fresh_code = Grant.objects.create(
            user=customer,
            application=app,
            code="fresh-code",
            redirect_uri="https://web.example/cb",
            expires=now - timedelta(minutes=5),
        )
    with in_tenant(tenant_b):
        app_b = _app()
        elsewhere = _refresh(other, app_b, uuid.uuid4(), timedelta(days=120))

    tokens_clear_expired.delay()

    with in_tenant(tenant_a):
        remaining = set(RefreshToken.objects.values_list("pk", flat=True))
        assert remaining == {live_old.pk, live_new.pk}
        assert not {ended_old.pk, ended_new.pk} & remaining
        # The live family's start, and so its lifetime, is what it was.
        started = RefreshToken.objects.filter(token_family=live).aggregate(s=Min("created"))["s"]
        assert started is not None
        assert started < now - timedelta(days=29)
        access = set(AccessToken.objects.values_list("pk", flat=True))
        assert {current.pk, live_old.access_token_id, live_new.access_token_id} <= access
        assert lone.pk not in access
        assert ended_old.access_token_id not in access
        assert set(IDToken.objects.values_list("pk", flat=True)) == {recent_id.pk}
        assert set(Grant.objects.values_list("pk", flat=True)) == {fresh_code.pk}
    with in_tenant(tenant_b):
        assert not RefreshToken.objects.filter(pk=elsewhere.pk).exists()


def test_a_longer_refresh_lifetime_keeps_older_families(tenant_a: Tenant) -> None:
    customer = make_customer(tenant_a, "long-lived@example.com")
    with in_tenant(tenant_a):
        app = _app()
        app_services.token_settings_update(
            access_token_minutes=60,
            id_token_minutes=60,
            spa_refresh_token_hours=24,
            refresh_token_days=365,
        )
        kept = _refresh(customer, app, uuid.uuid4(), timedelta(days=200))
        ended = _refresh(customer, app, uuid.uuid4(), timedelta(days=366))
        cleared = tokens_clear_expired_here()
        assert cleared.refresh_tokens == 1
        assert RefreshToken.objects.filter(pk=kept.pk).exists()
        assert not RefreshToken.objects.filter(pk=ended.pk).exists()


def test_spent_assertions_are_forgotten_once_they_expired(tenant_a: Tenant) -> None:
    now = timezone.now()
    with in_tenant(tenant_a):
        assert client_assertion_spend(client_id="c", jti="old", expires_at=now)
        assert client_assertion_spend(client_id="c", jti="live", expires_at=now + timedelta(1))
        assert not client_assertion_spend(client_id="c", jti="live", expires_at=now)
        cleared = tokens_clear_expired_here()
        assert cleared.client_assertions == 1
        assert list(SpentClientAssertion.objects.values_list("jti", flat=True)) == ["live"]
