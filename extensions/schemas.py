"""Entra's response JSON for each event, checked strictly (issue 14): the data's `@odata.type`,
exactly one action of a known `@odata.type` for the event, and each action's fields with their
types and sizes. Anything else is `InvalidResponse` (the listener's failure policy applies),
never a partly trusted answer.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from extensions.models import ExtensionEvent

# Entra: claims are strings or arrays of strings, at most 3 KB in all.
MAX_CLAIMS_BYTES = 3 * 1024
MAX_MESSAGE = 1024
MAX_VALUE = 1024
MAX_ITEMS = 100

RESPONSE_TYPES: dict[str, str] = {
    ExtensionEvent.TOKEN_ISSUANCE_START: "microsoft.graph.onTokenIssuanceStartResponseData",
    ExtensionEvent.ATTRIBUTE_COLLECTION_START: (
        "microsoft.graph.onAttributeCollectionStartResponseData"
    ),
    ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT: (
        "microsoft.graph.onAttributeCollectionSubmitResponseData"
    ),
    ExtensionEvent.OTP_SEND: "microsoft.graph.OnOtpSendResponseData",
}

# The actions each event accepts, by their `@odata.type`, with our short name for each.
ACTIONS: dict[str, dict[str, str]] = {
    ExtensionEvent.TOKEN_ISSUANCE_START: {
        "microsoft.graph.tokenIssuanceStart.provideClaimsForToken": "provideClaimsForToken",
    },
    ExtensionEvent.ATTRIBUTE_COLLECTION_START: {
        "microsoft.graph.attributeCollectionStart.continueWithDefaultBehavior": (
            "continueWithDefaultBehavior"
        ),
        "microsoft.graph.attributeCollectionStart.setPrefillValues": "setPrefillValues",
        "microsoft.graph.attributeCollectionStart.showBlockPage": "showBlockPage",
    },
    ExtensionEvent.ATTRIBUTE_COLLECTION_SUBMIT: {
        "microsoft.graph.attributeCollectionSubmit.continueWithDefaultBehavior": (
            "continueWithDefaultBehavior"
        ),
        "microsoft.graph.attributeCollectionSubmit.modifyAttributeValues": (
            "modifyAttributeValues"
        ),
        "microsoft.graph.attributeCollectionSubmit.showValidationError": "showValidationError",
        "microsoft.graph.attributeCollectionSubmit.showBlockPage": "showBlockPage",
    },
    ExtensionEvent.OTP_SEND: {
        "microsoft.graph.OtpSend.continueWithDefaultBehavior": "continueWithDefaultBehavior",
    },
}


class InvalidResponse(ValueError):
    """The answer does not match the event's schema; the message says where."""


@dataclass(frozen=True)
class Action:
    """The one action an extension answered: its short name (`provideClaimsForToken`, …) and
    its checked fields: `claims` (str → str | list[str]), `values` (prefill or modified
    attributes: str → str | bool | int), `message`, `attribute_errors` (str → str)."""

    name: str
    claims: dict[str, str | list[str]] = field(default_factory=dict)
    values: dict[str, str | bool | int] = field(default_factory=dict)
    message: str = ""
    attribute_errors: dict[str, str] = field(default_factory=dict)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidResponse(f"{where} must be an object")
    return value


def _text(value: Any, where: str, *, limit: int = MAX_VALUE) -> str:
    if not isinstance(value, str):
        raise InvalidResponse(f"{where} must be a string")
    if len(value) > limit:
        raise InvalidResponse(f"{where} is longer than {limit} characters")
    return value


def _claims(value: Any) -> dict[str, str | list[str]]:
    claims = _object(value, "claims")
    if len(claims) > MAX_ITEMS:
        raise InvalidResponse(f"claims: more than {MAX_ITEMS}")
    checked: dict[str, str | list[str]] = {}
    for name, claim in claims.items():
        if isinstance(claim, str):
            checked[name] = claim
        elif isinstance(claim, list) and all(isinstance(item, str) for item in claim):
            checked[name] = list(claim)
        else:
            raise InvalidResponse(f"claims.{name} must be a string or an array of strings")
    size = len(json.dumps(checked, ensure_ascii=False).encode())
    if size > MAX_CLAIMS_BYTES:
        raise InvalidResponse(f"claims take {size} bytes, more than {MAX_CLAIMS_BYTES}")
    return checked


def _values(value: Any, where: str) -> dict[str, str | bool | int]:
    values = _object(value, where)
    if len(values) > MAX_ITEMS:
        raise InvalidResponse(f"{where}: more than {MAX_ITEMS}")
    checked: dict[str, str | bool | int] = {}
    for name, item in values.items():
        if isinstance(item, str):
            checked[name] = _text(item, f"{where}.{name}")
        elif isinstance(item, bool | int) and not isinstance(item, float):
            checked[name] = item
        else:
            raise InvalidResponse(f"{where}.{name} must be a string, a number or a boolean")
    return checked


def response_action(event: str, body: Any) -> Action:
    """The action of an extension's answer (parsed JSON) to `event`, checked."""
    data = _object(_object(body, "the answer").get("data"), "data")
    expected = RESPONSE_TYPES[event]
    if data.get("@odata.type") != expected:
        raise InvalidResponse(f"data.@odata.type must be {expected}")
    actions = data.get("actions")
    if not isinstance(actions, list) or len(actions) != 1:
        raise InvalidResponse("data.actions must hold exactly one action")
    action = _object(actions[0], "the action")
    name = ACTIONS[event].get(str(action.get("@odata.type")))
    if name is None:
        raise InvalidResponse(
            f"the action's @odata.type must be one of {', '.join(sorted(ACTIONS[event]))}"
        )
    if name == "provideClaimsForToken":
        return Action(name, claims=_claims(action.get("claims")))
    if name == "setPrefillValues":
        return Action(name, values=_values(action.get("inputs"), "inputs"))
    if name == "modifyAttributeValues":
        return Action(name, values=_values(action.get("attributes"), "attributes"))
    if name == "showBlockPage":
        return Action(name, message=_text(action.get("message"), "message", limit=MAX_MESSAGE))
    if name == "showValidationError":
        errors = _object(action.get("attributeErrors", {}), "attributeErrors")
        return Action(
            name,
            message=_text(action.get("message"), "message", limit=MAX_MESSAGE),
            attribute_errors={
                str(key): _text(text, f"attributeErrors.{key}", limit=MAX_MESSAGE)
                for key, text in errors.items()
            },
        )
    return Action(name)
