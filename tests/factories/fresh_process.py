"""Values as a fresh process computes them from its environment, as a deployment starts: with
the production settings, not the test run's."""

import ast
import os
import subprocess
import sys


def fresh_value(
    expression: str, *, imports: str = "", module: str = "ciam_portal.settings", **environment: str
) -> object:
    """A Python literal `expression` evaluates to in a fresh process, after `imports`, with the
    settings `module` and this environment over the test run's own."""
    code = f"import django; django.setup(); {imports}; print(repr({expression}))"
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
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def settings_values(*names: str, **environment: str) -> list[object]:
    """Production settings as a fresh process computes them from this environment."""
    expression = f"[settings.{', settings.'.join(names)}]"
    values = fresh_value(expression, imports="from django.conf import settings", **environment)
    assert isinstance(values, list)
    return values


def settings_value(name: str, **environment: str) -> str:
    """One production setting as a fresh process computes it, as text."""
    return str(settings_values(name, **environment)[0])
