"""Decode, check, orient, colour-manage, resize and encode one image (Pillow only; pure functions).

The recipe, per source image:

1. read the header only and refuse what we cannot serve safely (:func:`probe`): unknown or
   mislabelled formats, SVG, animations, decompression bombs (over ``max_megapixels``),
   absurd proportions;
2. decode once, JPEGs with ``draft()`` so libjpeg's DCT scaling hands back the smallest
   power-of-two reduction that is still at least as large as the widest variant;
3. turn upright from the EXIF orientation (re-encoding drops EXIF, orientation included);
4. bring 16-bit, palette, grey-with-alpha and bilevel images to 8-bit RGB(A)/L;
5. resize to the widest variant (``reducing_gap`` lets Pillow box-reduce first), convert to
   sRGB with LittleCMS when the file carries another ICC profile (or is CMYK), then cascade
   each smaller width from the previous one;
6. encode every width in every format, with no metadata at all (no EXIF, XMP, GPS, ICC).

Nothing here touches the file system except reading the source.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from PIL import AvifImagePlugin, Image, ImageCms, ImageOps

from .settings import ALPHA_FALLBACK, MAX_ASPECT, MAX_SIDE, MIN_SIDE, Settings
# what it reports, and its version (bump it when the recipe below changes output bytes), live
# where a build that makes no image finds them without importing Pillow
from .types import FIX, PIPELINE_VERSION, MediaError, Note, Probe  # noqa: F401

#: an exact halving to a picture of fewer pixels than this (480×360; not 960×720) uses Lanczos
_SMALL_PIXELS = 500_000

SERVED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}  # MPO: the multi-picture JPEG some cameras write
EXPECTED_BY_EXTENSION = {".jpg": {"JPEG", "MPO"}, ".jpeg": {"JPEG", "MPO"}, ".png": {"PNG"}, ".webp": {"WEBP"}}
EXTENSION_BY_FORMAT = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif",
                       "TIFF": ".tif", "BMP": ".bmp", "AVIF": ".avif", "HEIF": ".heic", "ICO": ".ico"}
ORIENTATION = 0x0112

_SRGB = ImageCms.createProfile("sRGB")

# One codec thread: the batch keeps every core busy with one image each. It matters beyond speed:
# Pillow's AVIF decoder otherwise starts dav1d worker threads that stay alive, and a process holding
# them can deadlock the MkDocs workers it forks next (seen in the test suite, which reads AVIF back).
AvifImagePlugin.DEFAULT_MAX_THREADS = 1


@dataclass
class Encoded:
    width: int
    height: int
    format: str  # a key of settings.FORMATS
    data: bytes


@dataclass
class Rendered:
    width: int  # of the (upright) original
    height: int
    placeholder: str  # "#rrggbb", the dominant colour
    variants: list[Encoded] = field(default_factory=list)
    notes: tuple[Note, ...] = ()


def sniff_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text) or (
        text.startswith(b"<!doctype svg"))


def _open(data: bytes, name: str) -> Image.Image:
    if sniff_svg(data[:1024]):
        raise MediaError("an SVG drawing; SVG can carry scripts and links to other sites and is never published", "export it as PNG (drawings) or JPEG (photos)", "svg-refused")
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise MediaError(f"a decompression bomb ({exc})", "use a picture below the size limit",
                         "image-too-large") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise MediaError(f"not a readable image ({_reason(exc)})", FIX, "corrupt-image") from None


def _reason(exc: BaseException) -> str:
    text = str(exc).split("\n")[0]
    return text if len(text) < 120 else text[:117] + "…"


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block is ignored (it is dropped anyway)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def check_header(im: Image.Image, name: str, settings: Settings) -> Probe:
    """Every refusal that needs no decoding. Raises :class:`MediaError`."""
    fmt = im.format or "?"
    ext = Path(name).suffix.lower()
    if fmt not in SERVED_FORMATS:
        if getattr(im, "is_animated", False):
            raise MediaError(f"an animated {fmt}; only still pictures are published",
                             "export one frame as JPEG or PNG (a video belongs on a video page)", "animated-image")
        raise MediaError(f"a {fmt} file, which is not published",
                         "export it as JPEG (photos) or PNG (drawings)", "unsupported-image")
    expected = EXPECTED_BY_EXTENSION.get(ext)
    if expected is not None and fmt not in expected:
        right = EXTENSION_BY_FORMAT.get(fmt, "." + fmt.lower())
        raise MediaError(f"a {'JPEG' if fmt == 'MPO' else fmt} file but its name ends in {ext}",
                         f"rename it to {Path(name).stem}{right}", "wrong-extension")
    w, h = im.size
    if w * h > settings.max_pixels:
        raise MediaError(f"{w}×{h} pixels ({w * h / 1e6:.0f} megapixels), over the "
                         f"{settings.max_megapixels:g}-megapixel limit (a decompression bomb or an oversized photo)",
                         f"resize it below {settings.max_megapixels:g} megapixels, or raise extra.media.max_megapixels "
                         "in mkdocs.yml", "image-too-large")
    if max(w, h) > MAX_SIDE or min(w, h) < MIN_SIDE or max(w, h) / max(1, min(w, h)) > MAX_ASPECT:
        raise MediaError(f"of absurd dimensions ({w}×{h} pixels)",
                         f"crop or resize it: sides between {MIN_SIDE} and {MAX_SIDE} pixels, proportions within "
                         f"{MAX_ASPECT:g}:1", "absurd-dimensions")
    if fmt in ("PNG", "WEBP") and getattr(im, "is_animated", False):
        raise MediaError(f"an animated {fmt}; only still pictures are published",
                         "export one frame as a still picture", "animated-image")
    notes = []
    if im.mode == "CMYK":
        if im.info.get("icc_profile"):
            notes.append(Note("cmyk-image", "a CMYK (print) image; it is converted to sRGB with its colour profile", "export photos for the web in sRGB"))
        else:
            notes.append(Note("cmyk-image", "a CMYK (print) image without a colour profile; colours may shift when "
                              "it is converted to sRGB", "export it in sRGB"))
    elif im.mode.startswith("I;16") or im.mode in ("I", "F"):
        notes.append(Note("deep-image", "an image with 16 bits per channel; it is reduced to 8 bits",
                          "export it with 8 bits per channel (smaller, and what screens show)"))
    elif im.mode in ("P", "PA"):
        notes.append(Note("palette-image", "a palette (indexed-colour) image; it is converted to full colour", "keep palettes for drawings; export photos as JPEG"))
    ow, oh = (h, w) if _orientation(im) in (5, 6, 7, 8) else (w, h)
    return Probe(fmt, ow, oh, im.mode, tuple(notes))


def probe(path: Path, settings: Settings, deep: bool = True) -> Probe:
    """Check one file the way the build will read it; ``deep`` also decodes it (cheaply) to catch
    truncated and corrupt data. Raises :class:`MediaError`."""
    data = Path(path).read_bytes()
    name = Path(path).name
    im = _open(data, name)
    with im:
        result = check_header(im, name, settings)
        if deep:
            try:
                if im.format in ("JPEG", "MPO"):
                    # DCT scaling still reads every scan: a truncated file fails here, at 1/64 of the cost
                    im.draft(im.mode if im.mode in ("RGB", "L") else None, (max(1, im.width // 8), max(1, im.height // 8)))
                im.load()
            except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
                raise MediaError(f"truncated or corrupt ({_reason(exc)})", FIX, "corrupt-image") from None
    return result


def variant_widths(width: int, settings: Settings) -> list[int]:
    """The widths to make for an image ``width`` pixels wide: never wider than the original."""
    out = [w for w in settings.widths if w < width]
    if width <= max(settings.widths) and width not in out:
        out.append(width)  # the original size is the largest variant of a small image
    elif not out:
        out = [width]
    return sorted(set(out))


_TRANSPOSE = {2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
              4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE],
              6: [Image.Transpose.ROTATE_270], 7: [Image.Transpose.TRANSVERSE], 8: [Image.Transpose.ROTATE_90]}


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a damaged EXIF block must not stop the image (it is dropped anyway)."""
    try:
        return ImageOps.exif_transpose(im)
    except Exception:  # noqa: BLE001 - Pillow raises many types on malformed EXIF
        for op in _TRANSPOSE.get(_orientation(im), []):
            im = im.transpose(op)
        return im


