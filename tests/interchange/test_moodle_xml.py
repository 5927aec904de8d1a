"""Moodle XML: every question type it has, safely parsed, with images and a report of what is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from exam_desktop.core.errors import BankError
from exam_desktop.core.model import (
    Essay,
    Matching,
    MultipleChoice,
    Numeric,
    Ordering,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
)
from exam_desktop.core.page.render import render_markdown
from exam_desktop.interchange import import_data
from exam_desktop.interchange.moodle_xml import NotMoodleXml, export_moodle_xml, import_moodle_xml

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "interchange" / "moodle-sample.xml"


@pytest.fixture(scope="module")
def imported():
    return import_data(SAMPLE.read_bytes(), SAMPLE)


def test_every_supported_type_maps_to_its_kind(imported) -> None:
    answers = {q.id: q.answer for q in imported.exam.questions}
    assert [type(a) for a in answers.values()] == [
        SingleChoice,
        MultipleChoice,
        TrueFalse,
        ShortText,
        Numeric,
        Essay,
        Template,
        Matching,
        Ordering,
    ]
    exam = imported.exam
    assert exam.title == "Signals and Systems" and exam.sections[0].title == "Week 1"
    assert exam.sections[-1].intro == "The next questions are about filters."


def test_multichoice_keeps_fractions_points_tags_and_math(imported) -> None:
    q = imported.exam.question("fourier-delta")
    assert q.points == 2 and q.tags == ["fourier", "week1"]
    assert r"\(\delta(t)\)" in q.stem
    assert [(c.correct, c.weight) for c in q.answer.choices] == [(True, None), (False, None), (False, 0.5)]
    assert r"\[\int \delta(t) e^{-i\omega t}\,dt = 1\]" in q.explanation
    multi = imported.exam.questions[1].answer
    assert multi.scoring == "partial" and [c.correct for c in multi.choices] == [True, True, False, False]


def test_a_dollar_sign_in_moodle_text_stays_a_dollar(imported) -> None:
    stem = imported.exam.questions[1].stem
    assert "$5 or $10" in stem
    assert "arithmatex" not in render_markdown(stem)


def test_embedded_images_are_saved_next_to_the_bank(imported) -> None:
    assert list(imported.files) == ["images/delta.png"]
    assert imported.files["images/delta.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert "![delta](images/delta.png)" in imported.exam.question("fourier-delta").stem


def test_numeric_essay_cloze_and_losses(imported) -> None:
    qs = imported.exam.questions
    numeric = qs[4].answer
    assert [(a.value, a.tolerance, a.weight) for a in numeric.answers] == [(8000, 10, 1.0), (8000, 500, 0.5)]
    assert numeric.unit == "Hz"
    essay = qs[5].answer
    assert (essay.min_words, essay.max_words) == (50, 200) and "Nyquist" in essay.rubric
    cloze = qs[6].answer
    assert cloze.text == "A [[b1]] filter removes [[b2]] frequencies; cutoff [[b3]] Hz."
    assert [b.accepted for b in cloze.blanks] == [["low-pass"], ["high"], ["100"]]
    report = imported.report
    for lost in (
        "'Laplace' worth 50%",
        "'lowpass' worth 50%",
        "alternative unit",
        "drag and drop markers questions have no kind",
        "no exam duration",
    ):
        assert report.mentions(lost), lost
    assert "quiz/question[12]" in " ".join(report.lines())


def test_export_then_import_gives_the_same_questions(imported) -> None:
    again = import_moodle_xml(export_moodle_xml(imported.exam).data, SAMPLE)
    before = [(q.id, q.title, q.points, q.kind, q.tags) for q in imported.exam.questions]
    after = [(q.id, q.title, q.points, q.kind, q.tags) for q in again.exam.questions]
    assert after == before


def test_entity_expansion_is_refused_without_expanding() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<quiz><question type="essay"><name><text>&b;</text></name></question></quiz>"""
    with pytest.raises(BankError) as caught:
        import_moodle_xml(bomb, "bomb.xml")
    assert str(caught.value).endswith("the file declares XML entities, which are refused for safety")


def test_external_entities_are_never_fetched() -> None:
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><name><text>&secret;</text></name></question></quiz>"""
    with pytest.raises(BankError, match="refused for safety"):
        import_moodle_xml(xxe, "xxe.xml")


def test_malformed_xml_names_the_line() -> None:
    with pytest.raises(BankError) as caught:
        import_moodle_xml(b"<quiz>\n<question type='essay'>\n<name><text>x</name>\n</quiz>", "broken.xml")
    assert str(caught.value).startswith("broken.xml:3: the XML is not well-formed")


def test_a_bad_number_names_the_element_path() -> None:
    xml = b"""<quiz>\n<question type="numerical"><name><text>n</text></name>
<questiontext><text>How many?</text></questiontext>
<answer fraction="100"><text>twelve</text></answer></question></quiz>"""
    with pytest.raises(BankError) as caught:
        import_moodle_xml(xml, "n.xml")
    assert str(caught.value) == "n.xml:2: quiz/question[1]/answer[1]/text: 'twelve' is not a number"


def test_other_xml_is_not_moodle_xml() -> None:
    with pytest.raises(NotMoodleXml, match="root element is <assessmentItem>, not <quiz>"):
        import_moodle_xml(b"<assessmentItem/>", "item.xml")
