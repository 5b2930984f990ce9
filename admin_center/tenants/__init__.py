"""Tenants in the admin center: the list, creation, overview, admins, audit log, deletion."""
