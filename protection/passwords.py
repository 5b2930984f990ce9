"""The breached-password check (issue 12): a new password that is in a list of passwords leaked
in data breaches is refused, at sign-up, reset and change (and an admin's temporary password),
wherever Django's password validation runs (AUTH_PASSWORD_VALIDATORS).

The list is the one Django ships (`django/contrib/auth/common-passwords.txt.gz`: the 20,000
passwords found most often in breach corpora, compared without case), read once per process,
so nothing leaves the machine (a k-anonymity API would). No larger offline list ships in a
package worth a new dependency: zxcvbn's is about 30,000 from the same kind of source.

Per tenant: a tenant whose `SignInProtection.breached_passwords_refused` is off accepts them
(its row read in its schema, once per password set). Operators (the public schema) are always
refused them.
"""

from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from protection.selectors import sign_in_protection_in_force
from tenants.schemas import current_schema_name


def breached_passwords_refused() -> bool:
    """Whether the current schema refuses breached passwords: the tenant's setting, always
    for operators."""
    if current_schema_name() == get_public_schema_name():
        return True
    return sign_in_protection_in_force().breached_passwords_refused


class BreachedPasswordValidator(CommonPasswordValidator):
    """Django's common-password check, where the tenant refuses breached passwords, saying why
    the password is refused."""

    def validate(self, password: str, user: Any = None) -> None:
        if breached_passwords_refused():
            super().validate(password, user)

    def get_error_message(self) -> str:
        return _(
            "This password appears in lists of passwords leaked in data breaches, so it is "
            "among the first an attacker tries. Choose another."
        )

    def get_help_text(self) -> str:
        return _("Your password cannot be one that appears in known data breaches.")
