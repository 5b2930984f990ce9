from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Customer tenants"

    def ready(self) -> None:
        from celery.signals import task_postrun
        from django.core.signals import request_finished

        from tenants.schemas import connection_recycle_if_wide

        # A web worker or a Celery worker that has served many tenants starts again on a fresh
        # database backend (tenants/database/base.py says why).
        request_finished.connect(connection_recycle_if_wide, dispatch_uid="ciam-recycle")
        task_postrun.connect(connection_recycle_if_wide, dispatch_uid="ciam-recycle", weak=False)
