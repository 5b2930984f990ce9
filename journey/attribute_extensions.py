"""The attribute page and its flow's custom authentication extensions (issue 14): what the page
tells OnAttributeCollectionStart before it shows and OnAttributeCollectionSubmit after its form
validates (extensions/attribute_collection.py makes the call), and the pages a customer sees
when an extension blocks the sign-up or fails with a listener that stops it. Those pages'
words are here, in the journey, so they are translated with the hosted pages.
"""

from allauth.account.adapter import get_adapter
from allauth.account.stages import LoginStage
from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import translation

from accounts.models import User
from apps import lookups
from extensions.attribute_collection import (
    Callout,
    Identity,
    SignUpAttribute,
    Value,
    Verdict,
    attribute_collection_call,
    callout_refused,
)
from extensions.models import ExtensionEvent
from journey import transaction
from journey.forms import FIELD_PREFIX, ProfileCompletionForm
from journey.sign_in_log import extension_continued_note, interactive_record
from monitoring.reasons import Reason
from userflows.models import UserFlow, UserFlowAttribute


def _attributes(items: list[UserFlowAttribute], values: dict[str, object]) -> list[SignUpAttribute]:
    attributes = []
    for item in items:
        if item.builtin == "email":
            continue
        key = item.builtin or (item.custom_attribute.name if item.custom_attribute else "")
        if not key:
            continue
        data_type = item.custom_attribute.data_type if item.custom_attribute else "string"
        value = values.get(key)
        attributes.append(
            SignUpAttribute(
                key=key,
                builtin=bool(item.builtin),
                data_type=data_type,
                value=value if isinstance(value, str | int | bool) else None,
            )
        )
    return attributes


def _client_ip(request: HttpRequest) -> str:
    try:
        return str(get_adapter(request).get_client_ip(request))
    except (PermissionDenied, ImproperlyConfigured):
        return ""


def _identities(request: HttpRequest, user: User) -> list[Identity]:
    identities = [Identity("email", request.tenant.domain_name, user.email)]  # type: ignore[attr-defined]
    identities += [
        Identity("federated", account.provider, account.uid)
        for account in SocialAccount.objects.filter(user=user)
    ]
    return identities


def collection_call(
    request: HttpRequest,
    *,
    event: ExtensionEvent,
    flow: UserFlow | None,
    user: User,
    items: list[UserFlowAttribute],
    values: dict[str, object],
) -> Callout:
    """The flow's extension for `event` called with the attributes' `values` (by key)."""
    if flow is None:
        return Callout(Verdict.CONTINUE)
    journey = transaction.current(request)
    client_id = journey.client_id if journey is not None else ""
    callout = attribute_collection_call(
        flow=flow,
        event=event,
        tenant_id=str(request.tenant.tenant_id),  # type: ignore[attr-defined]
        app=lookups.client(client_id),
        attributes=_attributes(items, values),
        identities=_identities(request, user),
        locale=translation.get_language() or "",
        ip=_client_ip(request),
        correlation_id=journey.correlation_id if journey is not None else "",
    )
    continued_note(request, callout)
    return callout


def continued_note(request: HttpRequest, callout: Callout) -> None:
    """A failed call whose listener's policy continued is told by the sign-in's success row."""
    call = callout.call
    if callout.verdict == Verdict.CONTINUE and call is not None and call.outcome != "ok":
        extension_continued_note(
            request,
            extension=callout.extension_name,
            event=callout.listener.event if callout.listener is not None else "",
            outcome=str(call.outcome),
        )


def modified_form(
    form: ProfileCompletionForm, values: dict[str, Value], **form_kwargs: object
) -> ProfileCompletionForm:
    """The form bound again with the extension's values in place of the typed ones, so they
    are checked exactly as the customer's are (type, length, options, required)."""
    source = form.data
    data = source.copy() if isinstance(source, QueryDict) else QueryDict(mutable=True)
    for key, value in values.items():
        name = f"{FIELD_PREFIX}{key}"
        field = form.fields.get(name)
        if field is None:
            continue
        if isinstance(value, bool):
            data.setlist(name, ["on"] if value else [])
        elif getattr(field.widget, "allow_multiple_selected", False):
            data.setlist(name, [part for part in str(value).split(",") if part])
        else:
            data.setlist(name, [str(value)])
    return ProfileCompletionForm(data, **form_kwargs)  # type: ignore[arg-type]


def refused(callout: Callout, form: ProfileCompletionForm) -> Callout:
    """The extension's modified values that the form does not accept: the failure policy."""
    problems = "; ".join(
        f"{name.removeprefix(FIELD_PREFIX)}: {' '.join(str(error) for error in errors)}"
        for name, errors in form.errors.items()
    )
    return callout_refused(callout, f"modified values refused: {problems}")


def validation_errors(form: ProfileCompletionForm, callout: Callout) -> None:
    """showValidationError: the message above the form, each attribute's under its field."""
    if callout.message:
        form.add_error(None, callout.message)
    for key, message in callout.attribute_errors.items():
        name = f"{FIELD_PREFIX}{key}"
        form.add_error(name if name in form.fields else None, message)


def stopped_page(
    request: HttpRequest, *, callout: Callout, user: User, stage: LoginStage
) -> HttpResponse:
    """The sign-up ends here: the block page with the extension's message, or the error page
    when the extension failed and its listener stops the sign-up. Recorded in the sign-in log."""
    blocked = callout.verdict == Verdict.BLOCK
    interactive_record(
        request,
        reason=Reason.EXTENSION_BLOCKED if blocked else Reason.EXTENSION_FAILED,
        customer=user,
        details={
            "extension": callout.extension_name,
            "event": callout.listener.event if callout.listener is not None else "",
            "outcome": callout.call.outcome if callout.call is not None else "",
        },
    )
    stage.abort()  # the sign-in under way is dropped: nothing more to continue
    if blocked:
        return render(
            request, "hosted/sign_up_blocked.html", {"message": callout.message}, status=403
        )
    return render(request, "hosted/sign_up_failed.html", status=503)
