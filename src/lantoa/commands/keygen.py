"""``lantoa keygen``: an Ed25519 key pair in minisign's format for signing mirror bundles."""

from __future__ import annotations

from pathlib import Path

DEFAULT_SECRET = Path("~/.lantoa/lantoa.key")


def run(ctx, pub: Path | None, sec: Path | None, force: bool) -> None:
    from ..publish import minisign

    pub = pub or ctx.root / "lantoa.pub"
    sec = (sec or DEFAULT_SECRET).expanduser()
    sk = minisign.write_keypair(pub, sec, force=force)
    ctx.echo(f"key {sk.public_key.id_hex}: public key {pub} (give it to every mirror), secret key {sec} "
             "(mode 0600; keep it off shared disks and out of git)")
