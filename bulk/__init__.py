"""Bulk import and export of a tenant's customers, run by Celery."""
