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
from journey.stages import step_pending


class Journey:
    def begin(self, request: HttpRequest, sign_in: SignInRequest) -> None:
        """Begin the auth transaction of the request (journey/transaction.py)."""
        transaction.begin(
            request,
            client_id=sign_in.client_id,
            redirect_uri=sign_in.redirect_uri,
            scopes=sign_in.scopes,
            state=sign_in.state,
            nonce=sign_in.nonce,
            code_challenge=sign_in.code_challenge,
            code_challenge_method=sign_in.code_challenge_method,
            prompt=sign_in.prompt,
            max_age=sign_in.max_age,
            login_hint=sign_in.login_hint,
            ui_locales=sign_in.ui_locales,
            user_flow=sign_in.user_flow,
            fresh_sign_in=sign_in.fresh_sign_in,
        )

    def sign_in_page(self, request: HttpRequest, next_url: str) -> HttpResponse:
        """The hosted sign-in page's answer, given to this request (`answer_as`)."""
        return answer_as(request, f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': next_url})}")

    def finish(self, request: HttpRequest) -> None:
        transaction.finish(request)

    def step_pending(self, user: User) -> bool:
        """A login stage (journey/stages.py) still waits for this account."""
        return step_pending(user)


JOURNEY = Journey()
