"""What a release is: the site's files with their hashes, and a monotonic version.

Shared by the S3 publisher (``lantoa.publish.s3``) and the mirror bundles
(``lantoa.publish.bundle``): both describe a built site as a mapping
``path -> (sha256, size)`` plus a version that only ever grows.

A version is the UTC time of the release, ``20261115T103000Z``, with a
counter (``20261115T103000Z.2``) when the clock has not moved past the
previous version (two releases in one second, or a clock set back): versions
compare by (time, counter), never by the clock alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import LantoaError
from . import headers

VERSION_RE = re.compile(r"^(\d{8}T\d{6}Z)(?:\.([1-9]\d{0,8}))?$")
#: files above this size are sent in parts (their S3 ETag is then not the MD5 of the bytes)
MULTIPART_THRESHOLD = 64 * 1024 * 1024
PART_SIZE = 16 * 1024 * 1024


class BadVersion(LantoaError):
    pass


def version_key(version: str) -> tuple[str, int]:
    m = VERSION_RE.match(version or "")
    if not m:
        raise BadVersion(f"{version!r} is not a release version — versions look like 20261115T103000Z "
                         "(or 20261115T103000Z.2); list them with: lantoa publish --to … --dry-run")
    return m.group(1), int(m.group(2) or 0)


def new_version(after: list[str] | tuple[str, ...] = (), now: dt.datetime | None = None) -> str:
    """A version greater than every one in ``after``: the current UTC second, or a counter on the newest."""
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    known = [version_key(v) for v in after if v]
    newest = max(known, default=None)
    if newest is None or (stamp, 0) > newest:
        return stamp
    return f"{newest[0]}.{newest[1] + 1}"


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class SiteFile:
    path: str  # relative, with "/"
    abspath: Path
    size: int
    sha256: str
    etag: str  # what an S3 store reports for these bytes uploaded by us (MD5, or MD5 of part MD5s + "-N")

    @property
    def multipart(self) -> bool:
        return "-" in self.etag


def file_digests(path: Path, threshold: int = MULTIPART_THRESHOLD, part_size: int = PART_SIZE) -> tuple[int, str, str]:
    """(size, sha256, S3 ETag) of a file in one read."""
    sha = hashlib.sha256()
    whole = hashlib.md5()
    parts: list[bytes] = []
    part = hashlib.md5()
    in_part = size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            sha.update(chunk)
            whole.update(chunk)
            size += len(chunk)
            while chunk:
                take = chunk[: part_size - in_part]
                part.update(take)
                in_part += len(take)
                chunk = chunk[len(take):]
                if in_part == part_size:
                    parts.append(part.digest())
                    part, in_part = hashlib.md5(), 0
    if in_part:
        parts.append(part.digest())
    if size >= threshold and len(parts) > 1:
        etag = hashlib.md5(b"".join(parts)).hexdigest() + f"-{len(parts)}"
    else:
        etag = whole.hexdigest()
    return size, sha.hexdigest(), etag


def scan(site: Path, threshold: int = MULTIPART_THRESHOLD, part_size: int = PART_SIZE,
         exclude: frozenset[str] = frozenset()) -> dict[str, SiteFile]:
    """Every file of a built site (sorted by path), hashed; symlinks and special files are refused."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise LantoaError(f"{site}: no index.html — build the site first (lantoa build), or pass the folder "
                          "that holds the built site")
    paths: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(site):
        dirnames.sort()
        for d in dirnames:
            if (Path(dirpath) / d).is_symlink():  # os.walk would skip it silently
                rel = (Path(dirpath) / d).relative_to(site).as_posix()
                raise LantoaError(f"{rel}: a symbolic link to a folder — a published site holds plain files only")
        for name in sorted(filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(site).as_posix()
            if rel in exclude:
                continue
            if p.is_symlink() or not p.is_file():
                raise LantoaError(f"{rel}: not a regular file (a symlink?) — a published site holds plain files only")
            paths.append((rel, p))
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
        digests = list(pool.map(lambda item: file_digests(item[1], threshold, part_size), paths))
    return {rel: SiteFile(rel, p, *d) for (rel, p), d in zip(paths, digests)}


def check_types(files) -> None:
    """Every file has a Content-Type in the pinned table; all unknown ones are named at once."""
    problems = []
    for path in files:
        try:
            headers.content_type(path)
        except headers.UnknownFileType as exc:
            problems.append(exc.format_message())
    if problems:
        raise headers.UnknownFileType("\n  ".join(["files with no known Content-Type:"] + problems))
