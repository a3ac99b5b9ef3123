"""Markdown converted before, kept by content: a page whose Markdown, place and links are those of
an earlier build gets that build's HTML, table of contents and anchors, and Python-Markdown does
not run for it again.

An edition's pages are rendered again whenever anything they show changes: a template or the CSS
of theme/, mkdocs.yml, the locale strings, a story's listing. Their Markdown rarely changes with
them, and converting it was a fifth of an edition's rendering (at 100 stories x 12 languages, 2.8
of 12.6 s of the workers' profiled time). :class:`RenderMemo` stands in for ``Page.render``
(MkDocs calls ``page.render(config, files)``; our plugin points each page's at
:meth:`RenderMemo.render` in ``on_pre_page``) and calls MkDocs' own on a miss.

What a conversion reads, and so the key of a page's entry:

- the page's Markdown (after every ``on_page_markdown``), its source path and its URL;
- every file of the edition, with its URL (MkDocs rewrites each link to a page or an image
  relative to the page, and validates the anchors it links to);
- the extensions and their configuration (only those of ``plugin.RESETS_CLEANLY``, whose output
  is a function of the text: with any other, nothing is kept), MkDocs' link validation settings,
  the renderers' versions and Python's (``incremental.renderer_versions``), and this memo's
  :data:`FORMAT` (raised whenever what an entry holds or how it is restored changes).

A conversion that logged anything (a link MkDocs could not resolve, say) is not kept: it is made
again, and says so again, at every build. The memo is one file per edition in the build cache,
``.cache/lantoa/render/<tag>.marshal`` (``<tag>.kiosk.marshal`` for ``--kiosk``), one entry per
page (a page's earlier versions are dropped). Nothing is kept with ``--clean`` or ``--no-cache``:
``tests/test_render_memo.py`` compares a site rendered from the memo with a clean build's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
from pathlib import Path

from .incremental import renderer_versions

log = logging.getLogger(__name__)

FORMAT = 2  # 2: a header, then each page's entry on its own, then None
#: an edition with fewer pages to render than this (an edit of a story or two) neither reads nor
#: writes its memo: reading and writing it (some 17 MB for 400 Khmer stories) would cost more than
#: the conversions it saves; its few entries are brought up to date by the next larger rendering
AT_LEAST = 32


def memo_file(cache_dir: str | Path, lang: str, kiosk: bool = False) -> Path:
    """Where edition ``lang``'s memo is kept in the build cache."""
    return Path(cache_dir) / "render" / f"{lang}{'.kiosk' if kiosk else ''}.marshal"


def _context(config, files) -> str:
    """The hash of what every page's conversion reads besides its own Markdown and place."""
    h = hashlib.blake2b(digest_size=20)
    settings = {"extensions": list(config["markdown_extensions"]), "configs": config["mdx_configs"] or {},
                "validation": config["validation"], "directory_urls": config["use_directory_urls"],
                # MkDocs keeps a page's links to anchors above DEBUG; what a conversion says at INFO
                # is only heard when INFO is on (a conversion that said something is not kept)
                "anchors": logging.getLogger("mkdocs.structure.pages").getEffectiveLevel() > logging.DEBUG,
                "info": logging.getLogger("mkdocs.structure.pages").isEnabledFor(logging.INFO),
                "versions": f"{FORMAT} {renderer_versions()}"}
    h.update(json.dumps(settings, sort_keys=True, default=repr).encode())
    for f in sorted(files, key=lambda f: f.src_uri):
        h.update(f"\0{f.src_uri}\0{f.dest_uri}\0{f.url}\0{f.is_documentation_page()}".encode())
    return h.hexdigest()


def _toc_of(items) -> list:
    return [(a.title, a.id, a.level, _toc_of(a.children)) for a in items]


def _toc(entries: list):
    """The table of contents as ``mkdocs.structure.toc.get_toc`` makes it (the first item active)."""
    from mkdocs.structure.toc import AnchorLink, TableOfContents

    def anchor(title, id_, level, children):
        a = AnchorLink(title, id_, level)
        a.children = [anchor(*c) for c in children]
        return a

    items = [anchor(*e) for e in entries]
    if items:
        items[0].active = True
    return TableOfContents(items)


