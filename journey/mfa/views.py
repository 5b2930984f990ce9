"""The second factor's pages, while SecondFactorStage holds the sign-in (journey/mfa/stages.py).

- `second_factor`: verify an enrolled factor (an authenticator app's code or a recovery code,
  a passkey), or choose among the ways the tenant offers (the emailed code, setting up an
  authenticator app or a passkey);
- `second_factor_email`: the emailed code (journey/mfa/email_code.py);
- `totp_set_up` and `passkey_set_up`: enrolment, through allauth.mfa's TOTP and WebAuthn;
- `recovery_codes`: the recovery codes a new enrolment comes with, shown on this sign-in.

Each page answers only for the sign-in it belongs to (`LoginStageController.enter`), and only
for what the step offers; a proved factor ends the stage and, with the last stage, goes
straight back to the app (`continue_to_app`). Nothing here signs anyone in by itself.
"""

import base64
import json
from typing import Any

from allauth.account.internal.stagekit import stash_login
from allauth.account.stages import LoginStage, LoginStageController
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal.auth import TOTP, clear_totp_secret
from allauth.mfa.webauthn.internal import auth as webauthn
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import User
from apps.oidc.acr import HARDWARE_KEY, ONE_TIME_CODE, SOFTWARE_KEY
from journey.answers import continue_to_app
from journey.mfa.email_code import (
    email_code_can_resend,
    email_code_pending,
    email_code_send,
    email_code_verify,
)
from journey.mfa.forms import PasskeyAddForm, PasskeyForm
from journey.mfa.requirement import StepKind
from journey.mfa.stages import SecondFactorStage
from journey.sign_in_log import (
    AUTHENTICATOR_APP,
    EMAIL_CODE,
    PASSKEY,
    RECOVERY_CODE,
    interactive_record,
    outcome_of_state,
)
from monitoring.reasons import Reason
from protection.methods import SecondFactor, customer_factors


def _stage(request: HttpRequest) -> LoginStage | None:
    stage: LoginStage | None = LoginStageController.enter(request, SecondFactorStage.key)
    return stage


def _elsewhere(request: HttpRequest) -> HttpResponse:
    """Outside the step: a signed-in customer goes home, anyone else to the sign-in."""
    return redirect("customer-home" if request.user.is_authenticated else "account_login")


_KINDS = {kind.value: kind for kind in SecondFactor}


def _offered(stage: LoginStage) -> tuple[SecondFactor, ...]:
    values = stage.state.get("offered", [])
    return tuple(_KINDS[value] for value in values if isinstance(value, str) and value in _KINDS)


def _mode(stage: LoginStage) -> str:
    return str(stage.state.get("mode", StepKind.NONE.value))


def _proved(
    request: HttpRequest, stage: LoginStage, methods: list[str], *, detail: str
) -> HttpResponse:
    """The second factor is proved: the stage ends, and the sign-in goes on (to the app)."""
    stage.state["proved"] = methods
    stage.state["detail"] = detail
    return continue_to_app(request, stage.exit())


def _failed(request: HttpRequest, stage: LoginStage, *, detail: str) -> None:
    """A second factor given and refused, for the sign-in log (the sign-in stays at its step)."""
    first = [value for value in stage.state.get("first", []) if isinstance(value, str)]
    interactive_record(
        request,
        reason=Reason.MFA_FAILED,
        customer=stage.login.user,
        methods=first,
        mfa_detail=detail,
        outcome=outcome_of_state(stage.state.get("outcome")),
    )


def _key_kind(authenticator_data: Any) -> str:
    """`swk` for a passkey that may sync between devices (WebAuthn's backup-eligible flag),
    `hwk` for one bound to its authenticator (RFC 8176)."""
    return SOFTWARE_KEY if authenticator_data.is_backup_eligible() else HARDWARE_KEY


def _has_recovery_codes(stage: LoginStage, user: User) -> bool:
    """Whether the customer has recovery codes, as the stage found them when the step began
    (a step begun before the stage recorded that reads them now)."""
    known = stage.state.get("recovery_codes")
    if isinstance(known, bool):
        return known
    return customer_factors(customer=user).recovery_codes_left is not None


