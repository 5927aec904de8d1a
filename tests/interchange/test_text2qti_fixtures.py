"""text2qti's README examples (../shared/fixtures/text2qti) import to what they mean."""

from __future__ import annotations

import pytest
from conftest import shared_path

from exam_desktop.core.bank import parse_bank, write_bank
from exam_desktop.core.errors import BankError
from exam_desktop.core.model import Essay, MultipleChoice, Numeric, ShortText, SingleChoice
from exam_desktop.interchange import NothingImported, import_data, import_file
from exam_desktop.interchange.text2qti import import_text2qti


def imported(name: str):
    result = import_file(shared_path("fixtures", "text2qti", name))
    parse_bank(write_bank(result.exam), "x.md")  # every import becomes a valid bank
    return result


def test_multiple_choice_basic() -> None:
    (q,) = imported("mc_basic.txt").exam.questions
    assert isinstance(q.answer, SingleChoice) and q.stem == "What is 2+3?"
    assert [(c.text, c.correct) for c in q.answer.choices] == [("6", False), ("1", False), ("5", True)]


def test_title_points_and_every_feedback() -> None:
    result = imported("mc_title_points_feedback.txt")
    exam = result.exam
    assert (exam.title, exam.instructions) == ("Addition", "Checking addition.")
    (q,) = exam.questions
    assert (q.title, q.points) == ("An addition question", 2.0)
    for text in (
        "General question feedback.",
        "When answered correctly: Feedback for correct answer.",
        "When answered incorrectly: Feedback for incorrect answer.",
        "Feedback for this particular answer.",
    ):
        assert text in q.explanation
    assert result.report.mentions("feedback on options moved to the explanation")


def test_multiple_answers_are_scored_with_partial_credit() -> None:
    (q,) = imported("multiple_answers.txt").exam.questions
    assert isinstance(q.answer, MultipleChoice) and q.answer.scoring == "partial"
    assert [c.correct for c in q.answer.choices] == [False, True, True, False]


def test_numerical_exact_tolerance_and_range() -> None:
    answers = [q.answer for q in imported("numerical.txt").exam.questions]
    assert all(isinstance(a, Numeric) for a in answers)
    flat = [x for a in answers for n in a.answers for x in (n.value, n.tolerance)]
    assert flat == pytest.approx([1.4142, 0.0001, 1.2599, 0.0001, 5.0, 0.0])


def test_short_answer_and_essay() -> None:
    (short,) = imported("short_answer.txt").exam.questions
    assert isinstance(short.answer, ShortText) and "Father Christmas" in short.answer.accepted
    (essay,) = imported("essay.txt").exam.questions
    assert isinstance(essay.answer, Essay) and essay.explanation == "General question feedback."


def test_question_groups_import_every_question_and_say_so() -> None:
    result = imported("question_group.txt")
    assert [q.stem for q in result.exam.questions] == ["A question.", "Another question."]
    assert result.report.mentions("picks 1 at random")


def test_file_upload_alone_is_nothing_we_can_import() -> None:
    with pytest.raises(NothingImported, match="file-upload questions have no kind"):
        import_file(shared_path("fixtures", "text2qti", "file_upload.txt"))


def test_a_text_region_before_the_questions_becomes_the_instructions() -> None:
    folder = shared_path("fixtures", "text2qti")
    text = (folder / "text_region.txt").read_text() + "\n" + (folder / "mc_basic.txt").read_text()
    exam = import_data(text.encode(), "quiz.txt", "text2qti").exam
    assert (
        exam.instructions
        == "**Instructions about the next questions**\n\nGeneral comments about the next questions."
    )


def test_mistakes_are_refused_with_their_line() -> None:
    with pytest.raises(BankError) as caught:
        import_text2qti("1.  Which?\na)  one\nb)  two\n\n2.  And?\n=   abc\n", "q.txt")
    assert [str(p) for p in caught.value.problems] == [
        "q.txt:1: a multiple-choice question needs exactly one '*' answer, found 0",
        "q.txt:6: 'abc' is not a number",
    ]
