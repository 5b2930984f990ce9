"""Reading deploy-time values from the environment, each with a safe default."""

import os
import secrets
import shutil
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


def listen_address() -> tuple[str, int]:
    """Where `make run` serves: CIAM_HOST (default 127.0.0.1) and PORT (default 8000)."""
    return env_str("CIAM_HOST") or "127.0.0.1", env_int("PORT", 8000)


def public_base_url() -> str:
    """The deployment's public URL, from which every issuer and link is built.

    CIAM_BASE_URL when set; otherwise where `make run` serves (`http://CIAM_HOST:PORT`), so a
    server started on another port or host names itself there, in the settings of every
    process (the server's, `ciam_demo`'s) alike. A wildcard host is reached on loopback.
    """
    configured = env_str("CIAM_BASE_URL")
    if configured:
        return configured.rstrip("/")
    host, port = listen_address()
    if host in {"0.0.0.0", "::"}:  # noqa: S104 (a listening address, not one bound here)
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal (RFC 3986 §3.2.2)
    return f"http://{host}:{port}"


DATA_DIR = Path(env_str("CIAM_DATA_DIR", str(BASE_DIR / "var"))).resolve()


def persistent_secret(name: str) -> str:
    """A random secret kept in the data folder, so the embedded default needs no configuration.

    Deployments set the secret in the environment instead; every node must share it.
    """
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def persistent_fernet_key(name: str) -> str:
    """A Fernet key kept in the data folder (the embedded default's key-encryption key)."""
    from cryptography.fernet import Fernet

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / name
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


def metrics_directory(default: Path) -> Path:
    """The node's PROMETHEUS_MULTIPROC_DIR (`default` unless set), made and emptied before its
    web server starts: each worker process writes its metrics to a file there, and the files
    of an earlier start's processes would otherwise be summed with this start's."""
    directory = Path(env_str("PROMETHEUS_MULTIPROC_DIR") or default)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory
