from django.apps import AppConfig


class JourneyConfig(AppConfig):
    """The customer's sign-in journey: from the app's authorization request, through the hosted
    pages and the steps before going back, to the app again (docs/architecture.md)."""

    name = "journey"
    verbose_name = "Sign-in journey"

    def ready(self) -> None:
        # Sign-up drop-off for the usage insights (journey/funnel.py).
        from allauth.account.signals import email_confirmed, user_signed_up

        from journey import funnel

        user_signed_up.connect(funnel.sign_up_started, dispatch_uid="journey.funnel.started")
        email_confirmed.connect(
            funnel.sign_up_email_verified, dispatch_uid="journey.funnel.verified"
        )
