"""The auth transaction: the authorization request a customer is in the middle of, from the
moment the authorization endpoint sends them to the hosted pages until it answers the app.

One typed value, `AuthTransaction`, kept in the tenant's session under one key that only this
module reads or writes (`begin`, `current`, `finish`, and `signed_in`, which the account
adapter calls when the customer signs in on the way). The session stores JSON: the value is
written as a dict of plain types and read back strictly, so a malformed, foreign or stale value
reads as no transaction at all (the hosted pages then serve no app, as for a customer who came
to them directly), never as an error.
"""

import dataclasses
import re
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from apps.oidc.sign_in import SignInRequest
from monitoring.records import correlation_id_set

_SESSION_KEY = "ciam.auth"
# Bumped when the stored shape changes: a value written by another version reads as none.
_VERSION = 3
# A transaction that says it began this far in the future was not written by us (the web
# nodes' clocks agree to within a second or two).
_CLOCK_SKEW_SECONDS = 60
# What the transaction keeps of a request, at most: it lives in a session row, and a request
# crafted by anyone (the browser follows links from any site) must not make that row large.
_MAX_TEXT = 512
_MAX_ITEMS = 20
_MAX_HINT = 254
# BCP 47 language tags as OIDC Core §3.1.2.1 sends them in `ui_locales` ("fr-CA", "en").
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,4}")


@dataclass(frozen=True)
class AuthTransaction:
    """One authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) that the authorization
    endpoint validated and then had to interrupt to ask the customer to sign in.

    `user_flow` is the app's user flow when the transaction began (the hosted pages run that
    flow to the end); `fresh_sign_in` says the app asked for a new sign-in (`prompt=login` or
    `select_account`, or a `max_age` the current sign-in exceeds) and `signed_in_at` when the
    customer signed in during this transaction, if they have. Times are Unix seconds.
    `mfa_asked` says the app asked for two factors (`acr_values` or an `acr` claim),
    `mfa_essential` that it asked as an essential claim (met, or the app is told it was not).
    `correlation_id` names the sign-in journey in the sign-in log: every row recorded while
    the transaction is read carries it (monitoring.records.correlation_id_set).
    """

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    nonce: str
    code_challenge: str
    code_challenge_method: str
    prompt: tuple[str, ...]
    max_age: int | None
    login_hint: str
    ui_locales: tuple[str, ...]
    user_flow: uuid.UUID | None
    began_at: float
    fresh_sign_in: bool = False
    signed_in_at: float | None = None
    mfa_asked: bool = False
    mfa_essential: bool = False
    correlation_id: str = ""

    @property
    def awaits_fresh_sign_in(self) -> bool:
        """The app asked for a fresh sign-in and the customer has not signed in since."""
        return self.fresh_sign_in and self.signed_in_at is None


def begin(request: HttpRequest, sign_in: SignInRequest) -> AuthTransaction:
    """Start the transaction of an authorization request the endpoint has validated (as the
    protocol hands it over, apps/oidc/sign_in.py), replacing any earlier one of this session (a
    browser runs one sign-in at a time).

    Every value is bounded (texts cut at 512 characters, at most 20 scopes, prompts and
    languages); `ui_locales` keeps only what reads as a BCP 47 tag, in the app's order.
    """
    transaction = AuthTransaction(
        client_id=sign_in.client_id[:_MAX_TEXT],
        redirect_uri=sign_in.redirect_uri[:_MAX_TEXT],
        scopes=tuple(scope[:_MAX_TEXT] for scope in sign_in.scopes[:_MAX_ITEMS]),
        state=sign_in.state[:_MAX_TEXT],
        nonce=sign_in.nonce[:_MAX_TEXT],
        code_challenge=sign_in.code_challenge[:_MAX_TEXT],
        code_challenge_method=sign_in.code_challenge_method[:_MAX_TEXT],
        prompt=tuple(value[:_MAX_TEXT] for value in sign_in.prompt[:_MAX_ITEMS]),
        max_age=sign_in.max_age,
        login_hint=sign_in.login_hint[:_MAX_HINT],
        ui_locales=tuple(tag for tag in sign_in.ui_locales if _LANGUAGE_TAG.fullmatch(tag))[
            :_MAX_ITEMS
        ],
        user_flow=sign_in.user_flow,
        began_at=time.time(),
        fresh_sign_in=sign_in.fresh_sign_in,
        mfa_asked=sign_in.mfa_asked,
        mfa_essential=sign_in.mfa_essential,
        correlation_id=str(uuid.uuid4()),
    )
    _store(request, transaction)
    correlation_id_set(request, transaction.correlation_id)
    return transaction


