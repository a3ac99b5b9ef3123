"""Incremental builds: skip what did not change.

Two levels, both keyed by content hashes (never by timestamps alone):

- the whole build: a hash of every input (content/, locales/, theme/, mkdocs.yml,
  lantoa's version, the build options). When it equals the last successful
  build's and build/site is still exactly what that build wrote, there is
  nothing to do, not even checking (the same input gave no error last time).
- one language edition: a hash of everything its MkDocs run reads (its staged
  pages and model, every staged asset, the file list, theme, config, registry).
  An unchanged edition's output is linked from `.cache/lantoa/parts/` instead of
  being rendered again. Before that, its staging key (lantoa.site.stage.staging_keyer:
  what staging it reads, worked out without staging it) finds its last staging in
  `.cache/lantoa/staged/` (:func:`staged_record`): the edition is not staged again.

Output is byte-identical to a clean build (tests/test_incremental.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from .. import __version__, digests

log = logging.getLogger(__name__)
INPUTS = ("content", "locales", "theme", "mkdocs.yml")
STATE = "last-build.json"
COMPLETE = ".complete"  # in a kept edition: its manifest, written last
PAGES = ".pages.json"  # in a kept edition: the hashes of what its pages were made from
#: in an edition's output and its kept copy: what its pages hold (lantoa.site.pagefacts)
FACTS = ".lantoa-facts.marshal"
#: an edition's 404 page (a template of the theme, not a page): made from what every page of the
#: edition shows alike (``EditionInputs.shared``) and nothing of any one page
ERROR_PAGE = "404.html"
#: beside it, when the facts are final: only the characters its pages show, by language (the merge
#: reads this small file instead of parsing the facts, up to 32 MB for a 400-story edition)
CHARS = ".lantoa-chars.json"
#: beside them: the key of what the edition's search index was made from (lantoa.site.search)
SEARCH_KEY = ".lantoa-search-key"
#: in a kept edition: what its search index was made from, document by document (lantoa.site.search)
SEARCH_DOCS = ".lantoa-search-docs.marshal"
#: what a kept edition holds and how it is keyed: a new format voids the kept editions
#: 4: the characters of its pages in a file of their own (CHARS); 5: records hashed by _serial;
#: 6: the facts in marshal's format, not JSON (lantoa.site.pagefacts); 7: each page's facts on its own
PART_FORMAT = 7


def _hash_tree(h, base: Path, rel_to: Path) -> None:
    """Every file under ``base`` (or ``base`` itself), in path order: its path relative to
    ``rel_to`` and its digest. Symbolic links are followed, as MkDocs reads through them (each
    folder once: a link to a folder above it is not a loop); a link to a folder, or a broken one,
    counts by its target too (the checker refuses links in content/)."""
    prefix = base.relative_to(rel_to).as_posix()
    if base.is_file():
        _hash_file(h, prefix, str(base))
        return
    if not base.is_dir():
        return
    found: list[tuple[str, str, bool]] = []
    seen: set[tuple[int, int]] = set()
    stack = [(str(base), "" if prefix == "." else prefix + "/")]
    # os.scandir: folders and files told apart by their entries, a stat per folder only (pathlib's
    # rglob and is_file: 11 -> 3 ms at 100 stories x 4 languages)
    while stack:
        path, rel = stack.pop()
        try:
            st = os.stat(path)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            entries = list(os.scandir(path))
        except OSError as exc:  # unreadable: it counts as such (the checker reports what it cannot read)
            h.update(f"{rel}\0unreadable {exc.errno}\0".encode())
            continue
        for e in entries:
            if e.is_dir():
                stack.append((e.path, f"{rel}{e.name}/"))
                if e.is_symlink():  # and the link itself, should its folder be seen already
                    found.append((f"{rel}{e.name}", e.path, False))
            elif e.is_file():
                found.append((f"{rel}{e.name}", e.path, True))
            elif e.is_symlink():
                found.append((f"{rel}{e.name}", e.path, False))
    for name, path, is_file in sorted(found):
        if is_file:
            _hash_file(h, name, path)
        else:
            h.update(f"{name}\0->{os.readlink(path)}\0".encode())


def _hash_file(h, name: str, path: str) -> None:
    h.update(name.encode() + b"\0")
    h.update(bytes.fromhex(digests.sha256(path)))


def input_key(root: Path, options: dict) -> str:
    h = hashlib.sha256(f"lantoa {__version__}\0{json.dumps(options, sort_keys=True, default=str)}".encode())
    for name in INPUTS:
        _hash_tree(h, root / name, root)
    return h.hexdigest()


def file_stats(folder: Path) -> dict[str, os.stat_result]:
    """Every regular file under ``folder`` (path relative to it, with "/") and its stat, in path
    order: os.walk, as a site has tens of thousands of files and pathlib's rglob, relative_to and
    stat cost several times the system calls themselves."""
    out = {}
    base = str(folder)
    for dirpath, _, filenames in os.walk(base):
        rel_dir = os.path.relpath(dirpath, base).replace(os.sep, "/")
        for name in filenames:
            st = os.stat(os.path.join(dirpath, name), follow_symlinks=False)
            if stat.S_ISREG(st.st_mode):
                out[name if rel_dir == "." else f"{rel_dir}/{name}"] = st
    return dict(sorted(out.items()))


def file_names(folder: Path) -> list[str]:
    """The paths of :func:`file_stats`, without a ``stat`` per file (the directory entries' types)."""
    out = []
    stack = [(str(folder), "")]
    while stack:
        path, rel = stack.pop()
        with os.scandir(path) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    stack.append((e.path, f"{rel}{e.name}/"))
                elif e.is_file(follow_symlinks=False):
                    out.append(f"{rel}{e.name}")
    return sorted(out)


def tree_stamp(path: Path, skip: str = "") -> str:
    """Cheap fingerprint of an output tree (paths, sizes, mtimes): was it touched since we wrote it?
    Every build stamps the site it made, and a rebuild with no change checks it: the file list
    comes from one GNU ``find`` where there is one (some 17,000 files at 400 x 12: 0.09 s, not
    the 0.2 s of a ``stat`` each from Python), else from :func:`file_stats`. The two kinds of
    stamp never match each other (a rebuild then builds instead of skipping). ``skip``: a file
    (path within ``path``) left out."""
    return _Stamp(path, skip).result()


class _Stamp:
    """A :func:`tree_stamp` begun now (its ``find`` runs beside the caller) and read later."""

    def __init__(self, path: Path, skip: str = "", listing: _Listing | None = None):
        self.path, self.skip, self.listing = path, skip, listing
        self.find = _start_find(path) if listing is None else None
        #: after :meth:`result`: the paths of the files stamped (not ``skip``), sorted
        self.files: list[str] = []

    def result(self) -> str:
        h = hashlib.sha256()
        if self.listing is not None:
            found = self.listing.under(self.path)
        else:
            found = _finish_find(self.find) if self.find is not None else None
        if found is not None:
            skipped = self.skip.encode()
            for rel, size, mtime in found:
                if rel != skipped:
                    h.update(rel + b"\0" + size + b"\0" + mtime + b"\n")
            self.files = [os.fsdecode(rel) for rel, _, _ in found if rel != skipped]
            return "find:" + h.hexdigest()
        for rel, st in file_stats(self.path).items():
            if rel != self.skip:
                h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
                self.files.append(rel)
        return h.hexdigest()

    def cancel(self) -> None:
        if self.find is not None:
            _end(self.find)

    def finish(self, files: list[str], since: set[str]) -> str | None:
        """The stamp of the tree as it is now, its ``find`` begun before the last of its files were
        written: ``files``, every file in it (sorted, as :func:`file_names` lists them); ``since``,
        those written (or replaced) after the ``find`` began, whose size and time are looked up
        now, the others' taken from what it printed. None, and :func:`tree_stamp` is to be taken
        after all, where that cannot be told apart from a stamp of the finished tree: no GNU
        ``find``, a file it listed that ``files`` lacks and ``since`` does not explain, one of
        ``files`` not a regular file now, or its way of printing a time not the one this
        function writes (checked on one file)."""
        found = _finish_find(self.find) if self.find is not None else None
        if found is None:
            return None
        printed = {rel: (size, mtime) for rel, size, mtime in found}
        names = [os.fsencode(rel) for rel in files]  # compared and hashed as find prints them
        told = {os.fsencode(rel) for rel in since}
        listed = set(names)
        if any(name not in listed and name not in told for name in printed):
            return None  # a file the build does not know of
        checked = False
        h = hashlib.sha256()
        for rel, name in zip(files, names):
            known = None if name in told else printed.get(name)
            if known is None or not checked:
                try:
                    st = os.lstat(os.path.join(self.path, rel))
                except OSError:
                    return None
                if not stat.S_ISREG(st.st_mode) or st.st_mtime_ns < 0:
                    return None
                now = (str(st.st_size).encode(), _find_time(st.st_mtime_ns))
                if known is not None:
                    if known != now:
                        return None  # (a time printed otherwise than here, or the file changed meanwhile)
                    checked = True
                known = now
            h.update(name + b"\0" + known[0] + b"\0" + known[1] + b"\n")
        return "find:" + h.hexdigest()


def _find_time(ns: int) -> bytes:
    """A modification time (ns since the epoch, not before it) as GNU find's ``%T@`` prints it:
    the seconds, a point and ten digits."""
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}0".encode()


