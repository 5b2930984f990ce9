"""OnAttributeCollectionStart and OnAttributeCollectionSubmit (issue 14): the call the attribute
page makes to its flow's extension, in Entra's shape, and the extension's answer made into a
`Callout` the page acts on, the listener's failure policy already applied.

The request's `userSignUpInfo.attributes` names each attribute as Entra does (a built-in by its
Microsoft Graph property, `givenName`; a custom one as `extension_<app ID>_<name>`) with its
value typed (`microsoft.graph.stringDirectoryAttributeValue`, `int64…`, `boolean…`) and where
it comes from (`builtIn` or `directorySchemaExtension`). The answer's names are read the same
way; a name the flow does not collect, or a value of the wrong type, is ignored and noted in
the call's error for the replay console.

The messages an extension answers (block page, validation errors) are its own text: it
localises them using the request's `client.locale`, the page's language.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from apps import lookups
from apps.models import AppRegistration
from extensions.client import CallResult, envelope, extension_call, service_principal
from extensions.flow_listeners import flow_listener
from extensions.models import (
    CallOutcome,
    ExtensionCall,
    ExtensionEvent,
    ExtensionListener,
    FailurePolicy,
)
from userflows.models import UserFlow

# Microsoft Graph's property names of the built-in attributes (our User fields → Graph).
GRAPH_NAMES: dict[str, str] = {
    "city": "city",
    "country": "country",
    "display_name": "displayName",
    "email": "email",
    "given_name": "givenName",
    "job_title": "jobTitle",
    "postal_code": "postalCode",
    "state": "state",
    "street_address": "streetAddress",
    "surname": "surname",
}
_ODATA_VALUE_TYPES = {
    "string": "microsoft.graph.stringDirectoryAttributeValue",
    "int": "microsoft.graph.int64DirectoryAttributeValue",
    "boolean": "microsoft.graph.booleanDirectoryAttributeValue",
}

Value = str | int | bool


@dataclass(frozen=True)
class SignUpAttribute:
    """One attribute the flow collects: `key` is the built-in's User field or the custom
    attribute's name; `value` what the page has for it (None: nothing yet)."""

    key: str
    builtin: bool
    data_type: str  # accounts.attributes.DataType
    value: Value | None = None


@dataclass(frozen=True)
class Identity:
    """One of `userSignUpInfo.identities`: `email` with the address, or `federated` with the
    identity provider."""

    sign_in_type: str
    issuer: str
    issuer_assigned_id: str


class Verdict(StrEnum):
    CONTINUE = "continue"  # as if no extension were there
    PREFILL = "prefill"  # Start: `values` fill the form
    MODIFY = "modify"  # Submit: `values` replace the submitted ones (the page checks them)
    VALIDATION_ERROR = "validation_error"  # Submit: `message` and `attribute_errors`
    BLOCK = "block"  # the block page with `message`; the sign-up stops
    FAILED = "failed"  # the extension failed and its listener's policy is to fail


@dataclass(frozen=True)
class Callout:
    """What the page does after its flow's extension answered (values and errors by `key`)."""

    verdict: Verdict
    values: dict[str, Value] = field(default_factory=dict)
    message: str = ""
    attribute_errors: dict[str, str] = field(default_factory=dict)
    listener: ExtensionListener | None = None
    call: ExtensionCall | None = None

    @property
    def extension_name(self) -> str:
        return self.listener.extension.name if self.listener is not None else ""


def attribute_name(attribute: SignUpAttribute) -> str:
    """Entra's name of a collected attribute."""
    if attribute.builtin:
        return GRAPH_NAMES.get(attribute.key, attribute.key)
    return f"extension_{lookups.extensions_app_id().hex}_{attribute.key}"


def _typed(data_type: str, value: object) -> Value | None:
    """`value` as the attribute's data type, or None when it is not of that type."""
    if data_type == "boolean":
        return value if isinstance(value, bool) else None
    if data_type == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        return None
    return value if isinstance(value, str) else None


