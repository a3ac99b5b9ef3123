"""The site's images: which files the pages reference, their variants in the build, their markup.

The stager calls :func:`stage_media` once per build: every raster image a published page
references (hero and body, plus its localized copies ``photo.<tag>.jpg``) goes through
``lantoa.media`` and its variants land in ``<work>/media/`` with content-hashed names; the
output step ``media_step`` moves that folder into the site. No source file is ever copied.

Body images are Markdown (``![alt](photo.jpg)``). The stager points them at
``lantoa-media:<key>`` (MkDocs leaves URLs with a scheme alone, so it neither warns about a
missing file nor copies one), and the plugin replaces each such ``<img>`` with a
``<picture>`` from :func:`picture_html` before sanitizing. An unknown ``lantoa-media:`` URL is
dropped by the sanitizer (not an allowed scheme).

The front matter's ``images:`` gives each body image its text in the page's language
(``Entry.image_text``): the alt text when the Markdown has none, and a caption, credit and
licence. A caption follows one rule for the hero and body images alike (:meth:`MediaIndex.caption`):
the page's own, else the source's, marked with the source's language. An image that is a paragraph of its own and has any of those three becomes a
``<figure class="lt-figure">`` in place of that paragraph (a figure may not sit inside a ``<p>``),
captioned like the hero; so does an image that is the whole of a list item or of a table cell,
inside it. An image inside a line of text stays a bare ``<picture>`` (``lantoa check`` warns that
its caption is not shown).
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Callable

from ..content.loader import localized_name, regular_files
from ..content.model import Entry, Project
from ..errors import LantoaError
from ..media import batch
from ..media import settings as media_settings
from ..media.cache import Cache
from ..validate import links, markup
from ..validate.rules import IMAGE_EXTENSIONS  # the images check accepts are the ones processed
from . import incremental
from .forker import may_fork
from .incremental import link_file
from .skeleton import LEFT

log = logging.getLogger(__name__)

TOKEN = "lantoa-media:"
MEDIA_DIR = LEFT  # the last site's files there are left for the next build's (lantoa.site.skeleton)
#: the hero spans the text column: full width on phones, at most ~46rem beside Material's sidebars
HERO_SIZES = "(min-width: 76.25em) 46rem, (min-width: 60em) calc(100vw - 15rem), 100vw"
BODY_SIZES = HERO_SIZES
#: cards: one column on phones, a grid of ≥12rem columns above
CARD_SIZES = "(min-width: 76.25em) 14rem, (min-width: 45em) 33vw, 100vw"
#: names the templates may use for ``sizes``
SIZES = {"hero": HERO_SIZES, "body": BODY_SIZES, "card": CARD_SIZES}
#: the width an old browser (no srcset) gets
FALLBACK_WIDTH = 960


def entry_key(entry: Entry) -> str:
    return f"{'stories' if entry.kind == 'story' else 'pages'}/{entry.slug}"


def _local_image(entry: Entry, ref: str, files: frozenset[str] | None = None) -> Path | None:
    """The file ``ref`` names inside the entry's folder, or None when it is not a safe local image
    (``lantoa check`` has reported why). ``files``: the names of the folder's regular files
    (lantoa.content.loader.regular_files), when the caller looks up many names there."""
    if not ref or "\\" in ref or ref.startswith("~") or markup.scheme_of(ref) is not None:
        return None
    name = ref
    if "/" in ref:  # "./photo.jpg" names photo.jpg; a file in another folder is refused
        p = PurePosixPath(ref)
        if p.is_absolute() or ".." in p.parts or len(p.parts) != 1:
            return None
        name = p.name
    dot = name.rfind(".")  # the suffix as PurePosixPath's (without parsing 5,600 paths a staging)
    if not 0 < dot < len(name) - 1 or name[dot:].lower() not in IMAGE_EXTENSIONS:
        return None
    if files is not None:  # (looked up before a path is made: most of the names asked for are not there)
        return entry.dir / name if name in files else None
    path = entry.dir / name
    return path if path.is_file() and not path.is_symlink() else None


def body_refs(body: str) -> list[tuple[int, int, str]]:
    """(line, col, url) of every link, image and reference definition in a Markdown body (code
    excluded); callers keep those naming a local image."""
    _, links = markup.scanned(body)
    return [(link.line, link.col, link.url) for link in links]


def doc_refs(doc) -> list[tuple[int, int, str]]:
    """:func:`body_refs` of a document's body, from its scan kept by content
    (lantoa.validate.markup.scanned_of: the body is not read for it)."""
    _, links = markup.scanned_of(doc)
    return [(link.line, link.col, link.url) for link in links]


@lru_cache(maxsize=65536)
def _file_name(ref: str) -> str:
    return PurePosixPath(ref).name


class Left:
    """The files the last site left in the media folder being staged (lantoa.site.skeleton.LEFT),
    each a hard link into a cache: path within the folder's parent (``media/…``) -> inode.
    :meth:`put` leaves one in place when it is the very file to link there, and replaces it
    otherwise; :meth:`sweep` deletes those no step put back. A file is never written into where
    one is left: it would write into the cache's file it is linked to."""

    def __init__(self, base: Path, files: dict[str, int] | None = None):
        self.base = str(base)
        self.files = dict(files or {})
        self._device: int | None = None  # of ``base``, once asked for

    def put(self, src: str, rel: str, ident: tuple[int, int] | None = None) -> None:
        """``src`` linked at ``rel`` (copied where links fail). ``ident``: its (device, inode), when
        known (lantoa.media.cache.Cache.inodes), else looked up if a file is left there."""
        dest = f"{self.base}/{rel}"
        inode = self.files.pop(rel, None)
        if inode is not None:
            if ident is None:
                st = os.stat(src)
                ident = (st.st_dev, st.st_ino)
            if self._device is None:
                self._device = os.stat(self.base).st_dev
            if ident == (self._device, inode):
                return
            os.unlink(dest)
        link_file(src, dest)

    def free(self, rel: str) -> None:
        """No file left at ``rel``, where one is about to be written."""
        if self.files.pop(rel, None) is not None:
            os.unlink(f"{self.base}/{rel}")

    def sweep(self) -> int:
        """Delete the files left that were not put back; how many."""
        for rel in self.files:
            try:
                os.unlink(f"{self.base}/{rel}")
            except FileNotFoundError:
                pass
        count, self.files = len(self.files), {}
        return count


