"""Automatic scoring: what each answer is worth under the bank's rules.

`score_question` scores one response, `score_exam` a whole candidate. Points are rounded to four
decimals. A question's status says what is left to do:

  auto            scored by the machine, nothing left to do
  manual-pending  a grader must still mark it (essays, manual template blanks); `points` holds the
                  automatic part so far and `pending` the points still to be awarded by hand
  unanswered      no answer: 0 points
  dont-know       "I don't know yet": the exam's `dont_know_score` fraction of the points

Rules beyond the bank format (docs/bank-format.md):
  - multiple, `select=N`: selecting more than N is not penalised on top of the options' own marks.
    The bank checker makes N equal to the number of correct options, so every pick beyond N is a
    wrong option and already counts as an error with its (negative) weight — "extra marks count as
    errors". Under all-or-nothing such an answer is simply not the correct set.
  - numeric: every accepted answer the value falls within is considered and the best weight wins;
    the tolerance edge is inclusive, with a tiny allowance for floating-point error. Text that is
    not a number scores 0.
  - short and template answers: compared after trimming and collapsing runs of whitespace,
    ignoring case unless the question (or blank) is case-sensitive; in short answers `*` matches
    any text (also none).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from exam_desktop.core.model import (
    Blank,
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
from exam_desktop.core.numbers import NumberNotReadable, parse_number
from exam_desktop.core.responses import Response, is_empty

Status = Literal["auto", "manual-pending", "unanswered", "dont-know"]

DECIMALS = 4
# Allowance for float error at a tolerance edge: 0.1 + 0.2 must be within 0.3 ± 0.
EDGE_EPSILON = 1e-9


@dataclass(frozen=True)
class QuestionScore:
    """The automatic score of one question."""

    points: float
    max_points: float
    status: Status
    pending: float = 0.0  # points still to be awarded by hand (manual-pending only)
    # Template questions: each blank's result — True/False when compared, None when it is manual.
    blanks: Mapping[str, bool | None] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0


@dataclass(frozen=True)
class TagScore:
    """Points in one domain (tag) of the exam."""

    points: float
    max_points: float

    @property
    def fraction(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0


@dataclass(frozen=True)
class ExamScore:
    total: float
    max_total: float
    per_question: dict[str, QuestionScore]
    per_tag: dict[str, TagScore]

    @property
    def pending(self) -> float:
        """Points still to be graded by hand."""
        return round(sum(s.pending for s in self.per_question.values()), DECIMALS)

    @property
    def complete(self) -> bool:
        return all(s.status != "manual-pending" for s in self.per_question.values())


def score_exam(
    exam: Exam, responses: Mapping[str, Response], presented: Collection[str] | None = None
) -> ExamScore:
    """Score the questions of `exam` a candidate was given (`presented`: ids, default all);
    questions without a response count as unanswered. Others are neither scored nor counted."""
    given = [q for q in exam.questions if not presented or q.id in presented]
    per_question = {
        q.id: score_question(
            q,
            responses.get(q.id),
            language=exam.language,
            dont_know_score=exam.dont_know_score,
        )
        for q in given
    }
    return ExamScore(
        total=round(sum(s.points for s in per_question.values()), DECIMALS),
        max_total=round(sum(q.points for q in given), DECIMALS),
        per_question=per_question,
        per_tag=tag_totals(exam, per_question),
    )


def tag_totals(exam: Exam, per_question: Mapping[str, QuestionScore]) -> dict[str, TagScore]:
    """Points per tag (domain) over the scored questions; a question with several tags counts in
    each of them."""
    sums: dict[str, list[float]] = {}
    for q in exam.questions:
        score = per_question.get(q.id)
        if score is None:
            continue
        for tag in q.tags:
            acc = sums.setdefault(tag, [0.0, 0.0])
            acc[0] += score.points
            acc[1] += q.points
    return {tag: TagScore(round(p, DECIMALS), round(m, DECIMALS)) for tag, (p, m) in sums.items()}


def score_question(
    question: Question,
    response: Response | None,
    *,
    language: str = "en",
    dont_know_score: float = 0.0,
) -> QuestionScore:
    """Score one response to `question` with the question's rules (see the module docstring)."""
    max_points = question.points
    if response is not None and response.dont_know:
        return QuestionScore(_round(dont_know_score * max_points), max_points, "dont-know")
    if response is None or is_empty(response.value):
        return QuestionScore(0.0, max_points, "unanswered")

    answer = question.answer
    value = response.value
    if isinstance(answer, Template):
        return _score_template(answer, value, max_points)
    if isinstance(answer, Essay):
        return QuestionScore(0.0, max_points, "manual-pending", pending=max_points)
    if isinstance(answer, SingleChoice):
        fraction = _single_fraction(answer, value)
    elif isinstance(answer, MultipleChoice):
        fraction = _multiple_fraction(answer, value)
    elif isinstance(answer, TrueFalse):
        fraction = 1.0 if answer.answer is not None and value is answer.answer else 0.0
    elif isinstance(answer, Numeric):
        fraction = _numeric_fraction(answer, value, language)
    elif isinstance(answer, Matrix):
        fraction = _matrix_fraction(answer, value, language)
    elif isinstance(answer, ShortText):
        fraction = 1.0 if _short_matches(answer, value) else 0.0
    elif isinstance(answer, Matching):
        fraction = _matching_fraction(answer, value)
    elif isinstance(answer, Ordering):
        fraction = _ordering_fraction(answer, value)
    elif isinstance(answer, DragWords):
        fraction = _dragwords_fraction(answer, value)
    else:  # pragma: no cover - every kind of the model is handled above
        raise TypeError(f"no scoring rule for {type(answer).__name__}")
    return QuestionScore(_round(fraction * max_points), max_points, "auto")


