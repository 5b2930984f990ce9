"""Safe account linking (issue 11): an identity provider's account joins an existing customer
only after the customer has proven that account here. (Entra offers no linking at all.)

When a provider asserts a verified email (and is trusted for email: journey/providers.py) that
belongs to an active customer here, the sign-in through it stores nothing in the database. It
becomes a *link offer* in the session (`CustomerSocialAccountAdapter.pre_social_login`):
allauth's serialized `SocialLogin` without the provider's tokens, the customer and the email it
is for, and the `next` of the sign-in, for LINK_OFFER_SECONDS. The offer page asks the customer
to sign in here once, by password or emailed code, through the ordinary sign-in pages (their
rate limits, their codes, their emails). When that sign-in ends
(`CustomerAccountAdapter.post_login`) as the same customer, with the same email, still active,
the provider's account is connected and the sign-in counts as one through the provider (`idp`).
A sign-in as anyone else, an offer that expired, a cancel: nothing is linked. Every sign-in
ends the offer, linked or not.

Anything else that matches a customer by email (the provider did not verify it, the tenant does
not trust the provider for email, the customer is blocked or deleted) is refused, not offered.
"""

import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from federation.models import IdentityProvider
from journey.selectors import flow_for_request
from userflows.models import SignInMethod

# How long the customer has, from the provider's answer, to prove the account here.
LINK_OFFER_SECONDS = 600
# In the session's data; only this module reads or writes it.
_SESSION_KEY = "ciam.link_offer"
_VERSION = 1


class ProofMethod(StrEnum):
    """How a customer may prove the account an offer is for."""

    PASSWORD = "password"
    CODE = "code"


class Refusal(StrEnum):
    """Why a provider's email that matches a customer here is not offered for linking."""

    UNVERIFIED = "unverified"  # the provider did not say the email is verified
    UNTRUSTED = "untrusted"  # the tenant does not take this provider's word for emails
    NOT_OFFERED = "not_offered"  # the customer may not sign in (blocked or deleted)


@dataclass(frozen=True)
class LinkOffer:
    login: dict[str, Any]  # allauth's SocialLogin.serialize(), its tokens left out
    customer: str  # the customer's primary key, as the session writes it
    email: str  # lower-cased
    provider_name: str
    next_url: str  # a path on this host, or ""
    expires: float


def refusal(
    *, customer: User, provider: IdentityProvider | None, trusted: bool, verified: bool
) -> Refusal | None:
    """Whether a sign-in through `provider` asserting `customer`'s email may be offered for
    linking: None when it may, else why not. `trusted` says the provider is trusted for
    email; `verified`, that it said the email is verified. A blocked or deleted customer is
    never offered, whatever the provider says."""
    if not customer.is_active or customer.deleted_at is not None:
        return Refusal.NOT_OFFERED
    if provider is None or not trusted:
        return Refusal.UNTRUSTED
    if not verified:
        return Refusal.UNVERIFIED
    return None


def offer_make(
    request: HttpRequest, *, sociallogin: SocialLogin, customer: User, provider: IdentityProvider
) -> LinkOffer:
    """Keep the sign-in through `provider` in the session as an offer to link it to `customer`
    (replacing any earlier offer). Nothing is stored in the database. The provider's tokens are
    not kept: the link needs the account (its subject and claims), not access to it."""
    login = sociallogin.serialize()
    login.pop("token", None)
    state = login.get("state") or {}
    login["state"] = {key: state[key] for key in ("process", "next") if key in state}
    offer = LinkOffer(
        login=login,
        customer=customer._meta.pk.value_to_string(customer),
        email=customer.email.lower(),
        provider_name=provider.display_name,
        next_url=_local_path(request, sociallogin.get_redirect_url(request) or ""),
        expires=time.time() + LINK_OFFER_SECONDS,
    )
    offer_keep(request, offer)
    return offer


def offer_keep(request: HttpRequest, offer: LinkOffer) -> None:
    """Store `offer` in the session (again: a sign-in may replace the session's data)."""
    request.session[_SESSION_KEY] = {"v": _VERSION, **asdict(offer)}


def offer_current(request: HttpRequest) -> LinkOffer | None:
    """The session's link offer, or None: none made, expired, or not one this code wrote."""
    stored = request.session.get(_SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("v") != _VERSION:
        return None
    try:
        offer = LinkOffer(
            login=stored["login"],
            customer=stored["customer"],
            email=stored["email"],
            provider_name=stored["provider_name"],
            next_url=stored["next_url"],
            expires=float(stored["expires"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    fits = (
        isinstance(offer.login, dict)
        and isinstance(offer.customer, str)
        and isinstance(offer.email, str)
        and isinstance(offer.provider_name, str)
        and isinstance(offer.next_url, str)
    )
    if not fits or offer.expires <= time.time():
        return None
    return offer


def offer_drop(request: HttpRequest) -> None:
    request.session.pop(_SESSION_KEY, None)


def offer_accept(request: HttpRequest, *, customer: User) -> SocialLogin | None:
    """At the end of a sign-in here (password or code) of `customer`: end the session's offer,
    and if it was made for this very customer (same account, same email, still active and not
    deleted) and has not expired, connect the provider's account to the customer. Returns the
    connected sign-in, or None when nothing was linked: no offer, another customer's, the
    provider no longer offered by the flow, or its account linked meanwhile."""
    offer = offer_current(request)
    offer_drop(request)
    if offer is None:
        return None
    same = (
        offer.customer == customer._meta.pk.value_to_string(customer)
        and customer.email.lower() == offer.email
        and customer.is_active
        and customer.deleted_at is None
    )
    if not same:
        return None
    try:
        # Its provider is looked up among those the flow offers now (the adapter's list_apps).
        sociallogin = SocialLogin.deserialize(offer.login)
    except (ValueError, Http404):
        return None
    account = sociallogin.account
    if SocialAccount.objects.filter(provider=account.provider, uid=account.uid).exists():
        return None
    try:
        with transaction.atomic():
            sociallogin.connect(request, customer)
    except IntegrityError:  # the same account linked by another request meanwhile
        return None
    return sociallogin


def proof_methods(request: HttpRequest, offer: LinkOffer) -> list[ProofMethod]:
    """How the customer may prove the account, the flow's sign-in method first: a flow that
    signs in by emailed code offers the code alone; a password flow offers the password (when
    the account has one) and an emailed code."""
    flow = flow_for_request(request)
    if flow is not None and flow.sign_in_method == SignInMethod.EMAIL_OTP:
        return [ProofMethod.CODE]
    customer = User.objects.filter(pk=offer.customer).first()
    if customer is not None and customer.has_usable_password():
        return [ProofMethod.PASSWORD, ProofMethod.CODE]
    return [ProofMethod.CODE]


def _local_path(request: HttpRequest, url: str) -> str:
    """`url` when it is a path on this host (allauth checked it when the sign-in began; the
    offer page sends the customer there again), else ""."""
    if (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    ):
        return url
    return ""
