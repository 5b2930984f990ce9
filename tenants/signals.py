"""What the kernel tells the floors above it. They connect in their AppConfig.ready(); the
kernel imports none of them (DESIGN.md decision 9)."""

from django.dispatch import Signal

# Sent by `tenants.services.tenant_create` for a new tenant, with `sender=Tenant` and
# `tenant=<the new Tenant>`, inside the creation's transaction while the connection is in the
# new tenant's schema (without the public schema), before the tenant is marked ready. Each app
# creates the rows the tenant needs before its first request (as authentik provisions on schema
# sync); a receiver that raises undoes the whole creation: no row, no schema, no role.
tenant_provisioned = Signal()
