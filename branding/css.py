"""An admin's custom CSS, made safe to serve as the theme stylesheet's last part.

Parsed with tinycss2 (CSS Syntax Level 3), never with patterns: what is checked is what the
browser will read, escapes decoded (`\\75rl(` is `url(`). Refused, with the line named: any
at-rule but `@media` (no `@import`, `@font-face`, `@namespace`, …), anything that loads a
resource (`url(…)`, `image-set(…)`, `src(…)`, `image(…)`, `element(…)`), old script hooks
(`expression(…)`, `behavior`, `-moz-binding`, `javascript:`), any `<` (so `</style>` cannot end
a style element the CSS may one day be inlined in), and anything that does not parse. What is
kept is re-serialised from the parsed rules: every block is closed by us, so a rule cannot
break out of its block, and sanitising the result again gives the same text.
"""

from collections.abc import Iterable, Iterator
from typing import Any

import tinycss2
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from tinycss2 import ast

from branding.models import CUSTOM_CSS_MAX_BYTES

# Functions that fetch a resource or run script (old IE), by their lower-case names.
_FORBIDDEN_FUNCTIONS = frozenset(
    {
        "url",
        "src",
        "image",
        "image-set",
        "-webkit-image-set",
        "cross-fade",
        "-webkit-cross-fade",
        "element",
        "-moz-element",
        "expression",
        "attr",
    }
)
_FORBIDDEN_PROPERTIES = frozenset({"behavior", "-moz-binding", "-ms-behavior"})
# Checked in every decoded identifier, string and function name.
_FORBIDDEN_TEXT = (
    "javascript:",
    "vbscript:",
    "url(",
    "expression(",
    "-moz-binding",
    "behavior:",
    "<",
)


def _error(line: int | None, message: Any) -> ValidationError:
    return ValidationError(
        _("Custom CSS, line %(line)s: %(problem)s"),
        code="css",
        params={"line": line or 1, "problem": message},
    )


def _walk(tokens: Iterable[ast.Node]) -> Iterator[ast.Node]:
    for token in tokens:
        yield token
        if isinstance(token, ast.FunctionBlock):
            yield from _walk(token.arguments)
        elif isinstance(
            token, ast.ParenthesesBlock | ast.SquareBracketsBlock | ast.CurlyBracketsBlock
        ):
            yield from _walk(token.content)


def _check_values(tokens: Iterable[ast.Node]) -> None:
    for token in _walk(tokens):
        line = getattr(token, "source_line", None)
        if isinstance(token, ast.ParseError):
            raise _error(line, _("this cannot be read as CSS (%(what)s).") % {"what": token.kind})
        if isinstance(token, ast.URLToken):
            raise _error(line, _("url() is not allowed: custom CSS cannot load resources."))
        if isinstance(token, ast.FunctionBlock) and token.lower_name in _FORBIDDEN_FUNCTIONS:
            raise _error(
                line,
                _("%(name)s() is not allowed: custom CSS cannot load resources or run script.")
                % {"name": token.lower_name},
            )
        if isinstance(token, ast.CurlyBracketsBlock):
            raise _error(line, _("a block is not allowed here."))
        text = ""
        if isinstance(token, ast.IdentToken | ast.StringToken | ast.HashToken):
            text = token.value
        elif isinstance(token, ast.FunctionBlock):
            text = token.name + "("
        elif isinstance(token, ast.LiteralToken | ast.AtKeywordToken):
            text = token.value
        lowered = text.lower()
        for forbidden in _FORBIDDEN_TEXT:
            if forbidden in lowered:
                raise _error(line, _("“%(text)s” is not allowed.") % {"text": forbidden})


def _declarations(rule: ast.QualifiedRule | ast.AtRule) -> str:
    parts = []
    for item in tinycss2.parse_declaration_list(
        rule.content or [], skip_comments=True, skip_whitespace=True
    ):
        line = getattr(item, "source_line", None)
        if isinstance(item, ast.ParseError):
            raise _error(
                line, _("this cannot be read as a declaration (%(what)s).") % {"what": item.kind}
            )
        if isinstance(item, ast.AtRule):
            raise _error(
                line, _("@%(name)s is not allowed here.") % {"name": item.lower_at_keyword}
            )
        if not isinstance(item, ast.Declaration):
            continue
        if item.lower_name in _FORBIDDEN_PROPERTIES:
            raise _error(line, _("the property %(name)s is not allowed.") % {"name": item.name})
        _check_values([ast.IdentToken(item.source_line, item.source_column, item.name)])
        _check_values(item.value)
        value = tinycss2.serialize(_without_comments(item.value)).strip()
        important = " !important" if item.important else ""
        parts.append(
            f"{tinycss2.serialize([ast.IdentToken(0, 0, item.name)])}: {value}{important};"
        )
    return " ".join(parts)


def _without_comments(tokens: Iterable[ast.Node]) -> list[ast.Node]:
    return [token for token in tokens if not isinstance(token, ast.Comment)]


def _prelude(tokens: list[ast.Node]) -> str:
    cleaned = _without_comments(tokens)
    _check_values(cleaned)
    return " ".join(tinycss2.serialize(cleaned).split())


def _rules(nodes: Iterable[ast.Node], depth: int) -> list[str]:
    out = []
    for node in nodes:
        line = getattr(node, "source_line", None)
        if isinstance(node, ast.ParseError):
            raise _error(line, _("this cannot be read as CSS (%(what)s).") % {"what": node.kind})
        if isinstance(node, ast.QualifiedRule):
            prelude = _prelude(node.prelude)
            if not prelude:
                raise _error(line, _("a rule needs a selector."))
            out.append(f"{prelude} {{ {_declarations(node)} }}")
        elif isinstance(node, ast.AtRule):
            if node.lower_at_keyword != "media" or depth > 2:
                raise _error(
                    line,
                    _("@%(name)s is not allowed: only @media rules are.")
                    % {"name": node.lower_at_keyword},
                )
            if node.content is None:
                raise _error(line, _("@media needs a block."))
            inner = tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True)
            body = "\n".join(_rules(inner, depth + 1))
            out.append(f"@media {_prelude(node.prelude)} {{\n{body}\n}}")
    return out


def sanitise_css(text: str) -> str:
    """The admin's CSS re-serialised from its parsed rules, or ValidationError naming the line.

    Guarantees: at most CUSTOM_CSS_MAX_BYTES; no at-rule but @media (its rules sanitised too);
    no resource loads, no script hooks, no `<`; every block closed; `sanitise_css(
    sanitise_css(x)) == sanitise_css(x)`.
    """
    if len(text.encode("utf-8")) > CUSTOM_CSS_MAX_BYTES:
        raise ValidationError(
            _("Custom CSS is limited to %(limit)s KB."),
            code="css_too_big",
            params={"limit": CUSTOM_CSS_MAX_BYTES // 1024},
        )
    if "\x00" in text:
        raise _error(1, _("the text holds a NUL character."))
    nodes = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    result = "\n".join(_rules(nodes, depth=0))
    # Belt and braces: whatever was decoded above, the served text holds none of these.
    lowered = result.lower()
    for forbidden in ("<", "url(", "expression(", "javascript:"):
        if forbidden in lowered:
            raise _error(1, _("“%(text)s” is not allowed.") % {"text": forbidden})
    return result