def begin_tree_stamp(path: Path) -> _Stamp:
    """A :func:`tree_stamp` of ``path`` begun now, beside the caller, finished by
    :meth:`_Stamp.finish` once the tree is (or :meth:`_Stamp.cancel`)."""
    return _Stamp(path)


class _Listing:
    """One ``find`` of the folders two levels down in ``root`` (``parts/<lang>/<key>``), read by
    the :class:`_Stamp` of each: what a ``find`` of each folder would print, from one process
    started once (spawning one from this process took 5 ms each, on the staging's way)."""

    def __init__(self, root: Path):
        self.root = root
        self.find = _start_find(root)
        self.folders: dict[bytes, list[tuple[bytes, bytes, bytes]]] | None = None

    def under(self, folder: Path) -> list[tuple[bytes, bytes, bytes]] | None:
        """What a ``find`` of ``folder`` prints (sorted by path), or None (no GNU find here)."""
        if self.folders is None:
            found = _finish_find(self.find) if self.find is not None else None
            if found is None:
                return None
            self.folders = {}
            for rel, size, mtime in found:  # sorted by path: so is each folder's share
                parts = rel.split(b"/", 2)
                if len(parts) == 3:
                    self.folders.setdefault(b"/".join(parts[:2]), []).append((parts[2], size, mtime))
        return self.folders.get(os.fsencode(os.path.relpath(folder, self.root)).replace(os.sep.encode(), b"/"), [])

    def cancel(self) -> None:
        if self.find is not None and self.folders is None:
            _end(self.find)


