"""Build the site: check, stage, one MkDocs build per language (in parallel), merge, fonts, swap.

The output is assembled in a temporary folder beside ``build/site`` and swapped
in only when everything succeeded: a failed build leaves the previous site
byte for byte as it was.
"""

from __future__ import annotations

import filecmp
import gc
import logging
import marshal
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .. import digests
from ..errors import LantoaError
from ..gcpause import paused
from ..i18n import tags
from ..media import cache as media_cache
from . import config as site_config
from . import incremental, outputs, pagefacts, skeleton
from .images import MEDIA_DIR
from .forker import ChildDied, Forker
from .stage import Reuse, Staged, resolve_variant, stage, write_edition

log = logging.getLogger(__name__)

#: files every language build writes at its root: each edition keeps its own copy under <tag>/
#: (its sitemap, which Material fetches; its 404 page, in its language)
EDITION_ROOT_FILES = {"sitemap.xml", "sitemap.xml.gz", "404.html"}
#: files every language build writes at the root; the default language's copy is kept
SHARED_ROOT_FILES: set[str] = set()
#: stage every edition taken from its kept staging anyway, and fail when its key differs from the
#: taken one's (the tests set it: every build of the suite checks the staging keys)
CHECK_STAGING = bool(os.environ.get("LANTOA_CHECK_STAGING"))


@dataclass
class BuildResult:
    site_dir: Path
    pages: dict[str, int] = field(default_factory=dict)
    images: int = 0
    fonts: int = 0
    seconds: float = 0.0
    #: the site's stamp for the next build's no-change check, when the build could tell it
    #: (lantoa.site.outputs.OutputContext.site_stamp); else it is taken of the site
    stamp: str | None = None

    def summary(self) -> str:
        total = sum(self.pages.values())
        per = ", ".join(f"{k} {v}" for k, v in self.pages.items())
        return (f"built {total} pages in {len(self.pages)} languages ({per}), {self.images} images, "
                f"{self.fonts} font files in {self.seconds:.1f} s → {self.site_dir}")


class BuildFailed(LantoaError):
    pass


