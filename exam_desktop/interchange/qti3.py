"""QTI 3.0 items read through the QTI 2 reader: the same information model with kebab-case names.

QTI 3 (1EdTech's current standard) renamed every element and attribute (`qti-choice-interaction`
for `choiceInteraction`, `response-identifier` for `responseIdentifier`) and wraps the content of
rubric blocks and modal feedback in `qti-content-body`. `as_qti2` rewrites a parsed QTI 3 item into
the QTI 2 vocabulary so that one reader serves both; HTML and MathML are left as they are.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI2_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def is_qti3(root: ET.Element) -> bool:
    return root.tag.startswith(f"{{{QTI3_NS}}}") or _local(root.tag).startswith("qti-")


def camel(name: str) -> str:
    """`response-identifier` -> `responseIdentifier`; `qti-item-body` -> `itemBody`."""
    first, *rest = name.removeprefix("qti-").split("-")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def as_qti2(root: ET.Element) -> ET.Element:
    """A copy of a QTI 3 item in QTI 2 names (elements in the QTI 2.1 namespace)."""
    return _copy(root)


def _copy(element: ET.Element) -> ET.Element:
    name = _local(element.tag)
    namespace = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
    if name.startswith("qti-"):
        tag = f"{{{QTI2_NS}}}{camel(name)}"
        attrib = {(camel(k) if "}" not in k else k): v for k, v in element.attrib.items()}
    else:
        tag = f"{{{QTI2_NS}}}{name}" if namespace in (QTI3_NS, "") else element.tag
        attrib = dict(element.attrib)
    copy = ET.Element(tag, attrib)
    copy.text, copy.tail = element.text, element.tail
    for child in element:
        if _local(child.tag) == "qti-content-body":  # QTI 3 wraps feedback and rubric content
            _append_text(copy, child.text or "")
            for grandchild in child:
                copy.append(_copy(grandchild))
            _append_text(copy, child.tail or "")
        else:
            copy.append(_copy(child))
    return copy


def _append_text(parent: ET.Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text
