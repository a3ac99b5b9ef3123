"""``lantoa bundle``: the built site as a signed, deterministic archive for mirrors and kiosks."""

from __future__ import annotations

from pathlib import Path

from .keygen import DEFAULT_SECRET


def site_name(root: Path) -> str:
    """The bundle's site name: mkdocs.yml's site_name made into a file name ('Lan Tỏa' -> 'lan-toa')."""
    from ..site import config as site_config
    from .new import slugify

    raw, _ = site_config.read_raw(root)
    return slugify(str(raw.get("site_name") or "")) or "site"


def run(ctx, site: Path | None, key: Path | None, out: Path | None, name: str | None, expires: float) -> None:
    from ..publish import bundle, minisign

    sk = minisign.SecretKey.load(key or DEFAULT_SECRET)
    path, manifest = bundle.make_bundle(site or ctx.root / "build" / "site", sk, out or ctx.root / "build" / "dist",
                                        name or site_name(ctx.root), expires_days=expires)
    size = path.stat().st_size
    ctx.echo(f"bundled {len(manifest.files)} files as version {manifest.version} (expires {manifest.expires}), "
             f"signed with key {sk.public_key.id_hex} → {path} ({size / 1e6:.1f} MB)")
