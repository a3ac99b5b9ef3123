"""The media cache: ``.cache/lantoa/media/<k[:2]>/<key>/`` holds one image's encoded files and
``meta.json``.

The key is the sha256 of the source bytes, the variant parameters, the recipe version, and the
versions of lantoa, Pillow and the codecs Pillow was built with: anything that can change an
output byte. An entry is written in a temporary folder and renamed into place (atomic); an entry
that does not read back exactly (missing file, wrong size or hash, unreadable meta.json) is
reported with a warning, removed and rebuilt; the build never fails because of the cache. A
file is read back and hashed only when its size, modification time or inode differ from when its
checksum last matched (``.verified`` in the entry): a rebuild does not re-read every image.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import PIL
from PIL import features

from .. import __version__
from .pipeline import PIPELINE_VERSION

log = logging.getLogger(__name__)

META = "meta.json"
#: in an entry: size, modification time and inode of each file when its checksum last matched
VERIFIED = ".verified"


@lru_cache(maxsize=1)
def versions() -> dict:
    codecs = {name: features.version(name) for name in ("jpg", "webp", "avif", "zlib", "littlecms2")}
    return {"lantoa": __version__, "pipeline": PIPELINE_VERSION, "pillow": PIL.__version__, "codecs": codecs}


def make_key(source_sha: str, kind: str, params: dict) -> str:
    blob = json.dumps({"src": source_sha, "kind": kind, "params": params, "versions": versions()},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _signature(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _read_json(path: Path):
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def keep_quietly(path: Path, data: bytes) -> None:
    """Write a cache file atomically (a temporary file renamed into place), best effort: a cache
    file that cannot be written only costs time on the next build."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


class Cache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def file(self, key: str, name: str) -> Path:
        return self.dir(key) / name

    def get(self, key: str) -> dict | None:
        """The entry's meta, or None (absent, or corrupt: then it is removed with a warning)."""
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
            if _read_json(d / VERIFIED) == stamp:
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
