"""Where branding images live: Django's storage named "branding" (a local folder by default,
an S3-compatible bucket when configured; ciam_portal/settings/base.py). Names carry the
tenant's schema and the content's hash, so a file never changes under its name and is served
with a year-long cache lifetime."""

import hashlib
from pathlib import PurePosixPath
from typing import Any

from django.core.files.storage import Storage, storages
from django.db import connection


def branding_storage() -> Storage:
    return storages["branding"]


def hashed_filename(content: bytes, extension: str) -> str:
    """The name an image is saved under (before `asset_name` adds the schema): the hash of
    its content and its real format's extension ("png", "jpg", "ico")."""
    return f"{hashlib.sha256(content).hexdigest()[:32]}.{extension}"


def asset_name(instance: Any, filename: str) -> str:
    """`<schema>/<filename>`: the upload's name is already `hashed_filename(...)`."""
    schema: str = connection.schema_name  # type: ignore[attr-defined]
    return f"{schema}/{PurePosixPath(filename).name}"