@dataclass
class MediaIndex:
    root: Path  # <work>/media
    pictures: dict[str, dict] = field(default_factory=dict)  # "stories/<slug>/<file>" -> picture
    #: "stories/<slug>/<file>" -> full-size cleaned file, read only for a press kit that is not in the
    #: cache: the cache's own file (no link made for it: at 400 stories, 400 folders made, filled and
    #: deleted by every build), or with --no-cache a link under root/full
    full: dict[str, Path] = field(default_factory=dict)
    full_ext: dict[str, str] = field(default_factory=dict)  # the same keys -> its file name's extension
    full_sha: dict[str, str] = field(default_factory=dict)  # the same keys -> sha256 of that file
    sha: dict[str, str] = field(default_factory=dict)  # a variant's path ("media/…") -> sha256 of its bytes
    notes: list[str] = field(default_factory=list)
    count: int = 0  # source images processed
    social: dict[tuple[str, str], dict] = field(default_factory=dict)  # (slug, text language) -> card
    press: dict[str, dict] = field(default_factory=dict)  # slug -> press kit
    dirs: dict[str, str] = field(default_factory=dict)  # language tag -> ltr | rtl (for a caption in another language)
    #: the social cards still to stage (:meth:`complete`): () -> the cards of the other editions
    pending: Callable[[], dict] | None = field(default=None, repr=False)
    #: the files the last site left under root, which the staging puts back or deletes
    left: Left = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.left is None:
            self.left = Left(self.root.parent)

    def complete(self) -> None:
        """Stage the social cards :func:`stage_all` left for later: ``social`` is then what one
        staging of every edition's cards gives, in the same order."""
        if self.pending is not None:
            more, self.pending = self.pending(), None
            self.social = dict(sorted({**self.social, **more}.items()))
        swept = self.left.sweep()
        if swept:
            log.debug("media: %d files of the last site not put back: deleted", swept)

    def caption(self, entry: Entry, variant, own: str, source: str) -> dict[str, str]:
        """The caption of an image (hero or body) on the page that shows ``variant``: its own;
        else the source's, with ``caption_lang`` (the source's tag) and, when the source's
        direction differs from the page's, ``caption_dir``, for the caption element (screen
        readers, fonts and the bidi algorithm then treat it as the language it is written in)."""
        src_lang = entry.source_lang
        if own or not source or variant.lang == src_lang:
            return {"caption": own}
        out = {"caption": source, "caption_lang": src_lang}
        src_dir = self.dirs.get(src_lang, "ltr")
        if src_dir != self.dirs.get(variant.lang, "ltr"):
            out["caption_dir"] = src_dir
        return out

    def hero(self, entry: Entry, langs: list[str], card: bool, **text) -> dict | None:
        """The hero of a story page or card: the picture, plus src/width/height of its fallback
        file (feeds and the JSON API link that one)."""
        found = self.picture(entry, entry.hero.src, langs) if entry.hero else None
        if found is None:
            return None
        pic = found[1]
        if card:
            return {"src": pic["src"], "width": pic["src_width"], "height": pic["src_height"], "picture": pic, **text}
        return {"src": pic["largest"], "width": pic["width"], "height": pic["height"], "picture": pic, **text}

    def body(self, entry: Entry, variant, edition: str) -> tuple[str, dict[str, dict]]:
        """The variant's Markdown with its local images pointed at their variants, and those
        (``lantoa-media:`` key -> picture, with the text the variant gives it) for
        :func:`rewrite_html`: a record of the page's own, so that a change to one page's images
        is a change to that page alone (lantoa.site.incremental)."""
        def text(name: str) -> dict[str, str]:
            own = entry.image_text(variant, name)
            source = entry.source.images.get(name, {}).get("caption", "") if entry.source else ""
            return {**own, **self.caption(entry, variant, own["caption"], source)}

        used: dict[str, dict] = {}
        body = rewrite_body(variant.body, entry, self, [edition, variant.lang], used, text=text,
                            refs=doc_refs(variant.doc))
        return body, used

    def picture(self, entry: Entry, ref: str, langs: list[str]) -> tuple[str, dict] | None:
        """(key, picture) for ``ref`` in a page shown for ``langs`` (edition first): a localized
        copy ``photo.<tag>.jpg`` wins over ``photo.jpg``."""
        base = entry_key(entry)
        for tag in langs:
            key = f"{base}/{localized_name(ref, tag)}"
            if key in self.pictures:
                return key, self.pictures[key]
        key = f"{base}/{_file_name(ref)}"
        return (key, self.pictures[key]) if key in self.pictures else None


