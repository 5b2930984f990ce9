"""The sign-in page text: Entra's Markdown subset, nothing else, never script."""

import pytest
from django.core.exceptions import ValidationError

from branding.markdown import sign_in_text_html, validate_sign_in_text

REL = 'target="_blank" rel="noopener noreferrer nofollow"'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("**bold**", "<p><strong>bold</strong></p>"),
        ("*italic* and _italic_", "<p><em>italic</em> and <em>italic</em></p>"),
        ("++underlined++", "<p><u>underlined</u></p>"),
        ("++a **b**++", "<p><u>a <strong>b</strong></u></p>"),
        (
            "[Help](https://help.example/a?b=1&c=2)",
            f'<p><a href="https://help.example/a?b=1&amp;c=2" {REL}>Help</a></p>',
        ),
        (
            "[Mail us](mailto:help@example.com)",
            f'<p><a href="mailto:help@example.com" {REL}>Mail us</a></p>',
        ),
        ("one\ntwo\n\nthree", "<p>one<br>\ntwo</p>\n<p>three</p>"),
    ],
)
def test_each_allowed_construct(text: str, html: str) -> None:
    assert str(sign_in_text_html(text)) == html


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JavaScript:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](/relative/path)",
        "<a href='javascript:alert(1)'>click</a>",
    ],
)
def test_links_other_than_http_and_mailto_stay_text(text: str) -> None:
    html = str(sign_in_text_html(text))
    assert "<a" not in html  # what stays is text: escaped, never an element


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<p onclick="alert(1)">hi</p>',
        "<iframe src=https://evil.example></iframe>",
    ],
)
def test_raw_html_is_text(text: str) -> None:
    html = str(sign_in_text_html(text))
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "onclick=" not in html or "&lt;p" in html
    assert html.startswith("<p>&lt;")


def test_other_markdown_is_not_read() -> None:
    html = str(sign_in_text_html("# Title\n- item\n`code`\n![i](https://x.example/i.png)"))
    assert "<h1" not in html
    assert "<li" not in html
    assert "<code" not in html
    assert "<img" not in html


def test_the_length_limit() -> None:
    validate_sign_in_text("x" * 1024)
    with pytest.raises(ValidationError) as caught:
        validate_sign_in_text("x" * 1025)
    assert "1024" in caught.value.messages[0]


def test_empty_text_is_nothing() -> None:
    assert str(sign_in_text_html("  \n")) == ""
