"""Who calls the management API: an app with an app-only token of this tenant (Graph's
application permissions), checked by apps/oidc/resource_tokens.py; or, under the admin
center's mount, a signed-in operator with their session (delegated access).

A customer's token, another tenant's, a token for another API or an expired one authenticate
nobody: the answer is 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3).
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.models import User
from apps.management_api import MANAGEMENT_API_CLIENT_ID, MANAGEMENT_API_URI
from apps.oidc.resource_tokens import AppCaller, app_caller_of


class AppTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, AppCaller] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None  # unauthenticated: DRF answers 401 with the challenge below
        caller = app_caller_of(
            token.strip(), audience=MANAGEMENT_API_CLIENT_ID, resource_uri=MANAGEMENT_API_URI
        )
        if caller is None:
            raise AuthenticationFailed("The access token is not valid for this API.")
        return AnonymousUser(), caller

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="management", error="invalid_token"'


@dataclass(frozen=True)
class OperatorCaller:
    """An admin-center operator calling the API with their session (delegated access): who
    they are and the management roles their admin roles on the tenant grant now
    (management/operators.py)."""

    operator: User
    roles: frozenset[str]


# Where the mount (management/operators.py) leaves the operator it resolved in the public
# schema, before the view runs in the tenant's.
OPERATOR_ATTRIBUTE = "management_operator"


class OperatorSessionAuthentication(SessionAuthentication):
    """The operator the admin-center mount resolved from the session, with DRF's session
    semantics: CSRF enforced on unsafe methods (a page of another site cannot make a signed-in
    operator's browser write). Never reads `request.user` itself: inside the tenant's schema
    that lookup would read the tenant's customers' table, not the operators'."""

    def authenticate(self, request: Request) -> tuple[User, OperatorCaller] | None:
        caller = getattr(request._request, OPERATOR_ATTRIBUTE, None)
        if not isinstance(caller, OperatorCaller):
            return None
        self.enforce_csrf(request)
        return caller.operator, caller

    def authenticate_header(self, request: Request) -> str:
        # A 401 stays a 401 (DRF turns it into a 403 when no scheme is named).
        return 'Session realm="admin-center"'
