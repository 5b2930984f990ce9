"""The tenant's language overrides as the hosted pages read them: remembered per process.

Every page reads the overrides of its language, so each process remembers them per (schema,
locale), under the same per-tenant generation as the resolved branding
(branding/selectors.py `branding_generation`): an entry is used while the tenant's generation is
the one it was read under. Every change of the overrides (branding/languages.py) renews that
generation (`branding_cache_invalidate`), so it shows at once on the node that made it and on
the others within CIAM_BRANDING_CACHE_SECONDS.
"""

from django.conf import settings
from django.utils.translation import get_language
from django_tenants.utils import get_public_schema_name

from branding.models import LanguageOverride
from branding.selectors import branding_generation
from branding.strings import STRINGS
from tenants.memory import MISSING, TenantMemory
from tenants.schemas import current_schema_name

# (schema, locale) → (generation, strings)
_memory = TenantMemory(lambda: float(getattr(settings, "CIAM_BRANDING_CACHE_SECONDS", 5)))


def _load(locale: str) -> dict[str, str]:
    row = LanguageOverride.objects.filter(locale=locale).values_list("strings", flat=True).first()
    if not isinstance(row, dict):
        return {}
    return {key: value for key, value in row.items() if isinstance(value, str)}


def overrides_for(locale: str) -> dict[str, str]:
    """The current tenant's overrides for `locale` (string ID → text; empty when none), as of
    its current branding generation. Call inside the tenant's schema; in the public schema (the
    admin center's preview renders the hosted templates there) there are none. Do not mutate."""
    schema = current_schema_name()
    if schema == get_public_schema_name():
        return {}
    generation = branding_generation()
    entry = _memory.get(schema, locale)
    if entry is not MISSING and entry[0] == generation:
        strings_remembered: dict[str, str] = entry[1]
        return strings_remembered
    strings = _load(locale)
    _memory.put(schema, locale, (generation, strings))
    return strings


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
