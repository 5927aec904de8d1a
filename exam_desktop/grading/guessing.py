"""What the scoring rules give a candidate who does not know: a simulator for authors.

For every question and for the whole exam, the expected score and its spread for three candidates:

  guesser     answers every question at random: one option of a single choice, a random subset
              of a multiple choice (of the size asked for, when "select exactly N"), true or false,
              a random order or matching; nothing that must be typed (numbers, words, grids) can
              be guessed, and essays are graded by hand;
  don't know  answers "I don't know yet" everywhere (where the exam offers it; blank otherwise);
  half        knows each answer with probability 1/2 and guesses the rest;

and, for the guesser and the half-knower, the chance of reaching the pass mark. Each question's
points are those of the real scoring rules (`core.scoring.score_question`), over every possible
guess when there are at most `EXACT_LIMIT` of them, else over `SAMPLES` random guesses; the exam's
distribution is the exact sum (convolution) of the questions', which are independent.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import (
    Exam,
    Matching,
    MultipleChoice,
    Ordering,
    Question,
    SingleChoice,
    TrueFalse,
)
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import score_question

EXACT_LIMIT = 20_000  # guesses enumerated one by one
SAMPLES = 20_000  # random guesses drawn otherwise
_KEY = 6  # decimals points are kept to in a distribution

Distribution = dict[float, float]  # points -> probability


@dataclass(frozen=True)
class Figures:
    mean: float
    sd: float

    @classmethod
    def of(cls, d: Distribution) -> Figures:
        mean = sum(p * w for p, w in d.items())
        return cls(mean, math.sqrt(max(0.0, sum(w * (p - mean) ** 2 for p, w in d.items()))))


@dataclass(frozen=True)
class QuestionChances:
    question_id: str
    kind: str
    max_points: float
    guessable: bool  # False: typed answers and essays, a guess scores nothing
    exact: bool  # every guess counted (else sampled)
    guesser: Figures
    dont_know: float
    half: Figures
    guess_distribution: Distribution
    half_distribution: Distribution


@dataclass(frozen=True)
class ExamChances:
    questions: list[QuestionChances]
    max_points: float
    pass_points: float
    guesser: Figures
    dont_know: float
    half: Figures
    guesser_passes: float
    half_passes: float
    offers_dont_know: bool = True  # False: the "don't know" column stays blank

    @property
    def exact(self) -> bool:
        return all(q.exact for q in self.questions)


def parse_pass_mark(text: str, max_points: float) -> float:
    """'60%' (of the maximum) or a number of points, as points."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", text)
    if not match:
        raise KnownError(f"--pass takes a share like 60% or a number of points (got {text!r}).")
    value = float(match.group(1))
    points = value / 100 * max_points if match.group(2) else value
    if not 0 <= points <= max_points:
        raise KnownError(f"The pass mark {text} is outside 0..{max_points:g} points.")
    return points


def exam_chances(exam: Exam, pass_mark: str = "60%", *, seed: int = 1) -> ExamChances:
    rng = random.Random(seed)
    questions = [question_chances(exam, q, rng) for q in exam.questions]
    max_points = sum(q.points for q in exam.questions)
    pass_points = parse_pass_mark(pass_mark, max_points)
    guess_total = _sum([q.guess_distribution for q in questions])
    half_total = _sum([q.half_distribution for q in questions])
    return ExamChances(
        questions,
        max_points,
        pass_points,
        Figures.of(guess_total),
        sum(q.dont_know for q in questions),
        Figures.of(half_total),
        _at_least(guess_total, pass_points),
        _at_least(half_total, pass_points),
        exam.allow_dont_know,
    )


def question_chances(exam: Exam, q: Question, rng: random.Random | None = None) -> QuestionChances:
    rng = rng or random.Random(1)
    guesses, exact = _guesses(q, rng)
    guessable = guesses is not None
    guess: Distribution = defaultdict(float)
    if guesses is None:
        guess[0.0] = 1.0
    else:
        values = list(guesses)
        for value in values:
            points = score_question(q, Response(q.id, value), language=exam.language).points
            guess[round(points, _KEY)] += 1 / len(values)
    dont_know = (exam.dont_know_score * q.points) if exam.allow_dont_know else 0.0
    half: Distribution = defaultdict(float)
    half[round(q.points, _KEY)] += 0.5
    for p, w in guess.items():
        half[p] += 0.5 * w
    return QuestionChances(
        q.id,
        q.kind,
        q.points,
        guessable,
        exact,
        Figures.of(guess),
        dont_know,
        Figures.of(half),
        dict(guess),
        dict(half),
    )


