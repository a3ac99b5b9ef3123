"""Ed25519 keys and signatures in minisign's file formats, so stock ``minisign -V`` verifies them too.

Formats (https://jedisct1.github.io/minisign/):

- public key file: ``untrusted comment: …`` then base64("Ed" + key id (8 bytes) + public key (32));
- secret key file: ``untrusted comment: …`` then base64("Ed" + KDF algorithm + "B2" + salt (32) +
  opslimit (8) + memlimit (8) + key id (8) + secret key (64: seed + public key) + checksum (32)),
  where checksum = BLAKE2b-256("Ed" + key id + secret key). We write unencrypted keys (KDF "\\0\\0",
  like ``minisign -G -W``): keep the file private (mode 0600) or in a CI secret store;
- signature file: ``untrusted comment: …``, base64("ED" + key id + Ed25519(BLAKE2b-512(file))),
  ``trusted comment: …``, base64(Ed25519(signature + trusted comment)): the trusted comment is
  signed too. Legacy "Ed" signatures (over the file itself) are verified as well.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import LantoaError

KDF_NONE = b"\x00\x00"
KDF_SCRYPT = b"Sc"


class SignatureError(LantoaError):
    pass


def key_id_hex(key_id: bytes) -> str:
    """How minisign prints a key id: the 8 bytes as a little-endian number, in upper-case hex."""
    return f"{int.from_bytes(key_id, 'little'):016X}"


@dataclass(frozen=True)
class PublicKey:
    key_id: bytes
    key: bytes  # 32 bytes

    @property
    def id_hex(self) -> str:
        return key_id_hex(self.key_id)

    def to_file(self) -> str:
        blob = base64.b64encode(b"Ed" + self.key_id + self.key).decode()
        return f"untrusted comment: minisign public key {self.id_hex}\n{blob}\n"

    @classmethod
    def parse(cls, text: str, where: str = "public key") -> "PublicKey":
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        blob_line = lines[1] if len(lines) >= 2 and lines[0].startswith("untrusted comment:") else (lines or [""])[0]
        try:
            blob = base64.b64decode(blob_line, validate=True)
        except ValueError:
            blob = b""
        if len(blob) != 42 or blob[:2] != b"Ed":
            raise SignatureError(f"{where}: not a minisign public key — pass the .pub file written by lantoa keygen "
                                 "(or its base64 line)")
        return cls(blob[2:10], blob[10:])

    @classmethod
    def load(cls, path_or_text: str) -> "PublicKey":
        p = Path(path_or_text)
        if p.is_file():
            return cls.parse(p.read_text("utf-8"), str(p))
        if len(path_or_text) == 56 and "/" not in path_or_text[:2]:
            return cls.parse(path_or_text, "the --pubkey value")
        raise SignatureError(f"{path_or_text}: no such public key file")

    def verify(self, data: bytes, sig_text: str, where: str = "signature") -> str:
        """Check a minisign signature of ``data``; return its trusted comment."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        lines = sig_text.splitlines()
        if len(lines) < 4 or not lines[0].startswith("untrusted comment:") or not lines[2].startswith(
                "trusted comment: "):
            raise SignatureError(f"{where}: not a minisign signature file")
        try:
            sig_blob = base64.b64decode(lines[1].strip(), validate=True)
            global_sig = base64.b64decode(lines[3].strip(), validate=True)
        except ValueError:
            raise SignatureError(f"{where}: the signature is not valid base64 — the file is damaged") from None
        if len(sig_blob) != 74 or sig_blob[:2] not in (b"Ed", b"ED") or len(global_sig) != 64:
            raise SignatureError(f"{where}: not a minisign signature (unknown algorithm or length)")
        alg, key_id, sig = sig_blob[:2], sig_blob[2:10], sig_blob[10:]
        if key_id != self.key_id:
            raise SignatureError(f"{where}: signed with key {key_id_hex(key_id)}, but the public key given is "
                                 f"{self.id_hex} — wrong key (or a signature by someone else)")
        pk = Ed25519PublicKey.from_public_bytes(self.key)
        message = hashlib.blake2b(data, digest_size=64).digest() if alg == b"ED" else data
        trusted = lines[2][len("trusted comment: "):]
        try:
            pk.verify(sig, message)
        except InvalidSignature:
            raise SignatureError(f"{where}: the signature does not match the signed file — it was modified "
                                 "after signing") from None
        try:
            pk.verify(global_sig, sig + trusted.encode("utf-8"))
        except InvalidSignature:
            raise SignatureError(f"{where}: the trusted comment was modified after signing") from None
        return trusted


