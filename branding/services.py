"""Changes to a tenant's branding layers (call inside the tenant's schema).

A save checks every element first and stores nothing unless all of them pass: the admin sees
every problem at once (`BrandingInvalid.errors`, per field), and a layer is never half-saved.
Image files are written after all checks passed and before the row, under their content's
hash; a database failure after that leaves at most an unreferenced file that the next upload of
the same image reuses.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branding.css import sanitise_css
from branding.exceptions import BrandingInvalid
from branding.images import ValidatedImage, validate_image
from branding.markdown import validate_sign_in_text
from branding.models import (
    LINK_TEXT_MAX,
    USERNAME_HINT_MAX,
    Branding,
    LayoutTemplate,
)
from branding.selectors import IMAGE_FIELDS, VALUE_FIELDS, branding_cache_invalidate
from branding.storage import asset_name, branding_storage, hashed_filename

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_URL_MAX = 2048
_http_url = URLValidator(schemes=["http", "https"])


def _color(value: Any) -> str | None:
    if value == "":
        return None
    if not isinstance(value, str) or not _COLOR.fullmatch(value.strip()):
        raise ValidationError(_("Enter a colour as #rrggbb, for example #1f4fd1."))
    return value.strip().lower()


def _url(value: Any) -> str | None:
    if value == "":
        return None
    if not isinstance(value, str) or len(value) > _URL_MAX:
        raise ValidationError(_("Enter an http or https URL of at most 2048 characters."))
    try:
        _http_url(value.strip())
    except ValidationError:
        raise ValidationError(_("Enter an http or https URL.")) from None
    return value.strip()


def _text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(_("Enter text."))
        text = value.strip()
        if len(text) > limit:
            raise ValidationError(
                _("At most %(limit)s characters.") % {"limit": limit},
            )
        if "\x00" in text:
            raise ValidationError(_("The text holds a NUL character."))
        return text

    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("Choose shown or hidden."))
    return value


def _layout(value: Any) -> str | None:
    if value == "":
        return None
    if value not in LayoutTemplate.values:
        raise ValidationError(_("Choose a layout template."))
    return str(value)


def _sign_in_text(value: Any) -> str:
    text = _text(10 * 1024)(value)  # the real limit, in characters, just below
    validate_sign_in_text(text)
    return text


def _css(value: Any) -> str | None:
    if not isinstance(value, str):
        raise ValidationError(_("Enter CSS text."))
    if not value.strip():
        return None
    return sanitise_css(value)


# One checker per element: each returns the value to store (None: inherit) or raises.
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "background_color": _color,
    "accent_color": _color,
    "layout_template": _layout,
    "show_header": _flag,
    "show_footer": _flag,
    "show_sspr_link": _flag,
    "show_privacy_link": _flag,
    "show_terms_link": _flag,
    "username_hint": _text(USERNAME_HINT_MAX),
    "sign_in_text": _sign_in_text,
    "privacy_link_text": _text(LINK_TEXT_MAX),
    "terms_link_text": _text(LINK_TEXT_MAX),
    "privacy_link_url": _url,
    "terms_link_url": _url,
    "custom_css": _css,
}
if set(_CHECKS) != set(VALUE_FIELDS):  # pragma: no cover - a new element needs its check
    raise ImportError("branding/services.py: every branding element needs a check")


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _check_layer_key(app_id: int | None, locale: str, errors: dict[str, list[str]]) -> None:
    if locale != "" and locale not in {code for code, _name in settings.LANGUAGES}:
        errors.setdefault("locale", []).append(_("This language is not offered."))
    if app_id is not None:
        app_model = Branding._meta.get_field("app").related_model
        if app_model is None or isinstance(app_model, str):  # pragma: no cover - resolved
            raise TypeError("Branding.app names no loaded model")
        if not app_model._default_manager.filter(pk=app_id).exists():
            errors.setdefault("app", []).append(_("No such application."))


def branding_layer_save(
    *,
    app_id: int | None,
    locale: str,
    values: Mapping[str, Any],
    images: Mapping[str, File],  # type: ignore[type-arg]
    clear_images: Iterable[str] = (),
) -> Branding:
    """Create or change the layer of (`app_id`, `locale`): app None = the tenant's, locale "" =
    every language.

    `values` sets the listed non-image elements (None or "" = inherited from the layer below;
    elements not listed keep what the layer had); `images` replaces images, `clear_images`
    removes them (inherited again). Guarantees: every element checked before anything is
    stored, all problems raised together as BrandingInvalid; custom CSS stored sanitised;
    images stored under `<schema>/<content hash>.<real format>`; `updated_at` set; every
    node's cached branding of the tenant renewed (branding/selectors.py).
    """
    errors: dict[str, list[str]] = {}
    _check_layer_key(app_id, locale, errors)
    checked: dict[str, Any] = {}
    for name, raw in values.items():
        check = _CHECKS.get(name)
        if check is None:
            errors.setdefault(name, []).append(_("Unknown branding element."))
            continue
        if raw is None:
            checked[name] = None
            continue
        try:
            checked[name] = check(raw)
        except ValidationError as error:
            errors.setdefault(name, []).extend(_messages(error))
    validated: dict[str, ValidatedImage] = {}
    for name, upload in images.items():
        if name not in IMAGE_FIELDS:
            errors.setdefault(name, []).append(_("Unknown branding image."))
            continue
        try:
            validated[name] = validate_image(name, upload)
        except ValidationError as error:
            errors.setdefault(name, []).extend(_messages(error))
    cleared = list(clear_images)
    for name in cleared:
        if name not in IMAGE_FIELDS:
            errors.setdefault(name, []).append(_("Unknown branding image."))
    if errors:
        raise BrandingInvalid(errors)

    with transaction.atomic():
        layer, _created = Branding.objects.select_for_update().get_or_create(
            app_id=app_id, locale=locale
        )
        for name, checked_value in checked.items():
            setattr(layer, name, checked_value)
        for name in cleared:
            setattr(layer, name, None)
        for name, image in validated.items():
            setattr(layer, name, _store(image))
        layer.updated_at = timezone.now()
        layer.save()
    branding_cache_invalidate()
    transaction.on_commit(branding_cache_invalidate)
    return layer


def _store(image: ValidatedImage) -> str:
    """The storage name of the image, saved unless the same content is already there."""
    storage = branding_storage()
    name = asset_name(None, hashed_filename(image.content, image.extension))
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(image.content))
        if saved != name:  # a storage that renamed it: keep what it chose
            return saved
    return name


def branding_layer_delete(*, app_id: int | None, locale: str) -> None:
    """Remove the layer of (`app_id`, `locale`): every element is inherited again. Removing a
    layer that does not exist does nothing. Image files stay (other layers may share them)."""
    Branding.objects.filter(app_id=app_id, locale=locale).delete()
    branding_cache_invalidate()
    transaction.on_commit(branding_cache_invalidate)