def _base_context(stage: LoginStage, user: User) -> dict[str, Any]:
    return {"customer": user, "offered": [kind.value for kind in _offered(stage)]}


@never_cache
@sensitive_post_parameters("code")
def second_factor(request: HttpRequest) -> HttpResponse:
    """Verify an enrolled factor, or choose how to get one."""
    stage = _stage(request)
    if stage is None:
        return _elsewhere(request)
    user: User = stage.login.user
    offered = _offered(stage)
    mode = _mode(stage)
    if mode == StepKind.CHALLENGE and offered == (SecondFactor.EMAIL_OTP,):
        return redirect("account-second-factor-email")
    challenge = mode == StepKind.CHALLENGE
    recovery_codes = _has_recovery_codes(stage, user)
    # Recovery codes stand in for an enrolled authenticator app or passkey.
    takes_code = challenge and (SecondFactor.TOTP in offered or recovery_codes)
    takes_passkey = challenge and SecondFactor.PASSKEY in offered
    code_form = AuthenticateForm(user=user) if takes_code else None
    passkey_form = PasskeyForm(user=user) if takes_passkey else None
    if request.method == "POST":
        if request.POST.get("action") == "email" and mode == StepKind.ENROL:
            if SecondFactor.EMAIL_OTP in offered:
                email_code_send(request, state=stage.state, user=user)
                stash_login(request, stage.login)
                return redirect("account-second-factor-email")
        elif "code" in request.POST and takes_code:
            code_form = AuthenticateForm(user=user, data=request.POST)
            if code_form.is_valid():
                used = code_form.authenticator
                if used.type == Authenticator.Type.TOTP and SecondFactor.TOTP not in offered:
                    code_form.add_error("code", get_mfa_adapter().error_messages["incorrect_code"])
                else:
                    code_form.save()
                    detail = (
                        AUTHENTICATOR_APP if used.type == Authenticator.Type.TOTP else RECOVERY_CODE
                    )
                    return _proved(request, stage, [ONE_TIME_CODE], detail=detail)
            # A code that is neither the app's nor a recovery code: which one was meant, the
            # code does not say.
            _failed(
                request,
                stage,
                detail=AUTHENTICATOR_APP if SecondFactor.TOTP in offered else RECOVERY_CODE,
            )
        elif "credential" in request.POST and takes_passkey:
            passkey_form = PasskeyForm(user=user, data=request.POST)
            if passkey_form.is_valid():  # the assertion verified, so its JSON parses
                assertion = webauthn.parse_authentication_response(
                    json.loads(request.POST["credential"])
                )
                passkey_form.save()
                kind = _key_kind(assertion.response.authenticator_data)
                return _proved(request, stage, [kind], detail=PASSKEY)
            _failed(request, stage, detail=PASSKEY)
    context = _base_context(stage, user)
    context.update(
        {
            "challenge": challenge,
            "code_form": code_form,
            "takes_totp": SecondFactor.TOTP in offered,
            "passkey_form": passkey_form,
            "recovery_codes": recovery_codes,
        }
    )
    if passkey_form is not None:
        context["js_data"] = {"request_options": webauthn.begin_authentication(user)}
    status = 400 if request.method == "POST" else 200
    return render(request, "hosted/second_factor.html", context, status=status)