def referenced_files(project: Project, tags: list[str]) -> dict[str, tuple[Entry, Path]]:
    """key -> (entry, file) for every image a published page references, and its localized copies."""
    out: dict[str, tuple[Entry, Path]] = {}
    entries = project.published_stories() + [e for e in project.pages.values() if e.published]
    for entry in sorted(entries, key=entry_key):
        refs = [entry.hero.src] if entry.kind == "story" and entry.hero and entry.hero.src else []
        for v in entry.variants():
            if v.status == "published":
                refs += [url for _, _, url in doc_refs(v.doc)]
        files = regular_files(entry.dir) if refs else frozenset()
        for ref in refs:
            path = _local_image(entry, ref, files)
            if path is None:
                continue
            for name in [path.name] + [localized_name(path.name, t) for t in tags]:
                candidate = _local_image(entry, name, files)
                if candidate is not None:
                    out[f"{entry_key(entry)}/{name}"] = (entry, candidate)
    return dict(sorted(out.items()))


def stage_media(project: Project, tags: list[str], work: Path, cache_root: Path | None,
                settings: media_settings.Settings, press: bool = True,
                left: dict[str, int] | None = None) -> MediaIndex:
    """Process every referenced image (through the cache) into ``work/media``; raise LantoaError
    naming each image that cannot be published. ``left``: the files the last site left there
    (:class:`Left`)."""
    index = MediaIndex(work / MEDIA_DIR, left=Left(work, left))
    files = referenced_files(project, tags)
    scratch = None
    if cache_root is None:  # --no-cache: the same code path, in a throw-away folder
        scratch = work / ".media-scratch"
        cache_root = scratch
    cache_root = Path(cache_root)
    jobs = [batch.Job(str(path), "variants") for _, path in files.values()]
    if press:
        jobs += [batch.Job(str(path), "full") for entry, path in files.values() if entry.kind == "story"]
    # in processes forked for them where this process may fork (lantoa.site.forker.may_fork): the
    # photos' decoding and encoding leave the C heap and the codecs' tables of the threads' process
    # behind, which the editions' processes forked from it next inherited (a cold 100 x 12 build's
    # peak PSS: 191-198 -> 187 MB)
    results = batch.run(jobs, settings, cache_root, executor="process" if may_fork() else "thread")
    cache = Cache(cache_root)
    by_job = {r.job: r for r in results}
    problems = []
    for key, (entry, path) in files.items():
        rel = os.path.relpath(path, project.root).replace(os.sep, "/")
        r = by_job[batch.Job(str(path), "variants")]
        if r.error:
            problems.append(f"{rel} is {r.error.message} — {r.error.hint}")
            continue
        for n in r.notes:
            index.notes.append(f"{rel} is {n.message}")
        index.pictures[key] = _write_picture(index.left, key, r, cache, settings, index.sha)
        full = by_job.get(batch.Job(str(path), "full"))
        if full is not None and not full.error:
            v = full.meta["variants"][0]
            index.full_ext[key] = "." + media_settings.FORMATS[v["format"]]["ext"]
            index.full[key] = Path(full.file(cache, v["file"]))
            if scratch is not None:  # deleted below: the file is linked where the press kits read it
                index.left.put(str(index.full[key]), f"{MEDIA_DIR}/full/{key}")
                index.full[key] = index.root / "full" / key
            index.full_sha[key] = v["sha256"]
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
    if problems:
        raise LantoaError("images that cannot be published:\n  " + "\n  ".join(problems))
    index.count = len(files)
    log.info("images: %d sources, %d cached, %d made (%d encodes)", len(files), sum(r.hit for r in results),
             sum(not r.hit for r in results), sum(r.encodes for r in results))
    return index


