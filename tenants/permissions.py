"""What each admin role may do in the admin center: one table, read by views and navigation."""

from enum import StrEnum

from tenants.models import AdminRole


class Capability(StrEnum):
    VIEW_OVERVIEW = "view_overview"
    MANAGE_ADMINS = "manage_admins"
    READ_AUDIT_LOG = "read_audit_log"
    READ_SIGN_IN_LOGS = "read_sign_in_logs"
    VIEW_USAGE_INSIGHTS = "view_usage_insights"
    MANAGE_LOG_SETTINGS = "manage_log_settings"
    DELETE_TENANT = "delete_tenant"
    MANAGE_APPS = "manage_apps"
    MANAGE_USER_FLOWS = "manage_user_flows"
    MANAGE_CUSTOMERS = "manage_customers"
    MANAGE_BRANDING = "manage_branding"
    MANAGE_IDENTITY_PROVIDERS = "manage_identity_providers"
    MANAGE_AUTHENTICATION_METHODS = "manage_authentication_methods"
    MANAGE_CONDITIONAL_ACCESS = "manage_conditional_access"


_ALL_ROLES = frozenset(AdminRole)
_GLOBAL = frozenset({AdminRole.GLOBAL_ADMINISTRATOR})

ROLES_FOR: dict[Capability, frozenset[AdminRole]] = {
    Capability.VIEW_OVERVIEW: _ALL_ROLES,
    Capability.MANAGE_ADMINS: _GLOBAL,
    Capability.READ_AUDIT_LOG: _GLOBAL | {AdminRole.REPORTS_READER},
    Capability.READ_SIGN_IN_LOGS: _GLOBAL | {AdminRole.REPORTS_READER},
    Capability.VIEW_USAGE_INSIGHTS: _GLOBAL | {AdminRole.REPORTS_READER},
    # How long the sign-in log is kept: a Reports Reader reads the log, only a Global
    # Administrator decides how much of it there is to read.
    Capability.MANAGE_LOG_SETTINGS: _GLOBAL,
    Capability.DELETE_TENANT: _GLOBAL,
    Capability.MANAGE_APPS: _GLOBAL | {AdminRole.APPLICATION_ADMINISTRATOR},
    Capability.MANAGE_USER_FLOWS: _GLOBAL | {AdminRole.USER_FLOW_ADMINISTRATOR},
    Capability.MANAGE_CUSTOMERS: _GLOBAL | {AdminRole.USER_ADMINISTRATOR},
    Capability.MANAGE_BRANDING: _GLOBAL | {AdminRole.BRANDING_ADMINISTRATOR},
    Capability.MANAGE_IDENTITY_PROVIDERS: _GLOBAL | {AdminRole.IDENTITY_PROVIDER_ADMINISTRATOR},
    # Authentication methods, smart lockout and the request limits (Entra: Authentication
    # Policy Administrator); conditional access policies, as in Entra, also by the
    # Conditional Access Administrator, who reads the methods they rely on.
    Capability.MANAGE_AUTHENTICATION_METHODS: _GLOBAL
    | {AdminRole.AUTHENTICATION_POLICY_ADMINISTRATOR},
    Capability.MANAGE_CONDITIONAL_ACCESS: _GLOBAL | {AdminRole.CONDITIONAL_ACCESS_ADMINISTRATOR},
}


def capabilities_of(roles: frozenset[AdminRole]) -> frozenset[Capability]:
    return frozenset(cap for cap, allowed in ROLES_FOR.items() if roles & allowed)
