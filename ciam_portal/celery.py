"""The Celery app. Every task carries its tenant's schema (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")

app = CeleryApp("ciam_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
