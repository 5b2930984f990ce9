"""The management API's tests write through the live server, so their audit entries are
committed: each test's are removed after it, so that no later test (one that looks an action up
across the whole log) finds them."""

from collections.abc import Iterator

import pytest

from tenants.models import AuditEntry
from tenants.schemas import use_public_schema


@pytest.fixture(autouse=True)
def _api_audit_entries_removed(
    request: pytest.FixtureRequest, django_db_blocker: pytest.FixtureRequest
) -> Iterator[None]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        use_public_schema()
        AuditEntry.objects.filter(id__gt=last).exclude(action="tenant.created").delete()
