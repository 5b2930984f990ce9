"""Forms of the hosted pages, customising allauth's through ACCOUNT_FORMS."""

from typing import Any

from allauth.account.forms import LoginForm

# Where the authorization endpoint leaves the app's `login_hint` (OIDC Core §3.1.2.1).
LOGIN_HINT_SESSION_KEY = "ciam.login_hint"


class CustomerLoginForm(LoginForm):  # type: ignore[misc]
    """allauth's sign-in form, pre-filled with the email the app suggested."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = kwargs.get("request") or getattr(self, "request", None)
        hint = request.session.get(LOGIN_HINT_SESSION_KEY) if request is not None else None
        if not self.is_bound and isinstance(hint, str) and "@" in hint and len(hint) <= 254:
            self.fields["login"].initial = hint
