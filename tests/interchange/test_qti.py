"""QTI 2.1/2.2: items and content packages in, a QTI 2.1 package with MathML out."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from exam_desktop.core.bank import parse_bank, write_bank
from exam_desktop.core.errors import BankError
from exam_desktop.core.model import DragWords, Matching, Ordering, ShortText, SingleChoice
from exam_desktop.core.page.render import render_markdown
from exam_desktop.interchange import import_data
from exam_desktop.interchange.detect import FormatNotRecognised
from exam_desktop.interchange.mathml import MATHML_NS
from exam_desktop.interchange.qti import NotQti, export_qti, import_qti

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange" / "qti"


def package(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def sample_package() -> bytes:
    return package({p.name: p.read_bytes() for p in DATA.glob("*.xml")})


def test_a_choice_item_with_mathml_arrives_as_tex_that_renders() -> None:
    exam = import_qti((DATA / "choice-mathml.xml").read_bytes(), "choice-mathml.xml").exam
    q = exam.questions[0]
    assert (q.id, q.title, q.points) == ("derivative", "Derivative of a square", 2.0)
    assert isinstance(q.answer, SingleChoice)
    assert [c.correct for c in q.answer.choices] == [False, True, False]
    assert r"\(x^2\)" in q.stem and "Pick one." in q.stem
    assert q.answer.choices[2].text == r"\[\frac{x^3}{3}\]"
    assert r"\(2 x\)" in q.explanation
    assert '<span class="arithmatex">\\(x^2\\)</span>' in render_markdown(q.stem)


def test_a_package_is_read_member_by_member_and_unsupported_items_are_reported() -> None:
    result = import_data(sample_package(), "sample.zip")
    kinds = {q.id: q.answer for q in result.exam.questions}
    assert set(kinds) == {"derivative", "textEntry", "match", "order", "gapMatch"}
    assert isinstance(kinds["textEntry"], ShortText) and kinds["textEntry"].accepted == ["York"]
    assert result.report.mentions("'york' worth 0.5")
    match = kinds["match"]
    assert isinstance(match, Matching)
    assert [match.options[k] for k in match.key] == [
        "Romeo and Juliet",
        "A Midsummer-Night's Dream",
        "A Midsummer-Night's Dream",
        "The Tempest",
    ]
    assert "Hamlet" in match.options  # a distractor stays one
    order = kinds["order"]
    assert isinstance(order, Ordering)
    assert order.items == ["Michael Schumacher", "Rubens Barrichello", "Jenson Button"]
    gaps = kinds["gapMatch"]
    assert isinstance(gaps, DragWords)
    assert (gaps.key, gaps.words, gaps.scoring) == (
        ["winter", "summer"],
        ["summer", "winter"],
        "all-or-nothing",
    )
    assert gaps.text.count("[[") == 2 and "discontent" in gaps.text
    # and the whole package becomes a valid bank
    assert len(parse_bank(write_bank(result.exam), "x.md").questions) == 5


def test_exported_package_carries_mathml_with_its_tex_annotation() -> None:
    exam = import_qti((DATA / "choice-mathml.xml").read_bytes(), "choice-mathml.xml").exam
    data = export_qti(exam).data
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
        hrefs = [r.get("href") for r in manifest.iter("{http://www.imsglobal.org/xsd/imscp_v1p1}resource")]
        item = ET.fromstring(z.read(hrefs[0]))
    assert item.tag == "{http://www.imsglobal.org/xsd/imsqti_v2p1}assessmentItem"
    annotations = [a.text for a in item.iter(f"{{{MATHML_NS}}}annotation")]
    assert "x^2" in annotations and r"\frac{x^3}{3}" in annotations
    assert any(e.tag == f"{{{MATHML_NS}}}msup" for e in item.iter())
    # and back: the annotation gives the TeX exactly
    again = import_data(data, "again.zip").exam.questions[0]
    assert again.answer.choices[2].text == r"\[\frac{x^3}{3}\]"


def test_unsafe_member_names_in_the_manifest_are_not_followed() -> None:
    manifest = (
        b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
        b'<resource identifier="R1" type="imsqti_item_xmlv2p1" href="../../etc/passwd"/>'
        b'<resource identifier="R2" type="imsqti_item_xmlv2p1" href="choice.xml"/>'
        b"</resources></manifest>"
    )
    data = package({"imsmanifest.xml": manifest, "choice.xml": (DATA / "choice-mathml.xml").read_bytes()})
    result = import_qti(data, "evil.zip")
    assert [q.id for q in result.exam.questions] == ["derivative"]
    assert result.report.mentions("../../etc/passwd")


def test_a_zip_without_manifest_is_not_a_qti_package() -> None:
    with pytest.raises(NotQti, match=re.escape("without imsmanifest.xml")):
        import_qti(package({"a.txt": b"hello"}), "notes.zip")


def test_malformed_item_xml_names_the_line() -> None:
    with pytest.raises(BankError) as caught:
        import_qti(b'<?xml version="1.0"?>\n<assessmentItem>\n<itemBody>\n</assessmentItem>', "bad.xml")
    assert "bad.xml:4: the XML is not well-formed" in str(caught.value)


def test_moodle_xml_given_as_qti_is_refused_as_such() -> None:
    moodle = Path(__file__).resolve().parent.parent / "data" / "interchange" / "moodle-sample.xml"
    with pytest.raises(
        FormatNotRecognised, match="is not a QTI item or package: its content looks like a Moodle XML"
    ):
        import_data(moodle.read_bytes(), moodle, "qti")