def _guesses(q: Question, rng: random.Random) -> tuple[Iterator[Any] | list[Any] | None, bool]:
    """Every possible guess (exact) or a sample of them; None when a guess cannot score."""
    a = q.answer
    if isinstance(a, SingleChoice):
        return [c.id for c in a.choices], True
    if isinstance(a, TrueFalse):
        return [True, False], True
    if isinstance(a, MultipleChoice):
        ids = [c.id for c in a.choices]
        if a.select_exactly:
            k = a.select_exactly
            if math.comb(len(ids), k) <= EXACT_LIMIT:
                return [list(s) for s in itertools.combinations(ids, k)], True
            return [rng.sample(ids, k) for _ in range(SAMPLES)], False
        if 2 ** len(ids) <= EXACT_LIMIT:
            return [
                [i for i, on in zip(ids, bits) if on] for bits in itertools.product((0, 1), repeat=len(ids))
            ], True
        return [[i for i in ids if rng.random() < 0.5] for _ in range(SAMPLES)], False
    if isinstance(a, Ordering):
        if math.factorial(len(a.items)) <= EXACT_LIMIT:
            return [list(p) for p in itertools.permutations(a.items)], True
        return [rng.sample(a.items, len(a.items)) for _ in range(SAMPLES)], False
    if isinstance(a, Matching):
        n = len(a.options)
        if n and n ** len(a.prompts) <= EXACT_LIMIT:
            return [list(p) for p in itertools.product(range(n), repeat=len(a.prompts))], True
        return [[rng.randrange(n) for _ in a.prompts] for _ in range(SAMPLES)] if n else None, False
    return None, True  # typed answers and essays: a guess scores nothing, exactly


def _sum(distributions: list[Distribution]) -> Distribution:
    total: Distribution = {0.0: 1.0}
    for d in distributions:
        out: Distribution = defaultdict(float)
        for a, wa in total.items():
            for b, wb in d.items():
                out[round(a + b, _KEY)] += wa * wb
        total = dict(out)
    return total


def _at_least(d: Distribution, points: float) -> float:
    return min(1.0, sum(w for p, w in d.items() if p >= points - 1e-9))


def chances_table(chances: ExamChances) -> str:
    """The author's table: per question, then the exam, then the pass chances."""
    w = max([len(q.question_id) for q in chances.questions] + [8]) + 2
    lines = [
        f"{'question':<{w}}{'kind':<10}{'points':>7}  {'guessing':>14}  {'don’t know':>10}  {'knows half':>14}",
    ]

    def blank_or(value: float) -> str:
        return f"{value:>10.2f}" if chances.offers_dont_know else " " * 10

    for q in chances.questions:
        guess = f"{q.guesser.mean:.2f} ± {q.guesser.sd:.2f}" if q.guessable else "cannot guess"
        mark = "" if q.exact else " ~"
        lines.append(
            f"{q.question_id:<{w}}{q.kind:<10}{q.max_points:>7g}  {guess:>14}{mark:<2}{blank_or(q.dont_know)}  "
            f"{q.half.mean:>7.2f} ± {q.half.sd:.2f}"
        )
    lines.append(
        f"{'exam':<{w}}{'':<10}{chances.max_points:>7g}  "
        f"{chances.guesser.mean:>7.2f} ± {chances.guesser.sd:.2f}  {blank_or(chances.dont_know)}  "
        f"{chances.half.mean:>7.2f} ± {chances.half.sd:.2f}"
    )
    share = chances.pass_points / chances.max_points if chances.max_points else 0
    how = "exactly" if chances.exact else "partly by simulation (~)"
    lines.append(
        f"Pass mark {chances.pass_points:g} of {chances.max_points:g} points ({share:.0%}): reached by "
        f"guessing alone with probability {_chance(chances.guesser_passes)}, by knowing half and "
        f"guessing the rest with probability {_chance(chances.half_passes)} (computed {how})."
    )
    return "\n".join(lines)


def _chance(p: float) -> str:
    if p == 0:
        return "0"
    if p < 1e-4:
        return f"{p:.1e}"
    return f"{p:.2%}"
