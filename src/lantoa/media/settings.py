"""The media settings a site owner may choose, read from ``mkdocs.yml`` under ``extra: media:``.

```yaml
extra:
  media:
    widths: [480, 960, 1440, 1920]   # responsive variants, in CSS pixels of image width (never upscaled)
    formats: [avif, jpeg]            # preferred first; the last one is the <img> fallback
    max_megapixels: 80               # larger images are refused (decompression bombs)
```

Every value is optional. Everything that changes output bytes is part of the
cache key (:meth:`Settings.key_params`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ..diagnostics import Diagnostic, error

#: Encoders we know, with the quality and effort used for each.
#:
#: Chosen by measurement (scripts/bench_media.py; numbers in scripts/results/media.md): to match
#: the SSIM of JPEG q82 (against a reference resize), AVIF needs q≈75 and WebP q≈90 (method 4); then
#: AVIF is the smallest (18% under JPEG, 7% under WebP on grainy camera-like photos; more on smooth
#: pictures and drawings), and at speed 9 with one thread it encodes 2.4× faster than WebP (61 vs
#: 147 ms for a 1440-pixel variant; speeds 6–8 cost 2–6× more for ≤ 12% fewer bytes, speed 10 is no
#: faster). Hence AVIF with a JPEG fallback: every current
#: browser decodes AVIF, the rest (and every crawler, mail client, press tool) read JPEG. WebP would
#: add one more encode per variant for the few browsers that have WebP but not AVIF, which the
#: JPEG serves already.
#:
#: JPEG is q84, not the q82 of libvips and plain Pillow: our resize (draft() DCT scaling, then a
#: cascade; pipeline._resize) is a little softer than their one-step Lanczos, and two quality steps
#: buy that back for less than the bytes our optimized Huffman tables save. On the benchmark's
#: photos (4000×3000 → 1920/960/480): SSIM 0.9700 at 1% fewer bytes than libvips' q82 (0.9694);
#: q83 stays under it (0.9693). WebP keeps libvips' q80: each step of quality costs 8% more bytes
#: (q81: their SSIM at 5% more bytes), so at equal bytes our WebP is 0.0006 below theirs.
FORMATS = {
    "avif": {"mime": "image/avif", "ext": "avif", "quality": 75, "speed": 9},
    "webp": {"mime": "image/webp", "ext": "webp", "quality": 80, "method": 4},
    "jpeg": {"mime": "image/jpeg", "ext": "jpg", "quality": 84},
    "png": {"mime": "image/png", "ext": "png"},
}
#: The fallback of an image with transparency (JPEG has none).
ALPHA_FALLBACK = "png"
DEFAULT_WIDTHS = (480, 960, 1440, 1920)
DEFAULT_FORMATS = ("avif", "jpeg")
DEFAULT_MAX_MEGAPIXELS = 80.0
#: Sides longer than this, or proportions beyond MAX_ASPECT, are refused whatever the megapixels.
MAX_SIDE = 30_000
MAX_ASPECT = 25.0
MIN_SIDE = 16


@dataclass(frozen=True)
class Settings:
    widths: tuple[int, ...] = DEFAULT_WIDTHS
    formats: tuple[str, ...] = DEFAULT_FORMATS
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS
    #: per-format overrides of FORMATS (quality, speed, method), as sorted (format, key, value) triples
    tuning: tuple[tuple[str, str, int], ...] = field(default=())
    full_quality: int = 90  # the full-size cleaned JPEG of the press kit

    def options(self, fmt: str) -> dict:
        opts = dict(FORMATS[fmt])
        for f, k, v in self.tuning:
            if f == fmt:
                opts[k] = v
        return opts

    def with_(self, **kw) -> "Settings":
        return replace(self, **kw)

    def key_params(self) -> dict:
        """What goes into a cache key besides the source bytes and the versions."""
        return {"widths": list(self.widths), "formats": {f: self.options(f) for f in self.formats},
                "alpha": self.options(ALPHA_FALLBACK)}

    @property
    def max_pixels(self) -> int:
        return int(self.max_megapixels * 1_000_000)


class _Loader(yaml.SafeLoader):
    """mkdocs.yml may carry !ENV and !!python/name tags: read them as plain values."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)


def _line_of(path: Path, key: str) -> int:
    try:
        for i, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if line.strip().startswith(f"{key}:"):
                return i
    except OSError:
        pass
    return 1


def load(root: Path) -> tuple[Settings, list[Diagnostic]]:
    """Settings from ``root/mkdocs.yml`` (defaults when absent); problems are diagnostics on mkdocs.yml."""
    path = Path(root) / "mkdocs.yml"
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_Loader) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return Settings(), []  # mkdocs.yml problems are reported by lantoa.site.config
    raw = ((data.get("extra") or {}) if isinstance(data, dict) else {})
    raw = raw.get("media") if isinstance(raw, dict) else None
    if raw is None:
        return Settings(), []
    diags: list[Diagnostic] = []

    def bad(key: str, message: str, hint: str) -> None:
        diags.append(error("mkdocs.yml", _line_of(path, key), 1, "media-settings", message, hint))

    if not isinstance(raw, dict):
        bad("media", "'extra.media' must be a mapping", "see docs/writing.md, 'Images'")
        return Settings(), diags
    s = Settings()
    for key in sorted(set(raw) - {"widths", "formats", "max_megapixels", "quality"}):
        bad(key, f"unknown media setting '{key}'", "known: widths, formats, max_megapixels, quality")
    if "widths" in raw:
        w = raw["widths"]
        if (not isinstance(w, list) or not w
                or not all(isinstance(x, int) and not isinstance(x, bool) and 16 <= x <= 8192 for x in w)):
            bad("widths", "'widths' must be a list of pixel widths between 16 and 8192", "e.g. widths: [480, 960, 1920]")
        else:
            s = s.with_(widths=tuple(sorted(set(w))))
    if "formats" in raw:
        f = raw["formats"]
        known = [k for k in FORMATS if k != "png"]
        if not isinstance(f, list) or not f or not all(x in known for x in f) or len(set(f)) != len(f):
            bad("formats", f"'formats' must be a list of distinct formats among {', '.join(known)}",
                "e.g. formats: [avif, jpeg] (the last is the fallback every browser reads: use jpeg)")
        else:
            s = s.with_(formats=tuple(f))
    if "max_megapixels" in raw:
        m = raw["max_megapixels"]
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not 1 <= m <= 1000:
            bad("max_megapixels", "'max_megapixels' must be a number between 1 and 1000", "e.g. max_megapixels: 80")
        else:
            s = s.with_(max_megapixels=float(m))
    if "quality" in raw:
        q = raw["quality"]
        if not isinstance(q, dict) or not all(k in FORMATS and k != "png" and isinstance(v, int)
                                               and not isinstance(v, bool) and 1 <= v <= 100 for k, v in q.items()):
            bad("quality", "'quality' must map formats to 1–100", "e.g. quality: {jpeg: 82, avif: 60}")
        else:
            s = s.with_(tuning=tuple(sorted((k, "quality", v) for k, v in q.items())))
    return s, diags
