"""What the journey tells the sign-in log (issue 13): one row for each attempt on the hosted
pages, through monitoring.records (kept on the request, written after its answer in the one
INSERT the log's middleware makes).

The app signing in (its client ID and its name, from the per-process memory of hot lookups
that the pages have already read it from) and the correlation ID come from the auth
transaction; the customer and what they proved, from the caller, which has them in hand: the
success path reads nothing more from the database.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from accounts.models import User
from apps import lookups
from apps.oidc.acr import MULTIPLE_FACTORS
from journey import transaction
from monitoring.models import ConditionalAccessStatus, SignInKind
from monitoring.reasons import Reason
from monitoring.records import AppliedPolicy, SignInRecord, sign_in_record
from protection.access import AccessDecision

# What the log's "MFA detail" says of the second factor, as Entra names the method.
AUTHENTICATOR_APP = "Authenticator app"
EMAIL_CODE = "Email one-time code"
RECOVERY_CODE = "Recovery code"
PASSKEY = "Passkey"
# A session going on to an app by single sign-on proved its factors when it signed in.
PREVIOUSLY_SATISFIED = "Previously satisfied"


@dataclass(frozen=True)
class PolicyOutcome:
    """What conditional access made of a sign-in, as its row says it."""

    status: ConditionalAccessStatus = ConditionalAccessStatus.NOT_APPLIED
    policies: tuple[AppliedPolicy, ...] = ()
    risk_level: str = ""
    location: str = ""


def policy_outcome(
    decision: AccessDecision, *, risk_level: str, failed: bool = False
) -> PolicyOutcome:
    """Entra's conditional access status (`failed`: the sign-in ended on a policy: blocked,
    or its second factor could not be had), the applied policies with their grant and the
    report-only ones marked, the risk and the named locations the address was found in."""
    grants = decision.applied_grants
    policies = [
        AppliedPolicy(name=name, grant=grants[index] if index < len(grants) else "")
        for index, name in enumerate(decision.applied)
    ]
    policies += [
        AppliedPolicy(name=name, grant=grant, report_only=True)
        for name, grant in decision.report_only
    ]
    if failed:
        status = ConditionalAccessStatus.FAILURE
    elif decision.applied:
        status = ConditionalAccessStatus.SUCCESS
    else:
        status = ConditionalAccessStatus.NOT_APPLIED
    return PolicyOutcome(
        status=status,
        policies=tuple(policies),
        risk_level=risk_level,
        location=", ".join(decision.locations),
    )


def outcome_state(outcome: PolicyOutcome) -> dict[str, Any]:
    """The outcome as JSON, kept with the sign-in held at its second-factor step (the login
    state allauth stashes in the session) until the request that completes it."""
    return {
        "status": outcome.status.value,
        "policies": [[p.name, p.grant, p.report_only] for p in outcome.policies],
        "risk": outcome.risk_level,
        "location": outcome.location,
    }


def outcome_of_state(stored: object) -> PolicyOutcome:
    """`outcome_state` read back; anything else reads as no policy applied."""
    if not isinstance(stored, dict):
        return PolicyOutcome()
    try:
        status = ConditionalAccessStatus(str(stored.get("status")))
    except ValueError:
        return PolicyOutcome()
    policies = tuple(
        AppliedPolicy(name=str(item[0]), grant=str(item[1]), report_only=item[2] is True)
        for item in stored.get("policies", [])
        if isinstance(item, list) and len(item) == 3
    )
    return PolicyOutcome(
        status=status,
        policies=policies,
        risk_level=str(stored.get("risk", "")),
        location=str(stored.get("location", "")),
    )


# Custom extensions that failed while their listener let the sign-in go on (failure policy
# "continue"): noted where it happens, told by the sign-in's success row (`details.extensions`).
# A note made on an earlier request of the journey waits in the session (written only on this
# failure path); one made on the request that completes the sign-in, on the request.
_CONTINUED_SESSION_KEY = "ciam.extensions_continued"
_CONTINUED_ATTRIBUTE = "_ciam_extensions_continued"
_CONTINUED_MAX = 10


def extension_continued_note(
    request: HttpRequest, *, extension: str, event: str, outcome: str
) -> None:
    """An extension failed (`outcome`) and its listener's policy continued without it: the
    success row of this sign-in says so, as Entra's log does."""
    note = {"extension": extension[:100], "event": event, "outcome": outcome, "continued": True}
    notes: list[dict[str, Any]] = getattr(request, _CONTINUED_ATTRIBUTE, [])
    setattr(request, _CONTINUED_ATTRIBUTE, [*notes, note][-_CONTINUED_MAX:])
    session = getattr(request, "session", None)
    if session is not None:
        kept = session.get(_CONTINUED_SESSION_KEY)
        kept = kept if isinstance(kept, list) else []
        session[_CONTINUED_SESSION_KEY] = [*kept, note][-_CONTINUED_MAX:]


