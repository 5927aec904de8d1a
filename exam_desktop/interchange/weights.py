"""Answer weights as LMS percentages (`%50%`, `<answer fraction="50">`) and back.

Moodle scores a multiple-response question by adding the percentages of the picked options and
never goes below 0. That is our `partial` rule when every correct option is worth +100/n % and every
wrong one -100/n %, and our `per-option` rule otherwise.
"""

from __future__ import annotations

import string

from exam_desktop.core.model import Choice, MultipleChoice
from exam_desktop.interchange.report import ConversionReport

_TOLERANCE = 1e-4


def choice_id(index: int) -> str:
    """Option ids as the bank writes them: a, b, ..., z, aa, ab, ..."""
    letters = string.ascii_lowercase
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = letters[rest] + name
    return name


def percent(fraction: float) -> str:
    """A fraction as an LMS percentage: 1/6 -> '16.66667'."""
    value = round(fraction * 100, 5)
    return f"{value:.5f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _TOLERANCE * max(1.0, abs(b))


def multiple_from_percents(choices: list[Choice], percents: list[float]) -> MultipleChoice:
    """A multiple-response question from per-option percentages (correct = positive)."""
    for choice, pct in zip(choices, percents, strict=True):
        choice.correct = pct > 0
    n = sum(1 for c in choices if c.correct)
    if n and all(
        _close(pct, 100 / n if c.correct else -100 / n) for c, pct in zip(choices, percents, strict=True)
    ):
        return MultipleChoice(choices, scoring="partial")
    for choice, pct in zip(choices, percents, strict=True):
        choice.weight = round(pct / 100, 7)
    return MultipleChoice(choices, scoring="per-option")


def fractions_of_multiple(question: MultipleChoice, qid: str, report: ConversionReport) -> list[float]:
    """The fraction of the points each option adds in an LMS, reporting rules it cannot express."""
    n = sum(1 for c in question.choices if c.correct) or 1
    if question.scoring == "all-or-nothing":
        report.add(
            qid,
            "",
            "all-or-nothing scoring is written as partial credit (the LMS adds "
            "the weights of the picked options)",
        )
    if question.floor:
        report.add(
            qid, "", f"the floor of {question.floor:g} is not carried over (the LMS never goes below 0)"
        )
    if question.select_exactly:
        report.add(qid, "", f"'select exactly {question.select_exactly}' is not carried over")
    if question.scoring != "per-option":
        return [1 / n if c.correct else -1 / n for c in question.choices]
    right = question.right if question.right is not None else 1 / n
    wrong = question.wrong if question.wrong is not None else -right
    return [c.weight if c.weight is not None else (right if c.correct else wrong) for c in question.choices]


def percents_of_multiple(question: MultipleChoice, qid: str, report: ConversionReport) -> list[float]:
    return [f * 100 for f in fractions_of_multiple(question, qid, report)]
