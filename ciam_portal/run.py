"""`make run`: start the product on its embedded default and serve it until Ctrl-C or SIGTERM.

Starts (or joins) the embedded PostgreSQL unless DATABASE_URL is set, migrates, creates the demo
tenant, prints where to sign in, then serves with granian, as a deployment's web node does.
Stopping it stops the web server, then the embedded PostgreSQL (when this process held the last
handle on it), whether Ctrl-C or SIGTERM (`kill`, systemd, container runtimes) asked.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ciam_portal.embedded_database import embedded_database_url
from ciam_portal.environment import DATA_DIR, listen_address, metrics_directory, public_base_url

ROOT = Path(__file__).resolve().parent.parent


def web_server_argv(host: str, port: str | int, workers: int, threads: int = 1) -> list[str]:
    """How a web node serves the product: granian (a Rust HTTP server) running the WSGI app,
    one Python thread per worker process and a single-threaded runtime, the least CPU per
    request measured here (bench/tokens.py). Run one worker per core.

    `threads` > 1 lets a worker answer a request while another of its requests waits on this
    same server: a tenant that federates with another tenant of the same deployment calls that
    tenant's token endpoint from within its own callback, and on a single node with one thread
    per worker that call may queue behind the very request making it."""
    return [
        str(Path(sys.executable).parent / "granian"),
        "--interface",
        "wsgi",
        "ciam_portal.wsgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--runtime-threads",
        "1",
        "--runtime-mode",
        "st",
        "--no-ws",
        "--log-level",
        "warning",
    ]


def main() -> int:
    # SIGTERM raises KeyboardInterrupt, as Ctrl-C does, so both take the same way out: the web
    # server is stopped, and this process exits normally, releasing its handle on the embedded
    # PostgreSQL (at exit), which stops that server. Python's default for SIGTERM ends the
    # process at once, skipping both and leaving them running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return _prepare_and_serve()
    except KeyboardInterrupt:
        return 128 + signal.SIGINT  # stopped while preparing: the step's child is ended


def _prepare_and_serve() -> int:
    if not os.environ.get("DATABASE_URL"):
        # This process holds the server's handle until it exits; its children inherit the URL.
        os.environ["DATABASE_URL"] = embedded_database_url()
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    subprocess.run([*manage, "ciam_migrate", "-v", "0"], check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], check=True)
    demo = json.loads(
        subprocess.run(
            [*manage, "ciam_demo", "--json"], check=True, capture_output=True, text=True
        ).stdout
    )
    host, port = listen_address()
    # The same URL as every process's settings compute (the demo's issuer included).
    base_url = public_base_url()
    print(
        "\n".join(
            [
                "",
                f"  Admin center:  {base_url}/admin-center/",
                f"  Demo admin:    {demo['admin']['email']}  /  {demo['admin']['password']}",
                f"  Demo tenant:   {base_url}/{demo['tenant']}/  (issuer {demo['issuer']})",
                "  Stop with Ctrl-C (or SIGTERM).",
                "",
            ]
        ),
        flush=True,
    )
    # One scrape of /metrics sums the worker processes (monitoring/metrics.py).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_directory(DATA_DIR / "metrics"))
    server = subprocess.Popen(
        web_server_argv(
            host,
            port,
            int(os.environ.get("CIAM_WEB_WORKERS", "2")),
            # The demo federates tenants of this one server (ciam_demo --federate-with).
            int(os.environ.get("CIAM_WEB_THREADS", "4")),
        ),
        cwd=ROOT,
    )
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.send_signal(signal.SIGTERM)
        return server.wait()


if __name__ == "__main__":
    sys.exit(main())
