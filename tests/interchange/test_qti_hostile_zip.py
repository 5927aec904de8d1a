"""QTI content packages that are hostile as archives: each refused with one sentence, never a
traceback, and never inflated past the member limit whatever the headers claim."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path

import pytest

from exam_desktop.core.errors import KnownError
from exam_desktop.interchange import import_data
from exam_desktop.interchange.qti import MAX_MEMBER_BYTES, NotQti, import_qti

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange" / "qti"
MANIFEST = (
    b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
    b'<resource identifier="R1" type="imsqti_item_xmlv2p1" href="choice.xml"/>'
    b"</resources></manifest>"
)


def package(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def genuine(**extra: bytes) -> dict[str, bytes]:
    return {"imsmanifest.xml": MANIFEST, "choice.xml": (DATA / "choice-mathml.xml").read_bytes(), **extra}


def patch_headers(
    data: bytes, member: bytes, *, flags: int = 0, method: int | None = None, size: int | None = None
) -> bytes:
    """Change the general-purpose flags, the compression method or the recorded size of `member`
    in both its local header and its central directory entry."""
    out = bytearray(data)
    for signature, flag_at, method_at, size_at, name_at in (
        (b"PK\x03\x04", 6, 8, 22, 30),
        (b"PK\x01\x02", 8, 10, 24, 46),
    ):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            start = at + 4
            name_length = struct.unpack_from(
                "<H", out, at + name_at - (4 if signature == b"PK\x03\x04" else 18)
            )[0]
            name = bytes(out[at + name_at : at + name_at + name_length])
            if name != member:
                continue
            struct.pack_into("<H", out, at + flag_at, struct.unpack_from("<H", out, at + flag_at)[0] | flags)
            if method is not None:
                struct.pack_into("<H", out, at + method_at, method)
            if size is not None:
                struct.pack_into("<I", out, at + size_at, size)
    return bytes(out)


def test_the_genuine_package_imports() -> None:
    assert [q.id for q in import_qti(package(genuine()), "ok.zip").exam.questions] == ["derivative"]


def test_an_encrypted_member_is_refused_with_a_sentence() -> None:
    data = patch_headers(package(genuine()), b"choice.xml", flags=0x1)
    with pytest.raises(
        NotQti, match=re.escape("'choice.xml' is encrypted; export the package without a password")
    ):
        import_qti(data, "locked.zip")


def test_an_unknown_compression_is_refused_with_a_sentence() -> None:
    data = patch_headers(package(genuine()), b"choice.xml", method=99)
    with pytest.raises(NotQti, match=r"compression this app cannot read \(method 99\)"):
        import_qti(data, "odd.zip")


def test_a_bad_checksum_is_refused_with_a_sentence() -> None:
    data = bytearray(package(genuine()))
    at = data.index(b"<assessmentItem")
    data[at + 1] ^= 0x20  # the stored bytes change, the recorded CRC does not
    with pytest.raises(NotQti, match=r"'choice.xml' is damaged .*CRC.*copy the package again"):
        import_qti(bytes(data), "bitrot.zip")


def test_a_name_marked_utf8_that_is_not_is_refused_with_a_sentence() -> None:
    data = package(genuine(**{"img-\u00e9.png": b"x"}))
    data = data.replace("img-\u00e9.png".encode(), b"img-\xff\xfe.png")  # same length, invalid UTF-8
    with pytest.raises(NotQti, match="marked as UTF-8 but is not valid UTF-8"):
        import_qti(data, "names.zip")


@pytest.mark.parametrize("name", ["/etc/passwd", "a/../../b.xml", "c:\\\\x.xml", "back\\\\slash.xml"])
def test_unsafe_member_names_are_refused_with_a_sentence(name: str) -> None:
    with pytest.raises(NotQti, match="member name"):
        import_qti(package(genuine(**{name: b"x"})), "paths.zip")


def test_a_member_that_inflates_past_the_limit_is_cut_off_there() -> None:
    bomb = b"<manifest>" + b" " * (MAX_MEMBER_BYTES + 10)  # compresses to a few kilobytes
    data = package(genuine(**{"imsmanifest.xml": bomb}), zipfile.ZIP_DEFLATED)
    assert len(data) < 200_000
    with pytest.raises(KnownError, match="inflates to more than 20 MB"):
        import_data(data, "bomb.zip")
    lying = patch_headers(data, b"imsmanifest.xml", size=1000)  # the header says 1000 bytes
    with pytest.raises(KnownError, match=re.escape("'imsmanifest.xml' is damaged")):
        import_data(lying, "bomb.zip")
