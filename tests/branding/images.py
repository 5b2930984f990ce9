"""Image bytes for branding tests, made with Pillow (and one hand-made decompression bomb)."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(
    width: int, height: int, fmt: str = "PNG", color: tuple[int, int, int] = (30, 80, 200)
) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), color)
    if fmt == "ICO":
        image.save(buffer, format="ICO", sizes=[(width, height)])
    else:
        image.save(buffer, format=fmt)
    return buffer.getvalue()


def upload(
    content: bytes, name: str = "image.png", content_type: str = "image/png"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A tiny PNG whose header claims `width` by `height` pixels (its data is a few bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
