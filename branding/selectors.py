"""The branding a request wears: tenant default → the page's language → the signing-in app
(its default, then its language). Cached: a page never rebuilds it.

Resolution reads at most four rows (one query) and renders the sign-in text once; the result
is kept in this process's memory per (schema, app, language). Each tenant has a generation
number in the shared cache (Redis), changed by every save and delete of a layer
(branding/services.py): an entry is used only while its generation is the tenant's current one,
and the current one is itself remembered until the change feed names the tenant
(tenants/changes.py). So a change made on this node shows at once, and on another node within
CIAM_BRANDING_CACHE_SECONDS; between changes a page costs no query and no cache round trip.
"""

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext

from branding.css import sanitise_css
from branding.exceptions import BrandingInvalid
from branding.images import ValidatedImage
from branding.markdown import sign_in_text_html
from branding.models import Branding, ImageElement, LayoutTemplate
from branding.resolved import (
    NEUTRAL_ACCENT_COLOR,
    NEUTRAL_BACKGROUND_COLOR,
    FooterLink,
    ResolvedBranding,
)
from branding.storage import branding_storage
from tenants.memory import MISSING, TenantMemory
from tenants.models import Tenant
from tenants.schemas import current_schema_name
from tenants.selectors import tenant_base_url

# Below the tenant's segment (branding/urls.py serves them).
THEME_PATH = "branding/theme/"
ASSETS_PATH = "branding/assets/"

# The elements a layer holds besides its images, in the model's words.
VALUE_FIELDS = (
    "background_color",
    "layout_template",
    "show_header",
    "show_footer",
    "username_hint",
    "sign_in_text",
    "show_sspr_link",
    "show_privacy_link",
    "privacy_link_text",
    "privacy_link_url",
    "show_terms_link",
    "terms_link_text",
    "terms_link_url",
    "accent_color",
    "custom_css",
)
IMAGE_FIELDS = tuple(element.value for element in ImageElement)
ELEMENT_FIELDS = VALUE_FIELDS + IMAGE_FIELDS

_GENERATION_KEY = "branding:generation:{schema}"


@dataclass(frozen=True)
class _Resolution:
    branding: ResolvedBranding
    custom_css: str


# (schema, client_id, language) → (generation, resolution); schema → (expiry, generation).
def _cache_seconds() -> float:
    return float(getattr(settings, "CIAM_BRANDING_CACHE_SECONDS", 5))


_memory = TenantMemory(_cache_seconds)
_generations = TenantMemory(_cache_seconds)


def _generation(schema: str) -> str:
    """The tenant's current generation: from memory until the change feed names the tenant,
    else the shared cache (created there when missing, e.g. after the cache was flushed: every
    node then rebuilds)."""
    remembered = _generations.get(schema, "generation")
    if remembered is not MISSING:
        return str(remembered)
    key = _GENERATION_KEY.format(schema=schema)
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        value = cache.get(key) or ""
    _generations.put(schema, "generation", str(value))
    return str(value)


def branding_generation() -> str:
    """The current schema's branding generation (remembered until the tenant changes):
    what else a process keeps of the tenant's branding (its language overrides,
    branding/overrides.py) is valid while it is unchanged."""
    return _generation(current_schema_name())


def branding_cache_invalidate() -> None:
    """Make every node see the current schema's branding anew: a new generation in the shared
    cache (other nodes within CIAM_BRANDING_CACHE_SECONDS) and this process's memory of the
    tenant forgotten at once. Services call it after every change."""
    schema = current_schema_name()
    cache.set(_GENERATION_KEY.format(schema=schema), uuid.uuid4().hex, timeout=None)
    _generations.forget(schema)
    _memory.forget(schema)


def branding_forget_all() -> None:
    """Forget everything this process remembers (tests)."""
    _memory.clear()
    _generations.clear()


