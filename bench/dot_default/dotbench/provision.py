"""Migrate the baseline's database and (re)create its one client-credentials Application.

Prints {"client_id", "client_secret", "scope", "token_path"} as JSON. Tokens of earlier runs
are deleted, so every run starts from the same table sizes.
"""

import json
import os
import secrets

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dotbench.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import AccessToken, Application  # noqa: E402

NAME = "bench client credentials"


def main() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    AccessToken.objects.all().delete()
    Application.objects.filter(name=NAME).delete()
    secret = secrets.token_urlsafe(32)
    app = Application.objects.create(
        name=NAME,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,  # hashed on save (DOT's default hash_client_secret=True)
    )
    app.refresh_from_db()
    assert app.client_secret.startswith("pbkdf2_sha256$"), "expected DOT's default PBKDF2 hashing"
    print(
        json.dumps(
            {
                "client_id": app.client_id,
                "client_secret": secret,
                "scope": "read",
                "token_path": "/o/token/",
                "secret_hash": app.client_secret.split("$", 2)[0]
                + "$"
                + app.client_secret.split("$", 2)[1],
            }
        )
    )


if __name__ == "__main__":
    main()
