"""Outputs made from the merged site, after every language edition was built.

Each step is a function ``step(ctx: OutputContext) -> int`` that writes into
``ctx.site`` (the new site, not yet swapped in) and returns how many files it
wrote. A step that fails raises ``LantoaError``: the swap never happens and
the previous build/site stays as it was. Steps run in the order of STEPS.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import LantoaError
from . import csp, editions, images, incremental, kiosk, skeleton, status_page

log = logging.getLogger(__name__)


@dataclass
class OutputContext:
    root: Path  # the project
    site: Path  # the merged site being assembled
    checked: object  # lantoa.validate.Checked: project, registry, report
    staged: object  # lantoa.site.stage.Staged
    langs: list[str]  # editions built, default language first
    cache_dir: Path | None  # .cache/lantoa (None with --clean / --no-cache)
    site_url: str = ""  # from mkdocs.yml, with a trailing slash ("" when unset)
    kiosk: bool = False  # lantoa build --kiosk: a copy for file:// (lantoa.site.kiosk)
    #: site paths of the pages the edition workers made (already with their search index and,
    #: without --kiosk, their Content-Security-Policy)
    edition_pages: set[str] = field(default_factory=set)
    #: edition -> (site paths of its pages, the characters they show by language), when its worker
    #: read them (lantoa.site.pagefacts)
    edition_chars: dict[str, tuple[set[str], dict[str, str]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # step name -> files written
    #: step -> (the folder it wrote into, files written) or the error it raised, for the steps
    #: :func:`prepare` ran while the editions were being rendered
    early: dict[Callable, tuple[Path, int] | LantoaError] = field(default_factory=dict, repr=False)
    #: every file of the site, as the merge of the editions and the steps before the listing tell
    #: it (:meth:`wrote`); None: the site is listed from the disk
    known: set[str] | None = field(default=None, repr=False)
    _files: list[str] | None = field(default=None, repr=False)
    #: the stamp of the site for the next build's no-change check, begun once the media are in
    #: (:meth:`site_stamp`), and the files the steps wrote, replaced or deleted since (:meth:`wrote`)
    stamp: incremental._Stamp | None = field(default=None, repr=False)
    since: set[str] = field(default_factory=set, repr=False)

    def media_file(self, rel: str) -> Path:
        """Where a file of the site's ``media/`` is now: in the site once the media step moved it
        there, else where the staging put it (for a step run before the merge)."""
        staged = getattr(self.staged, "media_dir", None)
        if staged and not (self.site / images.MEDIA_DIR).is_dir():
            return Path(staged).parent / rel
        return self.site / rel

    def files(self) -> list[str]:
        """Every file of the site, as paths relative to it, sorted: listed once, by the first step
        that asks after the last step that writes pages (the Content-Security-Policy's), then kept
        up to date by the steps that write files after it (:meth:`wrote`). A listing of the whole
        site took 0.06 s at 400 stories x 12 languages, and three steps asked for one. Where the
        build told what it put in the site (:attr:`known`), not listed at all: the editions' files
        are those their merge placed, and each step before reports what it wrote."""
        if self._files is None:
            self._files = sorted(self.known) if self.known is not None else incremental.file_names(self.site)
        return self._files

    def wrote(self, *rels: str, folder: str = "") -> None:
        """A step wrote (or replaced) these files (paths relative to the site), or the files under
        ``folder`` (listed again: what it wrote, replaced or deleted there)."""
        names = set(self._files) if self._files is not None else self.known
        if names is None:
            return  # the site is listed when a step asks
        names.update(rels)
        if self.stamp is not None:
            self.since.update(rels)
        if folder:
            prefix = folder.rstrip("/") + "/"
            gone = [n for n in names if n.startswith(prefix)]
            names.difference_update(gone)
            names.update(prefix + n for n in incremental.file_names(self.site / folder))
            if self.stamp is not None:
                self.since.update(gone, (n for n in names if n.startswith(prefix)))
        if self._files is not None:
            self._files = sorted(names)

    def site_stamp(self) -> str | None:
        """Once the last step ran: the site's :func:`~lantoa.site.incremental.tree_stamp`, from a
        ``find`` that ran beside the steps after the media's (a ``find`` of the whole finished
        site took 0.1 s at 400 x 12, at the end of every build) and a look at each file they
        wrote since; None where that cannot be (then the stamp is taken of the finished site)."""
        stamp, self.stamp = self.stamp, None
        return stamp.finish(self.files(), self.since) if stamp is not None else None

    @property
    def registry(self):
        return self.checked.registry

    @property
    def project(self):
        return self.checked.project


def fonts_step(ctx: OutputContext) -> int:
    from ..i18n.strings import LANTOA_KEYS
    from . import fonts as site_fonts

    registry = ctx.registry
    names = " ".join(f"{registry[t].autonym} {registry[t].name}" for t in registry.tags())
    ui = {t: " ".join(registry.string(t, k) for k in LANTOA_KEYS) for t in ctx.langs}
    try:
        faces = site_fonts.build(ctx.site, names, ctx.cache_dir / "fonts" if ctx.cache_dir else None, ui,
                                 known=[chars for _, chars in ctx.edition_chars.values()],
                                 done=set().union(*(paths for paths, _ in ctx.edition_chars.values())),
                                 files=ctx.files())
    except site_fonts.lfonts.FontMissingError as exc:
        raise LantoaError(str(exc)) from None
    ctx.wrote(folder=site_fonts.FOLDER)
    return len(faces)


def redirects_step(ctx: OutputContext) -> int:
    """``_redirects`` (Netlify): each built edition's own 404 page for missing paths under its prefix."""
    from ..publish import errorpages

    (ctx.site / "_redirects").write_text(errorpages.netlify_redirects(ctx.registry, ctx.langs), "utf-8")
    ctx.wrote("_redirects")
    return 1


