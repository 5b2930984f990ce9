"""Claims shared by ID tokens, access tokens and userinfo (OIDC Core §2, §5.1; RFC 9068 §2.2)."""

import base64
import hashlib

from allauth.account.models import EmailAddress

from accounts.models import User
from apps.models import AppRegistration
from tenants.models import Tenant


def pairwise_subject(*, tenant: Tenant, client: AppRegistration, user: User) -> str:
    """`sub`: stable per (tenant, app, account), different across apps (OIDC Core §8.1).

    As in Entra, the account's own stable ID travels separately as `oid`.
    """
    material = f"{tenant.tenant_id}:{client.client_id}:{user.object_id}".encode()
    return base64.urlsafe_b64encode(hashlib.sha256(material).digest()).rstrip(b"=").decode()


def profile_claims(user: User, scopes: set[str]) -> dict[str, object]:
    """The standard claims the granted scopes release (OIDC Core §5.4)."""
    claims: dict[str, object] = {}
    if "profile" in scopes and user.display_name:
        claims["name"] = user.display_name
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = EmailAddress.objects.filter(
            user=user, email__iexact=user.email, verified=True
        ).exists()
    return claims
