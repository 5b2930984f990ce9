"""Benchmark: the hosted sign-in page's render time with full branding and a per-app override,
against the unbranded page, in the same run.

What is timed is what a browser meets first: the app's authorization request from a new
browser (no cookies), answered with the hosted sign-in page itself, over real HTTP against
granian (`ciam_portal.run.web_server_argv`). Three pages, requested in turn, one at a time, so
that they share the machine's state and noise:

- **plain**: a tenant with no branding at all (the neutral default);
- **branded**: a tenant with every branding element set (images, colours, layout, header and
  footer links, username hint, sign-in page text, custom CSS), a French layer, and a per-app
  override of the signing-in app (its own banner logo and accent colour);
- **base** (with `--base-tree DIR`, a checkout of the commit before branding, e.g. made with
  `git worktree add ../base a6275c6`): that tree's own unbranded sign-in page, served by its
  own granian from its own database (`<DATABASE_URL>_base`), as the product was before.

Figure: p50 and p95 latency of each, and the ratios branded/plain and branded/base. Target:
the branded page's p95 is at most 1.2x the unbranded page's: the resolved branding is cached,
not rebuilt per request.

Database: DATABASE_URL (a database the benchmark may fill), or the embedded PostgreSQL in
var/bench/data/ (as bench/tokens.py). Usage:
    .venv/bin/python bench/branding_render.py [--requests 400] [--warmup 40] [--base-tree DIR]
"""

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

import requests
from tokens import base_env, database_url, ensure_database, free_port, running, with_query

ROOT = Path(__file__).resolve().parent.parent
PLAIN = "render-plain"
BRANDED = "render-branded"
TARGET = 1.2

_BASE_PREPARE = """
import json, os, sys
from io import StringIO
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")
import django
django.setup()
from django.core.management import call_command
call_command("ciam_migrate", verbosity=0)
out = StringIO()
call_command("ciam_demo", "--json", "--tenant", sys.argv[1], stdout=out)
print(out.getvalue())
"""


def png(size: tuple[int, int], colour: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def prepare() -> dict[str, dict[str, str]]:
    """Migrate; a plain tenant and a fully branded one, each with the demo's web app."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciam_portal.settings")
    os.environ.setdefault("CIAM_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from apps.models import AppRegistration
    from branding.models import Branding
    from branding.services import branding_layer_delete, branding_layer_save
    from tenants.models import Tenant
    from tenants.schemas import in_tenant

    call_command("ciam_migrate", verbosity=0)
    webs: dict[str, dict[str, str]] = {}
    for name in (PLAIN, BRANDED):
        out = io.StringIO()
        call_command("ciam_demo", "--json", "--tenant", name, stdout=out)
        web = json.loads(out.getvalue())["web"]
        webs[name] = web
        with in_tenant(Tenant.objects.get(domain_name=name)):
            for layer in Branding.objects.all():
                branding_layer_delete(app_id=layer.app_id, locale=layer.locale)
            if name != BRANDED:
                continue

            def image(label: str, size: tuple[int, int], colour: str) -> SimpleUploadedFile:
                return SimpleUploadedFile(f"{label}.png", png(size, colour), "image/png")

            branding_layer_save(
                app_id=None,
                locale="",
                values={
                    "background_color": "#0f3d3e",
                    "accent_color": "#0b6e4f",
                    "layout_template": "full_screen",
                    "show_header": True,
                    "show_footer": True,
                    "username_hint": "you@example.com",
                    "sign_in_text": "Welcome to **Render Co.** Read our [help](https://example.com/help).",
                    "show_sspr_link": True,
                    "show_privacy_link": True,
                    "privacy_link_text": "Privacy & cookies",
                    "privacy_link_url": "https://example.com/privacy",
                    "show_terms_link": True,
                    "terms_link_text": "Terms of use",
                    "terms_link_url": "https://example.com/terms",
                    "custom_css": ".entrance h1 { letter-spacing: 0.01em; }",
                },
                images={
                    "favicon": image("favicon", (32, 32), "#0b6e4f"),
                    "background_image": image("background", (640, 360), "#134e4a"),
                    "header_logo": image("header", (245, 36), "#ffffff"),
                    "banner_logo": image("banner", (245, 36), "#0b6e4f"),
                    "square_logo_light": image("square", (240, 240), "#0b6e4f"),
                    "square_logo_dark": image("square-dark", (240, 240), "#0f3d3e"),
                },
                clear_images=(),
            )
            branding_layer_save(
                app_id=None,
                locale="fr",
                values={"sign_in_text": "Bienvenue chez **Render Co.**"},
                images={},
                clear_images=(),
            )
            app = AppRegistration.objects.get(client_id=web["client_id"])
            branding_layer_save(
                app_id=app.pk,
                locale="",
                values={"accent_color": "#7a1f5c"},
                images={"banner_logo": image("app-banner", (245, 36), "#7a1f5c")},
                clear_images=(),
            )
    return webs


def isolated(tree: Path) -> tuple[list[str], str]:
    """How to run Python on `tree`'s code alone: without site (`-S`), which would install the
    editable install's finder (it resolves a module the old tree lacks, such as
    `branding.models`, in this checkout), and with the venv's packages on the path."""
    site_packages = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
    return [sys.executable, "-S"], f"{tree}{os.pathsep}{site_packages}"