def _end(find: _Find) -> None:
    find.process.kill()
    find.process.wait()
    find.out.close()  # (a long `lantoa serve` cancels some in every build)


@dataclass
class _Find:
    process: subprocess.Popen
    #: what it prints goes to a file, not a pipe: a pipe's 64 kB would stop it until it is read,
    #: and it would not run beside its caller (some 1.3 MB for the kept editions at 400 x 12)
    out: IO[bytes]


def _start_find(folder: Path) -> _Find | None:
    """GNU find, printing (path, size, modification time) of every regular file under ``folder``
    (the time in seconds to the nanosecond); None where there is no ``find``."""
    find = shutil.which("find") if os.name == "posix" else None
    if find is None or not folder.is_dir():
        return None
    out = tempfile.TemporaryFile()
    try:
        return _Find(subprocess.Popen([find, ".", "-type", "f", "-printf", "%P\\0%s\\0%T@\\0"], cwd=folder,
                                      stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL), out)
    except OSError:
        out.close()
        return None


def _finish_find(find: _Find) -> list[tuple[bytes, bytes, bytes]] | None:
    """What :func:`_start_find`'s ``find`` printed, sorted by path; None if it failed (not GNU find:
    no -printf)."""
    with find.out:
        if find.process.wait():
            return None
        find.out.seek(0)
        out = find.out.read()
    fields = out.split(b"\0")
    if fields.pop() != b"" or len(fields) % 3:
        return None
    return sorted(zip(fields[0::3], fields[1::3], fields[2::3]))


