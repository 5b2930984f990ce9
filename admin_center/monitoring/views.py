"""The tenant's sign-in log in the admin center (issue 13): the filtered list, newest first, in
keyset pages; a detail pane per entry (Entra's "Activity details"); CSV and JSON downloads of
the filtered set; and how long the log is kept.

The list reads one page of the log (and the tenant's apps for the filter, and the retention)
in the tenant's schema, and counts nothing: a COUNT(*) under a filter would read every row it
matches, seconds at 10 million rows. A download is streamed (admin_center/downloads.py) from a
server-side cursor; its generator runs once the view has returned, so it enters the tenant's
schema itself.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.downloads import FORMATS, download_response
from admin_center.form_errors import form_errors_from
from admin_center.monitoring.forms import METHOD_LABELS, LogRetentionForm, SignInLogFilterForm
from admin_center.pages import tenant_page
from apps.selectors import app_list
from monitoring.agents import Agent, agent_of
from monitoring.models import ConditionalAccessStatus, SignInEvent, SignInKind, SignInStatus
from monitoring.reasons import OUTCOMES, Reason
from monitoring.records import sign_in_event_fields
from monitoring.selectors import (
    SearchTooSlow,
    SignInFilter,
    log_settings,
    sign_in_event_get,
    sign_in_event_page,
    sign_in_event_stream,
)
from monitoring.services import log_settings_save
from protection.models import GrantControl
from tenants.keyset import cursor_read
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant

SECTION = "sign-in-logs"
# A page's query stops after this long: filters that no index serves and that match little walk
# the whole time range (bench/sign_in_log.py found 1 to 2 s at 10 million rows); the page then
# asks for a narrower range instead of holding a database backend.
PAGE_TIMEOUT_MS = 3000
# The query parameters of the filters (the form's fields); `after`, `entry` and `format` are
# the page's, the pane's and the download's.
FILTERS = ("range", "since", "until", "customer", "app", "status", "reason", "ip", "method", "kind")
_ENTRY_MAX = 2**63 - 1

# A CSV download's columns, in order; the JSON download has these and the tenant's IDs.
DOWNLOAD_COLUMNS = (
    "occurred_at",
    "id",
    "correlation_id",
    "kind",
    "status",
    "error_code",
    "reason",
    "customer_email",
    "customer_object_id",
    "app_name",
    "client_id",
    "ip_address",
    "location",
    "browser",
    "operating_system",
    "device",
    "user_agent",
    "methods",
    "mfa_detail",
    "identity_provider",
    "conditional_access",
    "policies",
    "risk_level",
    "details",
)


def _label(choices: type[SignInKind | SignInStatus | ConditionalAccessStatus], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _reason_summary(value: str) -> str:
    try:
        return str(OUTCOMES[Reason(value)].summary)
    except ValueError:
        return value


def _method_labels(methods: list[str]) -> list[str]:
    return [str(METHOD_LABELS.get(method, method)) for method in methods]


@dataclass(frozen=True)
class _Row:
    event: SignInEvent
    href: str
    status: str
    methods: list[str]
    conditional_access: str


@dataclass(frozen=True)
class _Policy:
    name: str
    grant: str
    report_only: bool


@dataclass(frozen=True)
class _Detail:
    """An entry as the detail pane shows it."""

    event: SignInEvent
    kind: str
    status: str
    reason: str
    agent: Agent
    methods: list[str]
    multifactor: bool
    conditional_access: str
    policies: list[_Policy]
    details: list[tuple[str, str]]
    close_href: str


def _grant_label(value: object) -> str:
    try:
        return str(GrantControl(str(value)).label)
    except ValueError:
        return str(value)


def _policies(value: object) -> list[_Policy]:
    """The policies the row names ([{"name", "grant", "report_only"}]); anything else in the
    JSON is left out rather than shown wrong."""
    if not isinstance(value, list):
        return []
    return [
        _Policy(
            name=str(item.get("name", "")),
            grant=_grant_label(item.get("grant", "")),
            report_only=bool(item.get("report_only")) or item.get("result") == "report_only",
        )
        for item in value
        if isinstance(item, dict)
    ]


def _detail(event: SignInEvent, close_href: str) -> _Detail:
    details = event.details if isinstance(event.details, dict) else {}
    return _Detail(
        event=event,
        kind=_label(SignInKind, event.kind),
        status=_label(SignInStatus, event.status),
        reason=_reason_summary(event.reason),
        agent=agent_of(event.user_agent),
        methods=_method_labels(event.methods),
        multifactor="mfa" in event.methods,
        conditional_access=_label(ConditionalAccessStatus, event.conditional_access),
        policies=_policies(event.policies),
        details=[
            (str(key), value if isinstance(value, str) else json.dumps(value, sort_keys=True))
            for key, value in sorted(details.items())
        ],
        close_href=close_href,
    )


def _entry_id(value: str | None) -> int | None:
    """The `entry` parameter as a row ID, or None for none or one that is no ID."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    found = int(value)
    return found if 0 < found <= _ENTRY_MAX else None


