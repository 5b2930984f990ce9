"""The steps a customer takes between the first factor and the app, as allauth login stages
(DESIGN.md decision 10).

allauth runs the stages of a sign-in in order (`CustomerAccountAdapter.get_login_stages`):
its own (sign-in by code, phone and email verification), the journey's second factor in place
of allauth's MFA stage (journey/mfa/stages.py), then these. A stage with something to ask
sends the browser to its page and the sign-in waits, stashed in the session; the page ends
the stage (`exit()`) and allauth runs the next. The customer is signed in only after the last
stage: until then the session is not signed in, so no authorization code, `prompt=none`
answer or session-bound page treats a half-done sign-in as a signed-in customer.
"""

from allauth.account.stages import LoginStage
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.models import User


class JourneyStage(LoginStage):  # type: ignore[misc]
    """A step this product adds: pending for an account in a given state, asked on one page."""

    urlname: str

    @staticmethod
    def pending_for(user: User) -> bool:
        raise NotImplementedError

    def handle(self) -> tuple[HttpResponse | None, bool]:
        user = self.login.user
        if user is None or not self.pending_for(user):
            return None, True
        return HttpResponseRedirect(reverse(self.urlname)), True


class ProfileCompletionStage(JourneyStage):
    """The last step of a self-service sign-up, once the email is verified: a password (in
    password flows) and the user flow's attributes (`journey.views.profile_completion`)."""

    key = "ciam_profile_completion"
    urlname = "account-complete"

    @staticmethod
    def pending_for(user: User) -> bool:
        return not user.profile_completed


class TemporaryPasswordStage(JourneyStage):
    """An admin-set temporary password is replaced by the customer's own before anything else
    (as in Entra): `journey.views.PasswordChangeView`."""

    key = "ciam_temporary_password"
    urlname = "account_change_password"

    @staticmethod
    def pending_for(user: User) -> bool:
        return user.must_change_password


# In the order they are asked (after allauth's own stages).
JOURNEY_STAGES: tuple[type[JourneyStage], ...] = (ProfileCompletionStage, TemporaryPasswordStage)


def step_pending(user: User) -> bool:
    """Whether the account still has a step of the journey to take: true of no account that
    signed in through the stages, and so only of a session signed in before they existed."""
    return any(stage.pending_for(user) for stage in JOURNEY_STAGES)