def branding_layers() -> list[Branding]:
    """Every layer of the current tenant, the tenant's first, then per app (by name), each by
    locale, with its app loaded. Call inside the tenant's schema."""
    return list(
        Branding.objects.select_related("app").order_by(
            F("app__name").asc(nulls_first=True), "app_id", "locale"
        )
    )


def _layers(client_id: str | None, language: str) -> list[Branding]:
    """The layers that apply, least specific first (tenant "", tenant language, app "", app
    language)."""
    which = Q(app__isnull=True)
    if client_id:
        which |= Q(app__client_id=client_id)
    rows = list(Branding.objects.filter(which, locale__in=["", language]))
    rows.sort(key=lambda row: (row.app_id is not None, row.locale != ""))
    return rows


def _tenant_path(tenant: Tenant) -> str:
    return urlsplit(tenant_base_url(tenant)).path.rstrip("/")


def branding_image_url(tenant: Tenant, name: str) -> str:
    """The URL a stored image name (`<schema>/<hash>.<ext>`, a layer's field) is served at:
    this tenant's asset path for the local folder, the bucket's URL otherwise; "" for none."""
    if not name:
        return ""
    storage = branding_storage()
    if isinstance(storage, FileSystemStorage):
        # Served by branding/views.py below the tenant's own address (same origin: the CSP's
        # img-src 'self'); the stored name is `<schema>/<file>`.
        return f"{_tenant_path(tenant)}/{ASSETS_PATH}{name.rsplit('/', 1)[-1]}"
    return str(storage.url(name))


def _resolve(
    tenant: Tenant,
    client_id: str | None,
    language: str,
    elements: Mapping[str, Any],
    image_urls: Mapping[str, str],
) -> _Resolution:
    def value(name: str, default: Any) -> Any:
        found = elements.get(name)
        return default if found is None else found

    def link(show: str, text: str, url: str, default_text: str) -> FooterLink | None:
        if value(show, False) and value(url, ""):
            return FooterLink(text=value(text, "") or default_text, url=value(url, ""))
        return None

    layout = value("layout_template", LayoutTemplate.FULL_SCREEN)
    with translation.override(language):
        # Entra's default texts of the footer links, in the page's language.
        privacy_text, terms_text = gettext("Privacy & cookies"), gettext("Terms of use")
    resolved = ResolvedBranding(
        company_name=tenant.display_name,
        favicon_url=image_urls.get("favicon", ""),
        background_image_url=image_urls.get("background_image", ""),
        background_color=value("background_color", NEUTRAL_BACKGROUND_COLOR),
        accent_color=value("accent_color", NEUTRAL_ACCENT_COLOR),
        layout_template=str(layout),
        show_header=value("show_header", True),
        show_footer=value("show_footer", True),
        header_logo_url=image_urls.get("header_logo", ""),
        banner_logo_url=image_urls.get("banner_logo", ""),
        square_logo_light_url=image_urls.get("square_logo_light", ""),
        square_logo_dark_url=image_urls.get("square_logo_dark", ""),
        username_hint=value("username_hint", ""),
        sign_in_html=sign_in_text_html(value("sign_in_text", "")),
        show_sspr_link=value("show_sspr_link", True),
        privacy_link=link(
            "show_privacy_link", "privacy_link_text", "privacy_link_url", privacy_text
        ),
        terms_link=link("show_terms_link", "terms_link_text", "terms_link_url", terms_text),
    )
    custom_css = value("custom_css", "")
    digest = hashlib.sha256()
    for field in fields(resolved):
        digest.update(f"{field.name}={getattr(resolved, field.name)!r}\n".encode())
    digest.update(custom_css.encode())
    version = digest.hexdigest()[:16]
    query: dict[str, str] = {"lang": language}
    if client_id:
        query["app"] = client_id
    stylesheet_url = (
        f"{_tenant_path(tenant)}/{THEME_PATH}{version}.css?{urlencode(sorted(query.items()))}"
    )
    return _Resolution(
        branding=replace(resolved, version=version, stylesheet_url=stylesheet_url),
        custom_css=custom_css,
    )


