"""Safe reading (and canonical writing) of zip archives that come from elsewhere.

Result bundles arrive on USB sticks and shared folders, so every archive is treated as hostile:
it is read from memory member by member — never extracted to disk — and refused unless each name
is on an allow-list, each member is a plain file (no links, folders or encryption), and the number
of members, their sizes and their compression ratio stay under caps checked *before* anything is
decompressed. The member count and the central directory size are checked from the end record
before Python's zipfile even parses the directory, so 100 000 tiny members cost nothing.

`write_archive` writes the one canonical form (stored members, fixed times and attributes);
`read_archive(..., canonical=True)` refuses any other byte layout of the same content, so a bundle
has exactly one valid form and one hash.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from exam_desktop.core.errors import KnownError

_END_RECORD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_END_RECORD_SIZE = 22
_MAX_COMMENT = 65535
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CENTRAL_ENTRY_MAX = 46 + 255 + 64  # fixed part, a reasonable name, a little extra


class ArchiveRejected(KnownError):
    """The archive is malformed or hostile; the message starts with "malformed archive:"."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"malformed archive: {reason}")


@dataclass(frozen=True)
class ArchiveLimits:
    max_archive_bytes: int = 64 * 1024 * 1024
    max_members: int = 16
    max_member_bytes: int = 32 * 1024 * 1024
    max_total_bytes: int = 64 * 1024 * 1024
    max_ratio: float = 100.0  # uncompressed / compressed, for members over 4 KiB


def write_archive(members: dict[str, bytes]) -> bytes:
    """The canonical archive of `members`, in the given order: stored, fixed time, mode 0644."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.create_system = 3  # Unix, whatever platform writes it
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, data)
    return out.getvalue()


def read_archive(
    source: Path | bytes,
    allowed: Collection[str],
    *,
    limits: ArchiveLimits = ArchiveLimits(),
    required: Collection[str] = (),
    canonical: bool = False,
) -> dict[str, bytes]:
    """The members of an untrusted zip archive, by name, in archive order.

    Raises `ArchiveRejected` with the reason for anything malformed, unexpected or too large.
    With `canonical=True` the bytes must be exactly what `write_archive` makes of the members.
    """
    data = _read_source(source, limits)
    _check_end_record(data, limits)
    try:
        members = _read_members(data, allowed, limits)
    except ArchiveRejected:
        raise
    except EOFError:
        raise ArchiveRejected("a member is cut short") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, RuntimeError) as exc:
        raise ArchiveRejected(str(exc) or type(exc).__name__) from None
    except (ValueError, NotImplementedError, struct.error, KeyError, OverflowError) as exc:
        raise ArchiveRejected(str(exc) or type(exc).__name__) from None
    missing = [name for name in required if name not in members]
    if missing:
        raise ArchiveRejected(f"missing {', '.join(missing)}")
    if canonical and write_archive(members) != data:
        raise ArchiveRejected("not in the form exam-desktop writes (altered after writing)")
    return members


def _read_source(source: Path | bytes, limits: ArchiveLimits) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        data = read_regular_file(Path(source), limits.max_archive_bytes, ArchiveRejected)
    if len(data) > limits.max_archive_bytes:
        raise ArchiveRejected(f"larger than {limits.max_archive_bytes} bytes")
    return data


def read_regular_file(path: Path, max_bytes: int, error: type[Exception]) -> bytes:
    """The bytes of `path` if it is a regular file of at most `max_bytes`; `error(reason)` if not.

    Opened without following a last symbolic link and without blocking (a FIFO named like a
    bundle would wait for a writer forever); the type and size are checked on the open file,
    and never more than `max_bytes + 1` bytes are read, so a device such as /dev/zero, or a
    file that grows while it is read, cannot fill the memory.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error("no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise error("a symbolic link, not a file") from None
        raise error(f"cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error("not a regular file (a folder, device or pipe)")
        if info.st_size > max_bytes:
            raise error(f"larger than {max_bytes} bytes")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise error(f"larger than {max_bytes} bytes")
    return b"".join(chunks)


def _check_end_record(data: bytes, limits: ArchiveLimits) -> None:
    """Check counts and sizes in the end record before zipfile parses the central directory."""
    start = data.rfind(_END_RECORD, max(0, len(data) - _END_RECORD_SIZE - _MAX_COMMENT))
    if start < 0 or len(data) - start < _END_RECORD_SIZE:
        raise ArchiveRejected("not a zip file (no end record)")
    (_, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, comment_length) = struct.unpack(
        "<4s4H2LH", data[start : start + _END_RECORD_SIZE]
    )
    if start + _END_RECORD_SIZE + comment_length != len(data):
        raise ArchiveRejected("trailing data after the end record")
    if start >= 20 and data[start - 20 : start - 16] == _ZIP64_LOCATOR:
        entries = max(entries, _zip64_entries(data, start - 20))
        if entries > limits.max_members:
            raise ArchiveRejected(f"too many members ({entries}, at most {limits.max_members})")
        raise ArchiveRejected("zip64 archives are not accepted")
    if disk != 0 or cd_disk != 0 or disk_entries != entries:
        raise ArchiveRejected("multi-part archives are not accepted")
    if entries > limits.max_members:
        raise ArchiveRejected(f"too many members ({entries}, at most {limits.max_members})")
    if cd_size > max(entries, 1) * _CENTRAL_ENTRY_MAX or cd_offset + cd_size > start:
        raise ArchiveRejected("central directory out of bounds")


def _zip64_entries(data: bytes, locator: int) -> int:
    """The member count of a zip64 end record (0 if it cannot be read), for the message."""
    (offset,) = struct.unpack_from("<Q", data, locator + 8)
    if offset + 56 > locator or data[offset : offset + 4] != b"PK\x06\x06":
        return 0
    (entries,) = struct.unpack_from("<Q", data, offset + 32)
    return entries


def _unsafe_name(name: str) -> str | None:
    if not name or "\x00" in name:
        return "empty name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"absolute name {name!r}"
    if "\\" in name:
        return f"backslash in name {name!r}"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return f"path traversal in name {name!r}"
    return None


def _read_members(data: bytes, allowed: Collection[str], limits: ArchiveLimits) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveRejected(f"too many members ({len(infos)}, at most {limits.max_members})")
    seen: set[str] = set()
    total = 0
    for info in infos:  # every check before a single byte is decompressed
        name = info.orig_filename
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ArchiveRejected(f"symbolic link {name!r}")
        if info.is_dir() or stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            raise ArchiveRejected(f"{name!r} is not a plain file")
        problem = _unsafe_name(name)
        if problem:
            raise ArchiveRejected(problem)
        if name in seen:
            raise ArchiveRejected(f"duplicate member {name!r}")
        seen.add(name)
        if name not in allowed:
            raise ArchiveRejected(f"unexpected member {name!r}")
        if info.flag_bits & 0x1:
            raise ArchiveRejected(f"encrypted member {name!r}")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArchiveRejected(f"unsupported compression in {name!r}")
        if info.file_size > limits.max_member_bytes:
            raise ArchiveRejected(f"{name!r} is too large ({info.file_size} bytes)")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveRejected("members too large in total")
        if info.file_size > 4096 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ArchiveRejected(f"{name!r} is compressed suspiciously well (a zip bomb?)")
    members: dict[str, bytes] = {}
    for info in infos:
        with archive.open(info) as member:
            content = member.read(info.file_size + 1)  # never more than the (checked) size
        if len(content) != info.file_size:
            raise ArchiveRejected(f"{info.orig_filename!r} does not match its recorded size")
        members[info.orig_filename] = content
    return members
