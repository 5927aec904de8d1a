"""Aiken both ways, and the GIFT details the fixtures do not cover: escaping inside LaTeX, missing
words, categories, instructions, and export followed by import."""

from __future__ import annotations

import pytest

from exam_desktop.core.errors import BankError
from exam_desktop.core.model import Choice, Exam, Question, Section, ShortText, SingleChoice
from exam_desktop.core.page.render import render_markdown
from exam_desktop.interchange import import_data
from exam_desktop.interchange.aiken import export_aiken, import_aiken
from exam_desktop.interchange.gift import escape, export_gift, import_gift

AIKEN = """What is the capital of France?
A. Paris
B) London
C. Rome
ANSWER: A

Which is a prime, \\(p\\)?
A. 4
B. 7
ANSWER: B
"""


def test_aiken_imports_single_choice_questions() -> None:
    exam = import_aiken(AIKEN, "quiz.txt").exam
    assert [q.stem for q in exam.questions] == [
        "What is the capital of France?",
        "Which is a prime, \\(p\\)?",
    ]
    first = exam.questions[0].answer
    assert [(c.text, c.correct) for c in first.choices] == [
        ("Paris", True),
        ("London", False),
        ("Rome", False),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Q?\nA. a\nB. b\nANSWER: C\n", 4, "ANSWER: C names no option"),
        ("Q?\nA. a\nANSWER: A\n", 3, "at least two options"),
        ("Q?\nA. a\nB. b\n", 1, "has no 'ANSWER: <letter>' line"),
        ("Q?\nA. a\nC. b\nANSWER: A\n", 3, "option C found where B was expected"),
    ],
)
def test_bad_aiken_is_refused_with_its_line(text: str, line: int, message: str) -> None:
    with pytest.raises(BankError) as caught:
        import_aiken(text, "quiz.txt")
    assert f"quiz.txt:{line}: " in str(caught.value) and message in str(caught.value)


def test_aiken_export_then_import_round_trips_and_reports_the_rest() -> None:
    exam = import_aiken(AIKEN, "quiz.txt").exam
    exam.sections[0].questions.append(Question("s", "Short", 2, "Name it.", ShortText(["x"])))
    exported = export_aiken(exam)
    back = import_aiken(exported.data.decode(), "again.txt").exam
    assert [(q.stem, [(c.text, c.correct) for c in q.answer.choices]) for q in back.questions] == [
        (q.stem, [(c.text, c.correct) for c in q.answer.choices]) for q in exam.questions[:2]
    ]
    assert exported.report.mentions("single-choice questions only: short not exported")


def test_gift_escapes_control_characters_inside_latex() -> None:
    assert escape(r"\frac{a}{b} = c") == r"\\frac\{a\}\{b\} \= c"
    exam = Exam(
        "e",
        "E",
        10,
        [
            Section(
                "",
                [
                    Question(
                        "q",
                        "Braces",
                        1,
                        r"Is $\{x : x = 1\}$ a set? #1 ~ maybe",
                        SingleChoice(
                            [
                                Choice("a", r"$\{1\}$", correct=True),
                                Choice("b", "no"),
                            ]
                        ),
                    )
                ],
            )
        ],
    )
    gift = export_gift(exam).data.decode()
    assert r"\\(\\\{x \: x \= 1\\\}\\)" in gift
    back = import_gift(gift, "e.gift").exam.questions[0]
    assert back.stem == r"Is \(\{x : x = 1\}\) a set? \#1 ~ maybe"
    assert '<span class="arithmatex">\\(\\{x : x = 1\\}\\)</span>' in render_markdown(back.stem)
    assert back.answer.choices[0].text == r"\(\{1\}\)"


def test_gift_display_math_and_dollars_arrive_as_bank_math() -> None:
    exam = import_gift(r"Compute $$\int_0^1 x\,dx$$ for $2 or $3, then \(y\). {=one}", "m.gift").exam
    stem = exam.questions[0].stem
    html = render_markdown(stem)
    assert '<div class="arithmatex">\\[\\int_0^1 x\\,dx\\]</div>' in html
    assert "$2 or $3" in html and '<span class="arithmatex">\\(y\\)</span>' in html


def test_gift_categories_become_pages_and_a_leading_description_the_instructions() -> None:
    text = """Read every question twice.

$CATEGORY: $course$/top/Physics 101/Mechanics

::Speed::How fast? {#10:1}

$CATEGORY: $course$/top/Physics 101/Optics

Light questions follow.

::Colour::Is light a wave? {T}
"""
    exam = import_gift(text, "physics.gift").exam
    assert exam.title == "Physics 101" and exam.instructions == "Read every question twice."
    assert [(s.title, s.intro, [q.id for q in s.questions]) for s in exam.sections] == [
        ("Mechanics", "", ["q1"]),
        ("Optics", "Light questions follow.", ["q2"]),
    ]
    again = import_gift(export_gift(exam).data.decode(), "physics.gift").exam
    assert [(s.title, s.intro) for s in again.sections] == [(s.title, s.intro) for s in exam.sections]
    assert again.instructions == exam.instructions and again.title == exam.title


def test_gift_problems_are_all_listed_with_their_lines() -> None:
    text = "::A:: one ~ two {T}\n\n::B:: fine {T}\n\n::C:: open {=x\n"
    with pytest.raises(BankError) as caught:
        import_gift(text, "p.gift")
    assert [(p.line, p.message.split(":")[0]) for p in caught.value.problems] == [
        (1, "unescaped '~' in the question text"),
        (5, "the answer block opened here is not closed with '}' (a blank line ends a question)"),
    ]


def test_a_windows_1252_file_is_read_and_the_report_says_so() -> None:
    result = import_data("::Café::Où est le café? {=ici}\n".encode("cp1252"), "cafe.gift")
    assert result.exam.questions[0].title == "Café"
    assert result.exam.questions[0].stem == "Où est le café?"
    assert result.report.mentions("read as Windows-1252")