@never_cache
@sensitive_post_parameters("code")
def second_factor_email(request: HttpRequest) -> HttpResponse:
    """The emailed code: enter it, or have another sent."""
    stage = _stage(request)
    if stage is None:
        return _elsewhere(request)
    if SecondFactor.EMAIL_OTP not in _offered(stage):
        return redirect("account-second-factor")
    user: User = stage.login.user
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "resend":
            if not email_code_send(request, state=stage.state, user=user):
                error = _("No more codes can be sent now. Cancel, then sign in again later.")
            stash_login(request, stage.login)
        else:
            if email_code_verify(stage.state, request.POST.get("code", "")):
                return _proved(request, stage, [ONE_TIME_CODE], detail=EMAIL_CODE)
            _failed(request, stage, detail=EMAIL_CODE)
            stash_login(request, stage.login)
            error = (
                _("That code is not right. Check the email and try again.")
                if email_code_pending(stage.state)
                else _("That code can no longer be used. Send a new one.")
            )
    return render(
        request,
        "hosted/second_factor_email.html",
        {
            **_base_context(stage, user),
            "error": error,
            "can_resend": email_code_can_resend(stage.state),
        },
        status=400 if error else 200,
    )


@never_cache
@sensitive_post_parameters("code")
def totp_set_up(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: its QR code and secret (allauth.mfa's, kept in the session
    until the app's first code proves it), then the recovery codes."""
    stage = _stage(request)
    if stage is None:
        return _elsewhere(request)
    if _mode(stage) != StepKind.ENROL or SecondFactor.TOTP not in _offered(stage):
        return redirect("account-second-factor")
    user: User = stage.login.user
    form = ActivateTOTPForm(user=user, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            TOTP.activate(user, form.secret)
            RecoveryCodes.activate(user)
        clear_totp_secret(request)
        return _enrolled(request, stage, [ONE_TIME_CODE])
    adapter = get_mfa_adapter()
    url = adapter.build_totp_url(user, form.secret)
    svg = adapter.build_totp_svg(url)
    return render(
        request,
        "hosted/second_factor_totp.html",
        {
            **_base_context(stage, user),
            "form": form,
            "secret": form.secret,
            "totp_url": url,
            "qr_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
        },
        status=400 if form.is_bound else 200,
    )


@never_cache
def passkey_set_up(request: HttpRequest) -> HttpResponse:
    """Set up a passkey (allauth.mfa's WebAuthn registration), then the recovery codes."""
    stage = _stage(request)
    if stage is None:
        return _elsewhere(request)
    if _mode(stage) != StepKind.ENROL or SecondFactor.PASSKEY not in _offered(stage):
        return redirect("account-second-factor")
    user: User = stage.login.user
    form = PasskeyAddForm(user=user, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        credential = form.cleaned_data["credential"]
        with transaction.atomic():
            added = webauthn.WebAuthn.add(user, form.cleaned_data["name"], credential)
            RecoveryCodes.activate(user)
        return _enrolled(request, stage, [_key_kind(added.authenticator_data)])
    return render(
        request,
        "hosted/second_factor_passkey.html",
        {
            **_base_context(stage, user),
            "form": form,
            "js_data": {"creation_options": webauthn.begin_registration(user, False)},
        },
        status=400 if form.is_bound else 200,
    )


def _enrolled(request: HttpRequest, stage: LoginStage, methods: list[str]) -> HttpResponse:
    """A new factor, proved by its first use: next, the recovery codes that come with it."""
    stage.state["enrolled"] = methods
    stash_login(request, stage.login)
    return redirect("account-second-factor-recovery-codes")


@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes of a factor enrolled in this sign-in, shown on this step (and on no
    later page: the customer makes new ones to see them again); Continue ends the step."""
    stage = _stage(request)
    if stage is None:
        return _elsewhere(request)
    enrolled = [value for value in stage.state.get("enrolled", []) if isinstance(value, str)]
    if not enrolled:
        return redirect("account-second-factor")
    if request.method == "POST":
        kind = enrolled[0] if enrolled else ""
        return _proved(
            request, stage, enrolled, detail=AUTHENTICATOR_APP if kind == ONE_TIME_CODE else PASSKEY
        )
    user: User = stage.login.user
    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    codes: list[str] = []
    if authenticator is not None:
        wrapped = authenticator.wrap()
        codes = list(wrapped.get_unused_codes())
        wrapped.mark_as_viewed()
    return render(
        request,
        "hosted/second_factor_recovery_codes.html",
        {**_base_context(stage, user), "codes": codes},
    )