class _QuietDirty(logging.Filter):
    """MkDocs warns that a ``dirty`` build may leave other pages' navigation stale: ours renders
    again every page whose navigation could be (lantoa.site.incremental.reusable_pages)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build is being performed")


def _build_language(root: str, registry, staged: Staged, lang: str, work: str, out: str,
                    kiosk: bool = False, cache_dir: str | None = None, kept: frozenset[str] = frozenset()) -> str | None:
    """Worker: one MkDocs build of one language edition (its pages get their Content-Security-Policy
    as they are written, except in a kiosk copy), then what is made from that edition alone: its
    search index, its content API, and the facts of its pages (lantoa.site.pagefacts: among them
    the characters they show, for the fonts step).
    ``kept``: pages (paths within ``out``) already there, unchanged since an earlier build, with
    their facts: MkDocs renders only the others. Returns an error message or None."""
    import jinja2
    from mkdocs import exceptions
    from mkdocs.commands.build import build

    from . import api, csp, pagefacts, rendermemo, search

    try:
        templates = Path(cache_dir or Path(work) / "cache") / "templates"
        memo = rendermemo.memo_file(cache_dir, lang, kiosk) if cache_dir else None
        cfg = site_config.mkdocs_config(Path(root), registry, staged, lang, Path(out), Path(work), kiosk=kiosk,
                                        template_cache=templates, render_memo=memo)
        cfg.plugins.on_startup(command="build", dirty=bool(kept))
        quiet = _QuietDirty()
        logging.getLogger("mkdocs.commands.build").addFilter(quiet)
        try:
            build(cfg, dirty=bool(kept))
        finally:
            cfg.plugins.on_shutdown()
            logging.getLogger("mkdocs.commands.build").removeFilter(quiet)
        plugin = cfg.plugins["lantoa"]
        model, collected = plugin.model, plugin.facts  # the model our plugin read for this build
        csp.refuse([(site_path(rel, lang, model["default"]), bad) for rel, bad in collected.problems])
        before = pagefacts.load(Path(out)) if kept else {}
        missing = sorted(kept - before.keys())
        if missing:
            return f"{lang}: the kept edition has no record of {missing[0]}: build again with --clean"
        pages = {rel: before[rel] for rel in kept} | collected.pages
        # pages were reused: the kept edition was checked intact in this build
        source = incremental.kept_source(Path(cache_dir), lang) if cache_dir and kept else None
        search.edition_index(Path(out), lang, model, staged.languages, registry,
                             {rel: f["text"] for rel, f in pages.items()}, kiosk,
                             Path(cache_dir) if cache_dir else None, source)
        api.edition_api(Path(out), lang, model, {rel: f["body"] for rel, f in pages.items()},
                        *api.settings(Path(root)), kept=kept, kept_dir=source)
        pagefacts.save(Path(out), pages, final=not kiosk)
    except LantoaError as exc:
        return f"{lang}: {exc.message}"
    except jinja2.TemplateSyntaxError as exc:
        return f"{lang}: template {exc.filename or exc.name}:{exc.lineno}: {exc.message} — fix the template in theme/"
    except jinja2.TemplateError as exc:
        return f"{lang}: template error: {exc} — check the templates in theme/"
    except (exceptions.MkDocsException, OSError) as exc:
        return f"{lang}: {exc}"
    return None


def _render(*args) -> str | None:
    """:func:`_build_language` in an edition's own process (sent there by name: what the name
    holds when the zygote was forked is what runs)."""
    return _build_language(*args)


def warm_workers(root: Path) -> None:
    """Import in this process what an edition's build imports and loads (MkDocs, Material, the
    i18n plugin, Jinja, Python-Markdown with the project's extensions, ours), so that the processes
    forked from it start with all of it. The zygote of lantoa.site.forker does it first thing,
    while the build goes on staging; `lantoa serve` once, at its start (every rebuild forks a
    zygote from it). Best effort: whatever fails here fails again, and is reported, in the build
    itself."""
    import jinja2  # noqa: F401
    import markdown
    from mkdocs import exceptions, localization, utils  # noqa: F401
    from mkdocs.commands import build  # noqa: F401
    from mkdocs.config import defaults  # noqa: F401
    from mkdocs.structure import files, nav, pages  # noqa: F401

    from . import api, csp, i18n_plugin, pagefacts, plugin, search  # noqa: F401

    try:
        themes = utils.get_themes()
        if "material" in themes:
            themes["material"].load()
        markdown.util.get_installed_extensions()
        raw, _ = site_config.read_raw(root)
        names = [next(iter(e)) if isinstance(e, dict) else e for e in raw.get("markdown_extensions") or []]
        builtins = getattr(dict(defaults.MkDocsConfig._schema).get("markdown_extensions"), "builtins", [])
        markdown.Markdown(extensions=[n for n in [*builtins, *names] if isinstance(n, str)])
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.debug("warming the workers' imports: %s", exc)


def _trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``) before the workers
    are forked. Decoding camera photos (a cold build) leaves tens of MB free in this process's
    heap: the workers would inherit them, and the pages they reuse there become theirs."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


#: the characters of bodies let go of (:func:`_let_go`) from which the C heap is trimmed after
TRIM_FROM = 4_000_000


def _let_go(project) -> None:
    """In a one-off run that holds most stories' and pages' bodies (a cold build read all of them
    to check them, a full build to stage them), forget those that can be read again from their
    files (lantoa.content.frontmatter.Document.let_go_of_body), and give the memory back: before
    the editions' zygote is forked, which would otherwise hold them for the whole build, and once
    the editions are staged. At 100 stories x 12 languages they are 12 MB, at 400 50 MB, held
    while the editions rendered, at the build's peak of memory (cold 400 x 12: 400 -> 387 MB); the
    staging reads those it shows again, some 30 ms at 400 x 12. After a one-story edit it holds
    the bodies of its edition and of the stories' sources (their hash tells an outdated
    translation): few, and read again by the staging if let go (20 ms at 400 x 12), so kept.
    `lantoa serve` keeps them all for its next rebuild."""
    from ..content import memo

    if memo.keeping():
        return
    docs = [variant.doc for entry in project.entries() for variant in entry.variants()]
    held = [doc for doc in docs if "body" in doc.__dict__]
    if len(held) * 2 < len(docs):
        return
    if sum(doc.let_go_of_body() for doc in held) >= TRIM_FROM:
        _trim_heap()


def showing_anew(project, registry, langs: list[str]) -> list[str]:
    """The editions that show a language version this run read anew (lantoa.content.model.Project.read_anew):
    staged first, so that after a one-story edit the edition it changed renders while this process
    stages the others (at 400 x 12, an edit of a Khmer translation started its worker after seven
    editions were staged, 0.3 s into the staging; the edit took 0.3 s less), and not looked for
    among the kept stagings (:class:`lantoa.site.stage.Reuse`: their keys cannot match). Only the
    order changes, never what is built. None when many files were read anew (a first build, a
    bulk change). A source read anew is shown by the source language's edition and those without
    a translation of it: they come first; the others may change too (its translations' statuses),
    and are staged after them as usual (before, every card and staging key of every edition was
    worked out before any edition's worker started: 90 ms of a 100 x 12 source edit)."""
    anew = project.read_anew
    if not anew or len(anew) > _REORDER_AT_MOST:
        return []
    entries = {(e.kind, e.slug): e for e in project.entries()}

    def shows(lang: str, kind: str, slug: str, tag: str | None) -> bool:
        entry = entries.get((kind, slug))
        variant = resolve_variant(entry, registry, lang) if entry is not None else None
        return variant is not None and variant.lang == (entry.source_lang if tag is None else tag)

    return [lang for lang in langs if any(shows(lang, *file) for file in anew)]


#: :func:`showing_anew` finds none after an edit of more translations than this
_REORDER_AT_MOST = 64


def shard_editions(tags: list[str], shard: tuple[int, int]) -> list[str]:
    """Shard k of n (1-based): every n-th edition starting at the k-th, so that the shards of one
    build split the editions between them, each exactly once."""
    k, n = shard
    return [t for i, t in enumerate(tags) if i % n == k - 1]


def build_site(checked, langs: list[str] | None = None, out: Path | None = None, jobs: int = 0,
               cache: bool = True, kiosk: bool = False, shard: tuple[int, int] | None = None) -> BuildResult:
    """``shard=(k, n)``: render only shard k of n of the editions into the build cache
    (``.cache/lantoa/parts``) and stop there: no merge, no outputs, ``out`` untouched. A CI matrix
    runs each shard on a machine of its own; a last job gathers every shard's parts into one
    ``.cache/lantoa/parts`` and runs a normal build, which reuses them (their keys are content
    hashes of everything an edition reads) and assembles the site, byte-identical to one build."""
    start = time.perf_counter()
    root = checked.project.root
    registry = checked.registry
    out = (out or root / "build" / "site").resolve()
    wanted = list(langs or registry.tags())
    unknown = [t for t in wanted if t not in registry]
    if unknown:
        raise BuildFailed(f"unknown language(s): {', '.join(unknown)} — registered: {', '.join(registry.tags())}")
    if registry.default not in wanted:
        wanted.insert(0, registry.default)  # the default edition is the site root
    wanted = [t for t in registry.tags() if t in wanted]
    out.parent.mkdir(parents=True, exist_ok=True)
    digests.load(root / ".cache" / "lantoa" if cache else None)  # once per folder: lantoa serve's rebuilds
    sweeper = sweep(out.parent, root / ".cache" / "lantoa")
    work = Path(tempfile.mkdtemp(prefix=".lantoa-build-", dir=out.parent))
    try:
        mine = shard_editions(wanted, shard) if shard else wanted
        if shard and not cache:
            raise BuildFailed("--shard keeps what it renders in .cache/lantoa/parts: it cannot run with --clean "
                              "or --no-cache")
        parts = {lang: work / "parts" / lang for lang in wanted}
        cache_dir = (root / ".cache" / "lantoa") if cache else None
        if cache_dir:
            incremental.begin_stamps(cache_dir, mine)
        inputs: dict[str, incremental.EditionInputs] = {}  # the editions staged: what their MkDocs run reads
        keys: dict[str, str] = {}  # edition -> the key of its kept output (staged, or taken from its kept staging)
        reused: dict[str, Path | None] = {}  # editions whose every input is unchanged: their kept output
        kept: dict[str, set[str]] = {}  # edition -> its pages reused from its kept output (the others rendered)
        common: list[str] = []
        cores = os.cpu_count() or 1
        # in this process only when asked to (-j 1) or on one core: with workers, this process goes
        # on staging while the editions staged first render, then links the kept editions into the
        # site while the changed ones render
        serial = jobs == 1 or (not jobs and cores == 1)
        cache_arg = str(cache_dir) if cache_dir else None
        pool: list[Forker] = []
        futures: dict = {}
        site = work / "site"

        def fork_zygote() -> None:
            """Each edition is rendered in a process forked for it (lantoa.site.forker), which ends
            with it; they are forked from one forked now (the zygote), which imports what they use
            while this process stages the site. After an edit of a few files, at once: forked at
            the first edition's hand-over, its imports (0.1-0.15 s) came after that edition's
            staging, on the way of every one-story edit. After many (a cold build), once the media
            are staged: its imports would otherwise sit beside the processes that draw the social
            cards and make the images, at the build's peak of memory (cold 100 x 12: 193 -> 197 MB).
            All of them share this process's memory (the checked project, the imported modules)
            until either side writes to it. Python's collector writes into every object it visits:
            frozen, it leaves the inherited ones alone, so their pages stay shared instead of being
            copied into each process. No collection first (as the gc.freeze documentation
            advises): it would take 30 ms here, 55 ms in a long `lantoa serve`, and leave holes in
            pages this process then writes to, copying them."""
            if not serial and not pool:
                _let_go(checked.project)  # (trimmed below anyway)
                tags.let_go()
                _trim_heap()
                gc.freeze()
                pool.append(Forker(max(1, jobs or cores), warm=partial(warm_workers, root)))

        if len(checked.project.read_anew) <= _REORDER_AT_MOST:  # not a cold build: now
            fork_zygote()
        # the last site's folders, emptied of its files, for this one's (lantoa.site.skeleton); its
        # media/ for the staging of the images, which the media step then moves into the site
        folders = [] if shard else skeleton.take(out, site)
        left = skeleton.left_files(site)  # its media/ files: the staging puts them back or deletes them
        if folders and (site / MEDIA_DIR).is_dir():
            os.rename(site / MEDIA_DIR, work / MEDIA_DIR)
        else:
            left = {}
        merge = None if shard else _Merge(site, wanted[0], reuse=bool(folders))
        # Editions are merged into the site in a thread of their own, beside the staging: the
        # merge is mostly system calls (a folder and a link for each page), which run on the core
        # the staging leaves free (at 400 x 12, a one-story edit links 11 kept editions: 0.8 s).
        # The thread starts once the workers are forked (a fork copies no thread, and a lock a
        # thread held at the fork would stay held in the child), or when the staging is done.
        merger: list[ThreadPoolExecutor] = []
        merging: list[Future] = []
        waiting: list[tuple[str, Path, bool]] = []

        def merge_in(lang: str, part: Path, kept: bool) -> None:
            if merge is None:
                return
            if merger:
                merging.append(merger[0].submit(merge.add, lang, part, kept))
            else:
                waiting.append((lang, part, kept))

        def start_merging() -> None:
            if merge is not None and not merger:
                merger.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="lantoa-merge"))
                for args in waiting:
                    merging.append(merger[0].submit(merge.add, *args))
                waiting.clear()

        def render(staged: Staged, lang: str) -> None:
            """An edition to render, staged: the pages of it that can be reused are put in place, and
            it is handed to a worker at once (unless serial)."""
            if cache_dir:  # in the folders of its output this one replaces (lantoa.site.skeleton)
                skeleton.take_part(cache_dir, lang, parts[lang])
            # an edition that changed in some stories only: their pages are rendered, the others reused
            kept[lang] = incremental.reusable_pages(cache_dir, lang, inputs[lang], parts[lang]) if cache_dir else set()
            if kept[lang]:
                log.info("edition %s: %d of %d pages unchanged: reused", lang,
                         len(kept[lang] - {incremental.ERROR_PAGE}), staged.pages[lang])
            write_edition(staged, lang, frozenset(kept[lang]))
            if serial:
                return
            futures[pool[0].submit(_render, str(root), registry, staged, lang, str(work), str(parts[lang]),
                                   kiosk, cache_arg, frozenset(kept[lang]))] = lang
            start_merging()  # from the first hand-over: the social cards' processes are forked before it

        def common_of(staged: Staged) -> str:
            common[:] = common or [incremental.common_inputs(root, staged)]
            return common[0]

        def staged_edition(staged: Staged, lang: str) -> None:
            """As each edition is staged: its key, and its pages written only if it is rendered (one
            edition's page texts in memory at a time), and then its rendering started."""
            if cache_dir:
                inputs[lang] = incremental.edition_inputs(root, staged, lang, {"kiosk": kiosk}, common_of(staged))
                keys[lang] = inputs[lang].key
                reused[lang] = incremental.kept_part(cache_dir, lang, inputs[lang].key)
            if reused.get(lang) is None:
                render(staged, lang)
            else:  # kept: linked from the cache into the site while the others are staged and rendered
                merge_in(lang, reused[lang], True)
            if lang in staged.keys:
                keep_staging(staged, lang)

        def keep_staging(staged: Staged, lang: str) -> None:
            """Kept as soon as it is staged (or, for a fresh edition, keyed): valid whatever the rest
            of the build does."""
            incremental.keep_staged(cache_dir, staged_as(lang), staged.keys[lang], keys[lang], staged.pages[lang],
                                    marshal.dumps(staged.models[lang]))  # its own format: loads 7x faster than 2

        def staged_as(lang: str) -> str:
            return f"{lang}.kiosk" if kiosk else lang

        def take(staged: Staged, lang: str, staging: str) -> bool:
            """An edition whose staging key is the one its kept staging was made with, and whose
            kept output is intact: its model from there (when asked for), its output linked into
            the site."""
            kept = incremental.staged_record(cache_dir, staged_as(lang), staging)
            part = kept and incremental.kept_part(cache_dir, lang, kept.edition)
            if not part:
                return False
            staged.models.later(lang, kept.model)
            staged.pages[lang] = kept.pages
            keys[lang] = kept.edition
            reused[lang] = part
            merge_in(lang, part, True)
            return True

        def check(staged: Staged, lang: str) -> None:
            found = incremental.edition_inputs(root, staged, lang, {"kiosk": kiosk}, common_of(staged)).key
            if found != keys[lang]:
                raise AssertionError(f"edition {lang} was taken from its kept staging (edition {keys[lang]}) "
                                     f"but staged it is {found}: its staging key misses an input")

        fresh = showing_anew(checked.project, registry, mine)
        order = fresh + [lang for lang in mine if lang not in fresh]
        reuse = Reuse(common=lambda staged: f"{common_of(staged)}\0{incremental.code_key()}\0{kiosk}",
                      take=take, check=check if CHECK_STAGING else None,
                      fresh=frozenset(fresh), keep=keep_staging) if cache_dir else None

        try:
            with paused():  # the staged models live to the end of the build (lantoa.gcpause)
                staged = stage(checked.project, registry, wanted, work, cache_dir,
                               render=order, staged_edition=staged_edition,
                               reuse=reuse, media_staged=fork_zygote, left=left)
            _let_go(checked.project)
            log.info("staged %d languages in %.2f s", len(wanted), time.perf_counter() - start)
            start_merging()
            if not shard:  # what is made from the models alone, while the editions render
                ctx = output_context(checked, site, staged, wanted, cache, kiosk)
                outputs.prepare(ctx, work / "early")
            todo = [lang for lang in mine if reused.get(lang) is None]
            jobs = 1 if serial else max(1, min(len(todo), jobs or cores))
            errors: dict[str, str] = {}

            def done(lang: str, err: str | None) -> None:
                """An edition's worker finished: keep its output for the next build, merge it now."""
                if err:
                    errors[lang] = err
                    return
                kept_at = incremental.store_part(cache_dir, lang, inputs[lang], parts[lang]) if cache_dir else None
                if not errors:
                    # from the cache, as links (the part was moved there), else moved from the part
                    merge_in(lang, kept_at or parts[lang], kept_at is not None)

            if serial:
                for lang in todo:
                    done(lang, _build_language(str(root), registry, staged, lang, str(work), str(parts[lang]), kiosk,
                                               cache_arg, frozenset(kept[lang])))
            for future in as_completed(futures):
                try:
                    failed = future.result()
                except ChildDied as exc:
                    failed = f"{futures[future]}: {exc}"
                done(futures[future], failed)
            for merged in merging:
                merged.result()  # the merge's own failure, if any
        finally:
            if pool:
                pool[0].shutdown()
                gc.unfreeze()
            if merger:
                merger[0].shutdown(wait=True, cancel_futures=True)
        if errors:
            raise BuildFailed("building the editions failed:\n  " + "\n  ".join(errors[t] for t in todo if t in errors))
        log.info("rendered %d editions (%d reused) with %d processes; %.2f s since start",
                 len(todo), len(mine) - len(todo), jobs, time.perf_counter() - start)
        if shard:
            missing = [t for t in mine
                       if not (cache_dir / "parts" / t / keys[t] / incremental.COMPLETE).is_file()]
            if missing:
                raise BuildFailed(f"could not keep editions {', '.join(missing)} in {cache_dir / 'parts'} "
                                  "(see the warnings above): check that the folder is writable and has space")
            result = BuildResult(cache_dir / "parts", {t: staged.pages[t] for t in mine}, staged.images)
            result.seconds = time.perf_counter() - start
            return result
        ctx.edition_pages, ctx.edition_chars = merge.result(wanted)
        ctx.known = merge.files  # the site's files so far: the output steps tell what they add
        counts = outputs.run(ctx)
        stamp = ctx.site_stamp()  # (pruning below removes folders alone)
        if folders:
            log.debug("%d folders of the last site not used: removed", skeleton.prune(site, folders, ctx.files()))
        _swap(site, out)
        if cache_dir:
            for name in incremental.forget_languages(cache_dir, set(registry.tags())):
                log.info("build cache: %s let go of (its language is no longer in locales/)", name)
        result = BuildResult(out, {t: staged.pages[t] for t in wanted}, staged.images, counts.get("fonts", 0),
                             stamp=stamp)
        result.seconds = time.perf_counter() - start
        return result
    finally:
        gc.unfreeze()  # frozen when its check and staging ended (lantoa.gcpause): garbage once the caller lets go
        incremental.end_stamps()
        digests.save()
        media_cache.save_ledgers()
        discard(work)
        if sweeper is not None:
            sweeper.join()


