"""Embassy mirrors and kiosks: verify a copy of the site, pull a new one, swap it in atomically.

A mirror's webroot (``/srv/www/lantoa``) is a symbolic link to one complete,
verified copy in ``/srv/www/.lantoa.versions/<version>/``. ``pull`` builds the
new copy beside the old one, checks every byte against the signed manifest,
then replaces the link in one atomic ``rename``: a visitor sees the old site
or the new one, never a mix. The previous copy stays, so ``--revert`` is one
more rename. The state file (``/srv/www/.lantoa.state.json``, or ``--state``)
remembers the newest version ever seen, so an older signed bundle — a
replayed or stale copy — is refused as a rollback.

Sources: a bundle (``.tar.gz``) on disk or at an http(s) URL, a directory
holding a copy (an extracted bundle, a USB stick), or the http(s) URL of a
served copy (another mirror): its ``manifest.json`` is fetched and checked
first, then each file, reusing the files the current copy already has.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import LantoaError
from .bundle import MANIFEST, SIGNATURE, Manifest
from .minisign import PublicKey, SignatureError
from .release import parse_time, version_key

CHUNK = 1024 * 1024
HTTP_TIMEOUT = 30


class VerifyError(LantoaError):
    def __init__(self, where: str, problems: list[str]):
        self.problems = problems
        head = f"{where}: verification failed ({len(problems)} problem{'s' if len(problems) != 1 else ''})"
        super().__init__(head + ":\n  " + "\n  ".join(problems[:50])
                         + (f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""))


def _safe_path(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    norm = posixpath.normpath(name)
    return norm == name and not norm.startswith("../") and norm != ".." and norm != "."


# --------------------------------------------------------------------------
# state (next to the webroot)


@dataclass
class State:
    path: Path | None
    last_seen: str | None = None  # the newest version ever verified here
    current: str | None = None  # the copy the webroot points at (a folder name in the versions folder)
    previous: str | None = None  # the copy --revert goes back to
    current_version: str | None = None

    @classmethod
    def load(cls, path: Path | None) -> "State":
        if path is None or not path.exists():
            return cls(path)
        try:
            d = json.loads(path.read_text("utf-8"))
            return cls(path, d.get("last_seen"), d.get("current"), d.get("previous"), d.get("current_version"))
        except (ValueError, OSError) as exc:
            raise LantoaError(f"{path}: unreadable mirror state ({exc}) — it records the newest version seen; "
                              "restore it from a backup rather than deleting it") from None

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"last_seen": self.last_seen, "current": self.current, "previous": self.previous,
                                   "current_version": self.current_version,
                                   "updated": dt.datetime.now(dt.timezone.utc).isoformat()}, indent=1), "utf-8")
        os.replace(tmp, self.path)

    def saw(self, version: str) -> None:
        if self.last_seen is None or version_key(version) > version_key(self.last_seen):
            self.last_seen = version


def default_state(webroot: Path) -> Path:
    webroot = Path(os.path.abspath(webroot))
    return webroot.parent / f".{webroot.name}.lantoa-state.json"


def versions_dir(webroot: Path) -> Path:
    webroot = Path(os.path.abspath(webroot))
    return webroot.parent / f".{webroot.name}.versions"


# --------------------------------------------------------------------------
# sources


class Source:
    """Where a copy comes from: its signed manifest, then its files."""

    where: str

    def manifest_bytes(self) -> tuple[bytes, str]:
        raise NotImplementedError

    def members(self) -> Iterator[tuple[str, str | None, object]]:
        """(path, problem or None, opener) for every file the source holds besides the manifest."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class DirSource(Source):
    def __init__(self, root: Path):
        self.root = Path(root)
        self.where = str(root)

    def manifest_bytes(self):
        m, s = self.root / MANIFEST, self.root / SIGNATURE
        if not m.is_file() or not s.is_file():
            raise VerifyError(self.where, [f"no {MANIFEST} and {SIGNATURE} here — not a lantoa mirror copy"])
        return m.read_bytes(), s.read_text("utf-8", errors="replace")

    def members(self):
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for name in sorted(filenames):
                p = Path(dirpath) / name
                rel = p.relative_to(self.root).as_posix()
                if rel in (MANIFEST, SIGNATURE):
                    continue
                bad = None if (p.is_file() and not p.is_symlink()) else "not a regular file"
                yield rel, bad, (lambda p=p: open(p, "rb"))
            for d in dirnames:
                if (Path(dirpath) / d).is_symlink():
                    rel = (Path(dirpath) / d).relative_to(self.root).as_posix()
                    yield rel, "a symbolic link to a folder", None


