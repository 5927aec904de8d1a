"""Which interchange format a file is in, from its content (and, as a hint, its name)."""

from __future__ import annotations

import re
from pathlib import Path

from exam_desktop.core.errors import KnownError

FORMATS = ("gift", "moodle-xml", "aiken", "qti", "text2qti")
_ROOT_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")


class FormatNotRecognised(KnownError):
    """The file's format could not be told, or it is not the format it was said to be."""


def xml_root(data: bytes) -> str | None:
    """The local name of the first element of an XML document, or None if it does not look like XML."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return None
    body = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", head, flags=re.DOTALL)
    m = _ROOT_RE.search(body)
    return m.group(1).decode("ascii", "replace") if m else None


def sniff(data: bytes) -> str | None:
    """The format the content looks like, or None."""
    if data[:2] == b"PK":
        return "qti"  # a zip: only QTI content packages are zips among our formats
    root = xml_root(data)
    if root == "quiz":
        return "moodle-xml"
    if root in ("assessmentItem", "assessmentTest", "manifest"):
        return "qti"
    if root is not None:
        return None
    text = data.decode("utf-8", "replace")
    from exam_desktop.interchange.text2qti import looks_like_text2qti

    if looks_like_text2qti(text):
        return "text2qti"
    if re.search(r"^\s*ANSWER\s*:\s*[A-Z]\s*$", text, re.MULTILINE | re.IGNORECASE) and re.search(
        r"^\s*[A-Z][.)]\s+\S", text, re.MULTILINE
    ):
        return "aiken"
    if re.search(r"(?<!\\)\{", text) or "::" in text or "$CATEGORY:" in text:
        return "gift"
    return None


def detect_format(path: Path, data: bytes, claimed: str | None = None) -> str:
    """The format to read `path` as: `claimed` if the content agrees, else what the content shows.

    Raises FormatNotRecognised when the content contradicts `claimed` or shows no known format.
    """
    seen = sniff(data)
    if claimed:
        if claimed not in FORMATS:
            raise FormatNotRecognised(f"unknown format '{claimed}': use one of {', '.join(FORMATS)}")
        if (
            seen
            and seen != claimed
            and not (claimed in ("gift", "text2qti") and seen in ("aiken", "gift", "text2qti"))
        ):
            raise FormatNotRecognised(
                f"{path} is not {_NAMES[claimed]}: its content looks like {_NAMES[seen]}"
            )
        if seen is None and claimed in ("moodle-xml", "qti"):
            root = xml_root(data)
            what = f"XML whose root element is <{root}>" if root else "not XML"
            raise FormatNotRecognised(f"{path} is not {_NAMES[claimed]}: it is {what}")
        return claimed
    if seen is None:
        raise FormatNotRecognised(
            f"{path}: cannot tell its format (GIFT, Moodle XML, Aiken, QTI or text2qti); name it with --from"
        )
    return seen


_NAMES = {
    "gift": "a GIFT file",
    "moodle-xml": "a Moodle XML file",
    "aiken": "an Aiken file",
    "qti": "a QTI item or package",
    "text2qti": "a text2qti quiz",
}
