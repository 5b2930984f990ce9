"""Custom CSS cannot load a resource, run script or leave its block; good CSS is kept."""

import pytest
from django.core.exceptions import ValidationError

from branding.css import sanitise_css

GOOD = """
/* the company's look */
.card { border-radius: 12px; box-shadow: 0 2px 8px rgba(0, 0, 0, .2) }
h1, .title > span { color: #123456 !important; font-family: "Segoe UI", sans-serif; }
@media (max-width: 600px) { .card { margin: 0 } }
"""


def refusal(text: str) -> str:
    with pytest.raises(ValidationError) as caught:
        sanitise_css(text)
    return " ".join(caught.value.messages)


def test_a_good_stylesheet_is_kept_and_sanitising_is_idempotent() -> None:
    out = sanitise_css(GOOD)
    assert ".card { border-radius: 12px; box-shadow: 0 2px 8px rgba(0, 0, 0, .2); }" in out
    assert 'color: #123456 !important; font-family: "Segoe UI", sans-serif;' in out
    assert "@media (max-width: 600px) {\n.card { margin: 0; }\n}" in out
    assert "/*" not in out
    assert sanitise_css(out) == out


@pytest.mark.parametrize(
    ("css", "said"),
    [
        ('@import "https://evil.example/x.css";', "@import is not allowed"),
        ("@import url(x.css);", "@import is not allowed"),
        ("@font-face { font-family: x; src: local(x) }", "@font-face is not allowed"),
        ("@media screen { @import 'x.css'; }", "@import is not allowed"),
        ("a { background: url(http://evil.example/a.png) }", "url() is not allowed"),
        ("a { background: url('data:image/png;base64,AAAA') }", "url() is not allowed"),
        ('a { background: image-set("a.png" 1x) }', "image-set() is not allowed"),
        ("a { width: expression(alert(1)) }", "expression() is not allowed"),
        ("a { behavior: url(x.htc) }", "behavior is not allowed"),
        ("a { -moz-binding: x }", "-moz-binding is not allowed"),
        ("a { color: red } </style><script>alert(1)</script>", "line 1"),
        ("a { content: '</style>' }", "“<” is not allowed"),
        ("a { b: javascript:alert(1) }", "javascript:"),
        ("a { color: red; } } body { display: none", "cannot be read"),
        ("a { color: red; b { color: blue } }", "cannot be read"),
        ("a { background: \\75rl(http://evil.example) }", "url() is not allowed"),
        ("a { background: u\\72l(http://evil.example) }", "url() is not allowed"),
        ("a { background: \\65xpression(alert(1)) }", "expression() is not allowed"),
        ("a { content: 'unterminated\n }", "cannot be read"),
    ],
)
def test_dangerous_css_is_refused_with_its_line(css: str, said: str) -> None:
    assert said in refusal(css)


def test_the_error_names_the_line() -> None:
    assert "line 3" in refusal("a { color: red }\n\nb { background: url(x) }")


def test_more_than_25_kb_is_refused() -> None:
    big = "a { color: red }\n" * (26 * 1024 // 17 + 1)
    assert "25 KB" in refusal(big)


def test_an_unclosed_block_is_closed_by_us() -> None:
    out = sanitise_css("a { color: red")
    assert out == "a { color: red; }"