class TarSource(Source):
    def __init__(self, path: Path, where: str | None = None):
        self.where = where or str(path)
        try:
            self.tar = tarfile.open(path, "r:gz")
            self.infos = self.tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise VerifyError(self.where, [f"not a readable .tar.gz bundle ({exc})"]) from None

    def _read(self, name: str) -> bytes | None:
        for info in self.infos:
            if info.name == name and info.isreg():
                return self.tar.extractfile(info).read()
        return None

    def manifest_bytes(self):
        m, s = self._read(MANIFEST), self._read(SIGNATURE)
        if m is None or s is None:
            raise VerifyError(self.where, [f"no {MANIFEST} and {SIGNATURE} in the bundle — not a lantoa bundle"])
        return m, s.decode("utf-8", errors="replace")

    def members(self):
        seen = set()
        for info in self.infos:
            if info.name in (MANIFEST, SIGNATURE):
                continue
            if info.isdir():
                continue
            if not _safe_path(info.name):
                yield info.name, "an unsafe path (absolute, '..' or not normalized)", None
                continue
            if info.name in seen:
                yield info.name, "stored twice in the bundle", None
                continue
            seen.add(info.name)
            if not info.isreg():
                yield info.name, "not a regular file (link or device)", None
                continue
            yield info.name, None, (lambda info=info: self.tar.extractfile(info))

    def close(self):
        self.tar.close()


def _http_get(url: str):
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise LantoaError(f"{url}: only http:// and https:// sources can be downloaded")
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "lantoa-mirror"}),
                                      timeout=HTTP_TIMEOUT)
    except urllib.error.HTTPError as exc:
        raise LantoaError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise LantoaError(f"{url}: cannot download ({getattr(exc, 'reason', exc)}) — check the address and "
                          "the network") from None


class HttpTreeSource(Source):
    """A served copy: <base>/manifest.json, <base>/manifest.json.minisig, <base>/<path> for each file."""

    def __init__(self, base: str):
        self.base = base if base.endswith("/") else base + "/"
        self.where = self.base

    def url(self, path: str) -> str:
        return self.base + urllib.parse.quote(path, safe="/-._~")

    def manifest_bytes(self):
        with _http_get(self.url(MANIFEST)) as r:
            m = r.read(64 * 1024 * 1024)
        with _http_get(self.url(SIGNATURE)) as r:
            s = r.read(64 * 1024).decode("utf-8", errors="replace")
        return m, s

    def open(self, path: str):
        return _http_get(self.url(path))


def open_source(spec: str, tmp_dir: Path | None = None) -> Source:
    if spec.startswith(("http://", "https://")):
        if spec.split("?", 1)[0].endswith((".tar.gz", ".tgz")):
            tmp_dir = tmp_dir or Path(tempfile.gettempdir())
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".download-", suffix=".tar.gz", dir=tmp_dir)
            with os.fdopen(fd, "wb") as out, _http_get(spec) as r:
                shutil.copyfileobj(r, out, CHUNK)
            src = TarSource(Path(name), where=spec)
            src.downloaded = Path(name)  # type: ignore[attr-defined]
            return src
        return HttpTreeSource(spec)
    p = Path(spec)
    if p.is_dir():
        return DirSource(p)
    if p.is_file():
        return TarSource(p)
    raise LantoaError(f"{spec}: no such bundle or folder")


# --------------------------------------------------------------------------
# verification


@dataclass
class Checked:
    manifest: Manifest
    trusted_comment: str
    problems: list[str] = field(default_factory=list)


