"""Branding images: the content decides the format, Entra's limits hold, bombs are not opened."""

import pytest
from django.core.exceptions import ValidationError

from branding.images import IMAGE_RULES, validate_image
from branding.models import ImageElement
from tests.branding.images import image_bytes, png_bomb, upload


class CountingUpload:
    """A file-like upload that records how many bytes were asked of it."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.asked = 0

    def seek(self, position: int) -> None:
        pass

    def read(self, size: int = -1) -> bytes:
        self.asked = size
        return self.content[:size] if size >= 0 else self.content


def refusal(element: str, content: bytes, name: str = "x.png") -> str:
    with pytest.raises(ValidationError) as caught:
        validate_image(element, upload(content, name))
    return " ".join(caught.value.messages)


def test_a_good_png_and_a_good_jpeg() -> None:
    png = validate_image(ImageElement.BANNER_LOGO, upload(image_bytes(245, 36)))
    assert (png.extension, png.mime, png.width, png.height) == ("png", "image/png", 245, 36)
    jpeg = validate_image(
        ImageElement.BACKGROUND_IMAGE, upload(image_bytes(1920, 1080, "JPEG"), "bg.jpg")
    )
    assert (jpeg.extension, jpeg.mime) == ("jpg", "image/jpeg")
    assert png.data_uri.startswith("data:image/png;base64,")


def test_a_png_named_jpg_is_a_png() -> None:
    image = validate_image(
        ImageElement.SQUARE_LOGO_LIGHT, upload(image_bytes(240, 240), "logo.jpg", "image/jpeg")
    )
    assert image.extension == "png"
    assert image.mime == "image/png"


def test_html_named_png_is_refused() -> None:
    message = refusal(ImageElement.BANNER_LOGO, b"<html><script>alert(1)</script></html>")
    assert "not an image" in message
    assert "JPG, PNG" in message


def test_svg_is_refused() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
    assert "not an image" in refusal(ImageElement.FAVICON, svg, "logo.svg")


def test_ico_only_for_the_favicon() -> None:
    ico = image_bytes(32, 32, "ICO")
    assert validate_image(ImageElement.FAVICON, upload(ico, "f.ico")).extension == "ico"
    assert "not an image" in refusal(ImageElement.SQUARE_LOGO_DARK, ico, "f.ico")


def test_more_bytes_than_the_limit_are_refused_unread() -> None:
    limit = IMAGE_RULES[ImageElement.HEADER_LOGO].max_bytes
    noisy = bytes(range(256)) * (limit // 256 + 10)
    assert "larger than 10 KB" in refusal(ImageElement.HEADER_LOGO, noisy)
    # Without a known size, at most limit + 1 bytes are read.
    stream = CountingUpload(noisy)
    with pytest.raises(ValidationError):
        validate_image(ImageElement.HEADER_LOGO, stream)  # type: ignore[arg-type]
    assert stream.asked == limit + 1


def test_up_to_twice_entras_pixels_and_no_more() -> None:
    assert validate_image(ImageElement.HEADER_LOGO, upload(image_bytes(490, 72))).width == 490
    message = refusal(ImageElement.HEADER_LOGO, image_bytes(491, 72))
    assert "491x72" in message
    assert "490x72" in message


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = png_bomb()
    assert len(bomb) < 200
    message = refusal(ImageElement.BACKGROUND_IMAGE, bomb)
    assert "too many pixels" in message or "50000x50000" in message
    # Within the element's size but still a lie about its pixels: the decoder finds it out.
    assert "damaged" in refusal(ImageElement.BACKGROUND_IMAGE, png_bomb(1000, 1000))


def test_a_truncated_file_is_refused() -> None:
    whole = image_bytes(240, 240, "JPEG")
    assert "damaged" in refusal(ImageElement.SQUARE_LOGO_LIGHT, whole[: len(whole) // 2], "x.jpg")
    png = image_bytes(200, 200)
    assert "damaged" in refusal(ImageElement.SQUARE_LOGO_LIGHT, png[: len(png) - 20])


def test_an_empty_file_is_refused() -> None:
    assert "empty" in refusal(ImageElement.FAVICON, b"")
