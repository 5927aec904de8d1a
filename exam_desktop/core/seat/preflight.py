"""Checks a lab machine passes before an exam starts: the answer file can live here, the clock is sane.

Each check returns a `Check` with a sentence for the person in front of the screen; `run_preflight`
runs them all and raises `PreflightFailed` listing every failure, so an invigilator fixes everything
in one go. The answer database uses SQLite's WAL mode, which does not work on network filesystems,
so the data folder must be on a local disk — and on a disk: a memory-only filesystem (tmpfs,
ramfs, or an overlay whose writable layer is one) loses every answer at the restart that resume
is meant to survive. Both are told apart by the filesystem type in /proc/mounts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from exam_desktop.core.errors import KnownError

MIN_FREE_BYTES = 200 * 1024 * 1024  # answers, journal, local bundle copies and figure cache
EARLIEST_SANE_TIME = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "davfs",
        "fuse.sshfs",
        "fuse.davfs2",
        "fuse.rclone",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.glusterfs",
        "fuse.cephfs",
        "fuse.smbnetfs",
        "sshfs",
    }
)


VOLATILE_FILESYSTEMS = frozenset({"tmpfs", "ramfs", "devtmpfs", "hugetlbfs"})
LAYERED_FILESYSTEMS = frozenset({"overlay", "overlayfs", "aufs"})


class PreflightFailed(KnownError):
    """One or more checks failed; the message lists each with what to do."""

    def __init__(self, failures: list[Check]):
        self.failures = list(failures)
        lines = "\n".join(f"- {c.message}" for c in self.failures)
        super().__init__(f"This machine is not ready for the exam:\n{lines}")


@dataclass(frozen=True)
class Check:
    name: str  # "local-disk" | "free-space" | "test-write" | "clock" | "results-folder"
    ok: bool
    message: str
    facts: dict[str, str] = field(default_factory=dict)  # what a screen needs to say it in words


def mount_of(path: Path, mounts_file: Path = Path("/proc/mounts")) -> tuple[str, str] | None:
    """(mount point, filesystem type) of the mount holding `path`, or None if unknown."""
    entry = mount_entry(path, mounts_file)
    return None if entry is None else (entry[0], entry[1])


def mount_entry(path: Path, mounts_file: Path = Path("/proc/mounts")) -> tuple[str, str, str] | None:
    """(mount point, filesystem type, options) of the mount holding `path`, or None if unknown."""
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(Path(path).resolve())
    best: tuple[str, str, str] | None = None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = _unescape_mount(parts[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[0])):
            best = (point, parts[2], _unescape_mount(parts[3]) if len(parts) > 3 else "")
    return best


def storage_kind(
    path: Path, mounts_file: Path = Path("/proc/mounts"), _depth: int = 0
) -> tuple[str, str, str]:
    """("network" | "volatile" | "local", filesystem type, mount point) of the disk under `path`.

    FUSE filesystems (`fuse`, `fuse.*`) count as network: their data lives wherever the program
    behind them puts it; `fuseblk` (a local disk through FUSE, e.g. NTFS) is local. An overlay is
    as volatile as its writable (upper) layer.
    """
    entry = mount_entry(path, mounts_file)
    if entry is None:
        return "local", "unknown", ""
    point, fs, options = entry
    fs = fs.lower()
    if fs in NETWORK_FILESYSTEMS or fs == "fuse" or (fs.startswith("fuse.") and fs != "fuseblk"):
        return "network", fs, point
    if fs in VOLATILE_FILESYSTEMS:
        return "volatile", fs, point
    if fs in LAYERED_FILESYSTEMS and _depth < 4:
        upper = next((o.split("=", 1)[1] for o in options.split(",") if o.startswith("upperdir=")), "")
        if upper:
            kind, upper_fs, _ = storage_kind(Path(upper), mounts_file, _depth + 1)
            if kind != "local":
                return kind, f"{fs} on {upper_fs}", point
    return "local", fs, point


def _unescape_mount(text: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (``\\040``)."""
    for escaped, plain in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        text = text.replace(escaped, plain)
    return text