def check_manifest(source: Source, pubkey: PublicKey, state: State, now: dt.datetime | None = None,
                   installed: str | None = None) -> Checked:
    """Signature, then expiry and rollback. Raises VerifyError: nothing in an unsigned copy is trusted."""
    body, sig = source.manifest_bytes()
    try:
        trusted = pubkey.verify(body, sig, f"{MANIFEST}.minisig")
    except SignatureError as exc:
        raise VerifyError(source.where, [exc.format_message()]) from None
    manifest = Manifest.from_bytes(body, MANIFEST)
    problems = []
    now = now or dt.datetime.now(dt.timezone.utc)
    try:
        expires = parse_time(manifest.expires)
    except ValueError:
        expires = None
    if expires is None or now > expires:
        problems.append(f"the manifest expired on {manifest.expires} (version {manifest.version}) — this copy is "
                        "stale: pull a fresh bundle from the origin")
    if state.last_seen and version_key(manifest.version) < version_key(state.last_seen) \
            and manifest.version != installed:
        problems.append(f"rollback: version {manifest.version} is older than {state.last_seen}, the newest version "
                        f"this mirror has seen ({state.path}) — an old bundle was replayed; get the current one")
    return Checked(manifest, trusted, problems)


def _hash_stream(f, size_limit: int) -> tuple[str, int, bool]:
    h = hashlib.sha256()
    n = 0
    while chunk := f.read(CHUNK):
        n += len(chunk)
        if n > size_limit:
            return "", n, True
        h.update(chunk)
    return h.hexdigest(), n, False


def _each_member(source: Source, manifest: Manifest, take) -> list[str]:
    """take(path, opener, (sha256, size)) -> problem or None for every file the source holds; plus the
    source's own problems (unsafe or special members), extra files and missing files."""
    problems = []
    seen = set()
    for path, bad, opener in source.members():
        if bad:
            problems.append(f"{path}: {bad}")
            continue
        want = manifest.files.get(path)
        if want is None:
            problems.append(f"{path}: extra file, not in the signed manifest")
            continue
        seen.add(path)
        bad = take(path, opener, want)
        if bad:
            problems.append(f"{path}: {bad}")
    return problems + [f"{p}: missing" for p in sorted(set(manifest.files) - seen)]


def check_files(source: Source, manifest: Manifest) -> list[str]:
    def check(path, opener, want):
        with opener() as f:
            digest, size, too_big = _hash_stream(f, want[1])
        if too_big or size != want[1] or digest != want[0]:
            return "modified (sha256 or size differs from the signed manifest)"
        return None

    return _each_member(source, manifest, check)


def verify(spec: str, pubkey: str, state_path: Path | None = None, now: dt.datetime | None = None) -> Manifest:
    """``lantoa mirror verify``: a folder (webroot) or a bundle. Raises VerifyError listing every problem."""
    key = PublicKey.load(pubkey)
    if spec.startswith(("http://", "https://")):
        raise LantoaError("mirror verify checks a local folder or bundle; to fetch and check: lantoa mirror pull")
    source = open_source(spec)
    is_dir = isinstance(source, DirSource)
    if state_path is None and is_dir:
        state_path = default_state(Path(spec))
    state = State.load(state_path)
    try:
        checked = check_manifest(source, key, state, now, installed=state.current_version if is_dir else None)
        problems = checked.problems + check_files(source, checked.manifest)
    finally:
        source.close()
    if problems:
        raise VerifyError(spec, problems)
    state.saw(checked.manifest.version)
    state.save()
    return checked.manifest


# --------------------------------------------------------------------------
# pull and revert


def _link_target(webroot: Path) -> Path | None:
    if webroot.is_symlink():
        return (webroot.parent / os.readlink(webroot)).resolve()
    return None