def stage_all(project: Project, registry, langs: list[str], work: Path, cache_dir: Path | None,
              first: list[str] | None = None, left: dict[str, int] | None = None) -> MediaIndex:
    """Everything media for one build: variants, social cards, press kits (into ``work/media``).
    ``first``: only these editions' social cards now, the others' when :meth:`MediaIndex.complete`
    is called (after a one-story edit, the edition it changed needs its 400 cards of a 400 x 12
    site, not the 4,800 of every edition, before its worker can start). ``left``: the files the
    last site left in ``work/media`` (:class:`Left`; those no step puts back are deleted by
    :meth:`MediaIndex.complete`)."""
    from . import config as site_config
    from . import presskit, social

    settings, _ = media_settings.load(project.root)  # problems were reported by lantoa check
    index = stage_media(project, registry.tags(), work, cache_dir / "media" if cache_dir else None, settings,
                        left=left)
    raw, _ = site_config.read_raw(project.root)
    site_url = str(raw.get("site_url") or "")
    site_url = site_url.rstrip("/") + "/" if site_url else ""
    cards = cache_dir / "media" if cache_dir else None
    now = [t for t in langs if t in first] if first else langs
    index.social = social.stage_cards(project, registry, now, index, cards, site_url)
    if len(now) < len(langs):
        later = [t for t in langs if t not in now]
        index.pending = lambda: social.stage_cards(project, registry, later, index, cards, site_url,
                                                   done=frozenset(index.social))
    index.press = presskit.stage_kits(project, registry, index, raw, cache_dir / "press" if cache_dir else None)
    index.dirs = {tag: registry[tag].dir for tag in registry.tags()}
    return index


def _write_picture(left: Left, key: str, result: batch.Result, cache: Cache,
                   settings: media_settings.Settings, shas: dict[str, str]) -> dict:
    """Link one image's variants under content-hashed names (``left``: in the media folder being
    staged); return what templates need. ``shas``: each variant's site path -> sha256 of its bytes
    (from the cache's record)."""
    meta = result.meta
    stem = PurePosixPath(key).stem
    folder = PurePosixPath(key).parent  # stories/<slug>
    inodes = cache.inodes(result.key)
    sources: dict[str, list] = {}
    for v in sorted(meta["variants"], key=lambda v: v["width"]):
        ext = media_settings.FORMATS[v["format"]]["ext"]
        rel = f"{MEDIA_DIR}/{folder}/{stem}-{v['width']}.{v['sha256'][:12]}.{ext}"
        left.put(result.file(cache, v["file"]), rel, inodes.get(v["file"]))
        shas[rel] = v["sha256"]
        sources.setdefault(v["format"], []).append([rel, v["width"], v["height"]])
    order = [f for f in settings.formats if f in sources] + [f for f in sources if f not in settings.formats]
    fallback = sources[order[-1]]
    largest = fallback[-1]
    src = next((s for s in fallback if s[1] >= FALLBACK_WIDTH), largest)
    return {
        "width": largest[1], "height": largest[2], "placeholder": meta["placeholder"],
        "src": src[0], "src_width": src[1], "src_height": src[2], "largest": largest[0],
        "sources": [{"type": media_settings.FORMATS[f]["mime"], "srcset": [[s[0], s[1]] for s in sources[f]]}
                    for f in order],
    }