@dataclass(frozen=True)
class SecretKey:
    key_id: bytes
    seed: bytes  # 32 bytes
    public: bytes  # 32 bytes

    @property
    def public_key(self) -> PublicKey:
        return PublicKey(self.key_id, self.public)

    def to_file(self) -> str:
        sk = self.seed + self.public
        checksum = hashlib.blake2b(b"Ed" + self.key_id + sk, digest_size=32).digest()
        blob = (b"Ed" + KDF_NONE + b"B2" + bytes(32) + bytes(8) + bytes(8) + self.key_id + sk + checksum)
        return ("untrusted comment: minisign secret key (unencrypted, written by lantoa keygen)\n"
                + base64.b64encode(blob).decode() + "\n")

    @classmethod
    def parse(cls, text: str, where: str = "secret key") -> "SecretKey":
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        try:
            blob = base64.b64decode(lines[1] if len(lines) > 1 else "", validate=True)
        except ValueError:
            blob = b""
        if len(blob) != 158 or blob[:2] != b"Ed" or blob[4:6] != b"B2":
            raise SignatureError(f"{where}: not a minisign secret key")
        if blob[2:4] == KDF_SCRYPT:
            raise SignatureError(f"{where}: the key is protected by a password; lantoa needs an unencrypted key "
                                 "(minisign -G -W, or lantoa keygen)")
        if blob[2:4] != KDF_NONE:
            raise SignatureError(f"{where}: unknown key protection {blob[2:4]!r}")
        key_id, sk, checksum = blob[54:62], blob[62:126], blob[126:158]
        # minisign -W leaves the checksum of an unencrypted key zeroed
        if checksum != bytes(32) and hashlib.blake2b(b"Ed" + key_id + sk, digest_size=32).digest() != checksum:
            raise SignatureError(f"{where}: the key's checksum does not match — the file is damaged")
        return cls(key_id, sk[:32], sk[32:])

    @classmethod
    def load(cls, path: Path) -> "SecretKey":
        path = Path(path).expanduser()
        if not path.is_file():
            raise SignatureError(f"{path}: no secret key here — create one with: lantoa keygen")
        return cls.parse(path.read_text("utf-8"), str(path))

    def sign(self, data: bytes, trusted_comment: str, untrusted_comment: str = "signature from lantoa") -> str:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if "\n" in trusted_comment or "\r" in trusted_comment:
            raise ValueError("a trusted comment is one line")
        key = Ed25519PrivateKey.from_private_bytes(self.seed)
        sig = key.sign(hashlib.blake2b(data, digest_size=64).digest())
        global_sig = key.sign(sig + trusted_comment.encode("utf-8"))
        return (f"untrusted comment: {untrusted_comment}\n"
                f"{base64.b64encode(b'ED' + self.key_id + sig).decode()}\n"
                f"trusted comment: {trusted_comment}\n"
                f"{base64.b64encode(global_sig).decode()}\n")


def generate() -> SecretKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SecretKey(os.urandom(8), seed, public)


def write_keypair(pub_path: Path, sec_path: Path, force: bool = False) -> SecretKey:
    pub_path, sec_path = Path(pub_path).expanduser(), Path(sec_path).expanduser()
    for p in (pub_path, sec_path):
        if p.exists() and not force:
            raise LantoaError(f"{p} already exists — nothing was overwritten (a new key invalidates every "
                              "signature mirrors trust; pass --force to replace it)")
    sk = generate()
    sec_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = sec_path.with_name(sec_path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(sk.to_file())
    os.replace(tmp, sec_path)
    pub_path.parent.mkdir(parents=True, exist_ok=True)
    pub_path.write_text(sk.public_key.to_file(), "utf-8")
    return sk
