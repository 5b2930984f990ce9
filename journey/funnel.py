"""Sign-up drop-off for the usage insights (issue 13): each step of a self-service sign-up is
counted once, in the user flow the sign-up runs (`monitoring.usage.sign_up_step_count`, one
upsert; no log row):

- **started**: the account is made, the sign-up's first step done (allauth's `user_signed_up`:
  the sign-up form took a new address and its code is being sent, or an identity provider's
  first sign-in). An address that already has an account starts nothing: allauth answers it
  as a new one (enumeration prevention) and no account is made;
- **email verified**: the code was accepted (allauth's `email_confirmed`), or, through an
  identity provider trusted for email, at once;
- **completed**: the flow's attribute page is done (`sign_up_completed`, called by
  `journey.views.profile_completion`), or, where nothing was left to ask, with the step before.

Which sign-up a step belongs to is kept in the session (`ciam.sign_up`: the flow, its name and
the new account) from the first step to the last, so a step is counted only for the sign-up
that started there, in that sign-up's flow.
"""

import logging
from typing import Any

from allauth.account.models import EmailAddress
from django.db import DatabaseError, transaction
from django.http import HttpRequest

from accounts.models import User
from journey.selectors import flow_for_request
from monitoring.models import UsageMetric
from monitoring.usage import sign_up_step_count

logger = logging.getLogger(__name__)

_SESSION_KEY = "ciam.sign_up"


def _count(step: UsageMetric, marker: dict[str, Any]) -> None:
    """A count that fails is logged, never raised: the sign-up goes on."""
    try:
        with transaction.atomic():
            sign_up_step_count(
                step=step, flow_id=str(marker["flow"]), flow_name=str(marker["name"])
            )
    except DatabaseError:
        logger.exception("Usage insights: the sign-up step %s was not counted", step.value)


def _marker(request: HttpRequest, customer_id: object) -> dict[str, Any] | None:
    marker = request.session.get(_SESSION_KEY)
    if not isinstance(marker, dict) or marker.get("customer") != customer_id:
        return None
    if not isinstance(marker.get("flow"), str) or not isinstance(marker.get("name"), str):
        return None
    return marker


def _verified_by_provider(user: User, sociallogin: Any) -> bool:
    addresses = getattr(sociallogin, "email_addresses", None) or []
    return any(
        address.verified and address.email.lower() == user.email.lower() for address in addresses
    )


def sign_up_started(sender: object, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """allauth's `user_signed_up`: a new account, through an app's user flow."""
    flow = flow_for_request(request)
    if flow is None:
        return
    marker: dict[str, Any] = {
        "flow": str(flow.flow_id),
        "name": flow.name,
        "customer": user.pk,
        "verified": _verified_by_provider(user, kwargs.get("sociallogin")),
        "page": not user.profile_completed,
    }
    _count(UsageMetric.SIGN_UP_STARTED, marker)
    if marker["verified"]:
        _count(UsageMetric.SIGN_UP_VERIFIED, marker)
        if not marker["page"]:
            _count(UsageMetric.SIGN_UP_COMPLETED, marker)
            return
    request.session[_SESSION_KEY] = marker


def sign_up_email_verified(
    sender: object, request: HttpRequest, email_address: EmailAddress, **kwargs: Any
) -> None:
    """allauth's `email_confirmed`: counted when it is the sign-up's own address's code."""
    marker = _marker(request, email_address.user_id)
    if marker is None or marker.get("verified"):
        return
    _count(UsageMetric.SIGN_UP_VERIFIED, marker)
    if not marker.get("page"):
        _count(UsageMetric.SIGN_UP_COMPLETED, marker)
        request.session.pop(_SESSION_KEY, None)
        return
    request.session[_SESSION_KEY] = {**marker, "verified": True}


def sign_up_completed(request: HttpRequest, user: User) -> None:
    """The sign-up's attribute page is done (journey.views.profile_completion)."""
    marker = _marker(request, user.pk)
    if marker is None:
        return
    _count(UsageMetric.SIGN_UP_COMPLETED, marker)
    request.session.pop(_SESSION_KEY, None)
