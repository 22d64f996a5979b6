"""The audit signing key: Ed25519, kept in a file outside the database.

The public key is shown as ``ed25519:<base64 of its 32 raw bytes>`` and its
fingerprint is the SHA-256 of those 32 bytes in hex. What a checkpoint signs is
``checkpoint_message``; what a bundle's manifest signs is its digest (see
docs/audit-bundle.md).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "ed25519:"


class BadKey(ValueError):
    """A key file or key text that is not an Ed25519 key."""


def generate_key_file(path: Path) -> Ed25519PrivateKey:
    """Write a new private key (PEM, PKCS#8) readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.touch(mode=0o600, exist_ok=False)
    path.write_bytes(pem)
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise BadKey(f"{path}: not a readable Ed25519 private key ({error})") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey(f"{path}: not an Ed25519 private key")
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + base64.b64encode(raw).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """``ed25519:<base64>`` as /audit/checkpoints shows it."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise BadKey(f"a public key reads {PREFIX}<base64>")
    try:
        raw = base64.b64decode(text[len(PREFIX) :], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise BadKey(f"not an Ed25519 public key: {error}") from error


def fingerprint(key_text: str) -> str:
    """SHA-256 (hex) of the raw public key bytes."""
    raw = base64.b64decode(key_text[len(PREFIX) :])
    return hashlib.sha256(raw).hexdigest()


def checkpoint_message(log: str, position: int, chain_hash: str, signed_at: str) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return f"opsledger-checkpoint-v1|{log}|{position}|{chain_hash}|{signed_at}".encode()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def signature_holds(key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class Signer:
    """The private key, with its public key as text and fingerprint."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key
        self.public_key = public_key_text(key.public_key())
        self.fingerprint = fingerprint(self.public_key)

    @classmethod
    def from_file(cls, path: Path) -> Signer:
        return cls(load_private_key(path))

    def sign(self, message: bytes) -> str:
        return sign(self.key, message)