# --------------------------------------------------------------------------------------------
# Matching and ordering


def _matching_fraction(answer: Matching, value: Any) -> float:
    """Per prompt: right when the chosen option index is the key's; all-or-nothing on request."""
    picks = value if isinstance(value, list) else []
    right = sum(1 for i, key in enumerate(answer.key) if i < len(picks) and picks[i] == key)
    if answer.scoring == "all-or-nothing":
        return 1.0 if right == len(answer.key) else 0.0
    return right / len(answer.key) if answer.key else 0.0


def _ordering_fraction(answer: Ordering, value: Any) -> float:
    """The candidate's order of item texts against the key: all-or-nothing, or per position."""
    order = value if isinstance(value, list) else []
    right = sum(1 for i, item in enumerate(answer.items) if i < len(order) and order[i] == item)
    if answer.scoring == "all-or-nothing":
        return 1.0 if right == len(answer.items) and len(order) == len(answer.items) else 0.0
    return right / len(answer.items) if answer.items else 0.0


def _dragwords_fraction(answer: DragWords, value: Any) -> float:
    """The words placed in the gaps (a list, one per gap) against the key: per gap, or all-or-nothing."""
    placed = value if isinstance(value, list) else []
    right = sum(1 for i, word in enumerate(answer.key) if i < len(placed) and placed[i] == word)
    if answer.scoring == "all-or-nothing":
        return 1.0 if answer.key and right == len(answer.key) else 0.0
    return right / len(answer.key) if answer.key else 0.0


# --------------------------------------------------------------------------------------------
# Choices


def _single_fraction(answer: SingleChoice, value: Any) -> float:
    for choice in answer.choices:
        if choice.id == value:
            if choice.weight is not None:  # partial credit for a near miss (e.g. from Moodle)
                return min(choice.weight, 1.0)
            return 1.0 if choice.correct else 0.0
    return 0.0


