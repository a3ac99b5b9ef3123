"""Media pipeline (Pillow). The foundation keeps it small: every raster image is
re-encoded (never copied verbatim), turned upright from EXIF, stripped of all
metadata (EXIF, GPS, XMP, ICC converted to sRGB-less plain RGB) and bounded in
size. Responsive variants, caching and social cards build on this seam.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

MAX_WIDTH = 1600
MAX_PIXELS = 50_000_000  # a decompression bomb beyond this is refused


class MediaError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Processed:
    width: int
    height: int
    data: bytes
    format: str  # "JPEG" | "PNG" | "WEBP"


FORMATS_BY_EXTENSION = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}


def inspect(src: Path) -> tuple[int, int]:
    """Cheap check for ``lantoa check``: the header is readable, the format matches, the size is sane."""
    try:
        with Image.open(src) as im:
            width, height, fmt = im.width, im.height, im.format
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"not a readable image ({exc.__class__.__name__})",
                         "re-export the picture as JPEG or PNG") from exc
    expected = FORMATS_BY_EXTENSION.get(src.suffix.lower())
    if expected and fmt != expected:
        raise MediaError(f"file is {fmt} but its name ends in {src.suffix}",
                         f"rename it to .{(fmt or 'bin').lower()} or re-export it as {expected}")
    if width * height > MAX_PIXELS:
        raise MediaError(f"image is {width}×{height} ({width * height / 1e6:.0f} MP), over the "
                         f"{MAX_PIXELS / 1e6:.0f} MP limit", "resize it below 50 megapixels before adding it")
    return width, height


def process(src: Path, max_width: int = MAX_WIDTH) -> Processed:
    """Decode, orient, strip and bound one image; return the new bytes (the caller writes them)."""
    try:
        with Image.open(src) as im:
            if im.width * im.height > MAX_PIXELS:
                raise MediaError(f"image is {im.width}×{im.height} ({im.width * im.height / 1e6:.0f} MP), over the "
                                 f"{MAX_PIXELS / 1e6:.0f} MP limit", "resize it below 50 megapixels before adding it")
            fmt = im.format or "JPEG"
            if fmt == "JPEG" and im.width > max_width:
                im.draft("RGB", (max_width, max(1, im.height * max_width // im.width)))
            im.load()
            im = ImageOps.exif_transpose(im)
            has_alpha = im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info)
            im = im.convert("RGBA" if has_alpha else "RGB")
            if im.width > max_width:
                height = max(1, round(im.height * max_width / im.width))
                im = im.resize((max_width, height), Image.LANCZOS, reducing_gap=3.0)
            out = io.BytesIO()
            if fmt == "PNG" or has_alpha:
                im.save(out, "PNG", optimize=True)
                fmt = "PNG"
            elif fmt == "WEBP":
                im.save(out, "WEBP", quality=82, method=4)
            else:
                im.save(out, "JPEG", quality=82, optimize=True, progressive=True)
                fmt = "JPEG"
            return Processed(im.width, im.height, out.getvalue(), fmt)
    except MediaError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"cannot read image: {exc}", "re-export the picture as JPEG or PNG") from exc
