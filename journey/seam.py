"""The journey as the authorization endpoint sees it (`apps.oidc.sign_in.SignInJourney`),
named by the setting `CIAM_SIGN_IN_JOURNEY`: the protocol hands a validated request over here
and never imports the journey."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts.models import User
from apps.oidc.sign_in import SignInRequest
from journey import transaction
from journey.answers import answer_as
from journey.mfa.stages import session_meets_policies
from journey.stages import step_pending


class Journey:
    def begin(self, request: HttpRequest, sign_in: SignInRequest) -> None:
        """Begin the auth transaction of the request (journey/transaction.py)."""
        transaction.begin(request, sign_in)

    def sign_in_page(self, request: HttpRequest, next_url: str) -> HttpResponse:
        """The hosted sign-in page's answer, given to this request (`answer_as`)."""
        return answer_as(request, f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': next_url})}")

    def finish(self, request: HttpRequest) -> None:
        transaction.finish(request)

    def step_pending(self, user: User) -> bool:
        """A login stage (journey/stages.py) still waits for this account."""
        return step_pending(user)

    def session_meets_policies(self, request: HttpRequest, client_id: str) -> bool:
        """The tenant's policies let the session go on to the app (journey/mfa/stages.py)."""
        user = request.user
        return isinstance(user, User) and session_meets_policies(
            request, customer=user, client_id=client_id
        )


JOURNEY = Journey()