def up_to_date(cache_dir: Path, out: Path):
    """Begin to check whether there is nothing to build: returns a function of the input key
    (:func:`input_key`), true when the key is the last successful build's and ``out`` is still
    exactly what that build wrote. The stamp of ``out`` is taken meanwhile, beside the caller's
    hashing of the inputs (at 100 stories x 4 languages a rebuild with no change took 0.10 s,
    0.013 s of it this stamp)."""
    try:
        state = json.loads((cache_dir / STATE).read_text("utf-8"))
    except (OSError, ValueError):
        state = None
    if not isinstance(state, dict) or state.get("out") != str(out) or not out.is_dir():
        return lambda key: False
    stamp = _Stamp(out)

    def same(key: str) -> bool:
        if state.get("key") != key:
            stamp.cancel()  # an input changed: the stamp is not needed
            return False
        return state.get("stamp") == stamp.result()

    return same


def record(cache_dir: Path, key: str, out: Path, stamp: str | None = None) -> None:
    """Keep the input key of the build that made ``out``, and the stamp of ``out`` (``stamp``: the
    build's, taken from what it knows it wrote (lantoa.site.outputs.OutputContext.site_stamp), the
    same as a :func:`tree_stamp` of it, which is taken here when None)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{STATE}.tmp"
    tmp.write_text(json.dumps({"key": key, "out": str(out), "stamp": stamp or tree_stamp(out)}), "utf-8")
    os.replace(tmp, cache_dir / STATE)


def forget(cache_dir: Path | None) -> None:
    if cache_dir is not None:
        (cache_dir / STATE).unlink(missing_ok=True)


#: the renderers whose versions are part of every kept edition's key
RENDERERS = ("mkdocs", "mkdocs-material", "mkdocs-static-i18n", "Markdown", "Jinja2", "pymdown-extensions")


@lru_cache(maxsize=1)
def renderer_versions() -> str:
    """The renderers' versions (an upgrade of Material changes every page), and Python's (whose
    ``marshal`` wrote the kept facts and the render memo): looked up once per process, and kept
    between runs (lantoa.digests.versions)."""
    found = digests.versions(RENDERERS)
    out = [f"python={sys.version_info[0]}.{sys.version_info[1]}"]
    out += [f"{dist}={version or '-'}" for dist, version in zip(RENDERERS, found)]
    return ",".join(out)


@lru_cache(maxsize=1)
def code_key() -> str:
    """A hash of lantoa's own Python sources: what staging makes of the content is their work, and
    a kept staging (:func:`staged_record`) must not outlive a change to them (lantoa's version is
    not bumped by every change). Read once per process (some 70 files, 3 ms)."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"unreadable")
    return h.hexdigest()


#: in .cache/lantoa: each edition's last staging, by its staging key (lantoa.site.stage.staging_keyer)
STAGED = "staged"
STAGED_FORMAT = 1


@dataclass
class StagedRecord:
    """A kept staging whose staging key is the one asked for (:func:`staged_record`)."""

    edition: str  # the key of the kept edition it was rendered into (EditionInputs.key)
    pages: int
    path: Path
    offset: int  # where the model starts in the file

    def model(self) -> dict | None:
        """The edition's model as it was staged (read only now: at 400 stories, 2 MB that took
        15 ms to load, for an edition whose kept output may be gone); None if it does not load."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                model = marshal.loads(f.read())  # marshal.load(f) reads the file in small pieces: 15x slower
        except (OSError, EOFError, ValueError, TypeError) as exc:
            log.info("ignoring the kept staging %s (%s)", self.path, exc)
            return None
        return model if isinstance(model, dict) else None


def _staged_file(cache_dir: Path, name: str) -> Path:
    return cache_dir / STAGED / f"{name}.marshal"


def staged_record(cache_dir: Path, name: str, staging: str) -> StagedRecord | None:
    """The staging kept as ``name`` (an edition and the build's options) when it was made with
    staging key ``staging``; None otherwise, or when the file is missing or broken."""
    path = _staged_file(cache_dir, name)
    try:
        with open(path, "rb") as f:
            head = marshal.load(f)
            offset = f.tell()
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, TypeError) as exc:
        log.info("ignoring the kept staging %s (%s)", name, exc)
        return None
    if not (isinstance(head, tuple) and len(head) == 4 and head[0] == STAGED_FORMAT and head[1] == staging
            and isinstance(head[2], str) and isinstance(head[3], int)):
        return None
    return StagedRecord(head[2], head[3], path, offset)


def keep_staged(cache_dir: Path, name: str, staging: str, edition: str, pages: int, model: bytes) -> None:
    """Keep an edition's staging (``model``: its model in marshal's format, dumped as it was staged)
    for the next build, which takes it instead of staging the edition while its key is the same
    and its kept edition intact. Best effort: a cache that cannot be written only costs time."""
    path = _staged_file(cache_dir, name)
    data = marshal.dumps((STAGED_FORMAT, staging, edition, pages), 2) + model
    from ..cachefile import keep_quietly

    if not keep_quietly(path, data):
        log.info("could not keep %s", path)


@dataclass
class EditionInputs:
    shared: str  # hash of what every page of the edition depends on
    pages: dict[str, str]  # output path -> hash of the page's own inputs

    @property
    def key(self) -> str:
        """The kept edition's name in the build cache: everything its MkDocs run reads."""
        return hashlib.sha256(json.dumps([self.shared, self.pages], sort_keys=True).encode()).hexdigest()


