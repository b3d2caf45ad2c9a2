"""Saving a report the user asked to keep. A saved CSV or PDF is plaintext health data outside the
encrypted database, so it is written owner-only (0600) from its first byte."""

from __future__ import annotations

import os
from pathlib import Path

from keyworker.errors import StorageError


def write_private(path: Path | str, content: bytes) -> Path:
    """Write `content` to `path`, readable and writable by its owner only; an existing file is
    replaced and tightened to 0600 too. Raises StorageError with one line for a person."""
    target = Path(path)
    if target.is_dir():
        raise StorageError(f"{target} is a folder: give a file name")
    if not target.parent.exists():
        raise StorageError(f"the folder {target.parent} does not exist")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as e:
        raise StorageError(f"could not save {target.name}: {e.strerror}") from e
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its old mode on open
        with os.fdopen(fd, "wb") as f:
            fd = -1
            f.write(content)
    except OSError as e:
        raise StorageError(f"could not save {target.name}: {e.strerror}") from e
    finally:
        if fd != -1:
            os.close(fd)
    return target
