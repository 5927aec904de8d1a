"""The seed banks export to GIFT, Moodle XML and QTI and import back unchanged where the format allows.

"Unchanged" is judged as a candidate and a grader would: the same questions (ids, titles, kinds,
points), the same text as rendered in our window, the same keys and scores. What a format cannot
hold (listed per format below) must be named in the export report; everything else must survive
the trip through the format *and* through the written Markdown bank.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from conftest import BANKS

from exam_desktop.core.bank import load_bank, parse_bank, write_bank
from exam_desktop.core.model import (
    Choice,
    DragWords,
    Essay,
    Exam,
    Matching,
    Matrix,
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
)
from exam_desktop.core.page.render import render_markdown
from exam_desktop.interchange import NothingExported, export_exam, import_data
from exam_desktop.interchange.builder import matching_pairs
from exam_desktop.interchange.report import ConversionReport
from exam_desktop.interchange.weights import NotOnGradeList, fractions_of_multiple, moodle_choice_percents

SEED_BANKS = sorted(p.name for p in BANKS.glob("*.md"))
DATA = Path(__file__).resolve().parent.parent / "data" / "interchange"
OWN_BANK = DATA / "every-kind-and-math.md"
OWN_BANKS = {p.name: p for p in sorted(DATA.glob("*.md"))}  # every kind, export defects, new kinds
FORMATS = {"gift": "bank.gift", "moodle-xml": "bank.xml", "qti": "bank.zip"}


def seen(markdown: str, fmt: str = "") -> str:
    """Rendered HTML, whitespace collapsed. Figures: GIFT has only their name; Moodle XML and QTI
    carry them as images (which the renderer shows without their bank-relative source here)."""

    def figure(m: re.Match[str]) -> str:
        n = int(m.group(1)) + 1
        return f'<img src="x.png" alt="Figure {n}"/>' if fmt in ("moodle-xml", "qti") else f"[Figure {n}]"

    markdown = re.sub(r"@@figure:(\d+)@@", figure, markdown)
    html = render_markdown(markdown)
    html = re.sub(r"\\\[\s+", r"\\[", re.sub(r"\s+\\\]", r"\\]", html))  # spaces inside display TeX
    html = re.sub(r'<code class="[^"]*">', "<code>", html)  # a fence's language label
    html = re.sub(r"<(/?)(em|i)>", r"<\1em>", re.sub(r"<(/?)(strong|b)>", r"<\1strong>", html))
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def holds(fmt: str, q: Question) -> bool:
    """Whether the format can carry the question at all."""
    a = q.answer
    if isinstance(a, Matrix) or (isinstance(a, (Ordering, DragWords)) and fmt == "gift"):
        return False
    if isinstance(a, Template):
        return fmt != "gift" and not any(b.manual for b in a.blanks)
    if fmt in ("gift", "moodle-xml") and isinstance(a, (SingleChoice, MultipleChoice)):
        try:
            moodle_choice_percents(q, ConversionReport())
        except NotOnGradeList:
            return False
    return True


def scores(q: Question) -> object:
    """The key as scores: what each possible answer earns."""
    a = q.answer
    if isinstance(a, SingleChoice):
        return [(c.text, c.correct, round(1.0 if c.correct else (c.weight or 0.0), 4)) for c in a.choices]
    if isinstance(a, MultipleChoice):
        if a.scoring == "all-or-nothing":
            return ("all-or-nothing", [c.correct for c in a.choices])
        fractions = fractions_of_multiple(a, q.id, ConversionReport())
        return [(c.text, c.correct, round(f, 4)) for c, f in zip(a.choices, fractions, strict=True)]
    if isinstance(a, Numeric):
        return [
            (round(n.value, 6), round(abs(n.value) * n.tolerance if n.relative else n.tolerance, 6), n.weight)
            for n in a.answers
        ]
    if isinstance(a, TrueFalse):
        return a.answer
    if isinstance(a, ShortText):
        return (a.accepted, a.case_sensitive)
    if isinstance(a, Essay):
        return (a.min_words, a.max_words, seen(a.rubric))
    if isinstance(a, Template):
        names = {b.name: f"b{i}" for i, b in enumerate(a.blanks, start=1)}
        text = re.sub(r"\[\[([\w-]+)\]\]", lambda m: f"[[{names[m.group(1)]}]]", a.text)
        shares = a.blank_points(q.points)
        return (text, [(b.accepted, b.case_sensitive, b.options, round(shares[b.name], 4)) for b in a.blanks])
    if isinstance(a, DragWords):
        return (seen(a.text), a.words, a.key, a.scoring)
    if isinstance(a, Matching):
        return (matching_pairs(a), a.scoring)
    if isinstance(a, Ordering):
        return (a.items, a.scoring)
    raise AssertionError(a)


def expected(fmt: str, q: Question) -> dict:
    """What the question must look like after the trip, given what `fmt` cannot hold."""
    a = q.answer
    view = {
        "id": q.id,
        "title": q.title,
        "kind": q.kind,
        "points": q.points,
        "stem": seen(q.stem, fmt),
        "explanation": seen(q.explanation, fmt),
        "tags": q.tags,
    }
    if isinstance(a, (SingleChoice, MultipleChoice)) and fmt in ("gift", "moodle-xml"):
        a = on_moodle_list(q)  # weights snapped to Moodle's grade list (each change reported)
    if isinstance(a, (SingleChoice, MultipleChoice)):
        choices = [Choice(c.id, seen(c.text, fmt), c.correct, c.weight) for c in a.choices]
        a = type(a)(choices) if isinstance(a, SingleChoice) else dataclasses.replace(a, choices=choices)
    if isinstance(a, DragWords) and fmt == "moodle-xml":
        a = dataclasses.replace(a, scoring="per-gap")  # Moodle scores each gap
    if isinstance(a, MultipleChoice) and a.scoring == "all-or-nothing" and fmt != "qti":
        a = dataclasses.replace(a, scoring="partial")
    if isinstance(a, Matching) and fmt != "qti":
        a = Matching(a.prompts, a.options, a.key, scoring="per-prompt")  # Moodle scores per prompt
    if isinstance(a, Ordering) and fmt != "moodle-xml":
        a = Ordering(a.items, scoring="all-or-nothing")
    view["scores"] = scores(Question(q.id, q.title, q.points, q.stem, a))
    if isinstance(a, Essay) and fmt != "moodle-xml":
        view["scores"] = (None, None, seen(a.rubric) if fmt == "qti" else "")
    if fmt == "gift":
        view["points"] = 1.0
        if isinstance(a, ShortText):
            view["scores"] = (a.accepted, False)
    if fmt == "qti":
        view["tags"] = []
    if isinstance(a, Numeric) and fmt != "moodle-xml":
        view["unit"] = ""
    elif isinstance(a, Numeric):
        view["unit"] = a.unit
    return view


def on_moodle_list(q: Question) -> SingleChoice | MultipleChoice:
    """The choice answer with the weights Moodle gets (snapped to its grade list)."""
    a = q.answer
    assert isinstance(a, (SingleChoice, MultipleChoice))
    percents = moodle_choice_percents(q, ConversionReport())
    if isinstance(a, SingleChoice):
        return SingleChoice(
            [
                dataclasses.replace(c, weight=p / 100 if p and not c.correct else None)
                for c, p in zip(a.choices, percents, strict=True)
            ]
        )
    choices = [dataclasses.replace(c, weight=p / 100) for c, p in zip(a.choices, percents, strict=True)]
    return MultipleChoice(choices, scoring="per-option", select_exactly=a.select_exactly)


def actual(q: Question) -> dict:
    a = q.answer
    if isinstance(a, (SingleChoice, MultipleChoice)):
        choices = [Choice(c.id, seen(c.text), c.correct, c.weight) for c in a.choices]
        q = dataclasses.replace(q, answer=dataclasses.replace(a, choices=choices))
    view = {
        "id": q.id,
        "title": q.title,
        "kind": q.kind,
        "points": q.points,
        "stem": seen(q.stem),
        "explanation": seen(q.explanation),
        "tags": q.tags,
        "scores": scores(q),
    }
    if isinstance(q.answer, Numeric):
        view["unit"] = q.answer.unit
    return view


def round_trip(exam: Exam, fmt: str) -> tuple[Exam, ConversionReport, dict[str, bytes]]:
    exported = export_exam(exam, fmt)
    imported = import_data(exported.data, FORMATS[fmt], fmt)
    back = parse_bank(write_bank(imported.exam), "roundtrip.md")  # as `exam-desktop import` writes it
    return back, exported.report, imported.files


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bank", [*SEED_BANKS, *OWN_BANKS])
def test_bank_survives_export_and_import(bank: str, fmt: str) -> None:
    exam = load_bank(OWN_BANKS.get(bank) or BANKS / bank)
    if not any(holds(fmt, q) for q in exam.questions):
        with pytest.raises(NothingExported):
            export_exam(exam, fmt)
        return
    back, report, files = round_trip(exam, fmt)
    after = {q.id: q for q in back.questions}
    drawn = sum(len(q.figures) for q in exam.questions if holds(fmt, q))
    assert len([f for f in files if f.endswith(".png")]) == (0 if fmt == "gift" else drawn)
    assert all(png.startswith(b"\x89PNG") for png in files.values())
    for q in exam.questions:
        if not holds(fmt, q):
            assert q.id not in after
            assert any(item.question == q.id and "not exported" in item.message for item in report.items)
            continue
        assert actual(after.pop(q.id)) == expected(fmt, q)
    assert not after, "questions appeared from nowhere"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bank", OWN_BANKS)
def test_every_loss_is_reported(bank: str, fmt: str) -> None:
    exam = load_bank(OWN_BANKS[bank])
    try:
        report = export_exam(exam, fmt).report
    except NothingExported as exc:
        assert all(not holds(fmt, q) and q.id in str(exc) for q in exam.questions)
        return
    for q in exam.questions:
        mentioned = " ".join(item.message for item in report.items if item.question == q.id)
        moodle_choice = (
            holds(fmt, q) and fmt != "qti" and isinstance(q.answer, (SingleChoice, MultipleChoice))
        )
        if moodle_choice and scores(dataclasses.replace(q, answer=on_moodle_list(q))) != scores(q):
            assert "written as" in mentioned, q.id  # a weight moved onto Moodle's grade list
        if q.figures:
            assert "figures" in mentioned
        if not holds(fmt, q):
            assert "not exported" in mentioned
        if isinstance(q.answer, MultipleChoice) and q.answer.select_exactly:
            assert "select exactly" in mentioned
    if fmt == "gift" and any(q.points != 1 for q in exam.questions):
        assert report.mentions("points")


@pytest.mark.parametrize("fmt", FORMATS)
def test_import_export_import_is_stable(fmt: str) -> None:
    """A second trip changes nothing: what survived once survives again, byte for byte in the bank."""
    exam = load_bank(OWN_BANK)
    once, _, _ = round_trip(exam, fmt)
    twice, _, _ = round_trip(once, fmt)
    assert write_bank(twice) == write_bank(once)
