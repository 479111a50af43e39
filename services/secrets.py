"""Keys for hashing SSNs and signing tokens.

They come from settings. When a setting is empty (the zero set-up default), a random key is
generated once into the var/ folder with owner-only permissions and reused from then on, so no
key is ever written into the repository.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path


def load_or_create_key(configured: str | None, var_dir: Path, name: str) -> bytes:
    if configured:
        return configured.encode()
    path = Path(var_dir) / "secrets" / f"{name}.key"
    if path.exists():
        return base64.b64decode(path.read_bytes().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = secrets.token_bytes(32)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.b64decode(path.read_bytes().strip())
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key))
    return key


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 hex digest: matches equal values without keeping them."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
