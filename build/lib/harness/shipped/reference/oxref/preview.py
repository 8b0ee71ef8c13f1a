"""Document previews with Pillow: images are scaled, anything else is typeset as text on a page."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont, ImageOps

PREVIEW_FORMATS = {"preview_image", "thumbnail_image"}


def render_preview(data: bytes, mimetype: str, width: int, height: int) -> bytes:
    if mimetype.startswith("image/"):
        try:
            with Image.open(io.BytesIO(data)) as source:
                image = ImageOps.contain(source.convert("RGB"), (width, height), Image.LANCZOS)
        except Exception:
            image = _text_page(b"(unreadable image)", width, height)
    else:
        image = _text_page(data, width, height)
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=85, optimize=True)
    return output.getvalue()


def _text_page(data: bytes, width: int, height: int) -> Image.Image:
    """Render the first lines of a document on a page, then scale it to the requested size."""
    page = Image.new("RGB", (850, 1100), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default()
    text = data[:4000].decode("utf-8", errors="replace")
    y = 40
    for line in text.splitlines()[:60]:
        draw.text((40, y), line[:110], fill="black", font=font)
        y += 16
    return ImageOps.contain(page, (width, height), Image.LANCZOS)