def _to_8bit(im: Image.Image) -> Image.Image:
    """16-bit grey, palette, bilevel and grey-with-alpha into L, RGB or RGBA (CMYK is kept for LittleCMS)."""
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        # convert("L") would clip every value above 255 (all-white); scale 0..65535 to 0..255
        im = im.convert("I") if mode != "F" else im
        return im.point(lambda v: v * (1 / 257)).convert("L")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        return im.convert("RGBA" if has_alpha else "RGB")
    if mode in ("1",):
        return im.convert("L")
    if mode == "LA":
        return im.convert("RGBA")
    if mode in ("RGB", "RGBA", "L", "CMYK"):
        return im
    return im.convert("RGB")


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    if im.mode == "CMYK":
        if icc:
            try:
                return ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB,
                                                 outputMode="RGB")
            except (ImageCms.PyCMSError, OSError, ValueError):
                pass
        return im.convert("RGB")
    if not icc or im.mode not in ("RGB", "RGBA"):
        return im
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in (ImageCms.getProfileDescription(profile) or "").lower():
            return im
        return ImageCms.profileToProfile(im, profile, _SRGB, outputMode=im.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return im  # an unreadable profile: show the pixels as they are (as browsers do)


def _resize(im: Image.Image, width: int) -> Image.Image:
    """One step of the cascade, chosen by measurement (4000×3000 photos → 1920/960/480, after encoding
    to JPEG and WebP, against a one-step Lanczos reference; scripts/bench_media.py):

    - an exact halving to a large picture (1920 → 960) is a 2×2 box average, ``Image.reduce``: 3 ms
      instead of Lanczos' 35 ms per image, for 0.0003 (JPEG) to 0.0005 (WebP) less SSIM;
    - an exact halving to a small one (under ``_SMALL_PIXELS``: 960 → 480) is Lanczos: 9 ms instead
      of 1 ms, for 0.0006 (JPEG) and 0.0014 (WebP) more SSIM at that width and 0.3% more bytes;
    - a step under 1.5× (draft() often leaves 2000 pixels for a 1920 variant) is bicubic: better than
      Lanczos there (0.9803 against 0.9798 before encoding), 30% cheaper;
    - anything else is Lanczos, box-reduced first when the step is 3× or more (``reducing_gap``).

    What remains below a one-step Lanczos resize of the full decode (the 1920 variant: the 2× of
    ``draft()`` is box-like) is not bought back here, at +145 ms per image, but by the JPEG quality
    (settings.FORMATS).
    """
    if im.width == width:
        return im
    height = max(1, round(im.height * width / im.width))
    factor = im.width // width
    if factor >= 2 and im.width == factor * width and width * height >= _SMALL_PIXELS:
        im = im.reduce(factor)
        if im.size == (width, height):
            return im
    kernel = Image.Resampling.BICUBIC if im.width < 1.5 * width else Image.Resampling.LANCZOS
    return im.resize((width, height), kernel, reducing_gap=3.0)


def decode(data: bytes, name: str, settings: Settings, variants: bool) -> tuple[Image.Image, Probe, list[int]]:
    """Decode, check and turn upright. For ``variants``, JPEG decoding scales down (``draft``) to the
    smallest DCT reduction still at least as wide as the widest variant; returns the widths to make."""
    im = _open(data, name)
    info = check_header(im, name, settings)
    widths = variant_widths(info.width, settings) if variants else [info.width]
    max_width = max(widths)
    try:
        if im.format in ("JPEG", "MPO") and max_width < info.width:
            scale = max_width / info.width
            raw_w, raw_h = im.size
            im.draft(im.mode if im.mode in ("RGB", "L") else None,
                     (math.ceil(raw_w * scale), math.ceil(raw_h * scale)))
        im.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise MediaError(f"truncated or corrupt ({_reason(exc)})", FIX, "corrupt-image") from None
    icc = im.info.get("icc_profile")
    im = _upright(im)
    im = _to_8bit(im)
    im.info = {"icc_profile": icc} if icc else {}
    return im, info, widths


def _finish(im: Image.Image, icc: bytes | None) -> Image.Image:
    im = _to_srgb(im, icc)
    if im.mode == "RGBA" and im.getchannel("A").getextrema() == (255, 255):
        im = im.convert("RGB")  # an opaque alpha channel is only weight
    im.info = {}  # nothing of the source's metadata may reach an encoder
    return im


def encode(im: Image.Image, fmt: str, settings: Settings) -> bytes:
    opts = settings.options(fmt)
    out = io.BytesIO()
    im.info = {}
    if fmt == "jpeg":
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        # optimized Huffman tables: 11% fewer bytes for 5 ms; progressive would save 1% more for 18 ms
        im.save(out, "JPEG", quality=opts["quality"], optimize=True)
    elif fmt == "webp":
        im.save(out, "WEBP", quality=opts["quality"], method=opts.get("method", 4))
    elif fmt == "avif":
        # one encoder thread: the batch already keeps every core busy with one image each
        im.save(out, "AVIF", quality=opts["quality"], speed=opts.get("speed", 6), max_threads=1)
    elif fmt == "png":
        im.save(out, "PNG", compress_level=6)
    else:  # pragma: no cover - settings are validated
        raise ValueError(fmt)
    return out.getvalue()


def dominant_colour(im: Image.Image) -> str:
    """The most common of four median-cut colours of a 32-pixel thumbnail: a calm placeholder."""
    small = im.convert("RGB").resize((32, max(1, round(32 * im.height / im.width))), Image.Resampling.BOX)
    q = small.quantize(4, method=Image.Quantize.MEDIANCUT)
    palette = q.getpalette() or [0, 0, 0]
    count, index = max(q.getcolors() or [(1, 0)])
    r, g, b = palette[3 * index: 3 * index + 3]
    return f"#{r:02x}{g:02x}{b:02x}"


def render(data: bytes, name: str, settings: Settings) -> Rendered:
    """Every width × format of one image, widest first, from a single decode and one resize cascade."""
    im, info, widths = decode(data, name, settings, variants=True)
    icc = im.info.get("icc_profile")
    out = Rendered(info.width, info.height, "#808080", notes=info.notes)
    current = None
    for i, width in enumerate(reversed(widths)):
        current = _finish(_resize(im, width), icc) if i == 0 else _resize(current, width)
        current.info = {}
        formats = list(settings.formats)
        if current.mode == "RGBA" and formats[-1] == "jpeg":
            formats[-1] = ALPHA_FALLBACK
        for fmt in formats:
            out.variants.append(Encoded(current.width, current.height, fmt, encode(current, fmt, settings)))
        if i == 0:
            del im  # the decoded source is no longer needed: keep peak memory to one frame
    assert current is not None
    out.placeholder = dominant_colour(current)
    return out


def render_full(data: bytes, name: str, settings: Settings) -> Rendered:
    """The full-size, upright, sRGB, metadata-free picture (JPEG, or PNG with transparency): the press kit's."""
    im, info, _ = decode(data, name, settings, variants=False)
    icc = im.info.get("icc_profile")
    im = _finish(im, icc)
    fmt = "png" if im.mode == "RGBA" else "jpeg"
    full = settings.with_(tuning=settings.tuning + (("jpeg", "quality", settings.full_quality),))
    enc = Encoded(im.width, im.height, fmt, encode(im, fmt, full))
    return Rendered(info.width, info.height, "#808080", [enc], info.notes)
