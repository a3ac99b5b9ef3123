"""Press kits: per story a zip with the full-size cleaned images, the text in every published
language and a CREDITS.txt (authors, image credits and licences per language, sources).

The images are the pipeline's full-size re-encodes (upright, sRGB, no EXIF/XMP/GPS), never the
editor's files. The zip is reproducible: sorted names, fixed timestamps, so its content hash
(in its name) changes only when something in it does.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .. import digests
from ..content.model import Entry
from ..cachefile import keep_quietly

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

    def per_language(title: str, text_of, source_caption: str) -> None:
        """Each language's text of one image; the caption by the site's one rule
        (lantoa.site.images.MediaIndex.caption): its own, else the source's, which says its
        language ("caption (vi): …")."""
        out.extend(["", title])
        for v in published:
            text = text_of(v)
            name = registry[v.lang].name if v.lang in registry else v.lang
            parts = [f"{k}: {text[k]}" for k in ("alt", "caption", "credit", "license") if text.get(k)]
            if not text.get("caption") and source_caption and v.lang != entry.source_lang:
                parts.insert(1 if text.get("alt") else 0, f"caption ({entry.source_lang}): {source_caption}")
            if parts:
                out.append(f"  [{v.lang} {name}] " + " | ".join(parts))

    if entry.hero:
        src_hero = entry.source.hero_text
        # a translation shows the source's alt text, credit and licence where it has none of its own
        per_language(f"Hero image {entry.hero.src}:",
                     lambda v: {**{k: t for k, t in src_hero.items() if k != "caption"},
                                **{k: t for k, t in v.hero_text.items() if t}},
                     src_hero.get("caption", ""))
    # the body's images, as the front matter's 'images:' describes them in each language
    for image in sorted({name for v in published for name in v.images if (entry.dir / name).is_file()}):
        per_language(f"Image {image}:", lambda v: entry.image_text(v, image),
                     entry.source.images.get(image, {}).get("caption", "") if entry.source else "")
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


#: bump when the zip's layout changes (a new file in it, another name): part of every kit's cache key
PRESS_VERSION = "1"


def kit_key(entry: Entry, registry, images: dict[str, str], licence: str) -> str:
    """What a kit is made of: every text that goes into it, and the images by name and content hash
    (the zip is a deterministic function of these: sorted names, fixed timestamps). Remembered
    between builds by :func:`_kit_inputs` where every language version's file has a content key:
    hashing every text of every story took 0.1 s of each build at 400 stories x 12 languages."""
    inputs = _kit_inputs(entry, registry, images, licence)
    if inputs is None:
        return _kit_key(entry, registry, images, licence)
    return digests.remember("press-kit-key", inputs, lambda: _kit_key(entry, registry, images, licence))


def _kit_inputs(entry: Entry, registry, images: dict[str, str], licence: str) -> str | None:
    """A hash of what :func:`_kit_key` reads, without the texts: the content key of each language
    version's file (the source memo's, lantoa.content.memo) stands for everything read from it,
    and lantoa's code for what is made of it. None when a file has no content key."""
    from .incremental import code_key

    variants = entry.variants()
    if not all(v.doc.key for v in variants):
        return None
    named = sorted({name for v in variants for name in v.images})
    return digests.pieces_sha256([
        code_key(), entry.kind, entry.slug, licence,
        *(part for v in variants for part in (v.lang, v.path, registry[v.lang].name if v.lang in registry else "-",
                                              v.doc.key.hex())),
        *(part for item in sorted(images.items()) for part in item),
        *(name for name in named if (entry.dir / name).is_file())])


def _kit_key(entry: Entry, registry, images: dict[str, str], licence: str) -> str:
    # the pieces hashed one by one, not dumped as JSON first: a build keys every story's kit, and
    # escaping some 20 MB of texts (400 stories x 12 languages) was half of it (0.22 -> 0.11 s)
    texts = [_text(entry, v) for v in entry.variants() if v.status == "published"]
    return digests.pieces_sha256([PRESS_VERSION, entry.slug, str(len(texts)), *texts,
                                  _credits(entry, registry, sorted(images), licence),
                                  *(part for item in sorted(images.items()) for part in item)])


def _regular(path: Path | None) -> os.stat_result | None:
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return st if st is not None and stat.S_ISREG(st.st_mode) else None


def stage_kits(project, registry, index, raw_config: dict, cache_dir: Path | None = None) -> dict:
    """slug -> {"src", "size", "images"} for every published story; zips written under index.root/press.
    ``cache_dir``: where kits are kept by :func:`kit_key` (a rebuild links them instead of writing
    every story's full-size images into a new zip); None: made every time."""
    licence = str(raw_config.get("copyright") or "")
    by_story: dict[str, dict[str, str]] = {}
    for key in sorted(index.full):
        folder, _, name = key.rpartition("/")
        by_story.setdefault(folder, {})[PurePosixPath(name).stem + index.full_ext[key]] = key
    out = {}
    used = set()
    for entry in project.published_stories():
        names = by_story.get(f"stories/{entry.slug}", {})
        key = kit_key(entry, registry, {n: index.full_sha[k] for n, k in names.items()}, licence)
        kept = cache_dir / f"{key}.zip" if cache_dir else None
        # A stable name, not a content hash: the kit holds every translation's text, so a hashed
        # name would change every edition's page of the story (and defeat the per-edition build
        # cache) whenever one translation is edited. Hosts revalidate it (not immutable).
        rel = f"media/press/{entry.slug}.zip"
        dest = index.root.parent / rel
        st = _regular(kept)
        if st is None:
            data = build_zip(entry, registry, {n: index.full[k].read_bytes() for n, k in names.items()}, licence)
            if kept is not None:
                keep_quietly(kept, data)
                st = _regular(kept)  # (None: the cache cannot be written, only slower)
        if st is not None:
            # left as it is when the last site left this very file there (lantoa.site.images.Left)
            index.left.put(str(kept), rel, (st.st_dev, st.st_ino))
            length = st.st_size
            used.add(kept.name)
        else:
            index.left.free(rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            length = len(data)
        size = f"{length / 1e6:.1f} MB" if length >= 1e6 else f"{max(1, round(length / 1e3))} kB"
        out[entry.slug] = {"src": rel, "size": size, "images": len(names)}
    if cache_dir is not None and cache_dir.is_dir():  # kits of earlier content are of no more use
        for old in cache_dir.glob("*.zip"):
            if old.name not in used:
                old.unlink(missing_ok=True)
    # the full-size files were only needed for the zips: no visitor loads them on their own
    shutil.rmtree(index.root / "full", ignore_errors=True)
    return out
