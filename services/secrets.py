"""Keys for hashing SSNs and signing tokens.

They come from settings. When a setting is empty (the zero set-up default), a random key is
generated once into the var/ folder with owner-only permissions and reused from then on, so no
key is ever written into the repository.

Several processes may start at once on a fresh var/ (workers, the scheduler, a CLI command):
each writes its candidate key whole into a temporary file of its own, then links it to the key's
name. A link never replaces an existing file, so the first process to link wins, and every other
one reads that complete key: none can read an empty or half-written file, and no process keeps a
key that another has overwritten (os.replace would let a later process swap the key under an
earlier one that already uses it).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from services.private_files import ensure_private_dir

KEY_BYTES = 32


class BadKeyFile(RuntimeError):
    """A key file that does not hold a whole key: refuse to run on it rather than on a weak
    key."""


def load_or_create_key(configured: str | None, var_dir: Path, name: str) -> bytes:
    if configured:
        return configured.encode()
    path = Path(var_dir) / "secrets" / f"{name}.key"
    if not path.exists():
        ensure_private_dir(path.parent)
        _create_once(path)
    return _read_key(path)


def _create_once(path: Path) -> None:
    encoded = base64.b64encode(secrets.token_bytes(KEY_BYTES))
    # mkstemp makes the file 0600 whatever the umask.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encoded)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process's key is there: use it
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _read_key(path: Path) -> bytes:
    try:
        key = base64.b64decode(path.read_bytes().strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise BadKeyFile(f"{path} does not hold a {KEY_BYTES}-byte key: restore it from a "
                         "backup, or set the key in the settings")
    return key


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 hex digest: matches equal values without keeping them."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
