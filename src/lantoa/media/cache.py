"""The media cache: ``.cache/lantoa/media/<k[:2]>/<key>/`` holds one image's encoded files and
``meta.json``.

The key is the sha256 of the source bytes, the variant parameters, the recipe version, and the
versions of lantoa, Pillow and the codecs Pillow was built with: anything that can change an
output byte. An entry is written in a temporary folder and renamed into place (atomic); an entry
that does not read back exactly (missing file, wrong size or hash, unreadable meta.json) is
reported with a warning, removed and rebuilt; the build never fails because of the cache. A
file is read back and hashed only when its size, modification time or inode differ from when its
checksum last matched (``.verified`` in the entry): a rebuild does not re-read every image.
Those signatures, with each entry's meta, are also kept in one ledger per cache (``ledger.json``),
so that a rebuild looks up thousands of entries with one ``stat`` per file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from .. import __version__, digests
from ..cachefile import keep_quietly, read_kept
from .types import PIPELINE_VERSION

log = logging.getLogger(__name__)

META = "meta.json"
#: in an entry: size, modification time and inode of each file when its checksum last matched
VERIFIED = ".verified"


@lru_cache(maxsize=1)
def versions() -> dict:
    """Ours, the recipe's, Pillow's and its codecs' versions (part of every entry's key). Pillow's
    are asked once and kept between runs by the installed distributions (digests.installed: the
    codecs come in Pillow's wheel): asking imports every codec's module, 10 ms of every build."""
    def ask() -> dict:
        import PIL
        from PIL import features

        codecs = {name: features.version(name) for name in ("jpg", "webp", "avif", "zlib", "littlecms2")}
        return {"pillow": PIL.__version__, "codecs": codecs}

    return {"lantoa": __version__, "pipeline": PIPELINE_VERSION, **digests.installed("media codecs", ask)}


def make_key(source_sha: str, kind: str, params: dict) -> str:
    blob = json.dumps({"src": source_sha, "kind": kind, "params": params, "versions": versions()},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _signature(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


#: in the cache's root: the entries found sound by earlier builds, with their files' signatures
LEDGER = "ledger.json"
#: cache root -> {"entries": {key: [meta, stamp]}, "used": set of keys, "dirty": bool}
_LEDGERS: dict[str, dict] = {}
_LEDGERS_LOCK = threading.Lock()


def _ledger(root: Path) -> dict:
    """The ledger of a cache root, read once per process. A build looks up every image variant and
    social card of the site: one ``stat`` per file from here instead of an entry's two JSON files.
    The media threads ask for it at once: one reads it, the others wait for it (a second copy
    would replace the first, and the lookups made through the first would not be saved)."""
    ledger = _LEDGERS.get(str(root))
    if ledger is not None:
        return ledger
    with _LEDGERS_LOCK:
        ledger = _LEDGERS.get(str(root))
        if ledger is None:
            entries = read_kept(root / LEDGER)
            if not isinstance(entries, dict):
                entries = {}
            ledger = _LEDGERS[str(root)] = {"entries": entries, "used": set(), "dirty": False}
    return ledger


def save_ledgers() -> None:
    """Write each ledger a build changed, with the entries it looked up (the others are dropped:
    looked up again, they are checked as before and return to it)."""
    for root, ledger in _LEDGERS.items():
        entries = ledger["entries"]
        if not ledger["dirty"] and entries.keys() <= ledger["used"]:
            continue
        kept = {k: v for k, v in entries.items() if k in ledger["used"]}
        ledger.update(entries=kept, used=set(), dirty=False)
        keep_quietly(Path(root) / LEDGER, json.dumps(kept, separators=(",", ":")).encode())


def _ledger_stamp(d: Path | str, meta: dict) -> list:
    """The signatures of an entry's files and of its meta.json: any write to the entry voids it."""
    out = []
    for name in [f["name"] for f in meta["files"]] + [META]:
        st = os.stat(f"{d}/{name}")
        out.append([name, st.st_size, st.st_mtime_ns, st.st_ino])
    return out


class Cache:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._root = str(self.root)
        self._ledger = _ledger(self.root)
        self._device: int | None = None  # of the root, once asked for (:meth:`inodes`)

    def dir(self, key: str) -> Path:
        return Path(f"{self._root}/{key[:2]}/{key}")

    def file(self, key: str, name: str) -> str:
        """The path of one of an entry's files, as a string: a build links thousands of them (at
        400 stories x 12 languages, pathlib's joins were 0.1 s of a one-story edit's staging)."""
        return f"{self._root}/{key[:2]}/{key}/{name}"

    def inodes(self, key: str) -> dict[str, tuple[int, int]]:
        """(device, inode) of each file of an entry that :meth:`get` has found sound, by name, as
        it found them ({}: not found, or not by this process's ledger): a build linking the file
        somewhere tells from them, without a ``stat``, whether a file there is this one."""
        known = self._ledger["entries"].get(key)
        if known is None or key not in self._ledger["used"]:
            return {}
        if self._device is None:
            self._device = os.stat(self._root).st_dev
        return {name: (self._device, ino) for name, _, _, ino in known[1]}

    def get(self, key: str) -> dict | None:
        """The entry's meta, or None (absent, or corrupt: then it is removed with a warning)."""
        ledger = self._ledger
        ledger["used"].add(key)
        known = ledger["entries"].get(key)
        if known is not None:
            try:
                meta, stamp = known
                if _ledger_stamp(f"{self._root}/{key[:2]}/{key}", meta) == stamp:
                    return meta
            except (OSError, ValueError, KeyError, TypeError):
                pass
            ledger["entries"].pop(key, None)
            ledger["dirty"] = True
        d = self.dir(key)
        if not d.exists():
            return None
        problem = None
        try:
            meta = json.loads((d / META).read_text("utf-8"))
            # A file whose size, modification time and inode are those it had when its checksum last
            # matched is not read again (as git trusts its index): writing into a file changes its
            # mtime. Anything else is read and checked against its checksum.
            stamp = [[f["name"]] + _signature(d / f["name"]) for f in meta["files"]]
            if read_kept(d / VERIFIED) == stamp:
                ledger["entries"][key] = [meta, _ledger_stamp(d, meta)]
                ledger["dirty"] = True
                return meta
            for f in meta["files"]:
                data = (d / f["name"]).read_bytes()
                if len(data) != f["bytes"] or hashlib.sha256(data).hexdigest() != f["sha256"]:
                    problem = f"{f['name']} does not match its checksum"
                    break
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem = f"{exc.__class__.__name__}: {exc}"
        if problem is None:
            keep_quietly(d / VERIFIED, json.dumps(stamp).encode())
            ledger["entries"][key] = [meta, _ledger_stamp(d, meta)]
            ledger["dirty"] = True
            return meta
        log.warning("media cache entry %s is corrupt (%s); rebuilding it", d, problem)
        shutil.rmtree(d, ignore_errors=True)
        return None

    def put(self, key: str, files: dict[str, bytes], meta: dict) -> dict:
        """Write ``files`` and ``meta`` (with a checksum of each file) as one entry, atomically."""
        meta = dict(meta, files=[{"name": n, "bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                                 for n, b in sorted(files.items())])
        final = self.dir(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=final.parent))
        try:
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            (tmp / META).write_text(json.dumps(meta, sort_keys=True), "utf-8")
            try:
                os.replace(tmp, final)
            except OSError:
                # another worker finished the same entry first, or a corrupt leftover is in the way
                if self.get(key) is None:
                    shutil.rmtree(final, ignore_errors=True)
                    os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return meta