def prepare_base(tree: Path, url: str, env: dict[str, str]) -> dict[str, str]:
    python, path = isolated(tree)
    result = subprocess.run(
        [*python, "-c", _BASE_PREPARE, "render-base"],
        cwd=tree,
        env={**env, "DATABASE_URL": url, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    web: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])["web"]
    return web


def authorize_url(base: str, tenant: str, web: dict[str, str]) -> str:
    return f"{base}/{tenant}/oauth2/v2.0/authorize?" + urlencode(
        {
            "client_id": web["client_id"],
            "response_type": "code",
            "scope": "openid profile email",
            "redirect_uri": web["redirect_uri"],
            "state": "bench-state",
            "nonce": "bench-nonce",
        }
    )


def fetch(url: str, branded: bool) -> float:
    """Seconds to the whole sign-in page, as a new browser; checks it wears what it should."""
    with requests.Session() as browser:
        begin = time.perf_counter()
        page = browser.get(url, timeout=30)
        elapsed = time.perf_counter() - begin
    assert page.status_code == 200, (page.status_code, page.text[:300])
    assert 'name="password"' in page.text or 'name="login"' in page.text, "not a sign-in page"
    assert ("/branding/assets/" in page.text) == branded, "the page's branding is not as set"
    return elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per page")
    parser.add_argument("--warmup", type=int, default=40, help="per page")
    parser.add_argument("--base-tree", type=Path, help="a checkout of the commit before")
    args = parser.parse_args()

    db_url, db_description = database_url()
    os.environ["DATABASE_URL"] = db_url
    webs = prepare()
    from ciam_portal.run import web_server_argv

    targets: dict[str, str] = {}
    with ExitStack() as stack:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = base_env(
            DATABASE_URL=with_query(db_url, application_name="bench-render"),
            CIAM_BASE_URL=base,
            CIAM_LOG_LEVEL="WARNING",
        )
        server = stack.enter_context(
            running("render", web_server_argv("127.0.0.1", port, 1), env, ROOT)
        )
        server.wait_ready(f"{base}/healthz")
        targets["plain"] = authorize_url(base, PLAIN, webs[PLAIN])
        targets["branded"] = authorize_url(base, BRANDED, webs[BRANDED])
        if args.base_tree is not None:
            tree = args.base_tree.resolve()
            base_db = db_url.partition("?")[0] + "_base"
            ensure_database(base_db)
            base_port = free_port()
            old = f"http://127.0.0.1:{base_port}"
            python, path = isolated(tree)
            old_env = base_env(
                DATABASE_URL=with_query(base_db, application_name="bench-render-base"),
                CIAM_BASE_URL=old,
                CIAM_LOG_LEVEL="WARNING",
                PYTHONPATH=path,
            )
            web = prepare_base(tree, base_db, old_env)
            argv = [*python, "-m", "granian", *web_server_argv("127.0.0.1", base_port, 1)[1:]]
            old_server = stack.enter_context(running("render-base", argv, old_env, tree))
            old_server.wait_ready(f"{old}/healthz")
            targets["base"] = authorize_url(old, "render-base", web)
        print(f"database: {db_description}; one granian worker per tree; one request at a time")
        timings: dict[str, list[float]] = {name: [] for name in targets}
        names = list(targets)
        for _ in range(args.warmup):
            for name in names:
                fetch(targets[name], name == "branded")
        rng = random.Random(7)
        for _ in range(args.requests):
            rng.shuffle(names)
            for name in names:
                timings[name].append(fetch(targets[name], name == "branded"))
    for name, values in timings.items():
        print(
            f"{name:8} p50 {percentile(values, 50):6.1f} ms  p95 {percentile(values, 95):6.1f} ms"
            f"  mean {statistics.fmean(values) * 1000:6.1f} ms  ({len(values)} pages)"
        )
    verdict = True
    for other in ("plain", "base"):
        if other not in timings:
            continue
        ratio = percentile(timings["branded"], 95) / percentile(timings[other], 95)
        met = ratio <= TARGET
        verdict = verdict and met
        print(
            f"branded/{other} p95: {ratio:.2f}x "
            f"(target: at most {TARGET}x: {'met' if met else 'NOT met'})"
        )
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
