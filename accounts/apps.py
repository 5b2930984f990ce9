from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # What the sign-in path remembers of this room's settings is forgotten when they are
        # written (tenants/changes.py).
        from accounts.models import CustomAttribute, Directory
        from tenants.changes import settings_tables_watch

        settings_tables_watch(CustomAttribute, Directory)
        from allauth.account.signals import password_changed, password_reset

        from accounts.services import customer_password_changed, password_change_done
        from tenants.current import current_tenant_or_none

        def own_password_changed(
            sender: object, request: object, user: object, **kwargs: object
        ) -> None:
            password_change_done(user=user)  # type: ignore[arg-type]
            # A customer (in a tenant's schema; operators live in the public one).
            if current_tenant_or_none() is not None:
                customer_password_changed(customer=user)  # type: ignore[arg-type]

        password_changed.connect(
            own_password_changed, weak=False, dispatch_uid="accounts.own-password-changed"
        )
        password_reset.connect(
            own_password_changed, weak=False, dispatch_uid="accounts.own-password-reset"
        )
