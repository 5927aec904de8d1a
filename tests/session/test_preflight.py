"""Preflight: the answer folder must be local, writable and roomy, and the clock plausible."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from exam_desktop.core.seat.preflight import (
    PreflightFailed,
    check_clock,
    check_local_disk,
    check_test_write,
    mount_of,
    run_preflight,
)

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
server:/exports/home /home nfs4 rw,relatime 0 0
//filer/exams /mnt/exams cifs rw 0 0
me@host:/data /mnt/my\\040share fuse.sshfs rw 0 0
/dev/sdb1 /home/local ext4 rw 0 0
"""


@pytest.fixture
def mounts(tmp_path) -> Path:
    path = tmp_path / "mounts"
    path.write_text(MOUNTS)
    return path


@pytest.mark.parametrize(
    ("folder", "fs"),
    [
        ("/home/exam/.local/share/exam-desktop", "nfs4"),
        ("/mnt/exams/seat-12", "cifs"),
        ("/mnt/my share/answers", "fuse.sshfs"),
    ],
)
def test_a_network_folder_is_refused(mounts, folder, fs):
    check = check_local_disk(Path(folder), mounts)
    assert not check.ok
    assert f"network drive ({fs}" in check.message and "--data-dir" in check.message


def test_the_deepest_mount_wins(mounts):
    assert mount_of(Path("/home/local/exam"), mounts) == ("/home/local", "ext4")
    assert check_local_disk(Path("/home/local/exam"), mounts).ok


def test_this_machines_temporary_folder_passes(tmp_path):
    checks = run_preflight(tmp_path / "data", needed_bytes=1024)
    assert all(c.ok for c in checks)
    assert list((tmp_path / "data").iterdir()) == [], "the test file is removed"


def test_a_folder_that_cannot_be_written_is_refused(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    check = check_test_write(blocker / "data")
    assert not check.ok and "cannot be written" in check.message


def test_every_failure_is_listed_at_once(tmp_path):
    with pytest.raises(PreflightFailed) as failed:
        run_preflight(tmp_path, needed_bytes=2**60, wall=lambda: 0.0)
    names = [c.name for c in failed.value.failures]
    assert names == ["free-space", "clock"]
    assert "MB free" in str(failed.value) and "1970-01-01" in str(failed.value)


def test_a_clock_before_the_package_was_built_is_refused():
    built = datetime(2030, 6, 1, tzinfo=UTC)
    assert not check_clock(lambda: datetime(2030, 5, 31, tzinfo=UTC).timestamp(), built).ok
    assert check_clock(lambda: datetime(2030, 6, 2, tzinfo=UTC).timestamp(), built).ok
