"""Self-hosted fonts for the built site: subset to the characters its pages use.

Every family gets one file per weight holding every character the site uses
in it: a script's grapheme clusters (a Khmer consonant with its coeng and
subscript, an Arabic letter with its harakat) must be shaped by one font
file, so a family is never cut into unicode-range slices.

The language names in the switcher of every page (and on the languages page)
use separate, tiny "<family> Names" faces subset to the autonyms alone, so a
Vietnamese page does not download the whole Khmer or CJK text face just to
show "ភាសាខ្មែរ" or "日本語" in a menu.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..i18n import fonts as lfonts
from ..i18n.cmap import Coverage, read_coverage
from ..cachefile import keep_quietly
from . import csp
from .incremental import file_names

_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
#: attributes whose text a visitor sees or hears; matched only after a non-word character (see
#: _shown_in_tag: a leading \b in the pattern would make re test every position of a tag)
_ATTR_TEXT = re.compile(r'(?:alt|title|aria-label|content|placeholder)="([^"]*)"')
_LANG = re.compile(r'<html[^>]*\blang="([^"]+)"')
#: the folder of the site the fonts step writes (lantoa.i18n.fonts.build_fonts: the faces and the
#: licence; fonts.css)
FOLDER = "fonts"
CJK_BY_LANG = {"ja": "Lantoa CJK JP", "ko": "Lantoa CJK KR"}


#: where _coverage keeps what it read (set by build(); None: nowhere)
_coverage_dir: Path | None = None


@lru_cache(maxsize=None)
def _coverage(family: str) -> Coverage:
    """The characters a family's font file has (its cmap, as ranges), kept in the fonts cache."""
    src = lfonts.source_for_family(family)
    weight = min(src.files)
    name, index = src.files[weight]
    path = lfonts._require_font(name, None)
    if src.face_name:
        index = lfonts.resolve_face_index(path, src.face_name, index)
    st = Path(path).stat()
    kept = None
    if _coverage_dir is not None:
        key = hashlib.sha256(f"{path}\0{index}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:32]
        kept = _coverage_dir / f"cmap-ranges-{key}.json"
        try:
            return Coverage(map(tuple, json.loads(kept.read_text("utf-8"))))
        except (OSError, ValueError, TypeError, OverflowError):
            pass  # not kept yet, or unreadable: read the font again
    cover = read_coverage(path, index)
    if kept is not None:
        keep_quietly(kept, json.dumps(cover.ranges()).encode())
    return cover


def _family_for(cp: int, lang: str) -> str | None:
    return _family_of(cp, CJK_BY_LANG.get(lang.split("-")[0], "Lantoa CJK SC"))


@lru_cache(maxsize=1 << 16)
def _family_of(cp: int, cjk: str) -> str | None:
    """The family that shows ``cp``, ``cjk`` for Han ideographs. Remembered with the coverages it
    is worked out from (the editions of a site share most of their characters, and `lantoa serve`
    asks again for all of them at every rebuild: 3,800 look-ups, 10 ms, at 100 x 12)."""
    if cp in _coverage(lfonts.LATIN_FAMILY):
        return lfonts.LATIN_FAMILY
    for src in lfonts.FONT_SOURCES:
        if src.family == lfonts.LATIN_FAMILY or src.family.startswith("Lantoa CJK"):
            continue
        if cp in _coverage(src.family):
            return src.family
    if cp in _coverage(cjk):
        return cjk
    return None


@lru_cache(maxsize=1 << 15)
def _shown_in_tag(tag: str) -> str:
    """The text a start tag shows in its alt, title, aria-label, content and placeholder
    attributes, joined. Remembered: an edition's pages share most of their tags."""
    out = []
    for m in _ATTR_TEXT.finditer(tag):
        before = tag[m.start() - 1] if m.start() else " "
        if not (before.isalnum() or before == "_"):  # what \b means before a word character
            out.append(html.unescape(m.group(1)))
    return " ".join(out)


def page_text(doc: str, tags: list[str] | None = None) -> str:
    """What a page shows: its text outside tags, scripts and styles, and the text of its start tags'
    alt, title, aria-label, content and placeholder attributes. ``tags``: its distinct start tags
    outside scripts, when the caller has them (lantoa.site.csp.scan)."""
    return html.unescape(_TAGS.sub(" ", doc)) + " " + " ".join(
        map(_shown_in_tag, csp.scan_tags(doc) if tags is None else tags))


#: the characters str.split() separates words on
_SPACES = frozenset(c for c in map(chr, range(0x3000 + 1)) if c.isspace())


def page_chars(doc: str, tags: list[str] | None = None) -> set[str]:
    """``set(page_text(doc))``, made from the set of its distinct words (a page repeats its words,
    and a set of the characters of a whole Khmer or Lao page costs as much as the rest of the
    page's post-processing)."""
    text = page_text(doc, tags)
    chars = set("".join(set(text.split())))  # one set() over the distinct words, joined
    chars.update(c for c in _SPACES if c in text)
    return chars


NAMES_SUFFIX = " Names"


def page_lang(doc: str) -> str:
    """The language of a page: its ``<html lang>``."""
    m = _LANG.search(doc)
    return m.group(1) if m else "vi"


def pages_chars(paths) -> dict[str, str]:
    """Language of the page (its ``<html lang>``) -> the characters its pages show."""
    by_lang: dict[str, set[str]] = {}
    for path in paths:
        doc = Path(path).read_text("utf-8")
        by_lang.setdefault(page_lang(doc), set()).update(page_chars(doc))
    return {lang: "".join(sorted(chars)) for lang, chars in sorted(by_lang.items())}


def build(site: Path, names_text: str, cache_dir: Path | None,
          ui_text: dict[str, str] | None = None, known: list[dict[str, str]] | None = None,
          done: set[str] | frozenset[str] = frozenset(), files: list[str] | None = None) -> list[lfonts.BuiltFace]:
    """Subset every family the site needs, write site/fonts/*.woff2 + fonts.css + OFL.txt.

    ``ui_text``: language -> all of its interface strings, used or not. They are kept in the
    subsets whether a page shows them yet or not, so the first page that shows a notice
    (a translation now outdated, say) does not change every face and force a new subset of
    the large CJK and Khmer faces. ``known``: the characters of pages already read (each edition's
    worker gathers its own as MkDocs writes them, see lantoa.site.pagefacts); ``done``: their
    paths in ``site``, not read again. ``files``: the site's files, if they were listed already
    (relative paths; default: listed here). Everything it writes is under ``site``/:data:`FOLDER`."""
    global _coverage_dir
    if cache_dir is not None and _coverage_dir != cache_dir:
        _coverage_dir = cache_dir
        _coverage.cache_clear()
        _family_of.cache_clear()
    by_lang: dict[str, set[str]] = {lang: set(text) for lang, text in (ui_text or {}).items()}
    for chars in (known or []) + [pages_chars(site / rel for rel in (file_names(site) if files is None else files)
                                             if rel.endswith(".html") and rel not in done)]:
        for lang, text in chars.items():
            by_lang.setdefault(lang, set()).update(text)
    body: dict[str, set[int]] = {}
    for lang, chars in by_lang.items():
        for cp in map(ord, chars):
            fam = _family_for(cp, lang) if cp >= 0x20 else None
            if fam is not None:
                body.setdefault(fam, set()).add(cp)
    names: dict[str, set[int]] = {}
    for cp in {ord(c) for c in names_text}:
        fam = _family_for(cp, "") if cp >= 0x20 else None
        if fam is not None and fam != lfonts.LATIN_FAMILY:
            names.setdefault(fam, set()).add(cp)
    body.setdefault(lfonts.LATIN_FAMILY, set())
    faces = lfonts.build_fonts({f: "".join(map(chr, sorted(c))) for f, c in body.items()}, site, cache_dir)
    if names:
        named = lfonts.build_fonts({f: "".join(map(chr, sorted(c))) for f, c in names.items()}, site, cache_dir)
        faces += [replace(f, family=f.family + NAMES_SUFFIX) for f in named]
    css = lfonts.font_css(faces, url_prefix="..")  # fonts.css lives in fonts/, beside the faces
    (site / FOLDER / "fonts.css").write_text(css, "utf-8")
    return faces