def common_inputs(root: Path, staged) -> str:
    """A hash of what every edition's MkDocs run reads: the theme, the configuration, the language
    files, our generated Material partials, the renderers. (The staged pages are an edition's own
    inputs, :func:`edition_inputs`: a --shard build that staged only its own editions gets the
    same keys.)"""
    h = hashlib.sha256(f"lantoa {__version__}/{PART_FORMAT}\0{renderer_versions()}".encode())
    _hash_tree(h, Path(staged.overrides_dir), Path(staged.overrides_dir))
    for name in ("theme", "mkdocs.yml", "locales"):
        _hash_tree(h, root / name, root)
    return h.hexdigest()


def edition_inputs(root: Path, staged, lang: str, extra: dict, common: str | None = None) -> EditionInputs:
    """What edition ``lang``'s MkDocs run reads, in two parts: a hash of what every page of it
    depends on (theme, config, strings, the navigation and the titles in it, the renderers), and
    for each page (by its output path within the edition's MkDocs output) a hash of its own inputs:
    its staged Markdown and its record in the model (cards, notices, links to other editions).
    ``common``: :func:`common_inputs`, when the caller has it already."""
    h = hashlib.sha256(f"{common or common_inputs(root, staged)}\0{lang}\0"
                       f"{json.dumps(extra, sort_keys=True, default=str)}".encode())
    model = staged.models[lang]
    records = model["pages"]
    model = {k: v for k, v in model.items() if k != "pages"}
    h.update(json.dumps(model, sort_keys=True).encode())
    # the navigation every page shows: its structure and the titles of the pages in it (stories are
    # not in it; the other kinds are always rendered again, see reusable_pages)
    nav_titles = {key: page["title"] for key, page in records.items() if page.get("kind") != "story"}
    # staged.languages: the editions built together (the switcher lists them; the search index sends
    # a page shown in another built edition's language to that edition's index)
    h.update(json.dumps([staged.nav, staged.nav_translations, staged.languages, nav_titles],
                        sort_keys=True).encode())
    suffix = f".{lang}.md"
    prefix = model["editions"][lang]
    out = EditionInputs(h.hexdigest(), {})
    # the staged Markdown, in memory while stage() hands the edition on (written only if it is rendered)
    texts = staged.sources[lang]
    for key, record in sorted(records.items()):
        src = record["src"].replace("index.md", "index" + suffix)
        ph = hashlib.sha256(_serial([key, record]))
        ph.update(texts[src].encode("utf-8"))
        rel = prefix + record["src"].replace("index.md", "index.html")
        out.pages[rel] = ph.hexdigest()
    return out


def _serial(value) -> bytes:
    """The bytes a page's record is hashed from: ``marshal`` at format 2, which writes no
    back-references (those depend on how objects are shared, not on their values) and no interned
    flags, so equal records in the same key order give equal bytes in any process (a --shard
    build's too; tests/test_incremental.py checks this under two hash seeds). Four times faster
    than sorted JSON for the 30 MB of records of a 400 x 12 site; a record whose keys came in
    another order only misses the cache, and no two different records give the same bytes."""
    return marshal.dumps(value, 2)


