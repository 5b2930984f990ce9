"""Nothing relies on a join across schemas at run time (docs/citus.md).

Every SQL statement of a representative run (a customer's sign-up, sign-in, token exchange and
userinfo; an admin-center page of the tenant; a management API read and write) is recorded with
`connection.execute_wrapper` and resolved by PostgreSQL itself: `EXPLAIN (VERBOSE)` names the
schema of every table a statement reads or writes, under the search path it runs with. Each
statement must touch one schema only: the tenant's (unqualified names under the tenant's search
path, `tenants.schemas.use_tenant_schema`) or public (the tenants, operators, the audit log and
the cache table, reached through `in_public_schema`). Under Citus's schema-based sharding a
statement confined to one distributed schema is routed whole to the node holding it; one
naming a tenant schema and a coordinator table would have to move rows between nodes.

One *transaction* may still touch both: a management API write records its audit entry
(public) in the transaction of the change (the tenant's schema). Citus allows that: the
coordinator coordinates the transaction with the worker holding the schema. It commits with
two-phase commit (PREPARE on the worker, recorded in pg_dist_transaction, recovered by the
maintenance daemon) when the transaction modified more than one node or wrote a Citus table on
the coordinator through local execution (a reference table or a Citus local table: the
runbook adds the audit log to Citus's metadata for that reason); a write to one worker beside
a plain coordinator table commits in one phase, the worker first (Citus's
transaction_management.c and adaptive_executor.c).
"""

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from psycopg import DatabaseError

from accounts.models import User
from apps import services as app_services
from apps.management_api import MANAGEMENT_API_URI, MANAGEMENT_ROLE_VALUES
from apps.models import Platform
from tenants.models import Tenant
from tenants.schemas import current_schema_name, in_tenant
from tests.factories.management import daemon_with_roles
from userflows import services as flow_services

REDIRECT = "https://shop.example/callback"
PASSWORD = "Long-Enough-Pass-1"
# Statements that read or write no table, which EXPLAIN cannot take.
_NO_TABLE = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|SET|SHOW)\b", re.I)
_EXPLAINABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)

Capture = Callable[..., Any]


@dataclass
class Statement:
    sql: str
    search_path_schema: str
    schemas: frozenset[str]


@dataclass
class SchemaRecorder:
    """An execute wrapper that asks PostgreSQL which schemas each statement touches."""

    statements: list[Statement] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        if _EXPLAINABLE.match(sql):
            first = params[0] if many and params else params
            self.statements.append(
                Statement(sql, current_schema_name(), self._schemas(sql, first, context))
            )
        elif not _NO_TABLE.match(sql):
            self.unexplained.append(sql)
        return execute(sql, params, many, context)

    @staticmethod
    def _schemas(sql: str, params: Any, context: dict[str, Any]) -> frozenset[str]:
        """The schemas of every relation in the statement's plan. Asked on a cursor of its own
        (a server-side cursor takes one statement) of the same connection, so under the same
        search path, inside a savepoint so that a refused EXPLAIN cannot spoil the test's
        transaction (it fails the test instead)."""
        in_transaction = context["connection"].in_atomic_block
        with context["connection"].connection.cursor() as raw:
            if in_transaction:
                raw.execute("SAVEPOINT schema_recorder")
            try:
                raw.execute("EXPLAIN (VERBOSE, FORMAT JSON) " + sql, params)
                plan = raw.fetchone()[0]
            except DatabaseError as error:
                if in_transaction:
                    raw.execute("ROLLBACK TO SAVEPOINT schema_recorder")
                raise AssertionError(f"EXPLAIN refused {sql!r}: {error}") from error
            if in_transaction:
                raw.execute("RELEASE SAVEPOINT schema_recorder")
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return frozenset(_relation_schemas(plan))