def _swap_link(webroot: Path, target: Path) -> None:
    """Point webroot at target in one atomic rename (a relative link, so the tree can move)."""
    rel = os.path.relpath(target, webroot.parent)
    tmp = webroot.with_name(f".{webroot.name}.link-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(rel, tmp)
    os.replace(tmp, webroot)


def _install_file(dest: Path, reader, want: tuple[str, int]) -> str | None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    n = 0
    with open(dest, "wb") as out:
        while chunk := reader.read(CHUNK):
            n += len(chunk)
            if n > want[1]:
                return "modified (larger than the signed manifest says)"
            h.update(chunk)
            out.write(chunk)
    if n != want[1] or h.hexdigest() != want[0]:
        return "modified (sha256 or size differs from the signed manifest)"
    return None


def pull(spec: str, webroot: Path, pubkey: str, state_path: Path | None = None,
         now: dt.datetime | None = None) -> tuple[str, str]:
    """Fetch, verify, stage, swap. Returns (version, what happened)."""
    key = PublicKey.load(pubkey)
    webroot = Path(os.path.abspath(webroot))
    if webroot.exists() and not webroot.is_symlink() and not webroot.is_dir():
        raise LantoaError(f"{webroot}: exists and is not a folder")
    state = State.load(state_path or default_state(webroot))
    vdir = versions_dir(webroot)
    vdir.mkdir(parents=True, exist_ok=True)
    source = open_source(spec, tmp_dir=vdir)
    staging = None
    try:
        checked = check_manifest(source, key, state, now)
        if checked.problems:
            raise VerifyError(source.where, checked.problems)
        manifest = checked.manifest
        current = _link_target(webroot)
        staging = Path(tempfile.mkdtemp(prefix=f".incoming-{manifest.version}-", dir=vdir))
        problems = _stage(source, manifest, staging, current)
        if problems:
            raise VerifyError(source.where, problems)
        body, sig = source.manifest_bytes()
        if current is not None and current.is_dir() and (current / MANIFEST).is_file() \
                and (current / MANIFEST).read_bytes() == body and not check_files(DirSource(current), manifest):
            return manifest.version, "already installed"
        (staging / MANIFEST).write_bytes(body)
        (staging / SIGNATURE).write_text(sig, "utf-8")
        name, n = manifest.version, 1
        while (vdir / name).exists() and current is not None and (vdir / name).resolve() == current:
            name, n = f"{manifest.version}-{n}", n + 1  # the live copy is damaged: install beside it
        final = vdir / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
        staging = None
        if webroot.exists() and not webroot.is_symlink():
            # the first pull over a plain folder: keep it as the previous copy
            legacy = vdir / f"pre-lantoa-{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"
            os.replace(webroot, legacy)
            current = legacy
        _swap_link(webroot, final)
        state.previous = current.name if current else None
        state.current, state.current_version = name, manifest.version
        state.saw(manifest.version)
        state.save()
        _prune(vdir, keep={name, state.previous})
        return manifest.version, "installed"
    finally:
        source.close()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        downloaded = getattr(source, "downloaded", None)
        if downloaded is not None:
            Path(downloaded).unlink(missing_ok=True)


def _stage(source: Source, manifest: Manifest, staging: Path, current: Path | None) -> list[str]:
    problems: list[str] = []
    if isinstance(source, HttpTreeSource):
        for path in sorted(manifest.files):
            if not _safe_path(path):
                problems.append(f"{path}: an unsafe path in the manifest")
                continue
            want = manifest.files[path]
            old = current / path if current else None
            if old is not None and old.is_file() and not old.is_symlink() and old.stat().st_size == want[1]:
                with open(old, "rb") as f:
                    if _hash_stream(f, want[1])[0] == want[0]:
                        (staging / path).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(old, staging / path)
                        continue
            try:
                with source.open(path) as r:
                    bad = _install_file(staging / path, r, want)
            except LantoaError as exc:
                bad = exc.format_message()
            if bad:
                problems.append(f"{path}: {bad}")
        return problems

    def install(path, opener, want):
        with opener() as r:
            return _install_file(staging / path, r, want)

    return _each_member(source, manifest, install)


def _prune(vdir: Path, keep: set) -> None:
    for p in vdir.iterdir():
        if p.is_dir() and not p.is_symlink() and p.name not in keep and not p.name.startswith(".incoming-"):
            shutil.rmtree(p, ignore_errors=True)


def revert(webroot: Path, state_path: Path | None = None) -> tuple[str, str]:
    """Point the webroot back at the previous copy (and the previous copy's successor becomes 'previous')."""
    webroot = Path(os.path.abspath(webroot))
    state = State.load(state_path or default_state(webroot))
    vdir = versions_dir(webroot)
    if not state.previous or not (vdir / state.previous).is_dir():
        raise LantoaError(f"{webroot}: no previous copy to go back to (state: {state.path})")
    target = vdir / state.previous
    try:
        version = Manifest.from_bytes((target / MANIFEST).read_bytes(), str(target / MANIFEST)).version
    except OSError:
        version = None  # the folder that was there before the first pull
    _swap_link(webroot, target)
    state.current, state.previous = state.previous, state.current
    state.current_version = version
    state.save()
    return state.current, state.previous or ""
