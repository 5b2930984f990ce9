"""Language customizations as Entra does them: per language, one JSON file of string overrides
keyed by Entra's string IDs (branding/strings.py), shared by Company branding and every user
flow's Languages page (the last upload wins).

The services run inside the tenant's schema. A file is checked whole before anything is stored:
a bad file changes nothing, and every problem found is reported, each naming its key.
"""

import json
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.attributes import storable_text
from branding.models import LanguageOverride
from branding.selectors import branding_cache_invalidate
from branding.strings import tenant_strings

OVERRIDES_FILE_MAX_BYTES = 64 * 1024
# A file with more problems than this reports the first ones and how many more there are.
_MAX_ERRORS_REPORTED = 20


class LanguageOverridesInvalid(Exception):
    """The language file was refused; `errors` says why, one sentence per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def shipped_language(locale: str) -> bool:
    """Whether `locale` is a language the product ships (settings.LANGUAGES)."""
    return any(code == locale for code, _name in settings.LANGUAGES)


def _require_shipped(locale: str) -> None:
    if not shipped_language(locale):
        raise LanguageOverridesInvalid(
            [_("“%(locale)s” is not a shipped language.") % {"locale": locale}]
        )


def language_defaults(*, locale: str) -> dict[str, str]:
    """Every string ID of the tenant (Entra's, then one per custom attribute) with its default
    text in `locale`, in the table's order: the file an admin downloads to start from."""
    _require_shipped(locale)
    with translation.override(locale):
        return {string_id: str(row.default) for string_id, row in tenant_strings().items()}


def language_overrides_get(*, locale: str) -> dict[str, str]:
    """The tenant's overrides for `locale` as stored (empty when none)."""
    _require_shipped(locale)
    row = LanguageOverride.objects.filter(locale=locale).first()
    return dict(row.strings) if row is not None else {}


def language_overrides_locales() -> set[str]:
    """The languages for which the tenant has overrides."""
    return set(LanguageOverride.objects.exclude(strings={}).values_list("locale", flat=True))


def language_file_read(*, file: IO[bytes], size: int | None = None) -> bytes:
    """At most OVERRIDES_FILE_MAX_BYTES of an uploaded file: a larger file is refused without
    being read further (its announced `size`, when known, is checked before reading at all)."""
    if size is not None and size > OVERRIDES_FILE_MAX_BYTES:
        raise LanguageOverridesInvalid([_too_large()])
    data = file.read(OVERRIDES_FILE_MAX_BYTES + 1)
    if len(data) > OVERRIDES_FILE_MAX_BYTES:
        raise LanguageOverridesInvalid([_too_large()])
    return data


def _too_large() -> str:
    return _("The file is larger than %(max)d KB.") % {"max": OVERRIDES_FILE_MAX_BYTES // 1024}


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(_("The key “%(key)s” appears twice.") % {"key": key[:100]})
        seen[key] = value
    return seen


def _parse(data: bytes) -> dict[str, Any]:
    if len(data) > OVERRIDES_FILE_MAX_BYTES:
        raise LanguageOverridesInvalid([_too_large()])
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as some editors save, is allowed
    except UnicodeDecodeError as error:
        raise LanguageOverridesInvalid(
            [_("The file is not UTF-8 text (byte %(at)d).") % {"at": error.start}]
        ) from error
    try:
        parsed = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise LanguageOverridesInvalid(
            [
                _("The file is not valid JSON: %(why)s (line %(line)d, column %(column)d).")
                % {"why": error.msg, "line": error.lineno, "column": error.colno}
            ]
        ) from error
    except ValueError as error:  # a repeated key (_unique_keys)
        raise LanguageOverridesInvalid([str(error)]) from error
    except RecursionError as error:
        raise LanguageOverridesInvalid([_("The file nests too deeply to be read.")]) from error
    if not isinstance(parsed, dict):
        raise LanguageOverridesInvalid(
            [_("The file must hold one JSON object of string IDs and texts.")]
        )
    return parsed


def language_overrides_check(*, data: bytes) -> dict[str, str]:
    """The overrides a language file holds, checked: one JSON object (UTF-8, at most
    OVERRIDES_FILE_MAX_BYTES) whose keys are the tenant's string IDs and whose values are
    non-empty texts within each ID's length. Raises LanguageOverridesInvalid listing every
    problem, each naming its key."""
    parsed = _parse(data)
    known = tenant_strings()
    errors: list[str] = []
    for key, value in parsed.items():
        shown = key if len(key) <= 100 else f"{key[:100]}…"
        row = known.get(key)
        if row is None:
            errors.append(_("“%(key)s” is not a known string ID.") % {"key": shown})
        elif not isinstance(value, str):
            errors.append(_("The value of “%(key)s” must be text.") % {"key": shown})
        elif not value.strip():
            errors.append(_("The value of “%(key)s” is empty.") % {"key": shown})
        elif len(value) > row.max_length:
            errors.append(
                _("The value of “%(key)s” is %(length)d characters long; at most %(max)d.")
                % {"key": shown, "length": len(value), "max": row.max_length}
            )
        elif not storable_text(value):
            errors.append(
                _("The value of “%(key)s” holds characters that cannot be stored.") % {"key": shown}
            )
    if errors:
        if len(errors) > _MAX_ERRORS_REPORTED:
            more = len(errors) - _MAX_ERRORS_REPORTED
            errors = [
                *errors[:_MAX_ERRORS_REPORTED],
                _("…and %(count)d more problems.") % {"count": more},
            ]
        raise LanguageOverridesInvalid(errors)
    return {key: str(value) for key, value in parsed.items()}


@transaction.atomic
def language_overrides_upload(*, locale: str, data: bytes) -> dict[str, str]:
    """Replace the tenant's overrides for `locale` with the file `data` (as Entra does: the
    last upload wins, for Company branding and every user flow alike) and return them. The file
    is checked whole first (`language_overrides_check`): a refused file stores nothing. The
    hosted pages show the change within CIAM_BRANDING_CACHE_SECONDS (branding/overrides.py)."""
    _require_shipped(locale)
    strings = language_overrides_check(data=data)
    LanguageOverride.objects.update_or_create(
        locale=locale, defaults={"strings": strings, "updated_at": timezone.now()}
    )
    _changed_on_commit()
    return strings


@transaction.atomic
def language_overrides_remove(*, locale: str) -> bool:
    """Remove the tenant's overrides for `locale`: its pages show the defaults again. Returns
    whether there were any."""
    _require_shipped(locale)
    deleted, _rows = LanguageOverride.objects.filter(locale=locale).delete()
    _changed_on_commit()
    return deleted > 0


def _changed_on_commit() -> None:
    # As the branding services do: renewed now (this node) and again once committed (so no
    # node keeps what it read between the two).
    branding_cache_invalidate()
    transaction.on_commit(branding_cache_invalidate)
