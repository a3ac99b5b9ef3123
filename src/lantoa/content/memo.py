"""What reading a source file yields, kept between runs, by the file's content.

Every ``lantoa check``, ``build`` and ``serve`` rebuild reads every Markdown file of ``content/``:
its front matter is parsed with the positions of every value (lantoa.content.yamlsafe) and its
body scanned for markup (lantoa.validate.markup). Both are functions of the file's bytes alone,
and they were most of the time a one-story edit spent checking. This memo keeps, for each file's
bytes (blake2b), the parsed document without its texts (they are taken again from the bytes,
which are read anyway) and the body's scan, in ``.cache/lantoa/sources.pickle``.

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
import pickle
import sys
import time
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..cachefile import keep_quietly
from ..gcpause import paused
from . import frontmatter

log = logging.getLogger(__name__)

FILE = "sources.pickle"
FORMAT = 1


@lru_cache(maxsize=1)
def _header() -> tuple:
    import yaml

    from ..validate import markup
    from . import yamlsafe

    h = hashlib.sha256()
    for module in (frontmatter, yamlsafe, markup, sys.modules[__name__]):
        try:
            h.update(Path(module.__file__).read_bytes())
        except (OSError, TypeError):  # no source to read (a frozen install): lantoa's version decides
            h.update(module.__name__.encode())
    return ("lantoa-sources", FORMAT, __version__, sys.version, yaml.__version__, h.hexdigest())


#: path of a memo file -> (its stat when this process last wrote or read it, what it held then),
#: in a process that asked for it (:func:`keep_between_runs`): `lantoa serve` rebuilds in one
#: process, and unpickling the file again each time took 22 ms of a 1 s rebuild at 100 stories x
#: 12 languages. Not in a one-off ``lantoa build``: it would only keep the memo (some 30 MB at 400
#: x 12) alive to the end of the build. Entries are keyed by the bytes they were read from, so a
#: held dict that lost entries (a run that failed half-way) only costs misses.
_HELD: dict[Path, tuple[tuple, dict]] = {}
_KEEP = [False]
#: path of a source file -> (its stat when this process read it, its content key, its body), in a
#: process that keeps its memo (:func:`keep_between_runs`): a rebuild of `lantoa serve` takes the
#: document of a file whose stat is unchanged without reading it again (reading, hashing, decoding
#: and normalising every source was 0.22 of the 0.4 s a 400 x 12 rebuild spent loading them).
_READ: dict[str, tuple[tuple, bytes, str]] = {}
#: a file changed this recently when it was read may change again within its clock's tick, with the
#: same stat: it is read again next time (as lantoa.digests does for its digests)
RECENT_NS = 2_000_000_000


def keep_between_runs(keep: bool = True) -> None:
    """Keep each memo in memory for this process's next run (a long-lived process's choice)."""
    _KEEP[0] = keep
    if not keep:
        _HELD.clear()
        _READ.clear()


def _stat_key(st) -> tuple:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _stamp(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _hold(path: Path, entries: dict) -> None:
    if not _KEEP[0]:
        return
    stamp = _stamp(path)
    if stamp is not None:
        _HELD[path] = (stamp, entries)


def key_of(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=20).digest()


class SourceMemo:
    """Documents by content: :meth:`document` for each file read, then :meth:`save` once."""

    def __init__(self, cache_dir: Path | None):
        self.path = cache_dir / FILE if cache_dir else None
        #: content key -> (document without path, bytes and body; where its body starts; body scan)
        self.entries: dict[bytes, tuple] = {}
        self.used: dict[bytes, tuple] = {}
        self.hits = self.misses = 0
        self._bodies: dict[bytes, str] = {}  # the bodies whose scan this run makes
        from ..validate import markup

        markup.forget()  # the previous run's (lantoa serve): this one remembers its own
        if self.path is not None:
            self.entries = self._load(self.path)

    @staticmethod
    def _load(path: Path) -> dict:
        held = _HELD.pop(path, None)
        if held is not None and held[0] == _stamp(path):
            return held[1]  # the file is as this process left it
        try:
            with paused(), open(path, "rb") as f:  # unpickling makes some hundred thousand objects
                header, entries = pickle.load(f)
        except FileNotFoundError:
            return {}
        except Exception as exc:  # a truncated or foreign file: read the sources again
            log.info("ignoring %s (%s): the sources are read again", path, exc)
            return {}
        return entries if header == _header() and isinstance(entries, dict) else {}

    def unchanged(self, path: Path, st) -> frontmatter.Document | None:
        """The document of a file this process read before (:data:`_READ`) whose stat is the same
        now, without reading it; None otherwise (and always in a one-off process)."""
        if not _KEEP[0]:
            return None
        known = _READ.get(str(path))
        if known is None or known[0] != _stat_key(st):
            return None
        key, body = known[1], known[2]
        if key not in self.used and key not in self.entries:
            return None  # the memo lost it (another process wrote the file): read the file
        return self._hit(key, path, body)

    def document(self, path: Path, raw: bytes, st=None) -> frontmatter.Document:
        """The document in ``raw``, the bytes of ``path`` (``st``: its stat before they were read)."""
        key = key_of(raw)
        if key not in self.used and key not in self.entries:
            self.misses += 1
            doc, start = frontmatter.parse(path, raw)
            self.used[key] = (dataclasses.replace(doc, path=None, body=""), start, None)
            self._bodies[key] = doc.body
        else:
            start = (self.used.get(key) or self.entries[key])[1]
            body = frontmatter.nfc(frontmatter.text_of(raw)[start:]) if start is not None else ""
            doc = self._hit(key, path, body)
        if _KEEP[0] and st is not None and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RECENT_NS:
            _READ[str(path)] = (_stat_key(st), key, doc.body)
        return doc

    def _hit(self, key: bytes, path: Path, body: str) -> frontmatter.Document:
        from ..validate import markup

        self.hits += 1
        entry = self.used.get(key) or self.entries.pop(key)
        template, _, scanned = entry
        if key in self.used:  # two files with the same bytes: each its own document
            template = copy.deepcopy(template)
        self.used[key] = entry
        if scanned is not None:
            markup.remember(body, scanned)
        else:
            self._bodies[key] = body
        return dataclasses.replace(template, path=path, body=body)

    def save(self) -> None:
        """Keep the documents of the files read in this run (those of files gone are dropped), with
        each body's scan when this run made it. A cache that cannot be written is only slower."""
        if self.path is None:
            return
        if not self.misses and not self.entries:
            _hold(self.path, self.used)
            return  # nothing new was read and nothing is gone: the file is as it should be
        from ..validate import markup

        out = {}
        for key, (template, start, scanned) in self.used.items():
            if scanned is None and key in self._bodies:
                scanned = markup.scanned(self._bodies[key])
            out[key] = (template, start, scanned)
        if keep_quietly(self.path, pickle.dumps((_header(), out), protocol=pickle.HIGHEST_PROTOCOL)):
            _hold(self.path, out)
        else:
            log.info("could not keep %s", self.path)
