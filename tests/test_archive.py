"""Hostile zip archives are refused quickly, with a reason, in bounded memory, off the disk."""

from __future__ import annotations

import io
import stat
import struct
import time
import tracemalloc
import warnings
import zipfile

import pytest

from exam_desktop.core.sealed.archive import ArchiveLimits, ArchiveRejected, read_archive, write_archive

ALLOWED = ("manifest.json", "answers.json")


def zip_of(*entries: tuple[zipfile.ZipInfo | str, bytes], deflate: bool = False) -> bytes:
    out = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names; we want them
        with zipfile.ZipFile(out, "w", compression=method) as archive:
            for info, data in entries:
                archive.writestr(info, data)
    return out.getvalue()


def rejected(data: bytes, **kwargs) -> str:
    with pytest.raises(ArchiveRejected) as caught:
        read_archive(data, ALLOWED, **kwargs)
    assert str(caught.value).startswith("malformed archive: ")
    return caught.value.reason


def test_canonical_archive_round_trips():
    members = {"manifest.json": b'{"a":1}', "answers.json": b"{}"}
    data = write_archive(members)
    assert write_archive(members) == data  # deterministic: same content, same bytes
    assert read_archive(data, ALLOWED, required=ALLOWED, canonical=True) == members


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../manifest.json", "path traversal"),
        ("answers/../../etc/cron.d/x", "path traversal"),
        ("/etc/passwd", "absolute name"),
        ("C:/Windows/evil.json", "absolute name"),
        ("..\\manifest.json", "backslash"),
        ("notes.txt", "unexpected member"),
    ],
)
def test_unsafe_or_unexpected_names_are_refused(name, reason):
    assert reason in rejected(zip_of((name, b"x")))


def test_symlink_member_is_refused():
    link = zipfile.ZipInfo("manifest.json")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    assert "symbolic link" in rejected(zip_of((link, b"/etc/passwd")))


def test_duplicate_names_are_refused():
    data = zip_of(("manifest.json", b"{}"), ("manifest.json", b'{"evil":1}'))
    assert "duplicate member" in rejected(data)


def test_folder_entries_are_refused():
    assert "not a plain file" in rejected(zip_of(("manifest.json/", b"")))


def test_missing_member_is_reported():
    assert "missing answers.json" in rejected(zip_of(("manifest.json", b"{}")), required=ALLOWED)


def test_zip_bomb_is_refused_before_decompressing():
    bomb = zip_of(("manifest.json", b"\0" * (20 * 1024 * 1024)), deflate=True)
    assert len(bomb) < 100_000
    tracemalloc.start()
    reason = rejected(bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "compressed suspiciously well" in reason
    assert peak < 2 * len(bomb) + 1024 * 1024


def test_oversized_member_is_refused_by_its_declared_size():
    limits = ArchiveLimits(max_member_bytes=1000)
    assert "too large" in rejected(zip_of(("manifest.json", b"x" * 2000)), limits=limits)


def test_member_larger_than_declared_is_caught():
    # Declare 10 bytes in the central directory while 1 MB of zeros is stored compressed.
    honest = zip_of(("manifest.json", b"\0" * 1_000_000), deflate=True)
    end = honest.rfind(b"PK\x01\x02")
    lied = bytearray(honest)
    struct.pack_into("<L", lied, end + 24, 10)  # uncompressed size in the central entry
    tracemalloc.start()
    reason = rejected(bytes(lied), limits=ArchiveLimits(max_ratio=10**9))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert reason  # CRC or size mismatch, never the whole megabyte
    assert peak < 512 * 1024


@pytest.fixture(scope="module")
def hundred_thousand_members() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(100_000):
            archive.writestr(f"m{index}", b"")
    return out.getvalue()


def test_hundred_thousand_members_refused_quickly(hundred_thousand_members):
    tracemalloc.start()
    started = time.perf_counter()
    reason = rejected(hundred_thousand_members)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "too many members (100000" in reason
    assert elapsed < 0.5
    assert peak < 1024 * 1024  # the directory was never parsed


def test_member_count_that_lies_is_caught_by_the_directory_size():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(60_000):  # under the zip64 threshold: one plain end record
            archive.writestr(f"m{index}", b"")
    data = bytearray(out.getvalue())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 2, 2)  # claim 2 entries
    started = time.perf_counter()
    assert "central directory" in rejected(bytes(data))
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "no end record"),
        (b"not a zip at all" * 10, "no end record"),
        (write_archive({"manifest.json": b"{}"}) + b"junk", "trailing data"),
    ],
)
def test_not_a_zip(data, reason):
    assert reason in rejected(data)


def test_canonical_form_is_enforced_when_asked():
    members = {"manifest.json": b'{"a":1}' * 100}
    recompressed = zip_of(("manifest.json", members["manifest.json"]), deflate=True)
    assert read_archive(recompressed, ALLOWED) == members  # same content, other bytes
    assert "not in the form exam-desktop writes" in rejected(recompressed, canonical=True)


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ArchiveRejected):
        read_archive(zip_of(("../escape.json", b"x"), ("manifest.json", b"{}")), ALLOWED)
    read_archive(zip_of(("manifest.json", b"{}")), ALLOWED)
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "escape.json").exists()
