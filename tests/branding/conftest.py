"""Branding tests store images in a folder of their own and start with nothing remembered."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from branding.selectors import branding_forget_all


@pytest.fixture(autouse=True)
def branding_media(tmp_path: Path) -> Iterator[Path]:
    storages = {
        **settings.STORAGES,
        "branding": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "branding")},
        },
    }
    branding_forget_all()
    with override_settings(STORAGES=storages):
        yield tmp_path / "branding"
    branding_forget_all()