def _multiple_fraction(answer: MultipleChoice, value: Any) -> float:
    picked = {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()
    by_id = {c.id: c for c in answer.choices}
    picked &= by_id.keys()  # ids that are not options of this question earn nothing
    correct = {c.id for c in answer.choices if c.correct}

    if answer.scoring == "all-or-nothing":
        return 1.0 if picked == correct else 0.0
    if answer.scoring == "partial":
        if not correct:
            return 0.0
        right = len(picked & correct)
        wrong = len(picked - correct)
        fraction = (right - wrong) / len(correct)
    else:  # per-option
        default_right = answer.right if answer.right is not None else (1.0 / len(correct) if correct else 0.0)
        default_wrong = answer.wrong if answer.wrong is not None else -default_right
        fraction = 0.0
        for choice_id in picked:
            choice = by_id[choice_id]
            if choice.weight is not None:
                fraction += choice.weight
            else:
                fraction += default_right if choice.correct else default_wrong
    return max(answer.floor, min(1.0, fraction))


# --------------------------------------------------------------------------------------------
# Numbers


def within_tolerance(value: float, target: float, tolerance: float) -> bool:
    return abs(value - target) <= tolerance + EDGE_EPSILON * max(1.0, abs(target), tolerance)


def read_number(text: Any, language: str) -> float | None:
    """The number a candidate typed, or None when it is not one."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        return None
    try:
        number = parse_number(text, language)
    except NumberNotReadable:
        return None
    return number if math.isfinite(number) else None


def _numeric_fraction(answer: Numeric, value: Any, language: str) -> float:
    number = read_number(value, language)
    if number is None:
        return 0.0
    best = 0.0
    for accepted in answer.answers:
        tolerance = accepted.tolerance * abs(accepted.value) if accepted.relative else accepted.tolerance
        if within_tolerance(number, accepted.value, tolerance):
            best = max(best, accepted.weight)
    return min(best, 1.0)


def _matrix_fraction(answer: Matrix, value: Any, language: str) -> float:
    cells = answer.rows * answer.cols
    if not cells or not isinstance(value, list):
        return 0.0
    right = 0
    for r, key_row in enumerate(answer.key):
        row = value[r] if r < len(value) and isinstance(value[r], list) else []
        for c, key in enumerate(key_row):
            number = read_number(row[c], language) if c < len(row) else None
            if number is not None and within_tolerance(number, key, answer.tolerance):
                right += 1
    if answer.scoring == "all-or-nothing":
        return 1.0 if right == cells else 0.0
    return right / cells


# --------------------------------------------------------------------------------------------
# Text


def normalise_text(text: str, case_sensitive: bool = False) -> str:
    """Trimmed, runs of whitespace collapsed to one space, and case-folded unless case matters."""
    collapsed = " ".join(text.split())
    return collapsed if case_sensitive else collapsed.casefold()


@lru_cache(maxsize=1024)
def _wildcard_pattern(accepted: str, case_sensitive: bool) -> re.Pattern[str]:
    parts = [re.escape(p) for p in normalise_text(accepted, case_sensitive).split("*")]
    return re.compile(".*".join(parts), re.DOTALL)


def _short_matches(answer: ShortText, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    typed = normalise_text(value, answer.case_sensitive)
    return any(
        _wildcard_pattern(accepted, answer.case_sensitive).fullmatch(typed) for accepted in answer.accepted
    )


def blank_matches(blank: Blank, text: str) -> bool:
    """Whether `text` is one of the blank's accepted answers (never true for a manual blank); a
    menu blank's pick must be one of the right options exactly."""
    if blank.options:
        return text in blank.accepted
    typed = normalise_text(text, blank.case_sensitive)
    return any(normalise_text(a, blank.case_sensitive) == typed for a in blank.accepted)


def _score_template(answer: Template, value: Any, max_points: float) -> QuestionScore:
    filled = value if isinstance(value, dict) else {}
    if not answer.blanks:
        return QuestionScore(0.0, max_points, "auto")
    shares = answer.blank_points(max_points)
    points = pending = 0.0
    results: dict[str, bool | None] = {}
    for blank in answer.blanks:
        share = shares[blank.name]
        text = filled.get(blank.name)
        text = text if isinstance(text, str) else ""
        if blank.manual:
            # An empty manual blank needs no grader: it earns nothing.
            results[blank.name] = None if text.strip() else False
            if text.strip():
                pending += share
        else:
            results[blank.name] = blank_matches(blank, text)
            if results[blank.name]:
                points += share
    status: Status = "manual-pending" if pending else "auto"
    return QuestionScore(_round(points), max_points, status, _round(pending), results)


def _round(points: float) -> float:
    rounded = round(points, DECIMALS)
    return 0.0 if rounded == 0 else rounded  # no "-0.0" in reports