def output_context(checked, site: Path, staged: Staged, langs: list[str], cache: bool,
                   kiosk: bool) -> outputs.OutputContext:
    root = checked.project.root
    raw, _ = site_config.read_raw(root)
    site_url = str(raw.get("site_url") or "")
    return outputs.OutputContext(root=root, site=site, checked=checked, staged=staged, langs=langs,
                                 cache_dir=(root / ".cache" / "lantoa") if cache else None,
                                 site_url=site_url.rstrip("/") + "/" if site_url else "", kiosk=kiosk)


#: beside build/site (and in .cache/lantoa, for kept editions replaced): trees of earlier builds
#: waiting to be deleted
TRASH = incremental.TRASH


def discard(path: Path) -> None:
    """Remove a tree later: it is renamed into a trash folder beside it (one rename), emptied by
    the next build while that build checks and stages (:func:`sweep`), so a rebuild does not wait
    for the tens of thousands of files of the previous site and of its own scratch folders to be
    unlinked. Falls back to deleting it now."""
    incremental.retire(path, path.parent)


class _Sweeper:
    """The deletion of the trash: in an ``rm -rf`` process where there is one (in a thread, shutil's
    loop holds the interpreter's lock between its system calls, and the build's own Python waits
    for it: at 400 x 12, median of 4 one-story edits 6.3 -> 5.9 s), else in a thread."""

    def __init__(self, entries: list[Path]):
        self.process = self.thread = None
        rm = shutil.which("rm") if os.name == "posix" else None
        if rm:
            try:
                self.process = subprocess.Popen([rm, "-rf", "--", *map(str, entries)], stdin=subprocess.DEVNULL,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return
            except OSError:
                pass
        self.thread = threading.Thread(target=lambda: [shutil.rmtree(e, ignore_errors=True) for e in entries],
                                       name="lantoa-sweep", daemon=True)
        self.thread.start()

    def join(self) -> None:
        if self.process is not None:
            self.process.wait()
        if self.thread is not None:
            self.thread.join()


def sweep(*parents: Path) -> _Sweeper | None:
    """Delete what earlier builds put in the trash folders of ``parents``, beside this build (the
    deletion is system calls: it overlaps the checking and staging). Join it before returning."""
    entries = []
    for parent in parents:
        try:
            entries += list((parent / TRASH).iterdir())
        except OSError:
            pass
    if not entries:
        return None
    return _Sweeper(entries)


def site_path(rel: str, lang: str, default: str) -> str:
    """Where a file of edition ``lang``'s MkDocs output (``rel`` within it) goes in the site."""
    return f"{lang}/{rel}" if lang != default and rel in EDITION_ROOT_FILES else rel


class _Merge:
    """Puts each edition's output into one tree as soon as it is there: a kept edition (its folder
    in the build cache) while the others are still being rendered, a fresh one when its worker is
    done (so the merge overlaps the rendering instead of following it). A fresh edition's files
    are moved, a kept edition's hard-linked; files several editions write (Material's assets) must
    be identical, so the order in which editions arrive changes no byte of the site."""

    def __init__(self, site: Path, default: str, reuse: bool = False):
        """``reuse``: ``site`` holds the last site's folders (lantoa.site.skeleton), not its files."""
        self.site, self.default = site, default
        site.mkdir(parents=True, exist_ok=reuse)
        self.made = {str(site)}
        self.files: set[str] = set()  # site paths of every file placed
        #: edition -> (site paths of its pages, characters by language), for each edition that knows them
        self.chars: dict[str, tuple[set[str], dict[str, str]]] = {}

    def add(self, lang: str, part: Path, kept: bool = False) -> None:
        known = pagefacts.chars_by_lang(part)  # the characters its pages show, when they are final
        if known is not None:
            self.chars[lang] = (set(), known)
        base, site = str(part), str(self.site)
        listed = incremental.listed_files(part) if kept else None
        pages = self.chars[lang][0] if lang in self.chars else None
        for name in _files_of(base) if listed is None else listed:
            if name in incremental.BOOKKEEPING:
                continue
            rel = site_path(name, lang, self.default)
            self.files.add(rel)
            src = f"{base}/{name}"
            if pages is not None and rel.endswith(".html"):
                pages.add(rel)
            dest = f"{site}/{rel}"
            try:
                try:
                    _place(src, dest, kept)
                except (FileNotFoundError, NotADirectoryError):
                    # its folder is not there (a new page, or no last site to take folders from):
                    # made once asked for, not looked for before each file (most are there)
                    parent = os.path.dirname(dest)
                    if parent in self.made or not os.path.exists(src):
                        raise
                    os.makedirs(parent, exist_ok=True)
                    self.made.add(parent)
                    _place(src, dest, kept)
            except FileExistsError:
                if skeleton.make_room(dest):  # an empty folder of the last site where this file goes
                    _place(src, dest, kept)
                    continue
                if rel in SHARED_ROOT_FILES or filecmp.cmp(src, dest, shallow=False):
                    continue
                raise BuildFailed(f"internal error: languages disagree on {rel}") from None

    def result(self, order: list[str]) -> tuple[set[str], dict[str, tuple[set[str], dict[str, str]]]]:
        """The site paths of the HTML pages, and the characters of each edition's pages (in
        ``order``, whatever order the editions arrived in)."""
        pages = {rel for rel in self.files if rel.endswith(".html")}
        return pages, {lang: self.chars[lang] for lang in order if lang in self.chars}


def _place(src: str, dest: str, kept: bool) -> None:
    """A kept edition's file hard-linked (copied where links fail), a fresh one's moved; a
    ``FileExistsError`` if ``dest`` is there already."""
    if not kept:
        if os.path.lexists(dest):  # (a rename would replace it)
            raise FileExistsError(dest)
        os.replace(src, dest)
        return
    try:
        os.link(src, dest)  # fails on a file there already: no lstat first
    except FileExistsError:
        raise
    except OSError:
        shutil.copy2(src, dest)  # no hard links here (another file system)


def _files_of(base: str) -> Iterator[str]:
    """The path within ``base`` of each file under it."""
    for dirpath, _, filenames in os.walk(base):
        rel_dir = os.path.relpath(dirpath, base).replace(os.sep, "/")
        for name in filenames:
            yield name if rel_dir == "." else f"{rel_dir}/{name}"


def _swap(new: Path, out: Path) -> None:
    old = out.with_name(out.name + ".old")
    if old.exists():
        discard(old)
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(new, out)
    except OSError:
        if old.exists():
            os.replace(old, out)
        raise
    if old.exists():
        skeleton.keep(old, out)  # its folders, for the next build's site
