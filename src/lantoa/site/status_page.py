"""The team's status page at ``_status/``: translation coverage as a table and a heatmap picture.

Not linked from public navigation, not in any sitemap, ``noindex`` for crawlers.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
from pathlib import Path

import PIL  # its version alone: the drawing's modules when the heatmap is drawn (heatmap)

from ..content import translations as tr
from ..cachefile import keep_quietly
from .images import link_file

COLOURS = {  # colour-blind-safe-ish, and each status also has a letter in the table
    tr.SOURCE: (90, 90, 90), tr.REVIEWED: (26, 133, 81), tr.MACHINE: (146, 56, 160),
    tr.OUTDATED: (214, 120, 0), tr.MISSING: (226, 226, 226),
}
CELL, LABEL_W, HEAD_H = 18, 330, 70
#: bump when the heatmap's drawing changes: part of its cache key
HEATMAP_VERSION = 1


def heatmap(rows: list[tr.Row], langs: list[str]) -> Image.Image:
    from PIL import Image, ImageDraw, ImageFont  # here: a build whose statuses did not change draws nothing

    font = ImageFont.load_default()
    width = LABEL_W + CELL * len(langs) + 10
    height = HEAD_H + CELL * max(1, len(rows)) + 10
    im = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(im)
    for j, lang in enumerate(langs):
        label = Image.new("RGBA", (HEAD_H - 4, CELL), (255, 255, 255, 0))
        ImageDraw.Draw(label).text((0, 2), lang, fill="black", font=font)
        im.paste(label.rotate(90, expand=True), (LABEL_W + j * CELL, 2), label.rotate(90, expand=True))
    for i, row in enumerate(rows):
        y = HEAD_H + i * CELL
        draw.text((4, y + 3), row.slug[:52], fill="black", font=font)
        for j, lang in enumerate(langs):
            x = LABEL_W + j * CELL
            draw.rectangle([x + 1, y + 1, x + CELL - 2, y + CELL - 2], fill=COLOURS[row.statuses[lang]])
    return im


def _coverage_png(rows: list[tr.Row], langs: list[str], dest: Path, cache_dir: Path | None) -> None:
    """The heatmap, drawn and compressed only when a status changed: kept in ``cache_dir/status``
    by what it shows (an edit of a story's text changes no status)."""
    shown = json.dumps([HEATMAP_VERSION, PIL.__version__, langs, [[r.slug, r.statuses] for r in rows]])
    kept = cache_dir / "status" / f"{hashlib.sha256(shown.encode()).hexdigest()}.png" if cache_dir else None
    if kept is None or not kept.is_file():
        buf = io.BytesIO()
        # zlib's default level, once: optimize=True (level 9, and the filters tried) took 240 ms at
        # 400 stories, three times as long, for a 1% larger file
        heatmap(rows, langs).save(buf, "PNG")
        if kept is None:
            dest.write_bytes(buf.getvalue())
            return
        for old in kept.parent.glob("*.png"):  # an older map: of no more use
            old.unlink(missing_ok=True)
        keep_quietly(kept, buf.getvalue())
        if not kept.is_file():  # the cache cannot be written: only slower
            dest.write_bytes(buf.getvalue())
            return
    link_file(kept, dest)


def status_step(ctx) -> int:
    langs = ctx.langs
    rows = tr.matrix(ctx.project, langs)
    totals = tr.totals(rows, langs)
    out = ctx.site / "_status"
    out.mkdir(parents=True, exist_ok=True)
    _coverage_png(rows, langs, out / "coverage.png", ctx.cache_dir)
    e = html.escape
    letter = {tr.SOURCE: "S", tr.REVIEWED: "R", tr.MACHINE: "M", tr.OUTDATED: "O", tr.MISSING: "–"}
    head = "".join(f"<th scope='col'>{e(t)}</th>" for t in langs)
    body = "".join(
        f"<tr><th scope='row'>{e(r.slug)}</th>" + "".join(
            f"<td class='{s}' title='{e(t)}: {s}'>{letter[s]}</td>" for t, s in r.statuses.items()) + "</tr>"
        for r in rows)
    foot = "".join(
        f"<tr><th scope='row'>{st}</th>" + "".join(f"<td>{totals[t][st]}</td>" for t in langs) + "</tr>"
        for st in tr.STATUSES)
    legend = " · ".join(f"<span class='{s}'>{letter[s]}</span> {s}" for s in letter)
    css = ("body{font-family:sans-serif;margin:1rem}table{border-collapse:collapse;font-size:12px}"
           "td,th{border:1px solid #ccc;padding:2px 4px;text-align:center}th[scope=row]{text-align:left}"
           + "".join(f".{s}{{background:rgb{COLOURS[s]};color:{'#000' if s == tr.MISSING else '#fff'}}}" for s in COLOURS))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex, nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Lan Tỏa — translation status</title>
<link rel="stylesheet" href="status.css"></head>
<body><main><h1>Translation status</h1>
<p>Stories × languages. {legend}. Reproduce with <code>lantoa translations</code>.</p>
<p><img src="coverage.png" alt="Heatmap of translation status: one row per story, one column per language"></p>
<table><thead><tr><th scope="col">story</th>{head}</tr></thead><tbody>{body}</tbody><tfoot>{foot}</tfoot></table>
</main></body></html>
"""
    (out / "index.html").write_text(page, "utf-8")
    (out / "status.css").write_text(css + "\n", "utf-8")
    return 3