def _merge(layers: list[Branding]) -> dict[str, Any]:
    """Per element, the most specific layer's value that is not None."""
    elements: dict[str, Any] = {}
    for layer in layers:  # least specific first: later layers win
        for name in VALUE_FIELDS:
            found = getattr(layer, name)
            if found is not None:
                elements[name] = found
        for name in IMAGE_FIELDS:
            file = getattr(layer, name)
            if file:
                elements[name] = file.name
    return elements


def _resolution(tenant: Tenant, client_id: str | None, language: str) -> _Resolution:
    ttl = _cache_seconds()
    if ttl <= 0:
        return _build(tenant, client_id, language)
    schema = current_schema_name()
    generation = _generation(schema)
    key = (client_id or "", language)
    entry = _memory.get(schema, key)
    # A renamed tenant bumps no generation: its name is checked here instead.
    if (
        entry is not MISSING
        and entry[0] == generation
        and entry[1].branding.company_name == tenant.display_name
    ):
        remembered: _Resolution = entry[1]
        return remembered
    resolution = _build(tenant, client_id, language)
    _memory.put(schema, key, (generation, resolution))
    return resolution


def _build(tenant: Tenant, client_id: str | None, language: str) -> _Resolution:
    elements = _merge(_layers(client_id, language))
    image_urls = {name: branding_image_url(tenant, elements.get(name, "")) for name in IMAGE_FIELDS}
    return _resolve(tenant, client_id, language, elements, image_urls)


def _usable_client_id(client_id: str | None) -> str | None:
    if not client_id or len(client_id) > 100 or "\x00" in client_id:
        return None
    return client_id


def branding_for(tenant: Tenant, client_id: str | None, language: str) -> ResolvedBranding:
    """The resolved branding of `tenant` for the app `client_id` (None: no app) in `language`
    (a code of settings.LANGUAGES). Call inside the tenant's schema.

    Every element comes from the most specific layer that sets it (app and language, app,
    language, tenant), else the neutral default; footer links show only when shown *and* given
    a URL. An unknown client ID is the tenant's branding. Remembered (module docstring).
    """
    return _resolution(tenant, _usable_client_id(client_id), language).branding


def branding_theme_css(tenant: Tenant, client_id: str | None, language: str) -> tuple[str, str]:
    """(version, stylesheet) of the resolution `branding_for` gives for the same arguments."""
    resolution = _resolution(tenant, _usable_client_id(client_id), language)
    return resolution.branding.version, theme_css(resolution.branding, resolution.custom_css)


def branding_preview_with_css(
    tenant: Tenant,
    *,
    client_id: str | None,
    language: str,
    draft_values: Mapping[str, Any],
    draft_images: Mapping[str, ValidatedImage],
    draft_layer: tuple[int | None, str] | None = None,
    cleared_images: Iterable[str] = (),
) -> tuple[ResolvedBranding, str]:
    """The branding as it would resolve with an unsaved draft (the admin's live preview), and
    the theme stylesheet that goes with it (`theme_css`). Draft values are taken as given
    (check them with the admin's form) except the custom CSS, sanitised here:
    BrandingInvalid({"custom_css": [...]}) when refused. Draft images (already checked:
    `validate_image`) are data: URIs. Nothing is cached or stored. Call inside the tenant's
    schema (`tenants.schemas.in_tenant`).

    With `draft_layer` (the app's primary key or None, and the locale of the layer the admin is
    editing), the draft *is* that layer: it takes the layer's place among the others, an
    element emptied in it shows what it inherits, and its saved images stay unless cleared.
    Without it the draft lies on top of every saved layer."""
    client_id = _usable_client_id(client_id)
    layers = _layers(client_id, language)
    if draft_layer is None:
        elements = _merge(layers)
        for name in VALUE_FIELDS:
            if draft_values.get(name) is not None:
                elements[name] = draft_values[name]
    else:
        elements = _merge(
            _with_draft_layer(
                layers, client_id, language, draft_layer, draft_values, set(cleared_images)
            )
        )
    if elements.get("custom_css"):
        try:
            elements["custom_css"] = sanitise_css(elements["custom_css"])
        except ValidationError as error:
            raise BrandingInvalid({"custom_css": [str(m) for m in error.messages]}) from None
    image_urls = {name: branding_image_url(tenant, elements.get(name, "")) for name in IMAGE_FIELDS}
    for name, image in draft_images.items():
        if name in IMAGE_FIELDS:
            image_urls[name] = image.data_uri
    resolution = _resolve(tenant, client_id, language, elements, image_urls)
    return resolution.branding, theme_css(resolution.branding, resolution.custom_css)


