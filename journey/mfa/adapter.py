"""allauth.mfa's seam (MFA_ADAPTER): its secrets encrypted at rest, and the tenant's name where
an authenticator app or a passkey shows whose account it is."""

from typing import Any

from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.utils.translation import gettext as _

from accounts.models import User
from tenants.current import current_tenant
from tenants.secrets import secret_decrypt, secret_encrypt


class CustomerMFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    def encrypt(self, text: str) -> str:
        """An authenticator app's secret and the recovery codes' seed are stored encrypted
        (tenants/secrets.py), decrypted in memory only when a code is checked."""
        return secret_encrypt(text.encode())

    def decrypt(self, encrypted_text: str) -> str:
        return secret_decrypt(encrypted_text).decode()

    def _get_site_name(self) -> str:
        """The tenant's name: the issuer an authenticator app lists the account under, and the
        name a passkey is saved for (never the host the request came through)."""
        return str(current_tenant().display_name)

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        """The relying party: this host (every tenant is a path on it, so one RP ID serves
        them all; a credential is looked up only among its own customer's), in the tenant's
        name."""
        return {"id": context.request.get_host().partition(":")[0], "name": self._get_site_name()}

    def get_public_key_credential_user_entity(self, user: User) -> dict[str, Any]:
        """The account's stable object ID as the user handle: unique across tenants, where
        the primary key of one tenant's table repeats another's."""
        return {
            "id": str(user.object_id).encode(),
            "display_name": user.display_name or user.email,
            "name": user.email,
        }

    def generate_authenticator_name(self, user: User, type: str) -> str:
        """A new passkey's name, until the customer gives it another: "Passkey", "Passkey 2"."""
        count = Authenticator.objects.filter(user_id=user.pk, type=type).count()
        return _("Passkey") if count == 0 else _("Passkey %(number)d") % {"number": count + 1}
