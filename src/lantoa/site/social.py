"""Social cards: one 1200×630 Open Graph image per story and language, drawn with Pillow.

Pillow's wheels carry libraqm (HarfBuzz shaping + FriBiDi), so Khmer subscripts, Tai Viet and Cham
vowel placement, Arabic joining and right-to-left order and CJK come out right with the same Noto
fonts the site serves (``lantoa.i18n.fonts``). Material's social plugin needs a Google Font and wraps
only at spaces; here titles wrap by measuring the shaped text, at line-break opportunities:
ICU's (dictionary-based for Khmer, Lao, Thai) when PyICU is installed, otherwise spaces, zero-width
spaces and the gaps between CJK characters, and, for a word wider than the line, between grapheme
clusters extended so that a cluster is never split (no break after a virama or Khmer coeng, before
a combining mark, or after a vowel written before its consonant).

A title mixes scripts ("ꪫꪸꪒ ꪙꪾ 31 UNESCO"): it is split into runs, each drawn with the first font
that has its characters (the script's own Noto, then Noto Sans), measured and placed run by run;
a right-to-left line places its runs from the right.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import os
import shutil
import threading
import unicodedata
from collections import Counter
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

# Pillow's drawing modules are imported by the functions that draw: a build whose cards are all in
# the cache (a one-story edit's) looks them up by their keys alone, without importing them
from .. import digests
from ..errors import LantoaError
from ..gcpause import collect_in_child
from ..i18n import fonts as lfonts
from ..i18n.cmap import Coverage, read_coverage
from ..media.cache import Cache, versions
from .forker import may_fork

log = logging.getLogger(__name__)

SOCIAL_VERSION = "1"
#: cards drawn / taken from the cache in this process (tests count them)
STATS: Counter = Counter()
_LOCK = threading.Lock()
WIDTH, HEIGHT = 1200, 630
CARD = "card.jpg"  # a card's file in its media cache entry
#: JPEG quality of a card. Measured on 30 cards (10 photos x Vietnamese, Khmer, Chinese titles),
#: SSIM against the unencoded card: q85 0.9961 at 34.5 kB, q80 0.9945 at 31.2 kB (-9.6%).
#: Facebook and X re-encode what they fetch; a site has a card per story and language, a third of
#: its bytes.
CARD_QUALITY = 80
MARGIN = 72
TITLE_SIZES = (68, 60, 52, 46, 40, 34)
MAX_LINES = 4
BRAND = (11, 79, 108)

#: vowels written (and typed) before their consonant: a line must not end after one
_PREPENDED = set("\u0e40\u0e41\u0e42\u0e43\u0e44\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4\uaab5\uaab6\uaab9\uaabb\uaabc")
#: CJK punctuation that must not start a line / end a line (kinsoku)
_NO_START = set("、。，．,.）)」』】〕》〉！？!?：；:;ー々〜…‥ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")
_NO_END = set("（(「『【〔《〈")
_ZWSP = "\u200b"


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF
            or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF)


def cluster_starts(text: str) -> list[int]:
    """Offsets where a user-perceived cluster starts, never splitting a syllable's stack."""
    out = [0] if text else []
    for i in range(1, len(text)):
        ch, prev = text[i], text[i - 1]
        if unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200c\u200d" or prev == "\u200d":
            continue
        if 0xFE00 <= ord(ch) <= 0xFE0F or 0xDC00 <= ord(ch) <= 0xDFFF:
            continue
        if unicodedata.combining(prev) == 9 or prev in _PREPENDED:  # virama / coeng; prepended vowel
            continue
        out.append(i)
    return out


def _icu_breaks(text: str, lang: str) -> list[int] | None:
    try:
        import icu  # PyICU, optional: dictionary-based breaks for Khmer, Lao, Thai, Myanmar
    except ImportError:
        return None
    it = icu.BreakIterator.createLineInstance(icu.Locale(lang.replace("-", "_")))
    it.setText(text)
    # ICU counts UTF-16 code units; map them back to code points
    units, cp = {}, 0
    for i, ch in enumerate(text):
        units[cp] = i
        cp += 2 if ord(ch) > 0xFFFF else 1
    units[cp] = len(text)
    return [units[b] for b in it if 0 < b < cp and b in units]


