"""The email a real server wrote (Django's file backend, CIAM_EMAIL_DIR): one-time codes."""

import email
import re
import time
from pathlib import Path


def mail_files(mail_dir: Path) -> set[Path]:
    return set(mail_dir.glob("*.log"))


def latest_code(mail_dir: Path, to: str, before: set[Path], seconds: float = 15) -> str:
    """The one-time code in a message to `to` in a mail file that was not there `before`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in mail_files(mail_dir) - before:
            for raw in path.read_text().split("-" * 79):
                if not raw.strip():
                    continue
                message = email.message_from_string(raw.strip())
                if message["To"] != to:
                    continue
                parts = message.walk() if message.is_multipart() else [message]
                for part in parts:
                    if part.get_content_type() == "text/plain":
                        body = part.get_payload(decode=True).decode()
                        found = re.search(r"^\s*(\d{8})\s*$", body, re.M)
                        if found:
                            return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no code for {to} in {mail_dir}")
