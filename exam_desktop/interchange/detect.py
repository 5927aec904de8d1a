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


_NOT_READ = "which this app does not read"


def foreign_package(manifest: bytes) -> str:
    """What a content package's manifest says it is when that is not QTI 2/3 ("" when it is)."""
    if b"x-bb-" in manifest or b"bbmd_" in manifest:
        return f"a Blackboard export, {_NOT_READ}: export the questions as QTI 2.1 from Blackboard"
    if re.search(rb'type="imsqti_xmlv1p[0-2]', manifest) and b"imsqti_item_xml" not in manifest:
        return f"a QTI 1.2 package, {_NOT_READ}: export QTI 2.1 or newer instead"
    return ""


def foreign_format(path: Path, data: bytes) -> str:
    """One sentence naming a question format we know of but do not read, or ""."""
    name = path.name.lower()
    if data[:2] == b"PK":
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                if "imsmanifest.xml" in package.namelist():
                    found = foreign_package(package.read("imsmanifest.xml"))
                    return f"{path} is {found}" if found else ""
        except (zipfile.BadZipFile, OSError, KeyError):
            return ""
        return ""
    root = xml_root(data)
    if root == "questestinterop":
        if b"bbmd_" in data[:20000]:
            return f"{path} is a Blackboard pool (QTI 1.2), {_NOT_READ}: export QTI 2.1 from Blackboard"
        return f"{path} is QTI 1.2, {_NOT_READ}: export QTI 2.1 or newer instead"
    if root in ("POOL", "ASSESSMENT"):
        return f"{path} is a Blackboard pool, {_NOT_READ}: export the questions as QTI 2.1 from Blackboard"
    if root is not None:
        return ""
    text = data[:200000].decode("utf-8", "replace")
    if name.endswith((".rmd", ".rnw")) or re.search(
        r"^(Meta-information|Question)\n={4,}\s*$|^ex(solution|type|name):|\\begin\{question\}|\\extype\{",
        text,
        re.MULTILINE,
    ):
        return f"{path} is an R/exams exercise, {_NOT_READ}: export it with exams2moodle() or exams2qti21() and import that"
    lines = [line for line in text.splitlines() if line.strip()]
    tabbed = [
        line
        for line in lines
        if re.match(r"^(MC|MA|TF|ESS|ORD|MAT|FIB|FIB_PLUS|FIL|NUM|SR|OP|JUMBLED_SENTENCE|QUIZ_BOWL)\t", line)
    ]
    if lines and len(tabbed) * 2 > len(lines):
        return f"{path} is a Blackboard upload file, {_NOT_READ}: export the questions as QTI 2.1 from Blackboard"
    return ""


def looks_binary(data: bytes) -> bool:
    """True for content no text format has: NUL bytes or many control characters (zips excepted)."""
    if data[:2] == b"PK":
        return False
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if (b < 32 and b not in b"\t\n\r\f") or b == 127)
    return controls * 20 > len(head)


def sniff(data: bytes) -> str | None:
    """The format the content looks like, or None."""
    if data[:2] == b"PK":
        return "qti"  # a zip: only QTI content packages are zips among our formats
    root = xml_root(data)
    if root == "quiz":
        return "moodle-xml"
    if root in ("assessmentItem", "assessmentTest", "manifest", "qti-assessment-item", "qti-assessment-test"):
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
    if looks_binary(data):
        raise FormatNotRecognised(
            f"{path} is not a text format this app reads (it holds binary data): import GIFT, "
            "Moodle XML, Aiken, text2qti or a QTI file or package"
        )
    foreign = foreign_format(path, data)
    if foreign:
        raise FormatNotRecognised(foreign)
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
            f"{path}: cannot tell its format (GIFT, Moodle XML, Aiken, QTI 2/3 or text2qti); name it with --from"
        )
    return seen


_NAMES = {
    "gift": "a GIFT file",
    "moodle-xml": "a Moodle XML file",
    "aiken": "an Aiken file",
    "qti": "a QTI item or package",  # 2.1, 2.2 or 3.0
    "text2qti": "a text2qti quiz",
}
