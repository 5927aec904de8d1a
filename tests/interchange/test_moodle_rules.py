"""What Moodle accepts and how it grades: exports on its grade list (each change reported, or the
question refused with the reason), ordering grading types by name, cloze marks kept, the
missing-words kinds, and GIFT and Aiken read as leniently (and as strictly) as Moodle reads them."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import BANKS

from exam_desktop.core.bank import load_bank, parse_bank, write_bank
from exam_desktop.core.errors import BankError
from exam_desktop.core.model import DragWords, Numeric, Ordering, Template
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import score_question
from exam_desktop.interchange import NothingExported, export_exam, import_data
from exam_desktop.interchange.detect import FormatNotRecognised
from exam_desktop.interchange.weights import MOODLE_GRADES

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange"
BANK_FILES = sorted(BANKS.glob("*.md")) + sorted(DATA.glob("*.md"))
GRADES = set(MOODLE_GRADES) | {-g for g in MOODLE_GRADES}


def moodle(text: str) -> bytes:
    return f'<?xml version="1.0"?>\n<quiz>\n{text}\n</quiz>\n'.encode()


@pytest.mark.parametrize("bank", BANK_FILES, ids=lambda p: p.name)
def test_every_export_is_one_moodle_accepts(bank: Path) -> None:
    """Fractions on the grade list, a 100 % answer in single-answer questions, positive fractions
    adding up to 100 % in multiple-answer ones, ordering grading types by name."""
    exported = export_exam(load_bank(bank), "moodle-xml")
    for question in ET.fromstring(exported.data).iter("question"):
        fractions = [float(a.get("fraction", "0")) for a in question.findall("answer")]
        kind = question.get("type")
        if kind in ("multichoice", "numerical", "shortanswer", "truefalse"):
            assert all(any(abs(f - g) < 1e-5 for g in GRADES) for f in fractions), fractions
        if kind == "multichoice" and question.findtext("single") == "false":
            assert 99.5 <= sum(f for f in fractions if f > 0) <= 100.5
        elif kind in ("multichoice", "numerical", "shortanswer", "truefalse"):
            assert max(fractions) == 100
        if kind == "ordering":
            assert question.findtext("gradingtype") in ("ALL_OR_NOTHING", "ABSOLUTE_POSITION")
    try:
        gift = export_exam(load_bank(bank), "gift").data.decode()
    except NothingExported:  # a bank of templates and drag-words only: GIFT has neither
        return
    weights = [float(w) for w in re.findall(r"%(-?[\d.]+)%", gift)]
    assert all(any(abs(w - g) < 1e-5 for g in GRADES) for w in weights)


def test_weights_off_the_grade_list_are_snapped_with_a_line_per_change() -> None:
    exam = load_bank(DATA / "export-defects.md")
    report = export_exam(exam, "moodle-xml").report
    said = [str(i) for i in report.items]
    assert (
        "question off-list: option b: 35 % written as 33.33333 % (the nearest grade Moodle accepts)" in said
    )
    twelve = [line for line in said if line.startswith("question twelve: option")]
    assert len(twelve) == 13  # twelve correct options and the wrong one, each changed
    quiz = ET.fromstring(export_exam(exam, "moodle-xml").data)
    question = next(q for q in quiz.iter("question") if q.findtext("idnumber") == "twelve")
    fractions = [float(a.get("fraction")) for a in question.findall("answer")]
    assert sum(f for f in fractions if f > 0) == 100 and set(fractions) == {5, 10, -10}


def test_weights_that_cannot_fit_the_grade_list_are_refused_with_the_reason() -> None:
    options = "\n".join(f"- [x] {n}" for n in range(1, 16)) + "\n- [ ] 0.5"
    bank = f"---\nid: many\ntitle: Many\nduration: 5m\n---\n## Many {{#many multiple}}\nPick the integers.\n\n{options}\n"
    exam = parse_bank(bank, "many.md")
    with pytest.raises(NothingExported, match="too many to fit Moodle's grade list"):
        export_exam(exam, "moodle-xml")


def test_ordering_grading_types_are_read_and_written_by_name() -> None:
    def item(grading: str) -> str:
        return (
            '<question type="ordering"><name><text>Order</text></name><questiontext format="html">'
            f"<text>Order.</text></questiontext><gradingtype>{grading}</gradingtype>"
            '<answer fraction="1"><text>a</text></answer><answer fraction="2"><text>b</text></answer></question>'
        )

    result = import_data(
        moodle(
            "\n".join(item(g) for g in ("ALL_OR_NOTHING", "ABSOLUTE_POSITION", "-1", "RELATIVE_TO_CORRECT"))
        ),
        "o.xml",
    )
    scorings = [q.answer.scoring for q in result.exam.questions if isinstance(q.answer, Ordering)]
    assert scorings == ["all-or-nothing", "per-position", "all-or-nothing", "per-position"]
    assert result.report.mentions("grading type RELATIVE_TO_CORRECT is scored per position here")
    written = export_exam(result.exam, "moodle-xml").data.decode()
    assert (
        written.count("<gradingtype>ALL_OR_NOTHING</gradingtype>") == 2 and "<gradingtype>-1" not in written
    )


def test_a_cloze_keeps_its_marks_and_menus_render_as_text() -> None:
    cloze = (
        '<question type="cloze"><name><text>Cloze</text></name><questiontext format="html"><text><![CDATA['
        "<p>Capital: {3:SHORTANSWER:=Rome}</p><p>Product: {1:MULTICHOICE:=<p>144</p>~12 x 12~\\(12^2\\)}</p>"
        "]]></text></questiontext><defaultgrade>1</defaultgrade></question>"
    )
    result = import_data(moodle(cloze), "c.xml")
    q = result.exam.questions[0]
    assert isinstance(q.answer, Template) and q.points == 4  # 3 + 1 marks, as Moodle counts them
    assert [(b.points, b.options, b.accepted) for b in q.answer.blanks] == [
        (3, [], ["Rome"]),
        (1, ["144", "12 x 12", "12^2"], ["144"]),
    ]
    assert "<p>" not in q.answer.text and q.answer.text == "Capital: [[b1]]\n\nProduct: [[b2]]"
    assert score_question(q, Response(q.id, {"b1": "rome", "b2": "12 x 12"})).points == 3
    again = import_data(export_exam(result.exam, "moodle-xml").data, "again.xml").exam.questions[0]
    assert again.points == 4 and [b.points for b in again.answer.blanks] == [3, 1]


def test_a_cloze_moodle_refuses_is_refused() -> None:
    cloze = '<question type="cloze"><name><text>Z</text></name><questiontext format="html"><text>Zero: {1:NUMERICAL:=zero}</text></questiontext></question>'
    with pytest.raises(BankError, match="'zero' is not a number"):
        import_data(moodle(cloze), "z.xml")


def test_select_missing_words_and_drag_into_text_import_as_menus_and_drag_words() -> None:
    items = """