def _attributes_data(attributes: Sequence[SignUpAttribute]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for attribute in attributes:
        empty: Value = False if attribute.data_type == "boolean" else ""
        data[attribute_name(attribute)] = {
            "@odata.type": _ODATA_VALUE_TYPES.get(
                attribute.data_type, _ODATA_VALUE_TYPES["string"]
            ),
            "value": attribute.value if attribute.value is not None else empty,
            "attributeType": "builtIn" if attribute.builtin else "directorySchemaExtension",
        }
    return data


def _note(call: ExtensionCall, note: str) -> None:
    """Add to the call's error what the page made of its answer (the replay console shows it)."""
    call.error = "; ".join(part for part in (call.error, note) if part)[:512]
    call.save(update_fields=["error"])


def _failed(listener: ExtensionListener, call: ExtensionCall) -> Callout:
    if listener.failure_policy == FailurePolicy.FAIL:
        return Callout(Verdict.FAILED, listener=listener, call=call)
    return Callout(Verdict.CONTINUE, listener=listener, call=call)


def _by_key(
    found: dict[str, Any], attributes: Sequence[SignUpAttribute], *, typed: bool
) -> tuple[dict[str, Any], list[str]]:
    """The answer's entries by our keys, and the names ignored (unknown, or mistyped)."""
    known = {attribute_name(attribute): attribute for attribute in attributes}
    kept: dict[str, Any] = {}
    ignored: list[str] = []
    for name, value in found.items():
        attribute = known.get(name)
        converted = value if attribute is not None and not typed else None
        if attribute is not None and typed:
            converted = _typed(attribute.data_type, value)
        if attribute is None or converted is None:
            ignored.append(name)
            continue
        kept[attribute.key] = converted
    return kept, ignored


def attribute_collection_call(
    *,
    flow: UserFlow | None,
    event: ExtensionEvent,
    tenant_id: str,
    app: AppRegistration | None,
    attributes: Sequence[SignUpAttribute],
    identities: Sequence[Identity],
    locale: str,
    ip: str,
    correlation_id: str,
) -> Callout:
    """Call the flow's extension for `event` (tenant schema), if it has one, and say what the
    page does. Never raises for what the extension does: a failure (timeout, error status,
    malformed or invalid answer) is FAILED or CONTINUE by the listener's failure policy."""
    listener = flow_listener(flow=flow, event=event) if flow is not None else None
    if listener is None:
        return Callout(Verdict.CONTINUE)
    principal = service_principal(app)
    payload = envelope(
        extension=listener.extension,
        listener=listener,
        tenant_id=tenant_id,
        source=f"/tenants/{tenant_id}/applications/{principal['appId']}",
        authentication_context={
            "correlationId": correlation_id,
            "client": {"ip": ip, "locale": locale, "market": locale},
            "protocol": "OAUTH2.0",
            "clientServicePrincipal": principal,
            "resourceServicePrincipal": principal,
        },
        data={
            "userSignUpInfo": {
                "attributes": _attributes_data(attributes),
                "identities": [
                    {
                        "signInType": identity.sign_in_type,
                        "issuer": identity.issuer,
                        "issuerAssignedId": identity.issuer_assigned_id,
                    }
                    for identity in identities
                ],
            }
        },
    )
    result: CallResult = extension_call(
        extension=listener.extension,
        listener=listener,
        payload=payload,
        correlation_id=correlation_id,
    )
    action = result.action
    if action is None:
        return _failed(listener, result.call)
    callout = Callout(Verdict.CONTINUE, listener=listener, call=result.call)
    if action.name == "showBlockPage":
        return replace(callout, verdict=Verdict.BLOCK, message=action.message)
    if action.name in ("setPrefillValues", "modifyAttributeValues"):
        values, ignored = _by_key(action.values, attributes, typed=True)
        if ignored:
            _note(
                result.call,
                f"ignored (not collected by the flow, or not of its type): {', '.join(ignored)}",
            )
        verdict = Verdict.PREFILL if action.name == "setPrefillValues" else Verdict.MODIFY
        return replace(callout, verdict=verdict, values=values)
    if action.name == "showValidationError":
        errors, ignored = _by_key(action.attribute_errors, attributes, typed=False)
        if ignored:
            _note(
                result.call, f"errors of attributes the flow does not collect: {', '.join(ignored)}"
            )
        return replace(
            callout,
            verdict=Verdict.VALIDATION_ERROR,
            message=action.message,
            attribute_errors={key: str(text) for key, text in errors.items()},
        )
    return callout


def callout_refused(callout: Callout, error: str) -> Callout:
    """The page refused the extension's values (modifyAttributeValues that the form does not
    accept): the call is marked invalid with the reason, and the failure policy decides."""
    if callout.call is None or callout.listener is None:
        return Callout(Verdict.CONTINUE)
    callout.call.outcome = CallOutcome.INVALID
    callout.call.save(update_fields=["outcome"])
    _note(callout.call, error)
    return _failed(callout.listener, callout.call)