def rewrite_body(body: str, entry: Entry, index: MediaIndex, langs: list[str], used: dict[str, dict],
                 text: Callable[[str], dict] | None = None, refs: list | None = None) -> str:
    """Point every local image of a Markdown body at ``lantoa-media:<key>`` (recorded in ``used``,
    with ``text(file name)`` as its ``"text"`` when that gives an alt, caption, credit or licence:
    the key names one story's file, so one page of an edition uses it), and every link to another
    text at that text's path in the site (lantoa.validate.links.docs_url). ``refs``: the body's
    :func:`body_refs`, when they are known."""
    refs = body_refs(body) if refs is None else refs
    if not refs:
        return body
    lines = body.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    edits = []
    for line, col, url in refs:
        offset = starts[line - 1] + col - 1
        path = _local_image(entry, url)
        if path is None:
            moved = links.docs_url(entry.kind, entry.slug, url)
            if moved is not None and body[offset:offset + len(url)] == url:
                edits.append((offset, len(url), moved))
            continue
        found = index.picture(entry, url, langs)
        if found is None:
            continue
        key, pic = found
        said = {k: v for k, v in (text(path.name) if text else {}).items() if v}
        used[key] = dict(pic, text=said) if said else pic
        if body[offset:offset + len(url)] == url:
            edits.append((offset, len(url), TOKEN + key))
    for offset, length, new in sorted(edits, reverse=True):
        body = body[:offset] + new + body[offset + length:]
    return body


def srcset(entries: list, url: Callable[[str], str]) -> str:
    return ", ".join(f"{url(path)} {width}w" for path, width in entries)


def picture_html(pic: dict, alt: str, url: Callable[[str], str] = lambda p: p, *, sizes: str = BODY_SIZES,
                 priority: bool = False, cls: str = "", title: str = "") -> str:
    """``<picture>``: one ``<source>`` per preferred format, the fallback format on the ``<img>``,
    intrinsic width/height (no layout shift), the dominant colour as a placeholder background,
    ``loading="lazy"`` unless ``priority`` (the hero: ``fetchpriority="high"``)."""
    e = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    sizes = SIZES.get(sizes, sizes)
    parts = [f'<picture class="lt-pic{" " + e(cls) if cls else ""}">']
    for source in pic["sources"][:-1]:
        parts.append(f'<source type="{e(source["type"])}" srcset="{e(srcset(source["srcset"], url))}" '
                     f'sizes="{e(sizes)}">')
    fallback = pic["sources"][-1]
    attrs = [f'src="{e(url(pic["src"]))}"', f'srcset="{e(srcset(fallback["srcset"], url))}"', f'sizes="{e(sizes)}"',
             f'width="{pic["width"]}"', f'height="{pic["height"]}"', f'alt="{e(alt)}"']
    if title:
        attrs.append(f'title="{e(title)}"')
    attrs += ['fetchpriority="high"', 'decoding="async"'] if priority else ['loading="lazy"', 'decoding="async"']
    if re.fullmatch(r"#[0-9a-f]{6}", pic.get("placeholder", "")):
        attrs.append(f'style="background-color:{pic["placeholder"]}"')
    parts.append(f"<img {' '.join(attrs)}>")
    parts.append("</picture>")
    return "".join(parts)


