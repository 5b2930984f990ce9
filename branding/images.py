"""Branding images, checked the way Entra sizes them before anything is stored.

The format is the one Pillow decodes from the content, never the file's name or the browser's
content type: a PNG named `logo.jpg` is a PNG (saved as `.png`), an HTML page named `logo.png`
is refused. An upload is read only up to its element's byte limit (plus one byte, to know it is
over), its dimensions are checked from the header before any pixel is decoded (so a small file
claiming 50000x50000 pixels is refused unread), and it is then decoded in full, so a truncated
or corrupt file is refused too.
"""

import base64
import contextlib
import io
import warnings
from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from branding.models import ImageElement

ImageExtension = Literal["png", "jpg", "ico"]

# Pillow's format name → the extension the image is saved under and the type it is served as.
_FORMATS: dict[str, tuple[ImageExtension, str]] = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "ICO": ("ico", "image/x-icon"),
}
MIME_BY_EXTENSION: dict[str, str] = dict(_FORMATS.values())

# Entra accepts images up to its recommended size; high-DPI screens want up to twice as many
# pixels in each direction, so that much is accepted, and no more.
DPI_FACTOR = 2


@dataclass(frozen=True)
class ImageRule:
    """Entra's recommended size of an element's image, its byte limit and its formats."""

    width: int
    height: int
    max_bytes: int
    formats: frozenset[str]

    @property
    def max_width(self) -> int:
        return self.width * DPI_FACTOR

    @property
    def max_height(self) -> int:
        return self.height * DPI_FACTOR


_PNG_JPEG = frozenset({"PNG", "JPEG"})
KB = 1024

IMAGE_RULES: dict[str, ImageRule] = {
    ImageElement.FAVICON: ImageRule(32, 32, 5 * KB, _PNG_JPEG | {"ICO"}),
    ImageElement.BACKGROUND_IMAGE: ImageRule(1920, 1080, 300 * KB, _PNG_JPEG),
    ImageElement.BANNER_LOGO: ImageRule(245, 36, 50 * KB, _PNG_JPEG),
    ImageElement.HEADER_LOGO: ImageRule(245, 36, 10 * KB, _PNG_JPEG),
    ImageElement.SQUARE_LOGO_LIGHT: ImageRule(240, 240, 50 * KB, _PNG_JPEG),
    ImageElement.SQUARE_LOGO_DARK: ImageRule(240, 240, 50 * KB, _PNG_JPEG),
}


@dataclass(frozen=True)
class ValidatedImage:
    """An image that passed `validate_image`: its bytes and what was decoded from them."""

    content: bytes
    extension: ImageExtension
    width: int
    height: int
    mime: str

    @property
    def data_uri(self) -> str:
        """The image inline (the admin's preview of an image not saved yet)."""
        return f"data:{self.mime};base64,{base64.b64encode(self.content).decode('ascii')}"


def _read_at_most(upload: File, limit: int) -> bytes:  # type: ignore[type-arg]
    if hasattr(upload, "seek"):
        # A stream that cannot rewind is read from where it is.
        with contextlib.suppress(OSError, ValueError):
            upload.seek(0)
    data = upload.read(limit + 1)
    return data if isinstance(data, bytes) else data.encode()


def _formats_text(formats: frozenset[str]) -> str:
    return ", ".join(sorted(_FORMATS[name][0].upper() for name in formats))


def validate_image(element: ImageElement | str, upload: File) -> ValidatedImage:  # type: ignore[type-arg]
    """The upload as a checked image for `element`, or ValidationError saying what is wrong.

    Guarantees: at most the element's byte limit + 1 bytes are read; the format is PNG or JPEG
    (ICO too for the favicon), decided from the content; the width and height are at most twice
    Entra's recommended size; the whole image decoded without error. Nothing is stored.
    """
    rule = IMAGE_RULES.get(element)
    if rule is None:
        raise ValidationError(_("Unknown image element."), code="unknown_element")
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > rule.max_bytes:
        raise _too_big(rule)
    content = _read_at_most(upload, rule.max_bytes)
    if len(content) > rule.max_bytes:
        raise _too_big(rule)
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")

    with warnings.catch_warnings():
        # A header claiming more pixels than Pillow's bomb limit is an error, not a warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=sorted(rule.formats)) as image:
                format_name = image.format or ""
                width, height = image.size
                if width > rule.max_width or height > rule.max_height:
                    raise ValidationError(
                        _(
                            "The image is %(width)sx%(height)s pixels: at most "
                            "%(max_width)sx%(max_height)s are accepted (Entra recommends "
                            "%(rec_width)sx%(rec_height)s)."
                        ),
                        code="too_large",
                        params={
                            "width": width,
                            "height": height,
                            "max_width": rule.max_width,
                            "max_height": rule.max_height,
                            "rec_width": rule.width,
                            "rec_height": rule.height,
                        },
                    )
                image.verify()
            # verify() leaves the image unusable; decode every pixel from a fresh reader.
            with Image.open(io.BytesIO(content), formats=[format_name]) as image:
                image.load()
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                _("The image claims too many pixels to be decoded safely."), code="bomb"
            ) from None
        except UnidentifiedImageError:
            raise ValidationError(
                _("This file is not an image in an accepted format (%(formats)s)."),
                code="format",
                params={"formats": _formats_text(rule.formats)},
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
            # Pillow reports truncated and corrupt data with these.
            raise ValidationError(
                _("The image is damaged or incomplete."), code="corrupt"
            ) from None
    if format_name not in rule.formats:
        raise ValidationError(
            _("This file is not an image in an accepted format (%(formats)s)."),
            code="format",
            params={"formats": _formats_text(rule.formats)},
        )
    extension, mime = _FORMATS[format_name]
    return ValidatedImage(
        content=content, extension=extension, width=width, height=height, mime=mime
    )


def _too_big(rule: ImageRule) -> ValidationError:
    return ValidationError(
        _("The file is larger than %(limit)s KB."),
        code="too_big",
        params={"limit": rule.max_bytes // KB},
    )