def current(request: HttpRequest) -> AuthTransaction | None:
    """This session's transaction, or None: none begun, finished, malformed, written by
    another version, or older than `CIAM_AUTH_TRANSACTION_SECONDS`. Reads only the session;
    the request's sign-in log rows take the transaction's correlation ID."""
    transaction = _read(request.session.get(_SESSION_KEY))
    if transaction is None:
        return None
    age = time.time() - transaction.began_at
    if age > settings.CIAM_AUTH_TRANSACTION_SECONDS or age < -_CLOCK_SKEW_SECONDS:
        return None
    correlation_id_set(request, transaction.correlation_id)
    return transaction


def signed_in(request: HttpRequest, *, transaction: AuthTransaction) -> AuthTransaction:
    """Record that the customer signed in during `transaction`, and keep it in the session
    that sign-in made (Django replaces the session's key, or the whole session when another
    account signs in, on every sign-in)."""
    done = dataclasses.replace(transaction, signed_in_at=time.time())
    _store(request, done)
    return done


def finish(request: HttpRequest) -> None:
    """End the transaction: the authorization endpoint answered the app. (A session without
    one is not written to.)"""
    request.session.pop(_SESSION_KEY, None)


def _store(request: HttpRequest, transaction: AuthTransaction) -> None:
    # JSON's own types, as the session serializer stores them: read back in this very request
    # (the session keeps the object until it is saved) the value must look the same.
    stored: dict[str, object] = {
        field.name: getattr(transaction, field.name) for field in dataclasses.fields(transaction)
    }
    for name in ("scopes", "prompt", "ui_locales"):
        stored[name] = list(getattr(transaction, name))
    stored["user_flow"] = str(transaction.user_flow) if transaction.user_flow else None
    stored["v"] = _VERSION
    request.session[_SESSION_KEY] = stored


def _read(stored: object) -> AuthTransaction | None:
    if not isinstance(stored, dict) or stored.get("v") != _VERSION:
        return None
    try:
        flow = stored["user_flow"]
        return AuthTransaction(
            client_id=_text(stored["client_id"]),
            redirect_uri=_text(stored["redirect_uri"]),
            scopes=_texts(stored["scopes"]),
            state=_text(stored["state"]),
            nonce=_text(stored["nonce"]),
            code_challenge=_text(stored["code_challenge"]),
            code_challenge_method=_text(stored["code_challenge_method"]),
            prompt=_texts(stored["prompt"]),
            max_age=None if stored["max_age"] is None else _whole(stored["max_age"]),
            login_hint=_text(stored["login_hint"]),
            ui_locales=_texts(stored["ui_locales"]),
            user_flow=None if flow is None else uuid.UUID(_text(flow)),
            began_at=_seconds(stored["began_at"]),
            fresh_sign_in=_flag(stored["fresh_sign_in"]),
            signed_in_at=(
                None if stored["signed_in_at"] is None else _seconds(stored["signed_in_at"])
            ),
            mfa_asked=_flag(stored["mfa_asked"]),
            mfa_essential=_flag(stored["mfa_essential"]),
            correlation_id=_text(stored["correlation_id"])[:64],
        )
    except (KeyError, TypeError, ValueError):
        return None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError
    return tuple(_text(item) for item in value)


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return float(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value
