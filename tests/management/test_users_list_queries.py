"""A page of `/users` is read in one query, whatever its size: every column the API shows is
loaded with the row (a deferred one would cost a query per row and per column)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.selectors import customer_list
from management.users import _custom_types, user_representation
from tenants.models import Tenant
from tenants.schemas import in_tenant
from tests.factories.accounts import make_customer


@pytest.mark.parametrize("search", ["", "listed"])
def test_a_page_is_one_query(tenant_a: Tenant, search: str) -> None:
    for number in range(5):
        make_customer(tenant_a, f"listed-{number}@example.com")
    with in_tenant(tenant_a):
        custom_types = _custom_types()
        with CaptureQueriesContext(connection) as queries:
            page = customer_list(search=search, page_size=3, profile=True)
            shown = [user_representation(user, custom_types) for user in page.customers]
    assert len(shown) == 3
    assert len(queries) == 1, [query["sql"] for query in queries]