def break_points(text: str, lang: str) -> list[int]:
    """Offsets where a line may end (the next line starts there)."""
    icu_points = _icu_breaks(text, lang)
    if icu_points is not None:
        return icu_points
    out = []
    for i in range(1, len(text)):
        prev, ch = text[i - 1], text[i]
        if (prev.isspace() or prev == _ZWSP) and not (ch.isspace() or ch == _ZWSP):
            out.append(i)
        elif (_is_cjk(prev) or _is_cjk(ch)) and not prev.isspace() and not ch.isspace():
            if ch not in _NO_START and prev not in _NO_END and unicodedata.category(ch)[0] != "M":
                out.append(i)
    return out


@dataclass(frozen=True)
class Face:
    path: str
    index: int

    def font(self, size: int, engine) -> ImageFont.FreeTypeFont:
        return _font(self.path, self.index, size, engine, threading.get_ident())


@lru_cache(maxsize=256)
def _font(path: str, index: int, size: int, engine, thread: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont  # when a card is drawn (see the imports)

    # one FreeType face per thread: faces are not safe to share between threads
    return ImageFont.truetype(path, size, index=index, layout_engine=engine)


@lru_cache(maxsize=64)
def _coverage(path: str, index: int) -> Coverage:
    return read_coverage(path, index)


@lru_cache(maxsize=64)
def faces_for(script: str, lang: str) -> tuple[Face, ...]:
    """The fonts of a card, most specific first: the script's own Noto (bold when there is one), then Noto Sans."""
    out = []
    for src in reversed(lfonts.fonts_for_script(script, lang)):
        name, hint = src.files.get(700) or src.files[400]
        path = lfonts.find_font(name)
        if path is None:
            raise LantoaError(f"social cards: font file {name!r} is not installed — {lfonts.INSTALL_HINT}")
        out.append(Face(str(path), lfonts.resolve_face_index(path, src.face_name, hint)))
    return tuple(out)


def runs(text: str, faces: tuple[Face, ...]) -> list[tuple[str, Face]]:
    """Split ``text`` into runs of one font each; marks, joiners and spaces stay with their neighbour."""
    out: list[list] = []
    for ch in text:
        sticky = ch.isspace() or unicodedata.category(ch)[0] in "MZ" or ch in "\u200b\u200c\u200d"
        if sticky and out:
            out[-1][0] += ch
            continue
        face = next((f for f in faces if ord(ch) in _coverage(f.path, f.index)), faces[0])
        if out and out[-1][1] == face:
            out[-1][0] += ch
        else:
            out.append([ch, face])
    return [(t, f) for t, f in out]


class Typesetter:
    def __init__(self, faces: tuple[Face, ...], size: int, lang: str, direction: str, engine):
        self.faces, self.size, self.lang, self.direction, self.engine = faces, size, lang, direction, engine

    def _kw(self, face: Face, text: str) -> dict:
        from PIL import ImageFont

        if self.engine != ImageFont.Layout.RAQM:
            return {}
        rtl = self.direction == "rtl" and face is self.faces[0] and any(
            unicodedata.bidirectional(c) in ("R", "AL") for c in text)
        return {"direction": "rtl" if rtl else "ltr", "language": self.lang}

    def width(self, text: str) -> float:
        return sum(f.font(self.size, self.engine).getlength(t, **self._kw(f, t)) for t, f in runs(text, self.faces))

    def wrap(self, text: str, max_width: float) -> list[str]:
        points = [0] + break_points(text, self.lang) + [len(text)]
        segments = [text[a:b] for a, b in zip(points, points[1:]) if b > a]
        lines: list[str] = []
        cur = ""
        for seg in segments:
            if self.width((cur + seg).rstrip()) <= max_width:
                cur += seg
                continue
            if cur.strip():
                lines.append(cur.rstrip())
            cur = ""
            if self.width(seg.rstrip()) <= max_width:
                cur = seg
                continue
            starts = cluster_starts(seg) + [len(seg)]  # a word wider than the line: break between clusters
            for a, b in zip(starts, starts[1:]):
                piece = seg[a:b]
                if cur and self.width((cur + piece).rstrip()) > max_width:
                    lines.append(cur.rstrip())
                    cur = ""
                cur += piece
        if cur.strip():
            lines.append(cur.rstrip())
        return [line.strip(" \u200b") for line in lines]

    def line_height(self) -> int:
        # the font's own extent (Khmer stacks, Arabic marks), kept between 1.25 and 1.55 em
        ascent, descent = self.faces[0].font(self.size, self.engine).getmetrics()
        return int(max(self.size * 1.25, min(ascent + descent, self.size * 1.55)))

    def draw(self, draw: ImageDraw.ImageDraw, line: str, y: int, x0: int, x1: int, fill) -> None:
        """One line on the baseline ``y``, from ``x0`` (ltr) or from ``x1`` leftwards (rtl)."""
        parts = runs(line, self.faces)
        rtl = self.direction == "rtl"
        x = x1 if rtl else x0
        for text, face in parts:
            font = face.font(self.size, self.engine)
            w = font.getlength(text, **self._kw(face, text))
            if rtl:
                x -= w
            draw.text((x, y), text, font=font, fill=fill, anchor="ls", **self._kw(face, text))
            if not rtl:
                x += w


@dataclass(frozen=True)
class CardSpec:
    title: str
    label: str  # the category, in the card's language
    site: str  # the site's name, in the card's language
    lang: str
    script: str
    direction: str  # ltr | rtl


@lru_cache(maxsize=1)
def _shade() -> Image.Image:
    """How much of the photo shows through, row by row: it darkens towards the bottom, where the
    title sits, for contrast whatever the photo. The same for every card: made once."""
    from PIL import Image

    return Image.linear_gradient("L").resize((WIDTH, HEIGHT)).point(lambda v: int(60 + v * 0.62))


def card_background(path: str | None) -> Image.Image:
    """A card's background, without its text: the photo (or the brand colour) cropped to the card
    and darkened. The same for every language's card of a story, so :func:`stage_cards` does not make
    it for each: making it took 25 of a card's 40 ms of CPU (the photo decoded, fitted and darkened)."""
    from PIL import Image, ImageOps

    from ..media import pipeline  # noqa: F401 - its one-thread AVIF decoder (a site of AVIF alone)

    if path:
        with Image.open(path) as im:
            im.draft("RGB", (WIDTH, HEIGHT))
            bg = ImageOps.fit(im.convert("RGB"), (WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    else:
        bg = Image.new("RGB", (WIDTH, HEIGHT), BRAND)
    return Image.composite(Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0)), bg, _shade())


def draw_card(spec: CardSpec, background: str | None = None,
              engine=None, base: Image.Image | None = None) -> Image.Image:
    """The card as an image (``engine``: Pillow's layout engine, RAQM by default; BASIC turns
    shaping off: only the tests want that). ``base``: :func:`card_background` of ``background``,
    made before (it is not changed)."""
    from PIL import ImageDraw, ImageFont

    engine = ImageFont.Layout.RAQM if engine is None else engine
    faces = faces_for(spec.script, spec.lang)
    card = base.copy() if base is not None else card_background(background)
    d = ImageDraw.Draw(card)
    x0, x1 = MARGIN, WIDTH - MARGIN
    rtl = spec.direction == "rtl"
    small = Typesetter(faces, 28, spec.lang, spec.direction, engine)
    # the category, top
    label = small.wrap(spec.label, x1 - x0)[:1]
    if label:
        small.draw(d, label[0], MARGIN + 28, x0, x1, (255, 214, 102))
    # the site's name, bottom
    footer_y = HEIGHT - MARGIN + 8
    site = small.wrap(spec.site, x1 - x0)[:1]
    if site:
        small.draw(d, site[0], footer_y, x0, x1, (235, 235, 235))
    # the title: the largest size at which it fits in MAX_LINES
    for size in TITLE_SIZES:
        ts = Typesetter(faces, size, spec.lang, spec.direction, engine)
        lines = ts.wrap(spec.title, x1 - x0)
        if len(lines) <= MAX_LINES:
            break
    lines = lines[:MAX_LINES]
    lh = ts.line_height()
    y = footer_y - small.line_height() - int(ts.size * 0.45) - lh * (len(lines) - 1)
    for line in lines:
        ts.draw(d, line, y, x0, x1, (255, 255, 255))
        y += lh
    d.rectangle((x1 - 120, MARGIN - 6, x1, MARGIN - 2) if not rtl else (x0, MARGIN - 6, x0 + 120, MARGIN - 2),
                fill=(255, 214, 102))
    return card


def encode(card: Image.Image) -> bytes:
    out = io.BytesIO()
    card.save(out, "JPEG", quality=CARD_QUALITY, progressive=True, optimize=True)
    return out.getvalue()


def _file_sha(path: str) -> str:
    # by size, times and inode (not by path alone: lantoa serve sees a photo replaced)
    return digests.sha256(path)


@lru_cache(maxsize=64)
def _drawing(script: str, lang: str) -> str:
    """A hash of what a card's pixels depend on besides its text and photo: its fonts (by content),
    the shaping library's version, ours and the renderers'. The same for every card of a script and
    language: worked out once (a site has a card per story and language)."""
    try:
        import icu  # noqa: F401
        icu_version = icu.ICU_VERSION
    except ImportError:
        icu_version = None
    blob = {"fonts": [(Path(f.path).name, f.index, _file_sha(f.path)) for f in faces_for(script, lang)],
            "icu": icu_version, "social": SOCIAL_VERSION, "quality": CARD_QUALITY, "versions": versions()}
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


_SPEC_FIELDS = tuple(f.name for f in fields(CardSpec))


def card_key(spec: CardSpec, background: str | None, background_sha: str | None = None) -> str:
    """``background_sha``: the sha256 of the background's bytes when it is known (the media cache
    records each variant's); else it is read."""
    bg = (background_sha or _file_sha(background)) if background else None
    blob = {"spec": {name: getattr(spec, name) for name in _SPEC_FIELDS},  # asdict(), without its deep copy
            "bg": bg, "drawing": _drawing(spec.script, spec.lang)}
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def _kept(cache: Cache, key: str) -> tuple[str, str] | None:
    """The card's file in the cache and the sha256 of its bytes, when it was drawn before."""
    meta = cache.get(key)
    if meta is None:
        return None
    with _LOCK:
        STATS["cached"] += 1
    return cache.file(key, CARD), meta["files"][0]["sha256"]


def _draw(cache: Cache, key: str, spec: CardSpec, base: Image.Image) -> tuple[str, str]:
    """Draw a card :func:`_kept` did not find on its :func:`card_background`, keep it in the cache; its
    file there and the sha256 of its bytes."""
    meta = cache.put(key, {CARD: encode(draw_card(spec, base=base))}, {"kind": "social"})
    return cache.file(key, CARD), meta["files"][0]["sha256"]


def _draw_share(cache_root: str, share: list[tuple[str, CardSpec, str | None]]) -> list[tuple[str, str]]:
    """A process's or thread's share of the cards to draw, (key, spec, photo) sorted by story: drawn
    in turn, each story's background made once."""
    cache = Cache(Path(cache_root))
    out, photo, base = [], 0, None
    for key, spec, background in share:
        if background != photo:
            photo, base = background, card_background(background)
        out.append(_draw(cache, key, spec, base))
    return out


#: from this many cards to draw, they are drawn in two processes forked for them, not in threads
#: of this one (a cold build; not an edit's few cards)
PROCESSES_FROM = 48


def _draw_all(cache_root: Path, todo: list, workers: int) -> list[tuple[str, str]]:
    """Each card of ``todo`` (key, spec, photo; sorted by story) drawn: its file in the cache and the
    sha256 of its bytes. Shared out between ``workers``, each taking every ``workers``-th card: at
    12 languages, 6 of each story's cards, in half the scripts, so each loads half the fonts and
    makes each story's background once (when each drew a story's 12 cards, each held every font:
    +60 MB). Many cards (a cold build) are drawn in processes forked for them, few (an edit's) in
    threads of this one. Drawing is partly Python: at 100 x 12, a cold build's staging took 21 s
    with threads, 12 s with processes; and the processes end with the drawing, with their fonts,
    which in threads stayed in this process and in the edition workers forked from it next.
    Processes are forked only while this process has no other thread (`lantoa serve` has) but the
    editions' zygote's reader (lantoa.site.forker.may_fork; after a change of photos alone the zygote
    is forked before the cards are drawn): a lock another thread held would stay held in the child."""
    if not todo:
        return []
    processes = workers > 1 and len(todo) >= PROCESSES_FROM and may_fork()
    if processes:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool: Executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                             initializer=collect_in_child)  # the staging pauses the collector
    else:
        pool = ThreadPoolExecutor(max_workers=workers)
    drawn: list = [None] * len(todo)
    with pool:
        shares = [pool.submit(_draw_share, str(cache_root), todo[k::workers]) for k in range(workers)]
        for k, share in enumerate(shares):
            drawn[k::workers] = share.result()
    if not processes:
        # The drawing threads' FreeType faces (one per thread, font and size) are of no use once
        # the threads are gone, and hold what FreeType and HarfBuzz read of each font; with the
        # drawing's garbage in reference cycles, some 90 MB of a cold 100 x 12 build, which the
        # edition workers forked next would inherit (the build collects nothing before it forks)
        # and each build of `lantoa serve` (new threads) would add to.
        _font.cache_clear()
        gc.collect()
    return drawn


