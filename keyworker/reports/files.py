"""Saving a file the user asked to keep (a report's CSV or PDF, a letter, a care plan). A saved
file is plaintext health data outside the encrypted database, so every save in the core, the
CLI and the UI goes through `write_private`:

- owner-only (0600) from its first byte;
- written to a new file created exclusively (O_EXCL, and O_NOFOLLOW where the system has it)
  beside the target, then renamed into place. A symlink at the chosen name is replaced by the
  saved file, never followed: whatever it pointed to is left untouched. A reader never sees a
  half-written file, and a failed save leaves the previous file as it was."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from keyworker.errors import StorageError
from keyworker.security.vault import fsync_dir

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def write_private(path: Path | str, content: bytes) -> Path:
    """Write `content` to `path`, readable and writable by its owner only; an existing file (or
    symlink) at `path` is replaced. Raises StorageError with one line for a person."""
    target = Path(path)
    if target.is_dir() and not target.is_symlink():
        raise StorageError(f"{target} is a folder: give a file name")
    if not target.parent.is_dir():
        raise StorageError(f"the folder {target.parent} does not exist")
    part, fd = _create_part(target)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # whatever the umask
            with os.fdopen(fd, "wb") as f:
                fd = -1
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(part, target)
        except OSError as e:
            raise StorageError(f"could not save {target.name}: {e.strerror or e}") from e
    except BaseException:
        if fd != -1:
            os.close(fd)
        part.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return target


def _create_part(target: Path) -> tuple[Path, int]:
    """A new, empty, owner-only file beside `target` that nobody else could have prepared."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    for _attempt in range(5):
        part = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        try:
            return part, os.open(part, flags, 0o600)
        except FileExistsError:
            continue  # a name already taken (by anything, a symlink included): draw another
        except OSError as e:
            raise StorageError(f"could not save {target.name}: {e.strerror or e}") from e
    raise StorageError(f"could not save {target.name}: no free temporary name in {target.parent}")
