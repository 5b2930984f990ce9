"""The emailed one-time code as a second factor: 8 digits, like every code this product sends,
emailed in the app's branding; only its salted hash is kept (in the sign-in's login state, in
the session), for `CODE_SECONDS`; `MAX_ATTEMPTS` wrong entries void it and `MAX_SENDS` codes
per sign-in are sent at most, each send counted against the address's code limit (allauth's
`request_login_code`, shared with the sign-in by code)."""

import hashlib
import hmac
import secrets
import time
from typing import Any

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.http import HttpRequest

from accounts.models import User

CODE_DIGITS = 8
CODE_SECONDS = 600
MAX_ATTEMPTS = 3
MAX_SENDS = 3
EMAIL_TEMPLATE = "mfa/email/second_factor_code"
_STATE_KEY = "email_code"


def _digest(code: str, salt: str) -> str:
    # Keyed and salted: a session row read by someone else does not give the code away, even
    # by trying all 10^8 (the key is the server's).
    key = hashlib.sha256(f"ciam.mfa.email_code:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def email_code_send(request: HttpRequest, *, state: dict[str, Any], user: User) -> bool:
    """Email a new code to the customer's address, replacing any earlier one, and keep its
    hash in `state` (the stage's, saved with the sign-in). False, and nothing sent, when this
    sign-in has had its codes or the address its code limit."""
    previous = state.get(_STATE_KEY) or {}
    sends = int(previous.get("sends", 0))
    if sends >= MAX_SENDS:
        return False
    if not ratelimit.consume(request, action="request_login_code", key=user.email.lower()):
        return False
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    salt = secrets.token_hex(8)
    state[_STATE_KEY] = {
        "digest": _digest(code, salt),
        "salt": salt,
        "expires_at": time.time() + CODE_SECONDS,
        "attempts": 0,
        "sends": sends + 1,
    }
    get_adapter(request).send_mail(
        EMAIL_TEMPLATE,
        user.email,
        {"code": code, "user": user},
    )
    return True


def email_code_pending(state: dict[str, Any]) -> bool:
    """A code was sent and may still be entered (unexpired, attempts left)."""
    sent = state.get(_STATE_KEY)
    return (
        isinstance(sent, dict)
        and time.time() < float(sent.get("expires_at", 0))
        and int(sent.get("attempts", MAX_ATTEMPTS)) < MAX_ATTEMPTS
    )


def email_code_can_resend(state: dict[str, Any]) -> bool:
    sent = state.get(_STATE_KEY) or {}
    return int(sent.get("sends", 0)) < MAX_SENDS


def email_code_verify(state: dict[str, Any], code: str) -> bool:
    """Whether `code` is the pending code (spaces and dashes ignored, compared in constant
    time). A wrong one counts an attempt; a right one is spent."""
    if not email_code_pending(state):
        return False
    sent = state[_STATE_KEY]
    typed = "".join(character for character in code if character not in " -")
    if hmac.compare_digest(_digest(typed, str(sent["salt"])), str(sent["digest"])):
        state[_STATE_KEY] = {"sends": sent.get("sends", 1), "spent": True}
        return True
    sent["attempts"] = int(sent.get("attempts", 0)) + 1
    return False