def _existing_parent(path: Path) -> Path:
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_local_disk(folder: Path, mounts_file: Path = Path("/proc/mounts")) -> Check:
    kind, fs, point = storage_kind(Path(folder), mounts_file)
    if kind == "network":
        return Check(
            "local-disk",
            False,
            f"The data folder {folder} is on a network drive ({fs} at {point}); answers "
            "must be saved on this machine's own disk. Choose a local folder with --data-dir.",
        )
    if kind == "volatile":
        return Check(
            "local-disk",
            False,
            f"The data folder {folder} is in memory only ({fs} at {point}): a restart would erase "
            "every answer, and resume after a crash needs them. Choose a folder on this machine's "
            "disk with --data-dir.",
        )
    return Check("local-disk", True, f"{folder} is on a local disk")


def check_free_space(folder: Path, needed: int = MIN_FREE_BYTES) -> Check:
    try:
        free = shutil.disk_usage(_existing_parent(folder)).free
    except OSError as exc:
        return Check("free-space", False, f"The free space in {folder} cannot be read ({exc}).")
    if free < needed:
        return Check(
            "free-space",
            False,
            f"The disk holding {folder} has only {free // 2**20} MB free; the exam needs at least "
            f"{needed // 2**20} MB. Free some space or choose another folder with --data-dir.",
        )
    return Check("free-space", True, f"{free // 2**20} MB free")


def check_test_write(folder: Path) -> Check:
    """Create the folder, write a file, fsync it and the folder, read it back, remove it."""
    probe = Path(folder) / f".preflight-{uuid.uuid4().hex}"
    payload = os.urandom(4096)
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        folder_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
        if probe.read_bytes() != payload:
            raise OSError("the file read back differs from what was written")
    except OSError as exc:
        why = exc.strerror or str(exc)
        return Check(
            "test-write",
            False,
            f"A test file cannot be written safely in {folder} ({why}). "
            "Check the disk and its permissions, or choose another folder with --data-dir.",
        )
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return Check("test-write", True, "test write and fsync work")


def check_clock(wall: Callable[[], float] = time.time, not_before: datetime | None = None) -> Check:
    """The date is plausible: after 2025 and not before the package was built."""
    now = wall()
    earliest = max(EARLIEST_SANE_TIME, not_before.timestamp() if not_before else 0.0)
    if now < earliest:
        shown = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return Check(
            "clock",
            False,
            f"This machine's clock says {shown}, which is before the exam package was built. "
            "Set the date and time (or turn on network time) and start again.",
        )
    return Check("clock", True, "the clock is plausible")


def check_results_folder(results_dir: Path, local_dir: Path) -> Check:
    """The results folder (often a USB stick) exists and takes a file; a warning, never a refusal:
    the results are always written to `local_dir` too, and can be copied from there later."""
    folder = Path(results_dir)
    facts = {"folder": str(folder), "local": str(local_dir), "reason": "missing", "error": ""}
    if not folder.is_dir():
        why = "it does not exist (is the drive connected?)"
    else:
        probe = folder / f".preflight-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"exam-desktop")
            probe.unlink()
            return Check("results-folder", True, f"results go to {folder}")
        except OSError as exc:
            why = f"nothing can be written there ({exc.strerror or exc})"
            facts.update(reason="read-only", error=str(exc.strerror or exc))
        finally:
            with contextlib.suppress(OSError):
                probe.unlink(missing_ok=True)
    return Check(
        "results-folder",
        False,
        f"The results folder {folder} cannot be used: {why}. The exam can go ahead: the results "
        f"will be saved on this machine in {local_dir}, and can be copied later with "
        "`exam-desktop export-results`.",
        facts,
    )


def run_preflight(
    data_dir: Path,
    *,
    needed_bytes: int = MIN_FREE_BYTES,
    not_before: datetime | None = None,
    wall: Callable[[], float] = time.time,
    mounts_file: Path = Path("/proc/mounts"),
) -> list[Check]:
    """Run every check; returns them all when they pass, raises PreflightFailed otherwise."""
    checks = [check_local_disk(data_dir, mounts_file)]
    if checks[0].ok:  # never write a test file to a network drive
        checks.append(check_test_write(data_dir))
    checks += [check_free_space(data_dir, needed_bytes), check_clock(wall, not_before)]
    failures = [c for c in checks if not c.ok]
    if failures:
        raise PreflightFailed(failures)
    return checks
