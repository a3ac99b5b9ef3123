"""What reading a source file yields, kept between runs, by the file's content.

Every ``lantoa check``, ``build`` and ``serve`` rebuild reads every Markdown file of ``content/``:
its front matter is parsed with the positions of every value (lantoa.content.yamlsafe) and its
body scanned for markup (lantoa.validate.markup). Both are functions of the file's bytes alone,
and they were most of the time a one-story edit spent checking. This memo keeps, for each file's
bytes (blake2b), the parsed document without its texts (they are taken again from the bytes,
when they are read) and the body's scan, in ``.cache/lantoa/sources.pickle``, and what a run
added to it, while that is little, in ``sources.delta.pickle`` beside it.

Beside it, ``entries/`` keeps what the loader made of each story's and page's folder, for the
next run that finds the folder's Markdown files with the same names and stats: it reads none of
them, and a document's body is read from its file only when something asks for it
(:data:`ENTRIES_DIR`, lantoa.content.frontmatter.Document).

The file is written by lantoa into the project's own cache, like the rest of ``.cache/lantoa``
(anyone who can write there can also write the project's templates and configuration). Its header
names the format, lantoa's version, Python's and PyYAML's, and a hash of the modules whose results
it keeps: anything else, or a file that does not load, is ignored and written again.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
import os
import pickle
import sys
import time
from functools import lru_cache
from pathlib import Path

from .. import __version__, digests
from ..cachefile import keep_quietly
from ..gcpause import paused
from . import frontmatter

log = logging.getLogger(__name__)

FILE = "sources.pickle"
#: beside it: the entries it lacks, written instead of the whole memo when a run read few files
#: anew (a one-story edit rewrote the 30 MB of a 400 x 12 memo: 0.1 s), merged into it once they
#: and the entries no file has any more come to an eighth of it
DELTA = "sources.delta.pickle"
FORMAT = 2  # 2: whether each body is in NFC as it is
#: a delta up to this many entries, or an eighth of the memo, is written alone
DELTA_AT_LEAST = 64


@lru_cache(maxsize=1)
def _header() -> tuple:
    import yaml

    from ..validate import markup
    from . import yamlsafe

    code = digests.sources_sha256(frontmatter, yamlsafe, markup, sys.modules[__name__])
    return ("lantoa-sources", FORMAT, __version__, sys.version, yaml.__version__, code)


@lru_cache(maxsize=1)
def _entries_header() -> tuple:
    """A kept entry is what lantoa.content.loader made of its folder's files: also a function of
    the code that reads them into a story or a page and checks their fields."""
    from ..commands import new
    from .. import diagnostics
    from . import loader, model, schema

    return _header() + (digests.sources_sha256(loader, schema, model, diagnostics, new),)


#: path of a memo file -> (the stats of it and of its delta when this process last wrote or read
#: them, what they held then, the keys of the first), in a process that asked for it
#: (:func:`keep_between_runs`): `lantoa serve` rebuilds in one process, and unpickling the file
#: again each time took 22 ms of a 1 s rebuild at 100 stories x 12 languages. Not in a one-off
#: ``lantoa build``: it would only keep the memo (some 30 MB at 400 x 12) alive to the end of the
#: build. Entries are keyed by the bytes they were read from, so a held dict that lost entries (a
#: run that failed half-way) only costs misses.
_HELD: dict[Path, tuple[tuple, dict, frozenset]] = {}
_KEEP = [False]
#: path of a source file -> (its stat when this process read it, its content key, its body), in a
#: process that keeps its memo (:func:`keep_between_runs`): a rebuild of `lantoa serve` takes the
#: document of a file whose stat is unchanged without reading it again (reading, hashing, decoding
#: and normalising every source was 0.22 of the 0.4 s a 400 x 12 rebuild spent loading them).
_READ: dict[str, tuple[tuple, bytes, str]] = {}
#: a file changed this recently when it was read may change again within its clock's tick, with the
#: same stat: it is read again next time (as lantoa.digests does for its digests)
RECENT_NS = 2_000_000_000


#: folder of an entry (a story, a page) -> (the kind, root and the name and stat of each of its
#: Markdown files when this process read them; the entry; the diagnostics reading it gave), in a
#: process that keeps its memo (:func:`keep_between_runs`): a rebuild of `lantoa serve` takes the
#: entry of a folder whose Markdown files are all as they were, without making a document, a
#: language version and their checks for each again (at 400 x 12, 4,800 of them: 80 ms of every
#: rebuild's check). Entries are not changed once read (lantoa.content.loader makes them).
_ENTRIES: dict[str, tuple[tuple, object, list]] = {}
#: beside the memo, a folder of files, one for each story's or page's folder: what :data:`_ENTRIES`
#: holds for it, kept for the next process (a one-off ``lantoa build`` or ``check``). Reading,
#: hashing and decoding every source again and making its language version took 0.48 s of a
#: one-story edit at 400 x 12; with the entries kept there, 0.13 s (their documents read their
#: bodies when asked: lantoa.content.frontmatter.Document). One file a folder: an edit writes its
#: story's alone.
ENTRIES_DIR = "entries"


def keep_between_runs(keep: bool = True) -> None:
    """Keep each memo in memory for this process's next run (a long-lived process's choice)."""
    _KEEP[0] = keep
    if not keep:
        _HELD.clear()
        _READ.clear()
        _ENTRIES.clear()


def keeping() -> bool:
    """Whether this process keeps its memo between runs (:func:`keep_between_runs`)."""
    return _KEEP[0]


def stat_key(st) -> tuple:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _stamps(path: Path) -> tuple:
    return _stamp(path), _stamp(path.with_name(DELTA))


def _stamp(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _hold(path: Path, entries: dict, in_base: frozenset) -> None:
    if not _KEEP[0]:
        return
    stamps = _stamps(path)
    if stamps[0] is not None:
        _HELD[path] = (stamps, entries, in_base)


key_of = frontmatter.key_of


def _unpickled(path: Path | str, header: tuple) -> object | None:
    """What a file of this memo holds after ``header`` (None: missing, another header, or a
    truncated or foreign file, which is then read again from the sources)."""
    try:
        with paused(), open(path, "rb") as f:  # unpickling makes up to some hundred thousand objects
            found, value = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception as exc:
        log.info("ignoring %s (%s): the sources are read again", path, exc)
        return None
    return value if found == header else None


class SourceMemo:
    """Documents by content: :meth:`document` for each file read, then :meth:`save` once."""

    def __init__(self, cache_dir: Path | None):
        self.path = cache_dir / FILE if cache_dir else None
        #: content key -> (document without path, bytes and body; where its body starts; body scan;
        #: whether the body is in NFC as written)
        self.entries: dict[bytes, tuple] = {}
        self.used: dict[bytes, tuple] = {}
        self.hits = self.misses = 0
        self._unscanned: dict[bytes, frontmatter.Document] = {}  # the documents whose scan this run makes
        self.in_base: frozenset = frozenset()  # the keys of the memo file itself (not of its delta)
        self.seen: set[str] = set()  # the files this run asked :meth:`unchanged` about (a long-lived process)
        self.seen_folders: set[str] = set()  # the folders it asked :meth:`kept_entry` about
        from ..validate import markup

        markup.forget()  # the previous run's (lantoa serve): this one remembers its own
        if self.path is not None:
            self.entries, self.in_base = self._load(self.path)

    @staticmethod
    def _load(path: Path) -> tuple[dict, frozenset]:
        held = _HELD.pop(path, None)
        if held is not None and held[0] == _stamps(path):
            return held[1], held[2]  # the files are as this process left them
        entries = SourceMemo._read(path)
        in_base = frozenset(entries)
        if entries:  # a delta without its memo is not read (the memo was voided)
            entries.update(SourceMemo._read(path.with_name(DELTA)))
        return entries, in_base

    @staticmethod
    def _read(path: Path) -> dict:
        entries = _unpickled(path, _header())
        return entries if isinstance(entries, dict) else {}

    def unchanged(self, path: Path, st) -> frontmatter.Document | None:
        """The document of a file this process read before (:data:`_READ`) whose stat is the same
        now, without reading it; None otherwise (and always in a one-off process)."""
        if not _KEEP[0]:
            return None
        self.seen.add(str(path))
        known = _READ.get(str(path))
        if known is None or known[0] != stat_key(st):
            return None
        key, body = known[1], known[2]
        if key not in self.used and key not in self.entries:
            return None  # the memo lost it (another process wrote the file): read the file
        return self._hit(key, path, body)

    def forget_unseen(self, folder: Path) -> None:
        """Forget the files under ``folder`` this process read in an earlier run and this one did
        not (deleted or moved since), and the entries of folders it did not read: `lantoa serve`
        would otherwise hold their bodies until it ends."""
        prefix = str(folder).rstrip(os.sep) + os.sep
        for path in [p for p in _READ if p.startswith(prefix) and p not in self.seen]:
            del _READ[path]
        for path in [p for p in _ENTRIES if p.startswith(prefix) and p not in self.seen]:
            del _ENTRIES[path]
        if self.path is not None:  # the kept entries of folders gone
            seen = {self._entry_name(p) for p in self.seen_folders if p.startswith(prefix)}
            try:
                with os.scandir(self.path.parent / ENTRIES_DIR) as it:
                    gone = [e.path for e in it if e.name not in seen]
            except OSError:
                gone = []
            for path in gone:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def keeps_entries(self) -> bool:
        """Whether entries are kept for a later run: in this process (:func:`keep_between_runs`),
        or in files for the next one (with a cache folder)."""
        return _KEEP[0] or self.path is not None

    @staticmethod
    def _entry_name(folder: str) -> str:
        return hashlib.blake2b(folder.encode(), digest_size=16).hexdigest() + ".pickle"

    def _entry_file(self, folder: Path) -> str:
        return f"{self.path.parent}/{ENTRIES_DIR}/{self._entry_name(str(folder))}"

    def _stored_entry(self, folder: Path, key: tuple) -> tuple | None:
        """What :meth:`keep_entry` wrote for ``folder``, when it is for ``key`` and this code."""
        known = _unpickled(self._entry_file(folder), _entries_header())
        return known if isinstance(known, tuple) and len(known) == 3 and known[0] == key else None

    def kept_entry(self, folder: Path, key: tuple) -> tuple[object, list] | None:
        """The entry of ``folder`` and its diagnostics, as a run read them last (this process's,
        else the one that kept them in a file), when ``key`` (its kind, root and its Markdown files'
        names and stats) is the same now and the memo still has each of its documents: they count
        as read in this run (kept by :meth:`save`, their bodies' scans remembered). None otherwise."""
        if not self.keeps_entries():
            return None
        self.seen.add(str(folder))
        self.seen_folders.add(str(folder))
        known = _ENTRIES.get(str(folder)) if _KEEP[0] else None
        if (known is None or known[0] != key) and self.path is not None:
            known = self._stored_entry(folder, key)
            if known is not None and _KEEP[0]:
                _ENTRIES[str(folder)] = known
        if known is None or known[0] != key:
            return None
        docs = [v.doc for v in known[1].variants()]
        if any(d.key is None or (d.key not in self.used and d.key not in self.entries) for d in docs):
            return None  # the memo lost one (another process wrote it), or a file could not be read
        for doc in docs:
            if _KEEP[0]:  # for forget_unseen's files read in this process
                self.seen.add(str(doc.path))
            self._use(doc.key, doc)
        return known[1], known[2]

    def keep_entry(self, folder: Path, key: tuple, entry, diags: list) -> None:
        """Keep what reading ``folder`` gave for a later run (:meth:`kept_entry`), unless one of its
        files changed too recently to trust its stat (:data:`RECENT_NS`): for this process's next
        run when it keeps its memo, and in a file for the next process's. A file that cannot be
        written only costs the next run a read of the folder."""
        now = time.time_ns()
        if not all(now - max(stat[3], stat[4]) > RECENT_NS for _, stat in key[-1]):
            _ENTRIES.pop(str(folder), None)
            return  # a file written before for other stats is ignored for them
        if _KEEP[0]:
            _ENTRIES[str(folder)] = (key, entry, diags)
        if self.path is not None:
            with paused():
                data = pickle.dumps((_entries_header(), (key, entry, diags)), protocol=pickle.HIGHEST_PROTOCOL)
            keep_quietly(Path(self._entry_file(folder)), data)

    def document(self, path: Path, raw: bytes, st=None) -> frontmatter.Document:
        """The document in ``raw``, the bytes of ``path`` (``st``: its stat before they were read)."""
        key = key_of(raw)
        if key not in self.used and key not in self.entries:
            self.misses += 1
            doc, start = frontmatter.parse(path, raw)
            doc.key = key
            normal = start is not None and doc.body == frontmatter.text_of(raw)[start:]
            self.used[key] = (dataclasses.replace(doc, path=None, body=""), start, None, normal)
            self._unscanned[key] = doc
            if start is not None:
                doc.readable_again(start, normal)
        else:
            _, start, _, normal = self.used.get(key) or self.entries[key]
            if start is None:
                body = ""
            else:  # normalising 50 MB of bodies that are in NFC already took 40 ms of every run at 400 x 12
                body = frontmatter.text_of(raw)[start:]
                body = body if normal else frontmatter.nfc(body)
            doc = self._hit(key, path, body)
        if _KEEP[0] and st is not None and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RECENT_NS:
            _READ[str(path)] = (stat_key(st), key, doc.body)
        return doc

    def _hit(self, key: bytes, path: Path, body: str) -> frontmatter.Document:
        twice = key in self.used  # two files with the same bytes: each its own document
        entry = self.used.get(key) or self.entries[key]
        template = copy.deepcopy(entry[0]) if twice else entry[0]
        doc = dataclasses.replace(template, path=path, body=body, key=key)
        if entry[1] is not None:
            doc.readable_again(entry[1], entry[3])
        self._use(key, doc)
        return doc

    def _use(self, key: bytes, doc: frontmatter.Document) -> tuple:
        """The memo's entry for ``key``, counted as read in this run, its body's scan remembered
        (by ``key``: lantoa.validate.markup.scanned_of), or made by :meth:`save` from ``doc``."""
        from ..validate import markup

        self.hits += 1
        entry = self.used.get(key) or self.entries.pop(key)
        scanned = entry[2]
        self.used[key] = entry
        if scanned is not None:
            markup.remember(key, scanned)
        else:
            self._unscanned[key] = doc
        return entry

    def save(self) -> None:
        """Keep the documents of the files read in this run, with each body's scan when this run
        made it. Few new documents: in the delta beside the memo (the memo file left as it is);
        else the memo is written whole, without the documents of files gone (and without delta).
        A cache that cannot be written is only slower."""
        if self.path is None:
            return
        if not self.misses and not self.entries:
            _hold(self.path, self.used, self.in_base)
            return  # nothing new was read and nothing is gone: the files are as they should be
        from ..validate import markup

        out = {}
        for key, (template, start, scanned, normal) in self.used.items():
            if scanned is None and key in self._unscanned:
                scanned = markup.scanned_of(self._unscanned[key])
            out[key] = (template, start, scanned, normal)
        delta_path = self.path.with_name(DELTA)
        delta = {key: entry for key, entry in out.items() if key not in self.in_base}
        gone = sum(1 for key in self.entries if key in self.in_base)  # in the memo, read by no file now
        if self.in_base and len(delta) + gone <= max(DELTA_AT_LEAST, len(out) // 8):
            written, in_base = keep_quietly(delta_path, pickle.dumps((_header(), delta), protocol=pickle.HIGHEST_PROTOCOL)), self.in_base
            merged = {**{k: v for k, v in self.entries.items() if k in self.in_base}, **out}  # as a later run loads it
        else:
            written, in_base, merged = keep_quietly(self.path, pickle.dumps((_header(), out), protocol=pickle.HIGHEST_PROTOCOL)), frozenset(out), out
            if written:
                delta_path.unlink(missing_ok=True)
        if written:
            _hold(self.path, merged, in_base)
        else:
            log.info("could not keep %s", self.path)
