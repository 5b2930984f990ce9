"""Benchmark: full customer sign-ins per CPU-second, with the production password hasher.

One sign-in is what a browser and an app do: authorization request → the hosted sign-in page →
email + password (argon2id at OWASP's parameters: 19 MiB, 2 iterations, 1 lane) → the code back
at the app → the code exchanged at the token endpoint for ID and access tokens. It runs
in-process through Django's full request handling (the test Client, every middleware), so the
figure counts the web process's CPU, the client's small share included; PostgreSQL's own CPU is
not counted. Target: at least 20 sign-ins per CPU-second (Keycloak publishes 15 password logins
per second per vCPU).

Usage: .venv/bin/python bench/signins.py [--signins N]
"""

import argparse
import base64
import json
import os
import statistics
import sys
import time
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")
os.environ.setdefault("CIAM_LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from accounts.models import User  # noqa: E402
from tenants.models import Tenant  # noqa: E402
from tenants.schemas import in_tenant  # noqa: E402

TENANT = "signin-bench"
EMAIL = "bench-customer@example.com"
PASSWORD = "Bench-Customer-Passw0rd!"


def prepare() -> dict[str, object]:
    call_command("ciam_migrate", verbosity=0)
    out = StringIO()
    call_command("ciam_demo", "--json", "--tenant", TENANT, stdout=out)
    demo: dict[str, object] = json.loads(out.getvalue())
    tenant = Tenant.objects.get(domain_name=TENANT)
    with in_tenant(tenant):
        from allauth.account.models import EmailAddress

        user = User.objects.filter(email=EMAIL).first()
        if user is None:
            user = User.objects.create_user(email=EMAIL, password=PASSWORD)
            EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
        else:
            user.set_password(PASSWORD)
            user.save()
    return demo


# One handler for the whole run, as a server process has; each sign-in starts with no cookies,
# as a new browser does. (A new Client per sign-in would rebuild the middleware every time.)
_client = Client(HTTP_HOST="127.0.0.1")


def sign_in(demo: dict[str, object]) -> None:
    web = demo["web"]
    assert isinstance(web, dict)
    client = _client
    client.cookies.clear()
    authorize = f"/{TENANT}/oauth2/v2.0/authorize?" + urlencode(
        {
            "client_id": web["client_id"],
            "response_type": "code",
            "scope": "openid profile email offline_access",
            "redirect_uri": web["redirect_uri"],
            "state": "s",
            "nonce": "n",
        }
    )
    to_login = client.get(authorize)
    assert to_login.status_code == 302, to_login.status_code
    login_page = client.get(to_login["Location"])
    assert login_page.status_code == 200
    signed_in = client.post(to_login["Location"], {"login": EMAIL, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content[:300]
    back = client.get(signed_in["Location"])
    assert back.status_code == 302
    code = parse_qs(urlsplit(back["Location"]).query)["code"][0]
    basic = base64.b64encode(f"{web['client_id']}:{web['client_secret']}".encode()).decode()
    token = client.post(
        f"/{TENANT}/oauth2/v2.0/token",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": web["redirect_uri"]},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert token.status_code == 200, token.content[:300]
    assert "id_token" in token.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signins", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"password hasher: {settings.PASSWORD_HASHERS[0]}")
    # One client IP signs in over and over: allauth's per-IP limits would (rightly) stop it.
    override_settings(ACCOUNT_RATE_LIMITS=False).enable()
    demo = prepare()
    for _ in range(3):
        sign_in(demo)
    rates = []
    per_signin_ms = []
    for _ in range(args.rounds):
        start = time.process_time()
        for _ in range(args.signins):
            sign_in(demo)
        cpu = time.process_time() - start
        rates.append(args.signins / cpu)
        per_signin_ms.append(cpu / args.signins * 1000)
    print(
        f"full sign-ins: median {statistics.median(rates):.1f} per CPU-second "
        f"({statistics.median(per_signin_ms):.1f} ms CPU each; rounds: "
        f"{', '.join(f'{rate:.1f}' for rate in rates)}; {args.signins} sign-ins per round)"
    )
    print("target: at least 20 sign-ins per CPU-second")


if __name__ == "__main__":
    main()