<question type="gapselect"><name><text>Gaps</text></name>
<questiontext format="html"><text><![CDATA[<p>Pick.</p><p>The [[1]] chased the [[2]].</p>]]></text></questiontext>
<selectoption><text>cat</text><group>1</group></selectoption>
<selectoption><text>mouse</text><group>1</group></selectoption>
<selectoption><text>fast</text><group>2</group></selectoption></question>
<question type="ddwtos"><name><text>Drag</text></name>
<questiontext format="html"><text><![CDATA[<p>The [[1]] sat on the [[2]] and the [[2]].</p>]]></text></questiontext>
<dragbox><text>cat</text><group>1</group></dragbox>
<dragbox><text>mat</text><group>1</group><infinite/></dragbox>
<dragbox><text>hat</text><group>1</group></dragbox></question>"""
    gaps, drag = import_data(moodle(items), "g.xml").exam.questions
    assert gaps.stem == "Pick." and gaps.answer.text == "The [[b1]] chased the [[b2]]."
    assert [(b.options, b.accepted) for b in gaps.answer.blanks] == [
        (["cat", "mouse"], ["cat"]),
        (["cat", "mouse"], ["mouse"]),
    ]
    assert isinstance(drag.answer, DragWords)
    assert drag.answer.key == ["cat", "mat", "mat"] and drag.answer.words == ["cat", "hat", "mat", "mat"]
    back = import_data(
        export_exam(
            parse_bank(write_bank(import_data(moodle(items), "g.xml").exam), "g.md"), "moodle-xml"
        ).data,
        "b.xml",
    )
    assert [q.answer for q in back.exam.questions][1] == drag.answer


def test_gift_is_read_as_leniently_as_moodle_reads_it() -> None:
    text = (
        "::Ratio:: Is 1:2 = 0.5? {T####Yes: it is}\n\nThree {#3:2~#Completely wrong}\n\nPi {#3.141..3.142}\n"
    )
    ratio, three, pi = import_data(text.encode(), "l.gift").exam.questions
    assert ratio.stem == "Is 1:2 = 0.5?" and ratio.explanation == "Yes: it is"
    assert [(a.value, a.tolerance) for a in three.answer.answers] == [
        (3, 2)
    ] and "Completely wrong" in three.explanation
    assert isinstance(pi.answer, Numeric) and (
        pi.answer.answers[0].value,
        pi.answer.answers[0].tolerance,
    ) == (3.1415, 0.0005)
    assert "answer: 3.1415 ± 0.0005" in write_bank(import_data(text.encode(), "l.gift").exam)
    with pytest.raises(BankError, match="unescaped '~'"):
        import_data(b"::A:: one ~ two {T}\n", "bad.gift")


def test_gift_categories_with_colons_survive_every_trip() -> None:
    bank = "---\nid: c\ntitle: Unit 1: Basics\nduration: 5m\n---\n# Part A: sets\n\n## Q {#q truefalse}\nTrue?\n\nanswer: true\n"
    exam = parse_bank(bank, "c.md")
    for _ in range(3):
        text = export_exam(exam, "gift").data.decode()
        assert "$CATEGORY: $course$/top/Unit 1: Basics/Part A: sets" in text
        exam = import_data(text.encode(), "c.gift").exam
    assert (exam.title, exam.sections[0].title) == ("Unit 1: Basics", "Part A: sets")


def test_aiken_is_read_as_moodle_reads_it() -> None:
    text = 'Is <html class="cool"> a tag?\nA)Yes\nB) No *really*\nANSWER: B\n'
    q = import_data(text.encode(), "a.txt", "aiken").exam.questions[0]
    assert [c.text for c in q.answer.choices] == ["Yes", "No \\*really\\*"]
    from exam_desktop.core.page.render import render_markdown

    assert "&lt;html class=" in render_markdown(q.stem)  # plain text stays visible


def test_aiken_writes_plain_single_choice_only_and_never_a_figure_token() -> None:
    exported = export_exam(load_bank(DATA / "export-defects.md"), "aiken")
    text = exported.data.decode()
    assert "Closest to \\(\\pi\\)?" in text and "@@" not in text and "```" not in text
    assert exported.questions == 1
    assert any(i.question == "code-option" and "not exported" in i.message for i in exported.report.items)
    for bank in BANK_FILES:
        assert (
            "@@figure" not in export_exam(load_bank(bank), "aiken").data.decode()
            if _has_single(bank)
            else True
        )


def _has_single(bank: Path) -> bool:
    try:
        export_exam(load_bank(bank), "aiken")
    except NothingExported:
        return False
    return True


def test_an_aiken_export_with_nothing_to_write_fails_and_writes_nothing(tmp_path) -> None:
    out = tmp_path / "out.txt"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "exam_desktop",
            "export",
            str(DATA / "new-kinds.md"),
            "--to",
            "aiken",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0 and not out.exists()
    assert "no question can be written as aiken, nothing written" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        (
            "ex.Rmd",
            b"Question\n========\nWhat is 1+1?\n\nAnswerlist\n----------\n* 2\n\nMeta-information\n================\nexsolution: 1\n",
            "an R/exams exercise",
        ),
        (
            "ex.Rnw",
            b"\\begin{question}\nWhat is $1+1$?\n\\end{question}\n\\extype{num}\n\\exsolution{2}\n",
            "an R/exams exercise",
        ),
        ("old.xml", b'<?xml version="1.0"?><questestinterop><item ident="1"/></questestinterop>', "QTI 1.2"),
        ("pool.xml", b'<?xml version="1.0"?><POOL><QUESTIONLIST/></POOL>', "a Blackboard pool"),
        (
            "upload.txt",
            b"MC\tWhat is 2+2?\t4\tcorrect\t5\tincorrect\nTF\tThe sky is blue.\ttrue\n",
            "a Blackboard upload file",
        ),
    ],
)
def test_formats_we_do_not_read_are_named_in_one_sentence(name: str, data: bytes, said: str) -> None:
    with pytest.raises(FormatNotRecognised) as caught:
        import_data(data, name)
    message = str(caught.value)
    assert said in message and "which this app does not read" in message and "\n" not in message


def test_a_blackboard_package_is_named() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "imsmanifest.xml",
            '<manifest><resources><resource type="assessment/x-bb-qti-pool" bb:file="res00001.dat"/></resources></manifest>',
        )
        z.writestr("res00001.dat", "<POOL/>")
    with pytest.raises(FormatNotRecognised, match="a Blackboard export, which this app does not read"):
        import_data(buffer.getvalue(), "export.zip")
