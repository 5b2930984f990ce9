"""DOT's scopes backend: the OpenID scopes and every delegated scope this tenant's APIs expose.

Which of them a given client may receive is decided by its consented permissions, in the
validator; this backend only names and describes them.
"""

from typing import Any

from apps.models import ApiScope, OidcScope


def scope_descriptions() -> dict[str, str]:
    scopes = {scope.value: str(scope.label) for scope in OidcScope}
    for scope in ApiScope.objects.select_related("app").filter(enabled=True):
        scopes[str(scope)] = scope.admin_consent_display_name
    return scopes


class TenantScopes:
    def get_all_scopes(self) -> dict[str, str]:
        from apps import lookups

        return dict(lookups.all_scopes())

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(self.get_all_scopes())

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []
