"""Answer weights as LMS percentages (`%50%`, `<answer fraction="50">`) and back.

Moodle scores a multiple-response question by adding the percentages of the picked options and
never goes below 0. That is our `partial` rule when every correct option is worth +100/n % and every
wrong one -100/n %, and our `per-option` rule otherwise.
"""

from __future__ import annotations

import string

from exam_desktop.core.model import Choice, MultipleChoice, Question, SingleChoice
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


# Moodle's fixed grade list (question_bank::fraction_options_full): a fraction off it makes Moodle
# refuse the whole import, as do a single-answer question without a 100 % answer and a
# multiple-answer question whose positive fractions do not add up to 100 %.
MOODLE_GRADES = (
    100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
    16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0,
)  # fmt: skip
_MOODLE_LIST = sorted(set(MOODLE_GRADES) | {-g for g in MOODLE_GRADES})
_MOODLE_SUM = (99.5, 100.5)  # Moodle rounds the total fraction to two decimals
_SEARCH_LIMIT = 5000


class NotOnGradeList(ValueError):
    """The weights cannot be written on Moodle's grade list; the message says why."""


def on_moodle_list(pct: float) -> bool:
    return any(abs(pct - g) < 1e-3 for g in _MOODLE_LIST)


def _nearest(pct: float, count: int = 1) -> list[float]:
    return sorted(_MOODLE_LIST, key=lambda g: (abs(g - pct), -abs(g)))[:count]


def moodle_percents(
    percents: list[float], labels: list[str], qid: str, report: ConversionReport, *, total: bool
) -> list[float]:
    """`percents` on Moodle's grade list, each change reported as one line (`labels` name the
    answers). With `total`, the positive ones must add up to 100 % (a multiple-answer question);
    raises NotOnGradeList when no nearby grades do."""
    snapped = [_nearest(p)[0] for p in percents]
    positives = [i for i, p in enumerate(percents) if p > 0]
    if total and positives and not _MOODLE_SUM[0] <= sum(snapped[i] for i in positives) <= _MOODLE_SUM[1]:
        snapped = _repair_total(percents, snapped, positives)
    for label, before, after in zip(labels, percents, snapped, strict=True):
        if abs(before - after) >= 1e-3:
            report.add(
                qid,
                "",
                f"{label}: {percent(before / 100)} % written as {percent(after / 100)} % "
                + (
                    "(Moodle accepts only grades of its list, the correct options adding up to 100 %)"
                    if total
                    else "(the nearest grade Moodle accepts)"
                ),
            )
    return snapped


def _repair_total(percents: list[float], snapped: list[float], positives: list[int]) -> list[float]:
    """The positive grades nearest to `percents` that add up to 100 %, searched among the two or
    three nearest grades of each; NotOnGradeList when none do."""
    import itertools

    if 2 ** len(positives) > _SEARCH_LIMIT:
        raise NotOnGradeList(f"{len(positives)} correct options are too many to fit Moodle's grade list")
    wide = 4 ** len(positives) <= _SEARCH_LIMIT
    grades = sorted(g for g in _MOODLE_LIST if g > 0)

    def around(pct: float) -> list[float]:
        below = [g for g in grades if g <= pct + 1e-3][-2 if wide else -1 :]
        above = [g for g in grades if g >= pct - 1e-3][: 2 if wide else 1]
        return sorted(set(below + above))

    options = [around(percents[i]) for i in positives]
    best: tuple[float, tuple[float, ...]] | None = None
    for combination in itertools.product(*options):
        if _MOODLE_SUM[0] <= sum(combination) <= _MOODLE_SUM[1]:
            cost = sum(abs(g - percents[i]) for g, i in zip(combination, positives, strict=True))
            if best is None or cost < best[0]:
                best = (cost, combination)
    if best is None:
        raise NotOnGradeList(
            "no weights on Moodle's grade list near these add up to 100 % for the correct options"
        )
    repaired = list(snapped)
    for i, g in zip(positives, best[1], strict=True):
        repaired[i] = g
    return repaired


def moodle_choice_percents(question: Question, report: ConversionReport) -> list[float]:
    """The percentages a single- or multiple-choice question's options get in Moodle (GIFT, Moodle
    XML), on its grade list; raises NotOnGradeList when they cannot be."""
    a = question.answer
    assert isinstance(a, (SingleChoice, MultipleChoice))
    labels = [f"option {c.id}" for c in a.choices]
    if isinstance(a, SingleChoice):
        wanted = [100.0 if c.correct else (c.weight or 0.0) * 100 for c in a.choices]
        return moodle_percents(wanted, labels, question.id, report, total=False)
    wanted = percents_of_multiple(a, question.id, report)
    return moodle_percents(wanted, labels, question.id, report, total=True)
