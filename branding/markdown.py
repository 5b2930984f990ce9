"""The sign-in page text: Entra's Markdown subset, rendered safely.

Entra accepts links `[text](url)`, bold `**text**`, italic `*text*` or `_text_`, underline
`++text++`, paragraphs and line breaks; nothing else is read as Markdown. markdown-it-py runs
with only those rules (underline is a small inline rule of ours), raw HTML off, and only
http, https and mailto links (a `javascript:` link stays text). Its output is sanitised again
with nh3: only p, br, strong, em, u and a survive, links open in a new tab with
`rel="noopener noreferrer nofollow"`.
"""

import nh3
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from branding.models import SIGN_IN_TEXT_MAX

_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _underline(state: StateInline, silent: bool) -> bool:
    """`++text++` → <u>text</u> (Entra's underline; not CommonMark)."""
    start = state.pos
    if state.src[start : start + 2] != "++":
        return False
    end = state.src.find("++", start + 2, state.posMax)
    if end == -1 or end == start + 2:
        return False
    if not silent:
        old_max = state.posMax
        state.pos, state.posMax = start + 2, end
        state.push("u_open", "u", 1).markup = "++"
        state.md.inline.tokenize(state)
        state.push("u_close", "u", -1).markup = "++"
        state.posMax = old_max
    state.pos = end + 2
    return True


def _link_allowed(url: str) -> bool:
    return url.strip().lower().startswith(_LINK_SCHEMES)


def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    md.enable(["link", "emphasis", "newline", "escape"])
    md.inline.ruler.before("emphasis", "underline", _underline)
    md.validateLink = _link_allowed  # type: ignore[method-assign]
    return md


_MARKDOWN = _parser()


def validate_sign_in_text(text: str) -> None:
    """ValidationError when the text is longer than Entra's 1024 characters."""
    if len(text) > SIGN_IN_TEXT_MAX:
        raise ValidationError(
            _("The sign-in page text is limited to %(limit)s characters (this one has %(n)s)."),
            code="sign_in_text_too_long",
            params={"limit": SIGN_IN_TEXT_MAX, "n": len(text)},
        )


def sign_in_text_html(text: str) -> SafeString:
    """The text as HTML that holds only p, br, strong, em, u and http(s)/mailto links."""
    if not text.strip():
        return mark_safe("")
    rendered = _MARKDOWN.render(text)
    cleaned = nh3.clean(
        rendered,
        tags={"p", "br", "strong", "em", "u", "a"},
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_href_filter,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return mark_safe(cleaned.strip())  # noqa: S308 - sanitised by nh3 just above


def _href_filter(tag: str, attribute: str, value: str) -> str | None:
    # nh3 keeps relative URLs; a sign-in page's text has no business linking inside the product.
    if tag == "a" and attribute == "href" and not _link_allowed(value):
        return None
    return value