def stage_cards(project, registry, langs: list[str], index, cache_root: Path | None, site_url: str,
                done: frozenset = frozenset()) -> dict:
    """(slug, text language) -> card for every story text some edition of ``langs`` shows, but the
    ``done`` ones (staged before); written to index.root/social."""
    from .stage import resolve_variant

    wanted: dict[tuple[str, str], tuple[CardSpec, str | None, str | None]] = {}
    site = str(index.root.parent)
    for entry in project.published_stories():
        for lang in langs:
            v = resolve_variant(entry, registry, lang)
            if v is None or (entry.slug, v.lang) in wanted or (entry.slug, v.lang) in done:
                continue
            L = registry[v.lang] if v.lang in registry else registry[registry.default]
            spec = CardSpec(v.title, registry.string(v.lang, f"category.{entry.category}"),
                            registry.string(v.lang, "site.name"), v.lang, L.script, L.dir)
            hero = index.hero(entry, [v.lang], card=False) if entry.hero else None
            background = f"{site}/{hero['src']}" if hero else None  # (a join for each of 4,800 cards: 10 ms)
            wanted[(entry.slug, v.lang)] = (spec, background, index.sha.get(hero["src"]) if hero else None)
    scratch = None
    if cache_root is None:
        scratch = index.root.parent / ".social-scratch"
        cache_root = scratch
    cache = Cache(Path(cache_root))
    items = sorted(wanted.items())
    keys = [card_key(spec, background, sha) for _, (spec, background, sha) in items]
    # cards drawn before are looked up here (a pool only adds its overhead to a lookup); the others
    # are drawn on every core
    made = [_kept(cache, key) for key in keys]
    new = [i for i, m in enumerate(made) if m is None]
    workers = min(2, os.cpu_count() or 1, max(1, len(new)))
    for i, m in zip(new, _draw_all(cache_root, [(keys[i], *items[i][1][:2]) for i in new], workers)):
        made[i] = m
    with _LOCK:
        STATS["drawn"] += len(new)
    out = {}
    for ((slug, lang), (spec, _, _)), key, (path, sha) in zip(items, keys, made):
        rel = f"media/social/{slug}/{lang}.{sha[:12]}.jpg"
        # (its folder made when missing) or left as it is when the last site left it there
        index.left.put(path, rel, cache.inodes(key).get(CARD))
        out[(slug, lang)] = {"src": rel, "url": site_url + rel if site_url else "", "width": WIDTH,
                             "height": HEIGHT, "type": "image/jpeg", "alt": spec.title}
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
    return out