#: run in this order; the fonts step runs last because it reads the text of every page
STEPS: list[Callable[[OutputContext], int]] = [
    images.media_step,  # first: feeds and the API read the image files it moves into media/
    editions.sitemaps_step,
    editions.feeds_step,
    status_page.status_step,
    kiosk.kiosk_step,  # --kiosk only: links name index.html
    csp.csp_step,  # after every step that changes HTML: it hashes each page's inline scripts
    fonts_step,
    redirects_step,  # host configuration, like _headers (lantoa publish uploads neither)
    csp.headers_step,  # last: _headers names every content-hashed file
]


#: the steps made from the staged models alone (not from the rendered pages, nor from another
#: step's files): :func:`prepare` runs them while the editions are rendered, each into a folder of
#: its own, and :func:`run` moves what they wrote into the site in their turn
EARLY: tuple[Callable[[OutputContext], int], ...] = (editions.sitemaps_step, editions.feeds_step,
                                                     status_page.status_step)


def prepare(ctx: OutputContext, scratch: Path) -> None:
    """Run the :data:`EARLY` steps now, into folders under ``scratch``, with the site not yet
    merged (at 400 stories x 12 languages, 0.14 s taken off a one-story edit's path: the build's
    main process waits for the edition it renders meanwhile). A step's failure is kept and raised
    by :func:`run` in the step's turn, as if it had run then."""
    for step in EARLY:
        folder = scratch / step.__name__
        folder.mkdir(parents=True)
        start = time.perf_counter()
        try:
            written = step(dataclasses.replace(ctx, site=folder, early={}, _files=None))
        except LantoaError as exc:
            ctx.early[step] = exc
            continue
        ctx.early[step] = (folder, written)
        log.info("output %s prepared in %.2f s", step.__name__.removesuffix("_step"), time.perf_counter() - start)


def _move_in(folder: Path, site: Path) -> list[str]:
    """Every file under ``folder`` to the same place in ``site``, replacing what is there (a file
    of a kept edition is a link into the build cache: it is replaced, never written into); their
    paths in the site."""
    moved = []
    for dirpath, _, filenames in os.walk(folder):
        rel = os.path.relpath(dirpath, folder).replace(os.sep, "/")
        dest = site if rel == "." else site / rel
        dest.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            try:
                os.replace(os.path.join(dirpath, name), dest / name)
            except IsADirectoryError:  # an empty folder of the last site (lantoa.site.skeleton)
                if not skeleton.make_room(str(dest / name)):
                    raise
                os.replace(os.path.join(dirpath, name), dest / name)
            moved.append(name if rel == "." else f"{rel}/{name}")
    return moved


def run(ctx: OutputContext) -> dict[str, int]:
    """Run the steps; :meth:`OutputContext.site_stamp` then gives the site's stamp when the
    build knows every file it put in the site (not in a kiosk copy, whose step rewrites pages
    without telling)."""
    try:
        for step in STEPS:
            name = step.__name__.removesuffix("_step")
            start = time.perf_counter()
            early = ctx.early.get(step)
            if isinstance(early, LantoaError):
                raise early
            if early is not None:
                ctx.wrote(*_move_in(early[0], ctx.site))
                ctx.counts[name] = early[1]
            else:
                ctx.counts[name] = step(ctx)
            log.info("output %s: %d files in %.2f s", name, ctx.counts[name], time.perf_counter() - start)
            if step is images.media_step and ctx.known is not None and not ctx.kiosk:
                ctx.stamp = incremental.begin_tree_stamp(ctx.site)
    except BaseException:
        if ctx.stamp is not None:
            ctx.stamp.cancel()
            ctx.stamp = None
        raise
    return ctx.counts
