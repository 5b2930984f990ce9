"""The branding a page or an email wears, every element decided (branding/selectors.py)."""

from dataclasses import dataclass

NEUTRAL_BACKGROUND_COLOR = "#f3f4f6"
NEUTRAL_ACCENT_COLOR = "#1f4fd1"


@dataclass(frozen=True)
class FooterLink:
    text: str
    url: str


@dataclass(frozen=True)
class ResolvedBranding:
    """What the hosted pages, the error pages a customer reaches and the emails show.

    Image fields are absolute-path or absolute URLs (the storage's), or "" when not set.
    `company_name` is the tenant's name (shown where there is no logo). `sign_in_html` is the
    sign-in page text, rendered from its Markdown subset and sanitised. `stylesheet_url` is the
    theme stylesheet (colours, background, custom CSS) of this resolution, its content hash in
    its address. `version` changes whenever any element does (caches key on it).
    """

    company_name: str
    favicon_url: str = ""
    background_image_url: str = ""
    background_color: str = NEUTRAL_BACKGROUND_COLOR
    accent_color: str = NEUTRAL_ACCENT_COLOR
    layout_template: str = "full_screen"  # Entra's default template
    show_header: bool = True
    show_footer: bool = True
    header_logo_url: str = ""
    banner_logo_url: str = ""
    square_logo_light_url: str = ""
    square_logo_dark_url: str = ""
    username_hint: str = ""
    sign_in_html: str = ""  # a SafeString once rendered (never raw input)
    show_sspr_link: bool = True
    privacy_link: FooterLink | None = None
    terms_link: FooterLink | None = None
    stylesheet_url: str = ""
    version: str = ""

    @property
    def has_logo(self) -> bool:
        return bool(self.banner_logo_url)
