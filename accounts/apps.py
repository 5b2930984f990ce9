from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.account.signals import password_changed, password_reset

        from accounts.services import password_change_done

        def clear_temporary(
            sender: object, request: object, user: object, **kwargs: object
        ) -> None:
            password_change_done(user=user)  # type: ignore[arg-type]

        password_changed.connect(
            clear_temporary, weak=False, dispatch_uid="accounts.temporary-password"
        )
        password_reset.connect(
            clear_temporary, weak=False, dispatch_uid="accounts.temporary-password-reset"
        )