def kept_source(cache_dir: Path, lang: str) -> Path | None:
    """The kept edition of ``lang`` that :func:`reusable_pages` reuses pages from (the one there is)."""
    base = cache_dir / "parts" / lang
    kept = [p for p in base.iterdir() if (p / COMPLETE).is_file()] if base.is_dir() else []
    return kept[0] if len(kept) == 1 else None


def reusable_pages(cache_dir: Path, lang: str, inputs: EditionInputs, dest: Path) -> set[str]:
    """When edition ``lang`` changed only in some of its pages, put the pages of its kept edition
    whose inputs did not change at ``dest`` (hard links). Returns the output paths of the pages put
    there: MkDocs (``build(dirty=True)``) renders only the others (our plugin tells it which,
    ``lantoa.site.plugin``).

    What a page shows is in its own inputs (its staged text; its record in the model: a listing's
    cards, a page's notices and languages) or in ``inputs.shared`` (the navigation and the titles
    in it, the theme, the strings). Story pages are not in the navigation; the pages that are
    (home, categories, languages, editors' pages) are still read by MkDocs when kept, for their
    titles in the navigation of the pages it renders, and a change of one of those titles is a
    change of ``inputs.shared``. The kept edition's 404 page (:data:`ERROR_PAGE`), made from
    ``inputs.shared`` alone, is put there too and is in the set returned: MkDocs does not render it
    again (10 ms of an edit's worker)."""
    src = kept_source(cache_dir, lang)
    if src is None:
        return set()
    try:
        before = json.loads((src / PAGES).read_text("utf-8"))
    except (OSError, ValueError):
        return set()
    if before.get("shared") != inputs.shared or not _intact(src, lang):
        return set()
    pages = before.get("pages") or {}
    reuse = {rel for rel, h in inputs.pages.items() if pages.get(rel) == h and (src / rel).is_file()}
    if not reuse or not (src / FACTS).is_file():
        return set()
    if (src / ERROR_PAGE).is_file():
        reuse.add(ERROR_PAGE)
    dest.mkdir(parents=True, exist_ok=True)
    link_or_copy(str(src / FACTS), str(dest / FACTS))  # the reused pages' facts: the worker reads them
    for rel in sorted(reuse):  # in the folders of its last rendering (lantoa.site.skeleton): most are there
        link_file(src / rel, dest / rel)
    return reuse


def link_or_copy(src: str, dst: str) -> None:
    """A hard link where the file system allows one (no bytes copied), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def link_file(src: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Put ``src`` at ``dest`` as a hard link into the cache (no bytes copied), else as a copy;
    ``dest``'s folder is made when it is missing (tried first: a staging puts thousands of files
    into a few hundred folders, and a ``mkdir`` for each file was 5% of a one-story edit's)."""
    try:
        os.link(src, dest)
        return
    except FileNotFoundError:
        if not os.path.exists(src):
            raise
        os.makedirs(os.path.dirname(dest), exist_ok=True)
    except OSError:
        pass
    link_or_copy(str(src), str(dest))


def _manifest(folder: Path) -> dict[str, str]:
    """The stamp of the paths, sizes and modification times of every file of a kept edition but its
    manifest (:func:`tree_stamp`: one GNU find, where a stat of each file from Python took 25 ms an
    edition at 400 stories, for each of the 11 editions an edit reuses). The files it lists are
    kept for the merge that links them into the site next (:func:`listed_files`)."""
    stamp = _BEGUN.pop(str(folder), None) or _Stamp(folder, skip=COMPLETE)
    manifest = {"stamp": stamp.result()}
    _LISTED[str(folder)] = stamp.files
    return manifest


#: the stamps of kept editions begun at the start of a build (:func:`begin_stamps`), by folder
_BEGUN: dict[str, _Stamp] = {}
_LISTINGS: list[_Listing] = []


