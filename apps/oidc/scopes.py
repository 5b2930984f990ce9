"""DOT's scopes backend: the OpenID scopes and every delegated scope this tenant's APIs expose.

Which of them a given client may receive is decided by its consented permissions, in the
validator; this backend only names and describes them.
"""

from typing import Any

from apps import lookups


class TenantScopes:
    def get_all_scopes(self) -> dict[str, str]:
        return dict(lookups.all_scopes())

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(self.get_all_scopes())

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []
