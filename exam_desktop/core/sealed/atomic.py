"""Files written whole or not at all, and the leftovers of writers that were killed.

`write_atomically` writes a temporary file in the target's own folder (a rename is atomic only
within one filesystem), syncs it, renames it over the target and syncs the folder: a reader sees
the old file or the whole new one, never half. A kill between the first byte and the rename
leaves the temporary file behind; its name says which machine and process wrote it
(`.NAME.HOST.PID.RANDOM.tmp`), so `clean_partial_files` removes exactly the leftovers of writers
on this machine that are no longer running — never a file another seat is still writing to a
shared results folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
from pathlib import Path

_SUFFIX = ".tmp"


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname())[:40] or "host"


def temporary_name(name: str) -> str:
    return f".{name}.{_host()}.{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}"


def write_atomically(folder: Path, name: str, data: bytes, *, mode: int = 0o644) -> Path:
    """Write `folder/name` so that a reader sees the old file or the whole new one, never half.

    Temporary file in the same folder, fsync, rename, fsync of the folder.
    """
    folder = Path(folder)
    target = folder / name
    temporary = folder / temporary_name(name)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, mode)  # e.g. graders on other accounts read results folders
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_folder(folder)
    return target


def sync_folder(folder: Path) -> None:
    folder_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(folder_fd)
    finally:
        os.close(folder_fd)


def partial_files(folder: Path) -> list[Path]:
    """Temporary files in `folder` left by writers on this machine that are no longer running."""
    pattern = re.compile(rf"^\..+\.{re.escape(_host())}\.(\d+)\.[0-9a-f]{{8}}{re.escape(_SUFFIX)}$")
    found = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    for path in entries:
        match = pattern.match(path.name)
        if match and not _running(int(match.group(1))):
            found.append(path)
    return found


def clean_partial_files(*folders: Path | None) -> list[Path]:
    """Remove what killed writers on this machine left in `folders`; returns what was removed."""
    removed = []
    for folder in folders:
        if folder is None:
            continue
        for path in partial_files(folder):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True  # this process: its own writes are in progress or already cleaned up
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
