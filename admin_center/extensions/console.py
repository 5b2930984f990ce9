"""The replay console of an extension (issue 14): its last calls (sign-ins', tests' and
replays'), each call's request as sent (one-time codes redacted) and its answer, "Send a test
event" (the event's sample request, or a recorded one) and "Replay this call" (a recorded
request against the extension's current URL). Sending is a POST, audited; whatever the
extension does (no answer, an error status, a bad answer) is shown as the call's outcome.
"""

import json
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from admin_center.access import tenant_admin_view
from admin_center.audit import audit
from admin_center.extensions.forms import ORIGINS, SAMPLE, TestEventForm
from admin_center.extensions.registrations import (
    SECTION,
    extension_or_404,
    extension_target,
    token_facts,
    url_for_log,
)
from admin_center.pages import operation_of, tenant_page
from extensions.client import CallResult
from extensions.models import CallOutcome, CustomAuthenticationExtension, ExtensionEvent
from extensions.samples import sample_request
from extensions.selectors import extension_call_get, extension_calls
from extensions.services import extension_test
from tenants.models import AuditAction, Tenant
from tenants.permissions import Capability
from tenants.schemas import in_tenant


def _announce(request: HttpRequest, result: CallResult) -> None:
    if result.action is not None:
        messages.success(
            request,
            _("The extension answered with %(action)s.") % {"action": result.action.name},
        )
    else:
        messages.error(
            request,
            _("The call failed: %(outcome)s. %(error)s")
            % {"outcome": CallOutcome(result.outcome).label, "error": result.error},
        )


def _audit_sent(
    request: HttpRequest,
    tenant: Tenant,
    extension: CustomAuthenticationExtension,
    result: CallResult,
    *,
    origin: str,
    replayed: int | None,
) -> None:
    details: dict[str, object] = {
        "origin": origin,
        "target_url": url_for_log(extension.target_url),
        "outcome": result.outcome,
        "status": result.call.response_status,
    }
    if replayed is not None:
        details["replayed_call"] = replayed
    audit(
        request,
        tenant,
        AuditAction.EXTENSION_TESTED,
        target=extension_target(extension),
        details=details,
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def extension_console(request: HttpRequest, tenant: Tenant, extension_id: UUID) -> HttpResponse:
    with in_tenant(tenant):
        extension = extension_or_404(extension_id)
        calls = list(extension_calls(extension=extension))
        listeners = extension.listeners.count()
    return tenant_page(
        request,
        tenant,
        "admin_center/extensions/console.html",
        {
            "extension": extension,
            "event_label": ExtensionEvent(extension.event).label,
            "calls": [(call, ORIGINS.get(call.origin, call.origin)) for call in calls],
            "listeners": listeners,
            "form": TestEventForm(calls=calls),
            "token": token_facts(tenant, extension),
            "section": SECTION,
        },
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:extension-console", "extension_id")
def extension_test_send(
    request: HttpRequest, tenant: Tenant, extension_id: UUID
) -> HttpResponseBase:
    """Send the sample request, or a recorded call's request, with origin "test"."""
    with in_tenant(tenant):
        extension = extension_or_404(extension_id)
        calls = list(extension_calls(extension=extension))
        form = TestEventForm(request.POST, calls=calls)
        result = None
        replayed = None
        if form.is_valid():
            chosen = form.cleaned_data["request"]
            if chosen == SAMPLE:
                payload = sample_request(extension=extension, tenant_id=str(tenant.tenant_id))
            else:
                replayed = int(chosen)
                payload = next(call for call in calls if call.pk == replayed).request_body
            result = extension_test(extension=extension, payload=payload, origin="test")
    if result is None:
        messages.error(request, _("Choose the request to send."))
        return redirect("admin_center:extension-console", tenant.tenant_id, extension_id)
    _audit_sent(request, tenant, extension, result, origin="test", replayed=replayed)
    _announce(request, result)
    return redirect(
        "admin_center:extension-call", tenant.tenant_id, extension.extension_id, result.call.pk
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@require_GET
def extension_call_detail(
    request: HttpRequest, tenant: Tenant, extension_id: UUID, call_id: int
) -> HttpResponse:
    """One call: the request as sent, the answer as received, the outcome and its reason."""
    with in_tenant(tenant):
        extension = extension_or_404(extension_id)
        call = extension_call_get(extension=extension, call_id=call_id)
        if call is None:
            raise Http404
    response_json = ""
    if call.response_body:
        try:
            response_json = json.dumps(json.loads(call.response_body), indent=2)
        except ValueError:
            response_json = ""
    return tenant_page(
        request,
        tenant,
        "admin_center/extensions/call.html",
        {
            "extension": extension,
            "call": call,
            "origin": ORIGINS.get(call.origin, call.origin),
            "request_json": json.dumps(call.request_body, indent=2, ensure_ascii=False),
            "response_json": response_json,
            "section": SECTION,
        },
    )


@tenant_admin_view(Capability.MANAGE_APPS)
@operation_of("admin_center:extension-call", "extension_id", "call_id")
def extension_call_replay(
    request: HttpRequest, tenant: Tenant, extension_id: UUID, call_id: int
) -> HttpResponseBase:
    """Send a recorded call's request again, to the extension's current URL (origin
    "replay"). One-time codes were never stored: the replay sends the redacted value."""
    with in_tenant(tenant):
        extension = extension_or_404(extension_id)
        call = extension_call_get(extension=extension, call_id=call_id)
        if call is None:
            raise Http404
        result = extension_test(extension=extension, payload=call.request_body, origin="replay")
    _audit_sent(request, tenant, extension, result, origin="replay", replayed=call.pk)
    _announce(request, result)
    return redirect(
        "admin_center:extension-call", tenant.tenant_id, extension.extension_id, result.call.pk
    )
