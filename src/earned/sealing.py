"""Sealing: what DBOS must keep exactly (run inputs, step results) is stored encrypted.

Redaction cannot apply to DBOS's checkpoints: a recovered run needs the exact values. So
earned encrypts them at rest with AES-256-GCM under a data key:

- `EARNED_DATA_KEY`: 32 bytes, URL-safe base64 (`earned keys` prints a new one). Every
  process that shares a database (workers, the CLI) needs the same key.
- otherwise `EARNED_DATA_KEY_FILE`, or a key file created on first use: beside a SQLite
  database (`.earned/data.key`, mode 0600), or in `./.earned/` for PostgreSQL.

A value sealed with another key cannot be read: the error says which key to set.
"""

from __future__ import annotations

import base64
import os
import pickle
from pathlib import Path
from typing import Any

from earned.errors import ConfigError

__all__ = ["Sealer", "generate_key", "key_file_for", "load_data_key"]

_KEY_BYTES = 32
_NONCE_BYTES = 12
_PREFIX = "s1:"


def generate_key() -> str:
    """A new random data key, URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(_KEY_BYTES)).decode()


def _decode(text: str, source: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        raise ConfigError(
            f"the data key from {source} is not 32 bytes of URL-safe base64; generate one "
            "with `earned keys`",
            source=source,
        )
    return key


def key_file_for(database_url: str) -> Path:
    """Where the key file lives when no key is configured."""
    if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:///:"):
        return Path(database_url.removeprefix("sqlite:///")).expanduser().parent / "data.key"
    return Path(".earned") / "data.key"


def load_data_key(database_url: str, env: dict[str, str] | None = None) -> bytes:
    """The data key: the environment, else the key file (created on first use)."""
    source = os.environ if env is None else env
    if source.get("EARNED_DATA_KEY"):
        return _decode(source["EARNED_DATA_KEY"], "EARNED_DATA_KEY")
    path = Path(source.get("EARNED_DATA_KEY_FILE") or key_file_for(database_url))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(generate_key() + "\n")
    return _decode(path.read_text(), str(path))


class Sealer:
    """Seal and unseal Python values (pickle, then AES-256-GCM with a random nonce)."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def seal(self, value: Any) -> str:
        """The value as `s1:` and base64 of nonce and ciphertext."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, pickle.dumps(value), None)
        return _PREFIX + base64.b64encode(nonce + sealed).decode()

    def unseal(self, text: str) -> Any:
        """The value back; ConfigError when it was sealed under another key."""
        from cryptography.exceptions import InvalidTag

        raw = base64.b64decode(text.removeprefix(_PREFIX))
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except InvalidTag:
            raise ConfigError(
                "a stored run payload was sealed under another data key; set the same "
                "EARNED_DATA_KEY in every process that shares this database",
            ) from None
        return pickle.loads(plain)  # our own payload, authenticated by GCM