def _query(request: HttpRequest, **extra: str) -> str:
    """The filters of the request (as given), with `extra` parameters after them."""
    pairs = [(name, value) for name in FILTERS for value in request.GET.getlist(name) if value]
    pairs += [(name, value) for name, value in extra.items() if value]
    return urlencode(pairs)


def _apps() -> list[tuple[str, str]]:
    return [(app.client_id, app.name) for app in app_list().only("client_id", "name")]


def _log_page(
    request: HttpRequest,
    tenant: Tenant,
    *,
    form: SignInLogFilterForm,
    found: SignInFilter | None,
    status: int = 200,
    format_error: bool = False,
) -> HttpResponse:
    """The log page: one page of the entries `found` selects (none when the filters are
    invalid), and the entry the `entry` parameter names in the detail pane."""
    after = request.GET.get("after", "")
    cursor = cursor_read(after)
    entry_id = _entry_id(request.GET.get("entry"))
    page = None
    event = None
    too_slow = False
    with in_tenant(tenant):
        if found is not None:
            try:
                page = sign_in_event_page(found, after=cursor, timeout_ms=PAGE_TIMEOUT_MS)
            except SearchTooSlow:
                too_slow = True
        if entry_id is not None:
            event = sign_in_event_get(entry_id)
        retention = log_settings().retention_days
    # Links keep the filters and the page; opening an entry keeps the list where it was.
    on_page = {"after": after} if cursor is not None else {}
    here = _query(request, **on_page)
    rows = [
        _Row(
            event=row,
            href=f"?{here}{'&' if here else ''}entry={row.pk}#sign-in-detail",
            status=_label(SignInStatus, row.status),
            methods=_method_labels(row.methods),
            conditional_access=_label(ConditionalAccessStatus, row.conditional_access),
        )
        for row in (page.rows if page is not None else [])
    ]
    detail = None
    if event is not None:
        detail = _detail(event, f"?{here}#sign-in-{event.pk}")
    older = newest = None
    if page is not None and page.next is not None:
        older = f"?{_query(request, after=page.next.token())}"
    if cursor is not None:
        newest = f"?{_query(request)}"
    filters = _query(request)
    return tenant_page(
        request,
        tenant,
        "admin_center/monitoring/sign_in_log.html",
        {
            "form": form,
            "rows": rows,
            "valid": found is not None,
            "filtered": bool(filters),
            "detail": detail,
            "entry_missing": request.GET.get("entry") is not None and detail is None,
            "older": older,
            "newest": newest,
            "download_csv": f"?{_query(request, format='csv')}",
            "download_json": f"?{_query(request, format='json')}",
            "retention_days": retention,
            "format_error": format_error,
            "too_slow": too_slow,
            "section": SECTION,
        },
        status=status,
    )