def _relation_schemas(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "Relation Name" in node:
            yield node["Schema"]
        for value in node.values():
            yield from _relation_schemas(value)
    elif isinstance(node, list):
        for item in node:
            yield from _relation_schemas(item)


def _crossing(recorder: SchemaRecorder, tenant: Tenant) -> list[str]:
    """Statements that touch more than one schema, or a schema neither the tenant's nor
    public, or the tenant's from another search path than the tenant's. (A public table may
    be named with its schema under the tenant's path: the cache table is, tenants/cache.py.)"""
    return [
        f"{sorted(statement.schemas)} under {statement.search_path_schema}: {statement.sql}"
        for statement in recorder.statements
        if len(statement.schemas) > 1
        or not statement.schemas <= {tenant.schema_name, "public"}
        or (
            tenant.schema_name in statement.schemas
            and statement.search_path_schema != tenant.schema_name
        )
    ]


@dataclass
class Shop:
    tenant: Tenant
    client_id: str
    secret: str
    management: tuple[str, str]

    def authorize(self) -> str:
        return (
            f"/{self.tenant.domain_name}/oauth2/v2.0/authorize?client_id={self.client_id}"
            f"&response_type=code&scope=openid&redirect_uri={REDIRECT}&state=s1"
        )

    def redeem(self, client: Client, location: str) -> dict[str, Any]:
        assert location.startswith(f"{REDIRECT}?code="), location
        code = parse_qs(urlsplit(location).query)["code"][0]
        basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        response = client.post(
            f"/{self.tenant.domain_name}/oauth2/v2.0/token",
            {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def shop(tenant_a: Tenant) -> Shop:
    """An app with a sign-up flow, and a daemon holding every management role."""
    with in_tenant(tenant_a):
        flow = flow_services.userflow_create(name="Sign up and sign in")
        app = app_services.app_register(
            name="Shop", platform=Platform.WEB, redirect_uris=[REDIRECT]
        )
        flow_services.flow_apps_assign(flow=flow, apps=[app])
        _secret, secret = app_services.client_secret_add(app=app, description="t", lifetime_days=90)
        daemon, daemon_secret = daemon_with_roles("Directory sync", MANAGEMENT_ROLE_VALUES)
    return Shop(tenant_a, app.client_id, secret, (daemon.client_id, daemon_secret))


def _sign_up(shop: Shop, email: str, capture: Capture) -> dict[str, Any]:
    tenant = shop.tenant.domain_name
    client = Client()
    assert client.get(shop.authorize()).status_code == 200
    with capture(execute=True):  # the code's email leaves on commit
        answer = client.post(
            f"/{tenant}/account/signup/", {"email": email, "next": shop.authorize()}
        )
    assert answer.status_code == 302, answer.content[:500]
    code = re.search(r"^\s*(\d{8})\s*$", str(mail.outbox[-1].body), re.MULTILINE)
    assert code is not None
    answer = client.post(answer["Location"], {"code": code.group(1)})
    assert "/account/complete/" in answer["Location"], answer["Location"]
    answer = client.post(answer["Location"], {"password1": PASSWORD, "password2": PASSWORD})
    assert answer.status_code == 302, answer.content[:500]
    return shop.redeem(client, answer["Location"])


def _sign_in(shop: Shop, email: str) -> dict[str, Any]:
    client = Client()
    client.get(shop.authorize())
    answer = client.post(
        f"/{shop.tenant.domain_name}/account/login/",
        {"login": email, "password": PASSWORD, "next": shop.authorize()},
    )
    tokens = shop.redeem(client, answer["Location"])
    userinfo = client.get(
        f"/{shop.tenant.domain_name}/oauth2/v2.0/userinfo",
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
    )
    assert userinfo.status_code == 200, userinfo.content
    assert userinfo.json()["sub"]
    return tokens


def _management_calls(shop: Shop) -> None:
    """An app-only token, a customer search and a customer created (audited in public)."""
    client = Client()
    client_id, secret = shop.management
    token = client.post(
        f"/{shop.tenant.domain_name}/oauth2/v2.0/token",
        {
            "grant_type": "client_credentials",
            "scope": f"{MANAGEMENT_API_URI}/.default",
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert token.status_code == 200, token.content
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    api = f"/{shop.tenant.domain_name}/api/v1/users"
    listed = client.get(api, {"search": "ada"}, headers=bearer)
    assert listed.status_code == 200, listed.content
    mail_address = f"made-{uuid.uuid4().hex[:6]}@example.com"
    created = client.post(
        api,
        {"mail": mail_address, "displayName": "Made by the API"},
        content_type="application/json",
        headers=bearer,
    )
    assert created.status_code == 201, created.content


def test_every_statement_of_a_representative_run_touches_one_schema(
    shop: Shop, admin_client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    recorder = SchemaRecorder()
    email = "ada@example.com"
    with connection.execute_wrapper(recorder):
        _sign_up(shop, email, django_capture_on_commit_callbacks)
        _sign_in(shop, email)
        page = admin_client.get(f"/admin-center/tenants/{shop.tenant.tenant_id}/customers/")
        assert page.status_code == 200
        _management_calls(shop)

    with in_tenant(shop.tenant):
        assert User.objects.filter(email=email, is_active=True).exists()
    touched = {schema for statement in recorder.statements for schema in statement.schemas}
    assert touched == {shop.tenant.schema_name, "public"}, touched
    assert len(recorder.statements) > 100
    assert _crossing(recorder, shop.tenant) == []
    assert recorder.unexplained == [], "statements of a kind this test cannot resolve"


def test_a_statement_joining_a_tenant_table_and_a_public_one_is_reported(
    tenant_a: Tenant,
) -> None:
    """The recorder is no blank: a join of customers with the tenants table is caught."""
    recorder = SchemaRecorder()
    with in_tenant(tenant_a), connection.execute_wrapper(recorder), connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.email, t.domain_name FROM accounts_user u "
            "JOIN public.tenants_tenant t ON t.id = u.id"
        )
    [crossing] = _crossing(recorder, tenant_a)
    assert crossing.startswith(f"['public', '{tenant_a.schema_name}']")