def _with_draft_layer(
    layers: list[Branding],
    client_id: str | None,
    language: str,
    draft_layer: tuple[int | None, str],
    draft_values: Mapping[str, Any],
    cleared_images: set[str],
) -> list[Branding]:
    """`layers` with the edited layer replaced by the unsaved draft, in its place; a draft of
    a layer that does not apply to this app and language (another app's, another language's)
    leaves them as they are."""
    app_id, locale = draft_layer
    if locale not in ("", language):
        return layers
    if app_id is not None:
        app_model = Branding._meta.get_field("app").related_model
        if (
            not client_id
            or not app_model._default_manager.filter(  # type: ignore[union-attr]
                pk=app_id, client_id=client_id
            ).exists()
        ):
            return layers
    saved = next((row for row in layers if row.app_id == app_id and row.locale == locale), None)
    draft = Branding(app_id=app_id, locale=locale)
    for name in VALUE_FIELDS:
        setattr(draft, name, draft_values.get(name))
    for name in IMAGE_FIELDS:
        kept = saved is not None and name not in cleared_images
        setattr(draft, name, getattr(saved, name) if kept else None)
    others = [row for row in layers if row is not saved]
    return sorted([*others, draft], key=lambda row: (row.app_id is not None, row.locale != ""))


def _relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of `#rrggbb`."""
    channels = []
    for index in (1, 3, 5):
        c = int(color[index : index + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two `#rrggbb` colours (1 to 21)."""
    a, b = sorted((_relative_luminance(first), _relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def on_color(background: str) -> str:
    """Black or white, whichever contrasts more with `background` (text on the accent)."""
    if contrast_ratio(background, "#000000") >= contrast_ratio(background, "#ffffff"):
        return "#000000"
    return "#ffffff"


def _css_url(url: str) -> str:
    # Our own URL (a path of hex names, or the bucket's): quoted and percent-encoded so that
    # nothing in it can end the string.
    return 'url("' + quote(url, safe="/:?=&.-_~%;,+") + '")'


def theme_css(resolved: ResolvedBranding, custom_css: str) -> str:
    """The theme stylesheet: the branding's CSS variables, then the sanitised custom CSS.

    Variables: --brand-background, --brand-on-background (black or white), --brand-accent,
    --brand-on-accent (black or white, the better WCAG contrast with the accent),
    --brand-background-image (`url(…)` or `none`).
    """
    image = _css_url(resolved.background_image_url) if resolved.background_image_url else "none"
    variables = (
        ":root {\n"
        f"  --brand-background: {resolved.background_color};\n"
        f"  --brand-on-background: {on_color(resolved.background_color)};\n"
        f"  --brand-accent: {resolved.accent_color};\n"
        f"  --brand-on-accent: {on_color(resolved.accent_color)};\n"
        f"  --brand-background-image: {image};\n"
        "}\n"
    )
    return variables + (f"\n/* custom CSS */\n{custom_css}\n" if custom_css else "")
