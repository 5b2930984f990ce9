"""The form of one branding layer, in Entra's sections (Basics, Layout, Header, Footer, Sign-in
form, CSS), where every element may be left empty: inherited from the layer below.

The form only shapes what the admin typed (empty → None, shown/hidden → True/False); every rule
(colours, URLs, lengths, images, CSS) is the service's (branding/services.py), whose errors the
view puts back on these fields.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.utils.translation import gettext_lazy as _

from branding.models import (
    LINK_TEXT_MAX,
    SIGN_IN_TEXT_MAX,
    USERNAME_HINT_MAX,
    ImageElement,
    LayoutTemplate,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SHOWN, HIDDEN = "shown", "hidden"

# Entra's sections, each with its elements (images by their ImageElement name).
SECTIONS: list[tuple[str, "StrOrPromise", list[str]]] = [
    ("basics", _("Basics"), ["favicon", "background_image", "background_color"]),
    ("layout", _("Layout"), ["layout_template", "show_header", "show_footer"]),
    ("header", _("Header"), ["header_logo"]),
    (
        "footer",
        _("Footer"),
        [
            "show_privacy_link",
            "privacy_link_text",
            "privacy_link_url",
            "show_terms_link",
            "terms_link_text",
            "terms_link_url",
        ],
    ),
    (
        "sign-in-form",
        _("Sign-in form"),
        [
            "banner_logo",
            "square_logo_light",
            "square_logo_dark",
            "username_hint",
            "sign_in_text",
            "show_sspr_link",
            "accent_color",
        ],
    ),
    ("css", _("Custom CSS"), ["custom_css"]),
]

IMAGE_NAMES = [element.value for element in ImageElement]
FLAG_NAMES = [
    "show_header",
    "show_footer",
    "show_privacy_link",
    "show_terms_link",
    "show_sspr_link",
]


def _flag(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("", _("Inherit")), (SHOWN, _("Shown")), (HIDDEN, _("Hidden"))],
        coerce=lambda value: value == SHOWN,
        empty_value=None,
        required=False,
    )


def _text(label: Any, max_length: int, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=False, empty_value=None, **kwargs
    )


# The service checks every value when saving (all problems at once, on their fields); the live
# preview, which calls no service, leaves out the values these would refuse.
_PREVIEW_CHECKS = {
    "background_color": RegexValidator(r"^#[0-9a-fA-F]{6}\Z"),
    "accent_color": RegexValidator(r"^#[0-9a-fA-F]{6}\Z"),
    "privacy_link_url": URLValidator(schemes=["http", "https"]),
    "terms_link_url": URLValidator(schemes=["http", "https"]),
}


def _color(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=7,
        required=False,
        empty_value=None,
        widget=forms.TextInput(
            attrs={"placeholder": "#rrggbb", "spellcheck": "false", "class": "color"}
        ),
    )


class BrandingLayerForm(forms.Form):
    """Every element of one layer. Image fields come in pairs: the upload and `remove_<name>`."""

    favicon = forms.FileField(label=_("Favicon"), required=False)
    background_image = forms.FileField(label=_("Background image"), required=False)
    background_color = _color(_("Page background colour"))
    layout_template = forms.TypedChoiceField(
        label=_("Layout template"),
        choices=[("", _("Inherit")), *LayoutTemplate.choices],
        required=False,
        empty_value=None,
    )
    show_header = _flag(_("Show header"))
    show_footer = _flag(_("Show footer"))
    header_logo = forms.FileField(label=_("Header logo"), required=False)
    show_privacy_link = _flag(_("“Privacy & cookies” link"))
    privacy_link_text = _text(_("“Privacy & cookies” text"), LINK_TEXT_MAX)
    privacy_link_url = _text(_("“Privacy & cookies” URL"), 2048, widget=forms.URLInput)
    show_terms_link = _flag(_("“Terms of use” link"))
    terms_link_text = _text(_("“Terms of use” text"), LINK_TEXT_MAX)
    terms_link_url = _text(_("“Terms of use” URL"), 2048, widget=forms.URLInput)
    banner_logo = forms.FileField(label=_("Banner logo"), required=False)
    square_logo_light = forms.FileField(label=_("Square logo (light theme)"), required=False)
    square_logo_dark = forms.FileField(label=_("Square logo (dark theme)"), required=False)
    username_hint = _text(_("Username hint"), USERNAME_HINT_MAX)
    sign_in_text = _text(
        _("Sign-in page text"),
        SIGN_IN_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Up to 1024 characters. Markdown: [link](https://…), **bold**, *italic*, ++underline++."
        ),
    )
    show_sspr_link = _flag(_("“Forgot password?” link"))
    accent_color = _color(_("Accent colour (buttons and links)"))
    custom_css = forms.CharField(
        label=_("Custom CSS"),
        required=False,
        empty_value=None,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            "No @import, url() or script: the classes you may style are listed in the docs."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in IMAGE_NAMES:
            self.fields[f"remove_{name}"] = forms.BooleanField(label=_("Remove"), required=False)
            self.fields[name].widget.attrs["accept"] = (
                "image/png,image/jpeg,image/x-icon" if name == "favicon" else "image/png,image/jpeg"
            )

    def values(self) -> dict[str, Any]:
        """The non-image elements, None for those left to inherit."""
        return {
            name: self.cleaned_data.get(name)
            for name in self.fields
            if name not in IMAGE_NAMES and not name.startswith("remove_")
        }

    def previewable_values(self) -> dict[str, Any]:
        """`values()` of a form checked with `is_valid()`, without those the service would
        refuse for their form (fields with errors, colours and URLs that are not)."""
        values = {}
        for name, value in self.values().items():
            if name in self.errors:
                continue
            check = _PREVIEW_CHECKS.get(name)
            if check is not None and value is not None:
                try:
                    check(value)
                except ValidationError:
                    continue
            values[name] = value
        return values

    def images(self) -> dict[str, Any]:
        """The uploaded images, by element."""
        return {name: self.cleaned_data[name] for name in IMAGE_NAMES if self.cleaned_data[name]}

    def cleared_images(self) -> list[str]:
        """The images the admin chose to remove (an upload of the same element wins)."""
        return [
            name
            for name in IMAGE_NAMES
            if self.cleaned_data.get(f"remove_{name}") and not self.cleaned_data.get(name)
        ]


def layer_initial(layer: Any) -> dict[str, Any]:
    """The form's initial values from a saved layer (None: a layer not saved yet)."""
    if layer is None:
        return {}
    initial: dict[str, Any] = {}
    for section in SECTIONS:
        for name in section[2]:
            if name in IMAGE_NAMES:
                continue
            value = getattr(layer, name)
            if name in FLAG_NAMES:
                initial[name] = "" if value is None else (SHOWN if value else HIDDEN)
            else:
                initial[name] = value
    return initial