def begin_stamps(cache_dir: Path, langs: list[str] | None = None) -> None:
    """Begin now the stamps that check the kept editions of ``langs`` (all there are: None)
    (:func:`kept_part`, :func:`reusable_pages`), from one ``find`` of them all, which runs on the
    core the check and the staging leave free: the check of each edition then only reads its share
    of what it printed (at 400 x 12, a one-story edit waited 10-20 ms for a ``find`` of each of 11
    kept editions, one after the other, on the main process's way). The commands begin them before
    they check the project (:func:`stamps_begun`), the build again for any not begun; it ends them
    (:func:`end_stamps`). Nothing writes into a kept edition during a build (:func:`store_part`
    replaces the folder), and one build of a project runs at a time (lantoa.buildlock)."""
    from . import skeleton

    skeleton.begin_parts(cache_dir)  # the editions' outputs replaced last time: their files deleted
    folders = []
    try:
        tags = os.listdir(cache_dir / "parts") if langs is None else langs
    except OSError:
        return
    for lang in tags:
        try:
            folders += [p for p in (cache_dir / "parts" / lang).iterdir()
                        if str(p) not in _BEGUN and (p / COMPLETE).is_file()]
        except OSError:
            continue
    if folders:
        listing = _Listing(cache_dir / "parts")
        _LISTINGS.append(listing)
        for folder in folders:
            _BEGUN.setdefault(str(folder), _Stamp(folder, skip=COMPLETE, listing=listing))


@contextmanager
def stamps_begun(cache_dir: Path | None) -> Iterator[None]:
    """:func:`begin_stamps` now, for a build that checks the project first; :func:`end_stamps` when
    the block ends (the build ends them itself; a check that fails does not build)."""
    if cache_dir is not None:
        begin_stamps(cache_dir)
    try:
        yield
    finally:
        end_stamps()


def end_stamps() -> None:
    """Stop the ``find`` :func:`begin_stamps` began if no check read it, and forget the stamps and
    listings no check or merge took."""
    from . import skeleton

    for listing in _LISTINGS:
        listing.cancel()
    _LISTINGS.clear()
    _BEGUN.clear()
    _LISTED.clear()
    skeleton.end_parts()


#: the files of each kept edition this process stamped last, as the stamp listed them
_LISTED: dict[str, list[str]] = {}


def listed_files(part: Path) -> list[str] | None:
    """The files of kept edition ``part`` (paths within it, its manifest left out) when this process
    has just stamped it (:func:`kept_part` checking it, :func:`store_part` keeping it): the merge
    links them without walking its 400 folders again (at 400 x 12, half of the 25 ms it took to
    link each of the 11 editions an edit reuses). Handed out once."""
    return _LISTED.pop(str(part), None)


def _foreign(manifest, now: dict[str, str]) -> bool:
    """A manifest not of the kind :func:`_manifest` makes here (``now``): an earlier lantoa's, or a
    stamp from GNU find where there is none here, or the other way round (a part made on another
    machine). Its edition is built again, without a warning that a file of it was changed."""
    return (not isinstance(manifest, dict) or set(manifest) != {"stamp"} or not isinstance(manifest["stamp"], str)
            or manifest["stamp"].startswith("find:") != now["stamp"].startswith("find:"))


