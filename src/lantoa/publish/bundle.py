r"""Mirror bundles: the built site as one deterministic, signed archive.

``build/dist/<site>-<version>.tar.gz`` holds, at its top level,
``manifest.json`` (site, monotonic version, created, expires, every file
with its sha256 and size), ``manifest.json.minisig`` (an Ed25519 signature
in minisign's format) and the site's files. The archive is deterministic:
members sorted by path, every mtime the release time, uid/gid 0, no user
names, fixed modes, gzip without a name or time — the same site, version
and time give the same bytes.

An embassy or kiosk checks a copy with ``lantoa mirror verify`` or, with
stock tools only::

    tar xzf lan-toa-20261115T103000Z.tar.gz -C site
    minisign -V -p lantoa.pub -m site/manifest.json
    (cd site && jq -r '.files | to_entries[] | "\(.value.sha256)  \(.key)"' manifest.json | sha256sum -c --quiet)
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import LantoaError
from .minisign import SecretKey
from .release import new_version, scan, version_key

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.minisig"
FORMAT = "lantoa-bundle/1"
SITE_NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class Manifest:
    site: str
    version: str
    created: str
    expires: str
    files: dict[str, tuple[str, int]]  # path -> (sha256, size)

    def to_bytes(self) -> bytes:
        data = {"format": FORMAT, "site": self.site, "version": self.version, "created": self.created,
                "expires": self.expires,
                "files": {p: {"sha256": s, "size": n} for p, (s, n) in sorted(self.files.items())}}
        return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> "Manifest":
        try:
            d = json.loads(data)
            if d.get("format") != FORMAT:
                raise ValueError(f"format {d.get('format')!r}")
            version_key(d["version"])
            files = {p: (str(e["sha256"]), int(e["size"])) for p, e in d["files"].items()}
            return cls(str(d["site"]), d["version"], str(d["created"]), str(d["expires"]), files)
        except (ValueError, KeyError, TypeError, AttributeError, LantoaError) as exc:
            raise LantoaError(f"{where}: not a lantoa bundle manifest ({exc})") from None

    def trusted_comment(self) -> str:
        return f"lantoa bundle site={self.site} version={self.version} expires={self.expires}"


def bundle_name(site: str, version: str) -> str:
    return f"{site}-{version}.tar.gz"


def existing_versions(out_dir: Path, site: str) -> list[str]:
    out = []
    for p in Path(out_dir).glob(f"{site}-*.tar.gz"):
        v = p.name[len(site) + 1:-len(".tar.gz")]
        try:
            version_key(v)
        except LantoaError:
            continue
        out.append(v)
    return out


def make_bundle(site_dir: Path, key: SecretKey, out_dir: Path, site: str, expires_days: float = 30,
                now: dt.datetime | None = None, version: str | None = None) -> tuple[Path, Manifest]:
    if not SITE_NAME_RE.match(site):
        raise LantoaError(f"{site!r} is not a usable site name — use lower-case letters, digits and hyphens "
                          "(--name lantoa)")
    if expires_days <= 0:
        raise LantoaError("--expires must be a positive number of days")
    site_dir, out_dir = Path(site_dir), Path(out_dir)
    files = scan(site_dir)
    for reserved in (MANIFEST, SIGNATURE):
        if reserved in files:
            raise LantoaError(f"{site_dir / reserved}: the site root may not hold {reserved}; mirrors keep the "
                              "signed manifest there — rename the file")
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    out_dir.mkdir(parents=True, exist_ok=True)
    version = version or new_version(existing_versions(out_dir, site), now=now)
    created = now.isoformat().replace("+00:00", "Z")
    expires = (now + dt.timedelta(days=expires_days)).isoformat().replace("+00:00", "Z")
    manifest = Manifest(site, version, created, expires, {p: (f.sha256, f.size) for p, f in files.items()})
    body = manifest.to_bytes()
    sig = key.sign(body, manifest.trusted_comment(), f"lantoa bundle {site} {version}").encode("utf-8")
    mtime = int(now.timestamp())

    target = out_dir / bundle_name(site, version)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime,
                                                   compresslevel=9) as gz, \
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            def add(name: str, data_or_path, size: int):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = size, mtime, 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if isinstance(data_or_path, bytes):
                    tar.addfile(info, io.BytesIO(data_or_path))
                else:
                    with open(data_or_path, "rb") as f:
                        tar.addfile(info, f)

            add(MANIFEST, body, len(body))
            add(SIGNATURE, sig, len(sig))
            for path in sorted(files):
                add(path, files[path].abspath, files[path].size)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target, manifest
