#!/usr/bin/env python3
"""Where lantoa.media's WebP stands against pyvips' at equal SSIM (not a test; numbers).

    python3 scripts/bench_webp.py              # 8 photos, writes scripts/results/media-webp.md
    python3 scripts/bench_webp.py --images 4   # a quicker look

The issue asks for lantoa.media's WebP at libvips' SSIM with no more bytes. This
runs pyvips (thumbnail + cascade, WebP q80, as in scripts/bench_media.py) and
lantoa.media's WebP at a few encoder settings and one resize variant on the same
photos (widths 1920/960/480, one thread), and reports seconds, bytes and SSIM
(luma, 8×8 windows, against a one-step Lanczos resize of the full decode; the
functions of scripts/bench_media.py). Each lantoa row is a point on its
rate-quality curve: the goal is met by a row at pyvips' SSIM or above with no
more bytes and no more time.

Two rows decode the whole photo instead of letting libjpeg scale it by 2 while
decoding (``draft()``), then resize it in one step to 1920 (Lanczos, as
libvips: its shrink-on-load leaves at least a factor of 2 to its Lanczos
resize, so it does not shrink on load at 4000 → 1920; or bicubic). A second
table gives bytes and SSIM per width, before and after encoding: where the
difference to pyvips lies.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

WIDTHS = (480, 960, 1920)


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.webp"))


def lantoa_webp(files, out: Path, quality: float, method: int, lanczos_960: bool, full: str = "") -> float:
    """``full``: "" (draft() as lantoa.media does), or the kernel of a one-step resize of the whole
    decode to the widest variant ("lanczos", "bicubic")."""
    from PIL import Image, JpegImagePlugin

    from lantoa.media import batch, pipeline
    from lantoa.media.cache import Cache
    from lantoa.media.settings import Settings

    settings = Settings(widths=WIDTHS, formats=("webp",), tuning=(("webp", "method", method),
                                                                    ("webp", "quality", quality)))
    small, draft, resize = pipeline._SMALL_PIXELS, JpegImagePlugin.JpegImageFile.draft, pipeline._resize
    if lanczos_960:  # every halving by Lanczos, not only those to small pictures
        pipeline._SMALL_PIXELS = 10**12
    if full:
        kernel = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC}[full]
        JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None

        def one_step(im, width):
            if im.width > max(WIDTHS):
                return im.resize((width, max(1, round(im.height * width / im.width))), kernel)
            return resize(im, width)
        pipeline._resize = one_step
    try:
        start = time.perf_counter()
        results = batch.run([batch.Job(str(p)) for p in files], settings, out / ".cache", workers=1, executor="thread")
        seconds = time.perf_counter() - start
    finally:
        pipeline._SMALL_PIXELS, JpegImagePlugin.JpegImageFile.draft, pipeline._resize = small, draft, resize
    cache = Cache(out / ".cache")
    for r in results:
        assert r.error is None, r.error
        for v in r.meta["variants"]:
            os.link(r.file(cache, v["file"]), out / f"{Path(r.job.path).stem}-{v['width']}.webp")
    return seconds


def per_width(folder: Path, refs: dict) -> dict[int, tuple[int, float]]:
    """Width -> (bytes, mean SSIM) of the WebP files in ``folder``."""
    import statistics

    import bench_media as bm
    from PIL import Image

    out = {}
    for width in WIDTHS:
        paths = sorted(folder.glob(f"*-{width}.webp"))
        scores = []
        for p in paths:
            with Image.open(p) as im:
                scores.append(bm.ssim(im, refs[(p.stem.rsplit("-", 1)[0], width)]))
        out[width] = (sum(p.stat().st_size for p in paths), statistics.mean(scores))
    return out


def main() -> None:
    import bench_media as bm

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=8)
    args = ap.parse_args()
    files = bm.make_photos(args.images, (4000, 3000))
    refs = bm.references(files, WIDTHS)
    rows = []
    with tempfile.TemporaryDirectory(prefix="lantoa-bench-webp-") as tmp:
        out = Path(tmp) / "pyvips"
        out.mkdir()
        start = time.perf_counter()
        bm.run_pyvips(files, out, WIDTHS, {"webp": 80}, 1)
        base = (time.perf_counter() - start, _bytes(out), bm.quality(out, refs, ["webp"])["webp"])
        rows.append(("pyvips thumbnail + cascade, q80", *base))
        widths = {"pyvips thumbnail + cascade, q80": per_width(out, refs)}
        for quality, method, lanczos, full in [(80, 4, False, ""), (80.5, 4, False, ""), (80.75, 4, False, ""),
                                               (81, 4, False, ""), (80, 5, False, ""), (80, 6, False, ""),
                                               (80, 4, True, ""), (80.5, 4, True, ""), (80.75, 4, True, ""),
                                               (80, 4, True, "lanczos"), (80, 4, True, "bicubic")]:
            out = Path(tmp) / f"lantoa-{quality}-{method}-{lanczos}-{full}"
            out.mkdir()
            seconds = lantoa_webp(files, out, quality, method, lanczos, full)
            label = (f"lantoa.media q{quality} method {method}" + (", Lanczos for 1920→960" if lanczos else "")
                     + (f", no draft(): whole decode, {full} to 1920" if full else ""))
            rows.append((label, seconds, _bytes(out), bm.quality(out, refs, ["webp"])["webp"]))
            if (quality, method, lanczos) == (80, 4, False) or full:
                widths[label] = per_width(out, refs)
            shutil.rmtree(out)
    lines = ["# WebP at equal SSIM: lantoa.media against pyvips", "",
             f"Command: `python3 scripts/bench_webp.py --images {args.images}`. {args.images} photo-like 4000×3000 "
             "JPEGs (scripts/bench_media.py), widths 1920/960/480, WebP only, one thread, one run each.", "",
             "| contender | s | bytes (÷ pyvips) | SSIM (− pyvips) | goal: SSIM ≥, bytes ≤, time ≤ |", "|---|---|---|---|---|"]
    for label, seconds, size, score in rows:
        met = score >= base[2] and size <= base[1] and seconds <= base[0]
        lines.append(f"| {label} | {seconds:.2f} | {size} ({size / base[1]:.3f}×) | {score:.5f} "
                     f"({score - base[2]:+.5f}) | {'—' if label.startswith('pyvips') else 'met' if met else 'not met'} |")
    lines += ["", "Per width (bytes, SSIM of the WebP; the difference to pyvips at that width):", "",
              "| contender | " + " | ".join(f"{w}" for w in sorted(WIDTHS, reverse=True)) + " |",
              "|---|" + "---|" * len(WIDTHS)]
    theirs = widths["pyvips thumbnail + cascade, q80"]
    for label, by_width in widths.items():
        cells = [f"{by_width[w][0]} ({by_width[w][0] / theirs[w][0]:.3f}×), {by_width[w][1]:.5f} "
                 f"({by_width[w][1] - theirs[w][1]:+.5f})" for w in sorted(WIDTHS, reverse=True)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    (REPO / "scripts" / "results" / "media-webp.md").write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
