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


VOLATILE_MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
tmpfs /run/exam tmpfs rw,nosuid 0 0
none /mnt/ram ramfs rw 0 0
tmpfs /upper tmpfs rw 0 0
overlay /srv/seat overlay rw,lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work 0 0
overlay /srv/disk overlay rw,lowerdir=/lower,upperdir=/var/upper,workdir=/var/work 0 0
gvfsd-fuse /run/user/1000/gvfs fuse.gvfsd-fuse rw 0 0
/dev/sdc1 /media/stick fuseblk rw 0 0
"""


@pytest.mark.parametrize(
    ("folder", "words"),
    [
        ("/run/exam/data", "in memory only (tmpfs at /run/exam)"),
        ("/mnt/ram/data", "in memory only (ramfs at /mnt/ram)"),
        ("/srv/seat/answers", "in memory only (overlay on tmpfs at /srv/seat)"),
        ("/run/user/1000/gvfs/smb/exams", "network drive (fuse.gvfsd-fuse"),
    ],
)
def test_volatile_and_user_space_folders_are_refused(tmp_path, folder, words):
    mounts = tmp_path / "mounts"
    mounts.write_text(VOLATILE_MOUNTS)
    check = check_local_disk(Path(folder), mounts)
    assert not check.ok and words in check.message and folder in check.message


@pytest.mark.parametrize("folder", ["/srv/disk/answers", "/media/stick/answers", "/home/exam"])
def test_disks_behind_an_overlay_or_fuseblk_are_local(tmp_path, folder):
    mounts = tmp_path / "mounts"
    mounts.write_text(VOLATILE_MOUNTS)
    assert check_local_disk(Path(folder), mounts).ok


def test_a_real_tmpfs_is_refused_by_the_preflight(tmp_path):
    import subprocess

    point = tmp_path / "ram"
    point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here (needs root with mount rights): {mounted.stderr.decode().strip()}"
        )
    try:
        with pytest.raises(PreflightFailed, match=r"in memory only \(tmpfs at ") as caught:
            run_preflight(point / "exam-data", needed_bytes=1024)
        assert str(point / "exam-data") in str(caught.value)
        assert not (point / "exam-data").exists()  # no test file was written to it
    finally:
        subprocess.run(["umount", str(point)], check=True)