def _continued_notes(request: HttpRequest) -> list[dict[str, Any]]:
    """The notes of this sign-in, taken (the session's once, the request's)."""
    session = getattr(request, "session", None)
    kept = session.pop(_CONTINUED_SESSION_KEY, None) if session is not None else None
    notes = [note for note in (kept if isinstance(kept, list) else []) if isinstance(note, dict)]
    for note in getattr(request, _CONTINUED_ATTRIBUTE, []):
        if note not in notes:
            notes.append(note)
    setattr(request, _CONTINUED_ATTRIBUTE, [])
    return notes[-_CONTINUED_MAX:]


def interactive_record(
    request: HttpRequest,
    *,
    reason: Reason,
    customer: User | None = None,
    email: str = "",
    methods: Sequence[str] = (),
    mfa_detail: str = "",
    identity_provider: str = "",
    outcome: PolicyOutcome | None = None,
    kind: SignInKind = SignInKind.INTERACTIVE,
    details: dict[str, Any] | None = None,
) -> None:
    """Keep one attempt of the sign-in under way (call in the tenant's schema): `customer`
    when it is known which account it was, else the `email` typed."""
    journey = transaction.current(request)
    app = lookups.client(journey.client_id) if journey is not None else None
    outcome = outcome or PolicyOutcome()
    if reason == Reason.SUCCESS:
        continued = _continued_notes(request)
        if continued:
            details = {**(details or {}), "extensions": continued}
    sign_in_record(
        SignInRecord(
            kind=kind,
            reason=reason,
            customer_object_id=customer.object_id if customer is not None else None,
            customer_email=customer.email if customer is not None else email.strip(),
            client_id=journey.client_id if journey is not None else "",
            app_name=app.name if app is not None else "",
            methods=tuple(methods),
            mfa_detail=mfa_detail,
            identity_provider=identity_provider,
            conditional_access=outcome.status,
            policies=outcome.policies,
            risk_level=outcome.risk_level,
            location=outcome.location,
            correlation_id=journey.correlation_id if journey is not None else "",
            details=details or {},
        ),
        request=request,
    )


def single_sign_on_record(
    request: HttpRequest,
    *,
    customer: User,
    client_id: str,
    methods: Sequence[str],
    identity_provider: str,
    outcome: PolicyOutcome,
) -> None:
    """A signed-in session going on to the app without a credential (call in the tenant's
    schema): its methods are those of the session's sign-in."""
    app = lookups.client(client_id)
    sign_in_record(
        SignInRecord(
            kind=SignInKind.SINGLE_SIGN_ON,
            reason=Reason.SUCCESS,
            customer_object_id=customer.object_id,
            customer_email=customer.email,
            client_id=client_id,
            app_name=app.name if app is not None else "",
            methods=tuple(methods),
            mfa_detail=PREVIOUSLY_SATISFIED if MULTIPLE_FACTORS in methods else "",
            identity_provider=identity_provider,
            conditional_access=outcome.status,
            policies=outcome.policies,
            risk_level=outcome.risk_level,
            location=outcome.location,
        ),
        request=request,
    )
