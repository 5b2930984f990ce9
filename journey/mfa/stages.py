"""The second factor's login stages (journey/stages.py explains the stages).

`SecondFactorStage` runs after allauth's own stages (the first factor, the code and email
verification) and before the journey's steps: it asks the tenant's policies
(`protection.access.access_evaluate`), decides the step (journey/mfa/requirement.py), and ends
the sign-in there (blocked, or a second factor that cannot be had), lets it through, or sends
the customer to the second factor's pages (journey/mfa/views.py), which end it with `exit()`.
It replaces allauth's own MFA stage, which would ask every enrolled customer whatever the
tenant's methods and knows nothing of policies or apps.

`SignInMethodsStage` comes last of all: it reads what the sign-in proved (its first factor, the
second one if any) for the account adapter, which records it in the session as the sign-in
completes (apps/oidc/sessions.py), for the tokens' `amr` and `acr`, and in the sign-in log's
success row with what the policies made of it (`sign_in_proof`).

`session_meets_policies` asks the same policies when a signed-in session goes on to another app
by single sign-on (the authorization endpoint, through journey/seam.py). Each decision, at a
sign-in or at single sign-on, is told for the sign-in log
(`protection.access.sign_in_evaluation_report`), and the sign-in log keeps its row
(journey/sign_in_log.py): a sign-in the policies end, a single sign-on they let through.
"""

from dataclasses import dataclass, field
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.stages import LoginStage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.models import User
from apps.oidc import sessions
from apps.oidc.acr import MULTIPLE_FACTORS, UNMET_AUTHENTICATION_REQUIREMENTS, amr_ordered
from apps.oidc.sign_in import authorization_error
from journey import transaction
from journey.mfa.email_code import email_code_send
from journey.mfa.requirement import StepKind, first_factor_of, second_factor_step
from journey.selectors import flow_for_request
from journey.sign_in_log import (
    EMAIL_CODE,
    PolicyOutcome,
    interactive_record,
    outcome_of_state,
    outcome_state,
    policy_outcome,
    single_sign_on_record,
)
from monitoring.reasons import Reason
from protection.access import (
    AccessDecision,
    RiskLevel,
    SignInContext,
    SignInEvaluation,
    access_evaluate,
    sign_in_evaluation_report,
)
from protection.methods import SecondFactor, customer_factors
from protection.risk import sign_in_risk
from protection.selectors import authentication_methods_policy
from userflows.models import SignInMethod

# Set on the request by SignInMethodsStage, read by the account adapter in the same request.
_PROOF_ATTRIBUTE = "_ciam_sign_in_proof"
# Set on the request by SignInMethodsStage too: the app whose policies the sign-in asked.
_POLICIES_ASKED_ATTRIBUTE = "_ciam_policies_asked_for"


def policies_decide(
    request: HttpRequest, *, customer: User, client_id: str | None
) -> tuple[AccessDecision, RiskLevel]:
    """What the tenant's conditional access policies decide about the customer signing in to
    the app (None: no app) from the request's client address, at the risk that source carries
    (protection.risk); and that risk."""
    risk = sign_in_risk(request, customer.email)
    decision = access_evaluate(
        SignInContext(
            customer_id=customer.pk,
            client_id=client_id,
            address=get_adapter(request).get_client_ip(request),
            risk=risk,
        )
    )
    return decision, risk


def session_meets_policies(request: HttpRequest, *, customer: User, client_id: str) -> bool:
    """Single sign-on: whether the customer's signed-in session may go on to the app without
    signing in again. The policies are asked as at a sign-in, since a session signed in for one
    app carries none of another app's policies (Entra, too, evaluates them at each app). When
    they block the app, or require two factors of a session whose sign-in proved one, the
    customer signs in again, and SecondFactorStage then ends that sign-in on the blocked page
    or asks for the second factor. Reported like a sign-in's decision (`single_sign_on`,
    result `none` or `sign_in_again`). A session let through is the sign-in log's single
    sign-on row; one that must sign in again has the rows of that sign-in."""
    if getattr(request, _POLICIES_ASKED_ATTRIBUTE, None) == client_id:
        # This request completes a sign-in to this very app, whose stage asked them already.
        return True
    decision, risk = policies_decide(request, customer=customer, client_id=client_id)
    methods = sessions.sign_in_methods(request)
    again = decision.block or (decision.require_mfa and MULTIPLE_FACTORS not in methods)
    sign_in_evaluation_report(
        request=request,
        evaluation=SignInEvaluation(
            customer_object_id=str(customer.object_id),
            client_id=client_id,
            single_sign_on=True,
            decision=decision,
            result="sign_in_again" if again else StepKind.NONE.value,
        ),
    )
    if not again:
        single_sign_on_record(
            request,
            customer=customer,
            client_id=client_id,
            methods=methods,
            identity_provider=sessions.sign_in_identity_provider(request),
            outcome=policy_outcome(decision, risk_level=risk.value),
        )
    return not again


