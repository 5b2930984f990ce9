"""The tenant's language overrides as the hosted pages read them: remembered per process.

Every page reads the overrides of its language, so each process remembers them per (schema,
locale) for CIAM_LOOKUP_SECONDS. Every change bumps the tenant's generation number in the shared
cache (`overrides_changed`): once its few seconds are up, a process asks the shared cache for
the generation and reloads from the database only when it moved. The process that made the
change forgets at once, so the admin sees their own change on the next page; other processes
see it within CIAM_LOOKUP_SECONDS.
"""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from branding.models import LanguageOverride
from branding.strings import STRINGS
from tenants.schemas import current_schema_name

_MAX_ENTRIES = 10_000
# (schema, locale) → (valid until (monotonic), generation, strings)
_memory: dict[tuple[str, str], tuple[float, str | None, dict[str, str]]] = {}


def _generation_key(schema: str) -> str:
    return f"branding:language-overrides:{schema}"


def _load(locale: str) -> dict[str, str]:
    row = LanguageOverride.objects.filter(locale=locale).values_list("strings", flat=True).first()
    if not isinstance(row, dict):
        return {}
    return {key: value for key, value in row.items() if isinstance(value, str)}


def _generation(schema: str) -> str | None:
    """The tenant's generation number in the shared cache, given one if it has none yet (the
    first process to add it wins; all then compare against the same value)."""
    key = _generation_key(schema)
    generation: str | None = cache.get(key)
    if generation is None:
        cache.add(key, uuid.uuid4().hex, None)
        generation = cache.get(key)
    return generation


def overrides_for(locale: str) -> dict[str, str]:
    """The current tenant's overrides for `locale` (string ID → text; empty when none), as
    stored at most CIAM_LOOKUP_SECONDS ago. Call inside the tenant's schema. Do not mutate."""
    ttl = settings.CIAM_LOOKUP_SECONDS
    if ttl <= 0:
        return _load(locale)
    schema = current_schema_name()
    key = (schema, locale)
    now = time.monotonic()
    entry = _memory.get(key)
    if entry is not None and entry[0] > now:
        return entry[2]
    generation = _generation(schema)
    if entry is not None and generation is not None and entry[1] == generation:
        strings = entry[2]  # unchanged anywhere: no database read
    else:
        strings = _load(locale)
    if len(_memory) >= _MAX_ENTRIES:
        _memory.clear()
    _memory[key] = (now + ttl, generation, strings)
    return strings


def overrides_changed(*, schema: str) -> None:
    """Say that the overrides of the tenant whose schema is `schema` changed (after the change
    is committed): this process forgets them now, every other within CIAM_LOOKUP_SECONDS."""
    cache.set(_generation_key(schema), uuid.uuid4().hex, None)
    for key in [key for key in _memory if key[0] == schema]:
        _memory.pop(key, None)


def forget_all() -> None:
    """Forget every remembered override in this process (tests)."""
    _memory.clear()


def override_text(string_id: str) -> str | None:
    """The tenant's override of `string_id` in the language the page speaks, or None."""
    return overrides_for(get_language() or settings.LANGUAGE_CODE).get(string_id) or None


def fill(text: str, *args: object) -> str:
    """`text` with "{0}", "{1}", … replaced by `args` (plain replacement: an admin's text is
    never a format string, so "{0.__class__}" stays as it is)."""
    for index, value in enumerate(args):
        text = text.replace(f"{{{index}}}", str(value))
    return text


def customized_text(string_id: str, *args: object, page_default: str | None = None) -> str:
    """The text of `string_id` on this page: the tenant's override in the page's language,
    else `page_default` when given, else its translated default from the table, with "{0}",
    "{1}", … filled from `args`. An unknown ID with neither gives ""."""
    text = override_text(string_id)
    if text is None:
        definition = STRINGS.get(string_id)
        if page_default is not None:
            text = page_default
        else:
            text = str(definition.default) if definition is not None else ""
    return fill(text, *args)
