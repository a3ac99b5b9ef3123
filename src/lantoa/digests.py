"""The sha256 of input files, remembered between runs by their size, times and inode (as git's index).

A build keys what it makes on the content of what it reads: the whole input tree for "is anything
changed", each photo for its variants, its social card and its press kit, each font for its
subsets and cards. Editors' photos are camera originals (12-50 megapixels, several MB each), so
reading and hashing all of them made every build, even one with nothing to do, cost a read of
every photo of the site. Here a file whose size, modification and change times and inode are
those it had when it was hashed is not read again; any write to a file changes its times.

A file changed less than :data:`RACY_NS` before it was hashed is not remembered ("racy" in git's
words: a second write in the same clock tick, of the same size, would leave the same times), so
it is read again next time. Kept in ``.cache/lantoa/digests.json``: :func:`load` at the start of a
build, :func:`save` at its end; without :func:`load`, digests are remembered in this process only.

Beside them, :func:`fact` keeps what is worked out from a file's bytes alone (an image's checks),
by its sha256, in ``.cache/lantoa/facts.pickle``: a run finds it without reading the file; and
:func:`remember` what is worked out from inputs a cheaper key stands for (a press kit's key).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .cachefile import keep_quietly

log = logging.getLogger(__name__)

FILE = "digests.json"
FORMAT = 1
#: a file modified this recently when it was hashed is hashed again next time
RACY_NS = 2_000_000_000

#: absolute path -> [size, mtime_ns, ctime_ns, inode, sha256 hex]
_MEMO: dict[str, list] = {}
_SEEN: set[str] = set()
_STATE = {"path": None, "dirty": False}

#: what :func:`fact` keeps beside the digests: (kind, sha256 hex) -> the fact
FACTS_FILE = "facts.pickle"
FACTS_FORMAT = 1
_FACTS: dict[tuple[str, str], object] = {}
_FACTS_USED: set[tuple[str, str]] = set()
_FACTS_STATE = {"loaded": False, "dirty": False}
if TYPE_CHECKING:  # not imported by a build with nothing to do (it reads no fact)
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")


def _signature(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def pieces_sha256(pieces) -> str:
    """The sha256 of strings, each fed with its length first, so that no two lists of pieces hash
    alike; fed one by one, not dumped as JSON first (escaping megabytes of texts costs more than
    hashing them). The cache keys of press kits and search indexes."""
    h = hashlib.sha256()
    for piece in pieces:
        data = piece.encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def sources_sha256(*modules) -> str:
    """The sha256 of these modules' source files: what a result kept between runs depends on
    besides its inputs (a module without a source to read, in a frozen install, counts by its
    name: lantoa's version then decides)."""
    h = hashlib.sha256()
    for module in modules:
        try:
            h.update(Path(module.__file__).read_bytes())
        except (OSError, TypeError):
            h.update(module.__name__.encode())
    return h.hexdigest()


def remembered(path: str | os.PathLike) -> str | None:
    """The sha256 (hex) of the file's bytes when it is remembered (a ``stat``, no read), else None;
    raises OSError as a ``stat`` would."""
    return _lookup(os.path.abspath(path))[0]


def _lookup(key: str) -> tuple[str | None, os.stat_result]:
    st = os.stat(key)
    _SEEN.add(key)
    kept = _MEMO.get(key)
    return (kept[4] if kept is not None and kept[:4] == _signature(st) else None), st


def sha256(path: str | os.PathLike) -> str:
    """The sha256 (hex) of the file's bytes; raises OSError as reading it would."""
    key = os.path.abspath(path)
    digest, st = _lookup(key)
    if digest is not None:
        return digest
    sig = _signature(st)
    h = hashlib.sha256()
    with open(key, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    after = os.stat(key)
    if _signature(after) == sig and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > RACY_NS:
        _MEMO[key] = sig + [digest]
        _STATE["dirty"] = True
    else:
        _MEMO.pop(key, None)
    return digest


def entry(path: str | os.PathLike) -> list | None:
    """What this process remembers of the file (its stat and sha256), for another process to
    :func:`adopt` (one that forked this one, which does not see what it remembers)."""
    return _MEMO.get(os.path.abspath(path))


def adopt(path: str | os.PathLike, found: list | None) -> None:
    """Remember what another process remembered of the file (:func:`entry`), while its stat is the
    one it was hashed at."""
    key = os.path.abspath(path)
    if found is None or _MEMO.get(key) == found:
        return
    try:
        st = os.stat(key)
    except OSError:
        return
    if list(found[:4]) == _signature(st):
        _MEMO[key] = list(found)
        _STATE["dirty"] = True


def fact(path: str | os.PathLike, kind: str, make: Callable[[], T]) -> T:
    """``make()``, a function of the file's bytes and of ``kind`` alone, remembered between runs by
    the file's sha256: for a file hashed before, a ``stat`` instead of whatever ``make`` reads and
    computes. ``kind`` names the function and everything else its result depends on (settings,
    versions). Raises OSError as :func:`sha256` does. A file that changes while ``make`` reads it
    gives its result this time, which is not remembered."""
    digest = sha256(path)
    return _remembered((kind, digest), make, lambda: sha256(path) == digest)


def remember(kind: str, key: str, make: Callable[[], T]) -> T:
    """``make()``, remembered between runs (as :func:`fact` does) under ``key``: a hash of
    everything ``make`` reads, which the caller works out for less than ``make`` costs."""
    return _remembered((kind, key), make, lambda: True)


def versions(names: tuple[str, ...]) -> tuple[str | None, ...]:
    """The version of each installed distribution of ``names`` (None: not installed), as
    importlib.metadata finds it, remembered between runs (:func:`remember`) by :func:`_installed`:
    importing importlib.metadata and asking it (it reads each distribution's files) took 13 ms of
    every build."""
    def ask() -> tuple[str | None, ...]:
        from importlib import metadata

        found = []
        for name in names:
            try:
                found.append(metadata.version(name))
            except metadata.PackageNotFoundError:
                found.append(None)
        return tuple(found)

    return installed("versions " + " ".join(names), ask)


def installed(kind: str, make: Callable[[], T]) -> T:
    """``make()``, a function of the installed distributions alone (their versions, what their
    wheels carry), remembered between runs (:func:`remember`) by :func:`_installed`."""
    key = _installed()
    return make() if key is None else remember(kind, key, make)


def _installed() -> str | None:
    """A hash of ``sys.path`` and the inode and times of each of its folders. Installing,
    upgrading or removing a distribution adds or removes a folder in one of them (its
    ``<name>-<version>.dist-info``, or ``.egg-info``, or an editable install's ``.pth``), which
    changes that folder's modification time. None while one of them changed too recently for its
    times to tell (:data:`RACY_NS`): an install may still be under way."""
    import sys

    h = hashlib.sha256(repr(sys.path).encode())
    now = time.time_ns()
    for entry in sys.path:
        try:
            st = os.stat(entry or ".")
        except OSError:
            h.update(b"-\n")
            continue
        if now - max(st.st_mtime_ns, st.st_ctime_ns) <= RACY_NS:
            return None
        h.update(f"{st.st_dev} {st.st_ino} {st.st_mtime_ns} {st.st_ctime_ns}\n".encode())
    return h.hexdigest()


def _remembered(key: tuple[str, str], make: Callable[[], T], still: Callable[[], bool]) -> T:
    if not _FACTS_STATE["loaded"]:
        _load_facts()
    if key in _FACTS:
        _FACTS_USED.add(key)
        return _FACTS[key]
    value = make()
    if still():  # what was read is still there: the value is kept
        _FACTS[key] = value
        _FACTS_USED.add(key)
        _FACTS_STATE["dirty"] = True
    return value


def _load_facts() -> None:
    import pickle

    _FACTS_STATE["loaded"] = True
    path = beside(FACTS_FILE)
    if path is None:
        return
    try:
        with open(path, "rb") as f:
            fmt, facts = pickle.load(f)
        if fmt == FACTS_FORMAT and isinstance(facts, dict):
            _FACTS.update(facts)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or foreign file: every fact is made again
        log.info("ignoring %s (%s)", path, exc)


def load(cache_dir: Path | None) -> None:
    """Take the digests kept by earlier runs in ``cache_dir`` (None: keep none between runs). Again
    with the same folder (the build command, then the builder; lantoa serve's rebuilds): nothing."""
    path = (cache_dir / FILE) if cache_dir else None
    if path == _STATE["path"]:
        return
    _SEEN.clear()
    _STATE.update(path=path, dirty=False)
    _FACTS.clear()
    _FACTS_USED.clear()
    _FACTS_STATE.update(loaded=False, dirty=False)
    if path is None:
        return
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("format") == FORMAT and isinstance(data.get("files"), dict):
            _MEMO.update({k: v for k, v in data["files"].items()
                          if isinstance(v, list) and len(v) == 5 and isinstance(v[4], str)})
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError) as exc:  # broken: every file is read again
        log.info("ignoring %s (%s)", path, exc)


def beside(name: str) -> Path | None:
    """A path in the cache folder the digests were loaded from, for what is keyed by them (None:
    no folder, as with --no-cache)."""
    path = _STATE["path"]
    return path.parent / name if path is not None else None


def save(prune: bool = True) -> None:
    """Keep the digests of the files this run read (those of files it did not read are dropped),
    and the facts this run asked for (:func:`fact`). ``prune=False``: keep the others too, for a
    run that reads only some of what a build reads (``lantoa check``: the content and its photos,
    not the fonts and the theme); then nothing is written unless this run found something new."""
    path = _STATE["path"]
    if path is None:
        return
    if _FACTS_STATE["dirty"] or (prune and _FACTS.keys() - _FACTS_USED):
        import pickle

        facts = {k: v for k, v in _FACTS.items() if k in _FACTS_USED or not prune}
        if keep_quietly(path.parent / FACTS_FILE, pickle.dumps((FACTS_FORMAT, facts), protocol=pickle.HIGHEST_PROTOCOL)):
            _FACTS_STATE["dirty"] = False
            _FACTS.clear()
            _FACTS.update(facts)
        else:
            log.info("could not keep %s", path.parent / FACTS_FILE)
    if not (_STATE["dirty"] or (prune and _MEMO.keys() - _SEEN)):
        return
    files = {k: v for k, v in _MEMO.items() if k in _SEEN or not prune}
    if keep_quietly(path, json.dumps({"format": FORMAT, "files": files}, separators=(",", ":")).encode()):
        _STATE["dirty"] = False
    else:
        log.info("could not keep %s", path)
