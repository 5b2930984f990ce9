from django.apps import AppConfig


class JourneyConfig(AppConfig):
    """The customer's sign-in journey: from the app's authorization request, through the hosted
    pages and the steps before going back, to the app again (docs/architecture.md)."""

    name = "journey"
    verbose_name = "Sign-in journey"