class _Said(logging.Handler):
    """Whether anything was logged (at INFO or above) while a page was converted."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.said = False

    def emit(self, record: logging.LogRecord) -> None:
        self.said = True


class RenderMemo:
    """One edition's conversions: :meth:`render` for each page MkDocs renders, then :meth:`save`
    (or :meth:`abandon`, when the build failed).

    The memo is read when the first page is rendered. Each page's entry, found or made, is written
    at once to the memo's next version, and let go: MkDocs replaces a page's HTML with what the
    plugins make of it, and the memo would otherwise hold every page's converted HTML to the end
    of the edition (some 16 MB for 400 Khmer stories, in each worker)."""

    def __init__(self, path: Path):
        self.path = path
        self.tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        self.context: str | None = None
        self.kept: dict[str, tuple] = {}  # src_uri -> (key, entry), read from the file, not yet used
        self.before: set[str] = set()  # the pages the file had an entry for
        self.written: set[str] = set()  # the pages with an entry in the next version
        self.out = None
        self.hits = self.misses = 0

    def _start(self, config, files) -> None:
        self.context = _context(config, files)
        header = ("lantoa-render", self.context)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.out = open(self.tmp, "wb")
            marshal.dump(header, self.out)
        except OSError as exc:  # a memo not kept only costs time on the next build
            log.info("cannot keep %s (%s)", self.path, exc)
            self.out = None
        kept = {}
        try:  # entry by entry: never the whole file in memory beside what it holds
            with open(self.path, "rb") as f:
                if marshal.load(f) != header:
                    return  # another context: nothing of it is of use
                while (item := marshal.load(f)) is not None:
                    src, key, entry = item
                    kept[src] = (key, entry)
        except (OSError, ValueError, EOFError, TypeError):
            return  # none yet, or unreadable: converted again
        self.kept, self.before = kept, set(kept)

    def _write(self, src: str, key: bytes, entry: dict) -> None:
        if self.out is not None and src not in self.written:
            marshal.dump((src, key, entry), self.out)
            self.written.add(src)

    def render(self, page, config, files) -> None:
        """``page.render(config, files)``: from the memo when the page's conversion is there."""
        if self.context is None:
            self._start(config, files)
        src = page.file.src_uri
        key = hashlib.blake2b(f"{src}\0{page.file.url}\0{page.markdown}".encode(), digest_size=20).digest()
        found = self.kept.pop(src, None)
        if found is not None and found[0] == key and self._restore(page, found[1], files):
            self.hits += 1
            self._write(src, *found)
            return
        self.misses += 1
        said = _Said()
        loggers = [logging.getLogger(), logging.getLogger("mkdocs")]
        for logger in loggers:
            logger.addHandler(said)
        try:
            type(page).render(page, config, files)
        finally:
            for logger in loggers:
                logger.removeHandler(said)
        if said.said:
            return  # converted again next time, to say it again
        links = page.links_to_anchors
        self._write(src, key, {
            "content": page.content, "toc": _toc_of(page.toc), "title": page._title_from_render,
            "anchors": set(page.present_anchor_ids or ()),
            "links": None if links is None else {f.src_uri: dict(v) for f, v in links.items()},
        })

    @staticmethod
    def _restore(page, entry: dict, files) -> bool:
        links = None
        if entry["links"] is not None:
            links = {}
            for src, anchors in entry["links"].items():
                target = files.get_file_from_path(src)
                if target is None:
                    return False
                links[target] = dict(anchors)
        page.content = entry["content"]
        page.toc = _toc(entry["toc"])
        page._title_from_render = entry["title"]
        page.present_anchor_ids = set(entry["anchors"])
        if links is not None:
            page.links_to_anchors = links
        return True

    def save(self, files) -> None:
        """The next version, with an entry for each page of the edition (this build's, else the
        one read), replaces the memo when this build converted enough pages to be worth it
        (:data:`AT_LEAST`) or the pages with an entry changed."""
        if self.out is None:
            return
        present = {f.src_uri for f in files.documentation_pages()}
        try:
            for src, (key, entry) in self.kept.items():  # pages not rendered in this build
                if src in present:
                    self._write(src, key, entry)
            marshal.dump(None, self.out)
            self.out.close()
            if self.misses >= AT_LEAST or self.written != self.before:
                os.replace(self.tmp, self.path)
        except OSError as exc:
            log.info("could not keep %s (%s)", self.path, exc)
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Drop the next version (the build failed, or it is not worth keeping)."""
        if self.out is not None:
            self.out.close()
            self.out = None
        self.kept = {}
        self.tmp.unlink(missing_ok=True)
