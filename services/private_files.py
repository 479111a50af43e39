"""Files only the server's own user may read: the SQLite database, log files, keys, and the var/
folder that holds them. Made owner-only when they are created (whatever the umask says), so a
file is never readable by others, not even for a moment; files and folders that already exist
keep the permissions the operator gave them."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def ensure_private_dir(path: Path) -> None:
    """`path`, and the folders above it that do not exist yet, made owner-only."""
    path = Path(path)
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(folder, PRIVATE_DIR)


def ensure_private_file(path: Path) -> None:
    """`path` created empty and owner-only if it does not exist (its folder too)."""
    path = Path(path)
    ensure_private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        os.fchmod(fd, PRIVATE_FILE)  # os.open's mode is cut by the umask; this is not
        os.close(fd)


def open_private_for_append(path: Path):
    """A text file to append to, created owner-only if it is new (log files)."""
    ensure_private_file(path)
    return open(path, "a", encoding="utf-8")  # noqa: SIM115 (the caller keeps it open)
