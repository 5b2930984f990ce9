"""What a new tenant's OpenID Provider needs before its first request, made when the kernel
provisions the tenant (`tenants.signals.tenant_provisioned`, connected in AppsConfig.ready)."""

from apps.management_api import management_api_provision
from apps.models import TokenSettings
from apps.signing import signing_keys_provision
from tenants.models import Tenant


def tenant_protocol_provision(sender: type[Tenant], *, tenant: Tenant, **kwargs: object) -> None:
    """Give the new tenant, in whose schema the connection is, its signing keys (an active one
    and the next, both published), its token settings row and its management API app. Runs
    inside the tenant's creation: a failure here leaves no tenant behind."""
    signing_keys_provision()
    TokenSettings.objects.create()
    management_api_provision()