def _filter_form(request: HttpRequest, tenant: Tenant) -> SignInLogFilterForm:
    with in_tenant(tenant):
        apps = _apps()
    return SignInLogFilterForm(request.GET, apps=apps)


@tenant_admin_view(Capability.READ_SIGN_IN_LOGS)
@require_GET
def sign_in_log(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The log, filtered by the query's parameters; invalid ones are shown on their fields."""
    form = _filter_form(request, tenant)
    found = form.sign_in_filter() if form.is_valid() else None
    return _log_page(request, tenant, form=form, found=found)


def _download_fields(tenant: Tenant, *, csv: bool) -> Any:
    tenant_id = str(tenant.tenant_id)

    def fields(event: SignInEvent) -> dict[str, Any]:
        found = sign_in_event_fields(event, tenant_id=tenant_id, domain=tenant.domain_name)
        agent = agent_of(event.user_agent)
        found["browser"] = agent.browser
        found["operating_system"] = agent.operating_system
        found["device"] = agent.device
        found["details"] = event.details
        if csv:
            # A cell holds the policies as JSON, not Python's spelling of each one.
            found["policies"] = json.dumps(event.policies, ensure_ascii=False, sort_keys=True)
        return found

    return fields


@tenant_admin_view(Capability.READ_SIGN_IN_LOGS)
@require_GET
def sign_in_log_download(request: HttpRequest, tenant: Tenant) -> HttpResponseBase:
    """Every entry the filters select (all pages), as CSV or JSON Lines, streamed; audited
    with the filters and the format. Invalid filters answer the page with their errors (400)."""
    form = _filter_form(request, tenant)
    # Named, never assumed: the address alone is no download (nor an audit entry).
    file_format = request.GET.get("format", "")
    if not form.is_valid() or file_format not in FORMATS:
        return _log_page(
            request,
            tenant,
            form=form,
            found=None,
            status=400,
            format_error=file_format not in FORMATS,
        )
    found = form.sign_in_filter()
    audit(
        request,
        tenant,
        AuditAction.SIGN_IN_LOG_DOWNLOADED,
        target=_("Sign-in logs"),
        details={"format": file_format, **form.recorded()},
    )

    def rows() -> Iterator[SignInEvent]:
        # Runs as the response is sent, after the view left the tenant's schema (the stream
        # reads in a transaction of its own, so rows flow from the first).
        with in_tenant(tenant):
            yield from sign_in_event_stream(found)

    return download_response(
        rows=rows(),
        columns=DOWNLOAD_COLUMNS,
        fields=_download_fields(tenant, csv=file_format == "csv"),
        file_format=file_format,
        filename=f"sign-ins-{tenant.domain_name}-{timezone.now():%Y%m%d-%H%M%S}",
    )


@tenant_admin_view(Capability.MANAGE_LOG_SETTINGS)
@require_http_methods(["GET", "POST"])
def sign_in_log_settings(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """How long the tenant keeps its sign-ins (Global Administrator); audited before/after."""
    with in_tenant(tenant):
        before = log_settings().retention_days
    form = LogRetentionForm(
        request.POST if request.method == "POST" else None,
        initial={"retention_days": before},
    )
    if form.is_bound and form.is_valid():
        try:
            with in_tenant(tenant):
                saved = log_settings_save(retention_days=form.cleaned_data["retention_days"])
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            audit(
                request,
                tenant,
                AuditAction.LOG_SETTINGS_UPDATED,
                target=_("Sign-in logs"),
                before={"retention_days": before},
                after={"retention_days": saved.retention_days},
            )
            days = saved.retention_days
            messages.success(
                request,
                ngettext(
                    "Sign-ins are now kept for %(days)s day.",
                    "Sign-ins are now kept for %(days)s days.",
                    days,
                )
                % {"days": days},
            )
            return redirect("admin_center:sign-in-log", tenant.tenant_id)
    return tenant_page(
        request,
        tenant,
        "admin_center/monitoring/settings.html",
        {"form": form, "section": SECTION},
        status=400 if form.is_bound and form.errors else 200,
    )
