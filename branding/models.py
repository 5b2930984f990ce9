"""A tenant's company branding and its language customizations (schema: the tenant's).

Branding resolves in layers (branding/selectors.py): the tenant's default row (no app, no
locale), then the row of the page's language, then the signing-in app's default row, then the
app's row for that language. In every row but the tenant default, an element left empty (None)
is inherited from the layer below; in the tenant default, None means the product's neutral
default.
"""

from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branding.storage import asset_name, branding_storage

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SIGN_IN_TEXT_MAX = 1024  # Entra's limit, in characters
USERNAME_HINT_MAX = 64
LINK_TEXT_MAX = 64
CUSTOM_CSS_MAX_BYTES = 25 * 1024


class LayoutTemplate(models.TextChoices):
    FULL_SCREEN = "full_screen", _("Full-screen background")
    PARTIAL_SCREEN = "partial_screen", _("Partial-screen background")


class ImageElement(models.TextChoices):
    """The branding's images, by Entra's names (sizes and limits: branding/images.py)."""

    FAVICON = "favicon", _("Favicon")
    BACKGROUND_IMAGE = "background_image", _("Background image")
    HEADER_LOGO = "header_logo", _("Header logo")
    BANNER_LOGO = "banner_logo", _("Banner logo")
    SQUARE_LOGO_LIGHT = "square_logo_light", _("Square logo (light theme)")
    SQUARE_LOGO_DARK = "square_logo_dark", _("Square logo (dark theme)")


def _image(label: "StrOrPromise") -> models.FileField:
    return models.FileField(
        label,
        storage=branding_storage,
        upload_to=asset_name,
        max_length=255,
        null=True,
        blank=True,
    )


class Branding(models.Model):
    """One layer of branding elements (Entra's company branding, element by element)."""

    # No app: the tenant's branding. Referenced by name: branding imports no other feature app.
    app = models.ForeignKey(
        "apps.AppRegistration",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # "" for every language; else a language code of settings.LANGUAGES ("fr", "zh-hans").
    locale = models.CharField(max_length=16, blank=True, default="")

    # Layout
    favicon = _image(_("favicon"))
    background_image = _image(_("background image"))
    background_color = models.CharField(_("page background colour"), max_length=7, null=True)
    layout_template = models.CharField(
        _("layout template"), max_length=20, choices=LayoutTemplate.choices, null=True
    )
    show_header = models.BooleanField(_("show header"), null=True)
    show_footer = models.BooleanField(_("show footer"), null=True)
    # Header and sign-in form
    header_logo = _image(_("header logo"))
    banner_logo = _image(_("banner logo"))
    square_logo_light = _image(_("square logo (light theme)"))
    square_logo_dark = _image(_("square logo (dark theme)"))
    username_hint = models.CharField(_("username hint"), max_length=USERNAME_HINT_MAX, null=True)
    sign_in_text = models.TextField(_("sign-in page text"), max_length=SIGN_IN_TEXT_MAX, null=True)
    show_sspr_link = models.BooleanField(_("show self-service password reset"), null=True)
    # Footer
    show_privacy_link = models.BooleanField(_("show 'Privacy & cookies'"), null=True)
    privacy_link_text = models.CharField(max_length=LINK_TEXT_MAX, null=True)
    privacy_link_url = models.URLField(max_length=2048, null=True)
    show_terms_link = models.BooleanField(_("show 'Terms of use'"), null=True)
    terms_link_text = models.CharField(max_length=LINK_TEXT_MAX, null=True)
    terms_link_url = models.URLField(max_length=2048, null=True)
    # Beyond Entra: the buttons' and links' colour (also the emails').
    accent_color = models.CharField(_("accent colour"), max_length=7, null=True)
    # Sanitised on save (branding/css.py): no outside resource, no script, no escape.
    custom_css = models.TextField(_("custom CSS"), null=True)

    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["app", "locale"],
                name="branding_one_layer_per_app_and_locale",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"branding app={self.app_id} locale={self.locale or '*'}"


class LanguageOverride(models.Model):
    """A language's string overrides, keyed by Entra's string IDs (`SignIn_Title`, …): one
    file per language for the whole tenant, edited from Company branding or from a user flow's
    Languages page (the same file, as in Entra: the last upload wins)."""

    locale = models.CharField(max_length=16, unique=True)
    strings = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"language overrides {self.locale}"
