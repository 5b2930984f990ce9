"""Settings as a fresh process computes them from its environment, as a deployment starts."""

import ast
import os
import subprocess
import sys


def settings_values(
    *names: str, module: str = "ciam_portal.settings", **environment: str
) -> list[object]:
    """Settings (Python literals) as a fresh process computes them from this environment (over
    the test run's own), with the production settings unless `module` says otherwise."""
    code = "import django; django.setup(); from django.conf import settings; "
    code += f"print(repr([settings.{', settings.'.join(names)}]))"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": module,
        # Settings only parse the URL; no database is reached (nor an embedded one started).
        "DATABASE_URL": "postgres://unused@127.0.0.1:1/unused",
        **environment,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    values: list[object] = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    return values


def settings_value(name: str, **environment: str) -> str:
    """One production setting as a fresh process computes it, as text."""
    return str(settings_values(name, **environment)[0])
