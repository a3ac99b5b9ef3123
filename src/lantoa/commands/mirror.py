"""``lantoa mirror verify|pull``: check a mirror against its signed manifest; install a new copy atomically."""

from __future__ import annotations

from pathlib import Path


def verify(ctx, target: str, pubkey: str, state: Path | None) -> None:
    from ..publish import mirror

    manifest = mirror.verify(target, pubkey, state)
    ctx.echo(f"{target}: OK — {manifest.site} version {manifest.version}, {len(manifest.files)} files, "
             f"signature good, expires {manifest.expires}")


def pull(ctx, source: str | None, webroot: Path, pubkey: str | None, state: Path | None, revert: bool) -> None:
    from ..errors import UsageError
    from ..publish import mirror

    if revert:
        current, newer = mirror.revert(webroot, state)
        ctx.echo(f"{webroot}: back to version {current} (version {newer} is kept as the other copy)")
        return
    if not source or not pubkey:
        raise UsageError("mirror pull needs SOURCE and --pubkey (or --revert)")
    version, what = mirror.pull(source, webroot, pubkey, state)
    ctx.echo(f"{webroot}: version {version} {what}")