class SecondFactorStage(LoginStage):  # type: ignore[misc]
    """The second factor, where one is asked. Its state (saved with the sign-in): `first`,
    the first factor's `amr` values; `two_factors`, whether they already count as two;
    `mode` and `offered`, the step; `recovery_codes`, whether the customer had recovery codes
    (the step's pages offer them without reading the factors again: a code typed is checked
    against the database all the same); `proved`, the second factor's `amr` values once
    proved, and `detail`, which factor that was (the sign-in log's MFA detail); `outcome`,
    what the policies made of the sign-in, for its row in the sign-in log
    (journey/sign_in_log.py), and `client_id`, the app they were asked about."""

    key = "ciam_second_factor"
    urlname = "account-second-factor"

    def handle(self) -> tuple[HttpResponse | None, bool]:
        user = self.login.user
        if user is None:
            return None, True
        journey = transaction.current(self.request)
        policy = authentication_methods_policy()
        flow = flow_for_request(self.request)
        first = first_factor_of(
            self.request,
            self.login,
            policy=policy,
            code_flow=flow is not None and flow.sign_in_method == SignInMethod.EMAIL_OTP,
        )
        client_id = journey.client_id if journey is not None else None
        decision, risk = policies_decide(self.request, customer=user, client_id=client_id)
        factors = customer_factors(customer=user)
        step = second_factor_step(
            decision=decision,
            mfa_asked=journey is not None and journey.mfa_asked,
            mfa_essential=journey is not None and journey.mfa_essential,
            policy=policy,
            factors=factors,
            first=first,
        )
        sign_in_evaluation_report(
            request=self.request,
            evaluation=SignInEvaluation(
                customer_object_id=str(user.object_id),
                client_id=client_id,
                single_sign_on=False,
                decision=decision,
                result=step.kind.value,
            ),
        )
        ended = _ENDED_BY.get(step.kind)
        outcome = policy_outcome(
            decision,
            risk_level=risk.value,
            failed=ended is not None and step.kind != StepKind.UNMET_FOR_APP,
        )
        self.state.update(
            {
                "first": list(first.methods),
                "two_factors": first.two_factors,
                "mode": step.kind.value,
                "offered": [kind.value for kind in step.offered],
                "recovery_codes": factors.recovery_codes_left is not None,
                "proved": [],
                "outcome": outcome_state(outcome),
                "client_id": client_id,
            }
        )
        if step.kind == StepKind.NONE:
            return None, True
        if ended is not None:
            interactive_record(
                self.request, reason=ended, customer=user, methods=first.methods, outcome=outcome
            )
        if step.kind == StepKind.BLOCK:
            return render(self.request, "hosted/sign_in_blocked.html", status=403), False
        if step.kind == StepKind.UNMET_FOR_APP and journey is not None:
            transaction.finish(self.request)
            return authorization_error(
                redirect_uri=journey.redirect_uri,
                state=journey.state,
                error=UNMET_AUTHENTICATION_REQUIREMENTS,
                description="This sign-in cannot have the second factor the app requires.",
            ), False
        if step.kind in (StepKind.UNMET_BY_POLICY, StepKind.UNMET_FOR_APP):
            return render(self.request, "hosted/second_factor_unavailable.html", status=403), False
        if step.offered == (SecondFactor.EMAIL_OTP,):
            # The one way on: the code goes out now, and its page asks for it.
            email_code_send(self.request, state=self.state, user=user)
            return HttpResponseRedirect(reverse("account-second-factor-email")), True
        return HttpResponseRedirect(reverse(self.urlname)), True


# The steps that end a sign-in, and the reason the sign-in log gives.
_ENDED_BY = {
    StepKind.BLOCK: Reason.POLICY_BLOCKED,
    StepKind.UNMET_BY_POLICY: Reason.MFA_UNAVAILABLE,
    StepKind.UNMET_FOR_APP: Reason.MFA_UNAVAILABLE,
}


@dataclass(frozen=True)
class SignInProof:
    """What the sign-in a request completes proved: its `amr` values, which second factor
    (the sign-in log's MFA detail), and what conditional access made of it."""

    methods: tuple[str, ...] = ()
    mfa_detail: str = ""
    outcome: PolicyOutcome = field(default_factory=PolicyOutcome)


class SignInMethodsStage(LoginStage):  # type: ignore[misc]
    """Last of all: what the sign-in proved, handed to the account adapter (`sign_in_methods`)
    in the request that signs the customer in; and the app whose policies SecondFactorStage
    asked, so that the authorization request this request answers next, for that app, is not
    asked them again (`session_meets_policies`)."""

    key = "ciam_sign_in_methods"

    def handle(self) -> tuple[HttpResponse | None, bool]:
        second = self.controller.get_stage(SecondFactorStage.key)
        state: dict[str, Any] = second.state if second is not None else {}
        first = [value for value in state.get("first", []) if isinstance(value, str)]
        proved = [value for value in state.get("proved", []) if isinstance(value, str)]
        methods = [*first, *proved]
        detail = state.get("detail") if proved else None
        if state.get("two_factors") is True and not proved:
            detail = EMAIL_CODE  # a sign-up whose address was proved by the emailed code
        if proved or state.get("two_factors") is True:
            methods.append(MULTIPLE_FACTORS)
        proof = SignInProof(
            methods=amr_ordered(methods),
            mfa_detail=detail if isinstance(detail, str) else "",
            outcome=outcome_of_state(state.get("outcome")),
        )
        setattr(self.request, _PROOF_ATTRIBUTE, proof)
        client_id = state.get("client_id")
        if isinstance(client_id, str):
            setattr(self.request, _POLICIES_ASKED_ATTRIBUTE, client_id)
        return None, True


def sign_in_proof(request: HttpRequest) -> SignInProof:
    """What the sign-in this request completes proved (SignInMethodsStage), nothing for a
    request that completes none."""
    proof = getattr(request, _PROOF_ATTRIBUTE, None)
    return proof if isinstance(proof, SignInProof) else SignInProof()