def _intact(src: Path, lang: str) -> bool:
    """Whether kept edition ``src`` (of ``lang``) is as it was stored, by its manifest. One whose
    files changed since is deleted, with a warning; one without a manifest of this kind is not
    used (:func:`_foreign`)."""
    try:
        manifest = json.loads((src / COMPLETE).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    now = _manifest(src)
    if _foreign(manifest, now):
        return False
    if now != manifest:
        log.warning("kept edition %s was changed after it was stored (a file of build/site edited in place?): "
                    "building it again", lang)
        shutil.rmtree(src, ignore_errors=True)
        return False
    return True


#: what a kept edition holds beside its output
BOOKKEEPING = frozenset({COMPLETE, PAGES, FACTS, CHARS, SEARCH_KEY, SEARCH_DOCS})


def kept_part(cache_dir: Path, lang: str, key: str) -> Path | None:
    """The kept edition of ``lang`` made from inputs ``key``, when it is intact: the merge links
    its files into the new site. The cached files are the same inodes as the files of the
    build/site that stored them, so a file changed in place since (size or mtime differs from the
    manifest written when it was stored) voids the whole part."""
    src = cache_dir / "parts" / lang / key
    if not _intact(src, lang):
        return None
    log.info("edition %s unchanged: reused", lang)
    return src


#: beside a folder: trees waiting to be deleted (emptied by the next build while it checks and
#: stages: lantoa.site.builder.sweep)
TRASH = ".lantoa-trash"


def retire(path: Path, trash_parent: Path) -> None:
    """Move a tree out of the way into ``trash_parent``/TRASH (one rename), to be deleted by the
    next build while it checks and stages (a core is idle then); deleted now if it cannot be moved."""
    if not path.exists():
        return
    trash = trash_parent / TRASH
    try:
        trash.mkdir(parents=True, exist_ok=True)
        os.replace(path, trash / f"{path.name}-{os.getpid()}-{time.monotonic_ns()}")
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


#: in the build cache: the editions' outputs replaced there, one folder per language, whose folders
#: the next rendering of each is put in (lantoa.site.skeleton)
SPARE_PARTS = ".lantoa-spare-parts"
#: the build cache's folders that keep something for each edition, named by its tag: kept editions,
#: stagings (lantoa.site.stage), render memos (lantoa.site.rendermemo), search counts (lantoa.site.search),
#: sitemaps and feeds (lantoa.site.editions), replaced editions' outputs
PER_EDITION = ("parts", STAGED, "render", "search", "early", SPARE_PARTS)


def forget_languages(cache_dir: Path, tags) -> list[str]:
    """Retire what the build cache keeps for the editions of languages the site no longer has (its
    ``locales/<tag>.yml`` removed): no build would read it again, and a kept edition is tens of MB.
    What went, as cache-relative paths."""
    gone = []
    for folder in PER_EDITION:
        try:
            names = sorted(os.listdir(cache_dir / folder))
        except OSError:
            continue
        for name in names:  # <tag>/, <tag>.marshal, <tag>.kiosk.marshal (a tag has no dot)
            if not name.startswith(".") and name.split(".", 1)[0] not in tags:
                retire(cache_dir / folder / name, cache_dir)
                gone.append(f"{folder}/{name}")
    return gone


def store_part(cache_dir: Path, lang: str, inputs: EditionInputs, part: Path) -> Path | None:
    """Keep a freshly built edition (only the latest one per language) and return where it is
    kept: the part folder itself is moved into the cache (one rename; its earlier copy is retired),
    and the merge links its files into the site from there. Across file systems (--out elsewhere)
    it is copied as hard links where possible. Steps after the merge never write into a file in
    place (they replace it), so the kept copy stays as it was made; ``kept_part`` checks that
    anyway. None when it could not be kept (the part is then where it was)."""
    from . import skeleton

    base = cache_dir / "parts" / lang
    target = base / inputs.key
    skeleton.prune_part(part)
    try:
        earlier = [p for p in base.iterdir() if p.is_dir() and not p.is_symlink()] if base.is_dir() else []
        if len(earlier) == 1:  # its folders, for the edition's next rendering
            skeleton.keep_part(cache_dir, lang, earlier[0])
        retire(base, cache_dir)
        base.mkdir(parents=True)
        try:
            os.replace(part, target)
        except OSError:  # another file system
            shutil.copytree(part, target, copy_function=link_or_copy)
        (target / PAGES).write_text(json.dumps({"shared": inputs.shared, "pages": inputs.pages}), "utf-8")
        _BEGUN.pop(str(target), None)  # begun on the folder there before: stamped anew
        (target / COMPLETE).write_text(json.dumps(_manifest(target)), "utf-8")
    except OSError as exc:  # a cache that cannot be written only costs speed next time
        log.warning("could not cache edition %s: %s", lang, exc)
        if target.exists() and not part.exists():
            os.replace(target, part)  # put it back for the merge
        shutil.rmtree(base, ignore_errors=True)
        return None
    return target


def replace_text(path: Path, text: str) -> None:
    """Write ``path`` as a new file (never into the old one, which may be a kept edition's)."""
    path.unlink(missing_ok=True)
    path.write_text(text, "utf-8")


def replace_bytes(path: Path, data: bytes) -> None:
    path.unlink(missing_ok=True)
    path.write_bytes(data)
