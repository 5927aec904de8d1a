"""Telling formats apart from content, so `exam-desktop import FILE` needs no --from."""

from __future__ import annotations

from pathlib import Path

import pytest

from exam_desktop.interchange.detect import FormatNotRecognised, detect_format, sniff

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange"


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        (b"::T::Who? {=me}", "gift"),
        (b"$CATEGORY: $course$/top/x\n", "gift"),
        (b"Q?\nA. yes\nB. no\nANSWER: A\n", "aiken"),
        (b'<?xml version="1.0"?>\n<!-- c -->\n<quiz><question type="essay"/></quiz>', "moodle-xml"),
        (b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"/>', "qti"),
        (b"PK\x03\x04rest of a zip", "qti"),
        (b"just some notes", None),
        (b"<html><body>hi</body></html>", None),
    ],
)
def test_content_shows_the_format(content: bytes, fmt: str | None) -> None:
    assert sniff(content) == fmt


def test_unknown_content_asks_for_from() -> None:
    with pytest.raises(FormatNotRecognised, match=r"cannot tell its format.*--from"):
        detect_format(Path("notes.txt"), b"just some notes")


def test_xml_that_is_neither_moodle_nor_qti_is_named() -> None:
    with pytest.raises(
        FormatNotRecognised, match="is not a Moodle XML file: it is XML whose root element is <html>"
    ):
        detect_format(Path("page.xml"), b"<html/>", "moodle-xml")
