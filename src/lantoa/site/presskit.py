"""Press kits: per story a zip with the full-size cleaned images, the text in every published
language and a CREDITS.txt (authors, image credits and licences per language, sources).

The images are the pipeline's full-size re-encodes (upright, sRGB, no EXIF/XMP/GPS), never the
editor's files. The zip is reproducible: sorted names, fixed timestamps, so its content hash
(in its name) changes only when something in it does.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from ..content.model import Entry

EPOCH = (1980, 1, 1, 0, 0, 0)


def _text(entry: Entry, v) -> str:
    lines = [f"# {v.title}", "", v.summary, ""]
    if entry.date:
        lines.append(f"Date: {entry.date.date().isoformat()}")
    if v.method == "machine":
        lines.append("Translation: machine" + (f", reviewed by {v.reviewed_by}" if v.reviewed_by else ", not reviewed"))
    lines += ["", v.body.strip(), ""]
    return "\n".join(lines)


def _credits(entry: Entry, registry, images: list[str], licence: str) -> str:
    out = [f"Press kit: {entry.source.title}", "", f"Story: {entry.slug}"]
    if entry.authors:
        out.append("Authors: " + ", ".join(entry.authors))
    if licence:
        out.append(f"Site licence: {licence}")
    out += ["", "Images (re-encoded at full size; EXIF, XMP and GPS metadata removed):"]
    out += [f"  images/{name}" for name in images]
    published = [v for v in entry.variants() if v.status == "published"]

    def per_language(title: str, text_of) -> None:
        out.extend(["", title])
        for v in published:
            text = text_of(v)
            name = registry[v.lang].name if v.lang in registry else v.lang
            parts = [f"{k}: {text[k]}" for k in ("alt", "caption", "credit", "license") if text.get(k)]
            if parts:
                out.append(f"  [{v.lang} {name}] " + " | ".join(parts))

    if entry.hero:
        per_language(f"Hero image {entry.hero.src}:", lambda v: {**entry.source.hero_text,
                                                                  **{k: t for k, t in v.hero_text.items() if t}})
    # the body's images, as the front matter's 'images:' describes them in each language
    for image in sorted({name for v in published for name in v.images if (entry.dir / name).is_file()}):
        per_language(f"Image {image}:", lambda v: entry.image_text(v, image))
    if entry.sources:
        out += ["", "Sources:"]
        out += [f"  {s.title} — {s.url}" + (f" (as of {s.as_of.isoformat()})" if s.as_of else "") for s in entry.sources]
    return "\n".join(out) + "\n"


def build_zip(entry: Entry, registry, full: dict[str, bytes], licence: str) -> bytes:
    """The press kit of one story; ``full`` maps image file names to their cleaned bytes."""
    files: dict[str, tuple[bytes, int]] = {}
    for name, data in full.items():
        files[f"images/{name}"] = (data, zipfile.ZIP_STORED)  # already compressed
    for v in entry.variants():
        if v.status == "published":
            files[f"text/{v.lang}.md"] = (_text(entry, v).encode("utf-8"), zipfile.ZIP_DEFLATED)
    files["CREDITS.txt"] = (_credits(entry, registry, sorted(full), licence).encode("utf-8"), zipfile.ZIP_DEFLATED)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(files):
            data, method = files[name]
            info = zipfile.ZipInfo(f"{entry.slug}/{name}", EPOCH)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def stage_kits(project, registry, index, raw_config: dict) -> dict:
    """slug -> {"src", "size", "images"} for every published story; zips written under index.root/press."""
    licence = str(raw_config.get("copyright") or "")
    out = {}
    for entry in project.published_stories():
        prefix = f"stories/{entry.slug}/"
        full = {}
        for key, path in sorted(index.full.items()):
            if key.startswith(prefix):
                full[PurePosixPath(key).stem + path.suffix] = path.read_bytes()
        data = build_zip(entry, registry, full, licence)
        # A stable name, not a content hash: the kit holds every translation's text, so a hashed
        # name would change every edition's page of the story (and defeat the per-edition build
        # cache) whenever one translation is edited. Hosts revalidate it (not immutable).
        rel = f"media/press/{entry.slug}.zip"
        dest = index.root.parent / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        size = f"{len(data) / 1e6:.1f} MB" if len(data) >= 1e6 else f"{max(1, round(len(data) / 1e3))} kB"
        out[entry.slug] = {"src": rel, "size": size, "images": len(full)}
    # the full-size files were only needed for the zips: no visitor loads them on their own
    import shutil

    shutil.rmtree(index.root / "full", ignore_errors=True)
    return out