_IMG = re.compile(r"<img\b([^>]*?)\s*/?>", re.S)
_ATTR = re.compile(r'([a-zA-Z-]+)="([^"]*)"')
_HREF = re.compile(r'href="' + re.escape(TOKEN) + r'([^"]+)"')
#: a paragraph, list item or table cell that is one image (perhaps inside a link) and nothing else:
#: Markdown's ``![alt](x)`` on a line of its own, as a list item of its own (``- ![alt](x)``), or as
#: a table cell of its own (``| ![alt](x) |``)
_LONE_IMG = re.compile(r"(?P<open><p>|<(?P<box>li|td|th)\b[^>]*>)\s*(?P<a><a\b[^>]*>\s*)?(?P<img><img\b[^>]*>)\s*"
                       r"(?(a)</a>\s*)(?(box)</(?P=box)>|</p>)", re.S)
#: what makes a figure: text under the picture
CAPTION_KEYS = ("caption", "credit", "license")


def figcaption_html(text: dict, strings: dict | None = None) -> str:
    """``<figcaption>caption <span class="lt-credit">Photo: credit · Licence: licence</span>``, as
    theme/story.html captions the hero (the labels are the edition's ``story.credit``/``story.license``
    strings; a caption in another language is ``<span lang=… dir=…>``, see
    :meth:`MediaIndex.caption`); every piece of text escaped."""
    e = html.escape
    strings = strings or {}
    credit = [f'{e(strings[label]) + ": " if strings.get(label) else ""}<bdi>{e(text[key])}</bdi>'
              for key, label in (("credit", "story.credit"), ("license", "story.license")) if text.get(key)]
    parts = [e(text["caption"])] if text.get("caption") else []
    if parts and text.get("caption_lang"):
        direction = f' dir="{e(text["caption_dir"])}"' if text.get("caption_dir") else ""
        parts = [f'<span lang="{e(text["caption_lang"])}"{direction}>{parts[0]}</span>']
    if credit:
        parts.append(f'<span class="lt-credit">{" · ".join(credit)}</span>')
    return f"<figcaption>{' '.join(parts)}</figcaption>"


def rewrite_html(content: str, pictures: dict[str, dict], url: Callable[[str], str],
                 strings: dict | None = None) -> str:
    """Replace every ``<img src="lantoa-media:…">`` that Markdown rendered with its ``<picture>``
    (alt text from the front matter when the Markdown has none); an image alone in its paragraph
    with a caption, credit or licence replaces that paragraph with a ``<figure>`` (alone in a list
    item or table cell: a figure inside it); a link to an image points at its largest variant."""
    if TOKEN not in content:
        return content

    def record(attrs: dict) -> dict | None:
        src = attrs.get("src", "")
        return pictures.get(src[len(TOKEN):]) if src.startswith(TOKEN) else None

    def img(m: re.Match) -> str:
        attrs = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(m.group(1))}
        pic = record(attrs)
        if pic is None:
            return m.group(0)
        alt = attrs.get("alt", "").strip() or pic.get("text", {}).get("alt", "")  # the Markdown's alt wins
        return picture_html(pic, alt, url, title=attrs.get("title", ""))

    def figure(m: re.Match) -> str:
        pic = record({k.lower(): html.unescape(v) for k, v in _ATTR.findall(m.group("img"))})
        text = pic.get("text", {}) if pic else {}
        if not any(text.get(k) for k in CAPTION_KEYS):
            return m.group(0)
        inner = _IMG.sub(img, m.group("img"))
        if m.group("a"):
            inner = f"{m.group('a').strip()}{inner}</a>"
        fig = f'<figure class="lt-figure">{inner}{figcaption_html(text, strings)}</figure>'
        # in place of a paragraph (a figure may not sit inside a <p>); inside a list item or cell
        return f'{m.group("open")}{fig}</{m.group("box")}>' if m.group("box") else fig

    def href(m: re.Match) -> str:
        pic = pictures.get(html.unescape(m.group(1)))
        return f'href="{html.escape(url(pic["largest"]))}"' if pic else m.group(0)

    return _HREF.sub(href, _IMG.sub(img, _LONE_IMG.sub(figure, content)))


def media_step(ctx) -> int:
    """Output step: move the staged variants, social cards and press kits into the site."""
    src = getattr(ctx.staged, "media_dir", None)
    if not src or not Path(src).is_dir():
        return 0
    dest = ctx.site / MEDIA_DIR
    if dest.exists():
        raise LantoaError(f"internal error: {MEDIA_DIR}/ already exists in the site (a page or file uses the name)")
    os.replace(src, dest)
    moved = [f"{MEDIA_DIR}/{name}" for name in incremental.file_names(dest)]  # hard links and copies
    ctx.wrote(*moved)
    return len(moved)
