"""The tenant's audit log in the admin center (Reports Reader, Global Administrator): filters,
keyset pages, a detail pane per entry and streamed CSV or JSON Lines downloads of the filtered
set, each download itself recorded in the log.

The log lives in the public schema, one table for every tenant: every read goes through
`tenants.selectors.audit_entries`, which starts from this tenant's ID, so no filter, cursor or
entry ID reaches another tenant's entries.
"""

import json
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.downloads import FORMATS, download_response
from admin_center.pages import tenant_page
from admin_center.tenants.forms import AUDIT_DEFAULT_PERIOD, AuditFilterForm
from tenants.keyset import cursor_read
from tenants.models import AuditAction, AuditEntry, Tenant
from tenants.permissions import Capability
from tenants.selectors import audit_entry_get, audit_entry_page, audit_entry_stream
from tenants.services import audit_entry_fields

# The CSV file's columns, in order; the JSON Lines file carries `audit_entry_fields` whole.
CSV_COLUMNS = ("time", "actor", "actor_id", "action", "target", "details")
# Query parameters that are no filter: the page's cursor, the entry in the pane, the format.
_NOT_FILTERS = ("after", "entry", "format")
# An entry ID larger than this names no row (PostgreSQL's bigint).
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class AuditRow:
    """An entry as the log shows it: its facts, then what changed from what to what."""

    entry: AuditEntry
    facts: list[tuple[str, str]]
    changes: list[tuple[str, str | None, str | None]]


def _shown(value: object) -> str | None:
    """A recorded value as text: strings and numbers as they are, the rest as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_row(entry: AuditEntry) -> AuditRow:
    details: dict[str, object] = entry.details if isinstance(entry.details, dict) else {}
    before = details.get("before")
    after = details.get("after")
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    return AuditRow(
        entry=entry,
        facts=[
            (key, _shown(value) or "")
            for key, value in details.items()
            if key not in {"before", "after"}
        ],
        changes=[(key, _shown(before.get(key)), _shown(value)) for key, value in after.items()],
    )


def _filter_form(query: QueryDict) -> AuditFilterForm:
    """The filters as the request gives them, the default time range where it names none."""
    data = query.copy()
    if not data.get("period"):
        data["period"] = AUDIT_DEFAULT_PERIOD
    return AuditFilterForm(data)


def _query(query: QueryDict, **changes: str | None) -> str:
    """The request's query string with some parameters set, or removed (None)."""
    changed = query.copy()
    for name, value in changes.items():
        if value is None:
            changed.pop(name, None)
        else:
            changed[name] = value
    return changed.urlencode()


def _selected(request: HttpRequest, tenant: Tenant) -> AuditRow | None:
    """The entry the detail pane shows (`?entry=`), or None; 404 for one the tenant has not."""
    raw = request.GET.get("entry")
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > _MAX_ID:
        raise Http404
    entry = audit_entry_get(tenant=tenant, entry_id=int(raw))
    if entry is None:
        raise Http404
    return audit_row(entry)


def _page(
    request: HttpRequest,
    tenant: Tenant,
    form: AuditFilterForm,
    selected: AuditRow | None,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    filtered = any(key not in _NOT_FILTERS for key in request.GET)
    return tenant_page(
        request,
        tenant,
        "admin_center/tenant_audit_log.html",
        {
            "form": form,
            "selected": selected,
            "filtered": filtered,
            "close_query": _query(request.GET, entry=None),
            **context,
        },
        status=status,
    )


@tenant_admin_view(Capability.READ_AUDIT_LOG)
@require_GET
def tenant_audit_log(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = _filter_form(request.GET)
    selected = _selected(request, tenant)
    if not form.is_valid():
        # Nothing is listed under filters that do not read: a list wider than the one asked
        # for would look like an answer.
        return _page(request, tenant, form, selected, status=400)
    after = cursor_read(request.GET.get("after"))
    page = audit_entry_page(tenant=tenant, found=form.filters(now=timezone.now()), after=after)
    rows = [(entry, _query(request.GET, entry=str(entry.pk))) for entry in page.rows]
    return _page(
        request,
        tenant,
        form,
        selected,
        rows=rows,
        older_query=_query(request.GET, after=page.next.token(), entry=None) if page.next else None,
        newest_query=_query(request.GET, after=None, entry=None) if after else None,
        downloads=[
            (file_format, _query(request.GET, after=None, entry=None, format=file_format))
            for file_format in FORMATS
        ],
    )


def _csv_fields(entry: AuditEntry) -> dict[str, Any]:
    return {"time": entry.occurred_at.isoformat(), **audit_entry_fields(entry)}


@tenant_admin_view(Capability.READ_AUDIT_LOG)
@require_GET
def tenant_audit_log_download(
    request: HttpRequest, tenant: Tenant
) -> HttpResponse | StreamingHttpResponse:
    """The filtered set as a file, streamed from a server-side cursor, newest first.

    The file holds what was recorded before the request came: its own entry (recorded here,
    before the first row is read, so a download that fails midway is still on record) is not
    in it, nor anything recorded while it streams.
    """
    file_format = request.GET.get("format", "csv")
    if file_format not in FORMATS:
        raise BadRequest("unknown format")
    form = _filter_form(request.GET)
    if not form.is_valid():
        return _page(request, tenant, form, None, status=400)
    as_of = timezone.now()
    found = form.filters(now=as_of)
    until = min(found.until, as_of) if found.until else as_of
    found = replace(found, until=until)
    audit(
        request,
        tenant,
        AuditAction.AUDIT_LOG_DOWNLOADED,
        target="Audit log",
        # The filters as given, each a fact of its own, and the moment the file stops at.
        details={"format": file_format, **form.recorded(), "recorded_before": until.isoformat()},
    )
    return download_response(
        rows=audit_entry_stream(tenant=tenant, found=found),
        columns=CSV_COLUMNS,
        fields=audit_entry_fields if file_format == "json" else _csv_fields,
        file_format=file_format,
        filename=f"audit-log-{tenant.domain_name}-{as_of:%Y%m%dT%H%M%SZ}",
    )
