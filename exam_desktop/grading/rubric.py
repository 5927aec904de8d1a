"""Rubric criteria with point levels, read from a question's `### Rubric` Markdown.

Each list item that starts with its points is a criterion:

    - 1 pt: generator vs discriminator, adversarial game.        levels 0, 0.5, 1
    - 2 pts: alternating updates; the minimax objective.         levels 0, 1, 2
    - 0/1/2/3 pt: names the cause, the mechanism and the fix.    levels as written

Lines indented under an item continue it. Anything else in the rubric (an introduction, a note) is
shown as written and has no buttons. A hand mark from a rubric is the sum of the levels chosen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exam_desktop.core.scoring import DECIMALS

_ITEM = re.compile(
    r"^[-*]\s+(?P<levels>\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)*)\s*(?:pts?|points?)\s*:\s*(?P<text>.*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Criterion:
    id: str  # "c1", "c2", ... in the rubric's order
    text: str
    levels: tuple[float, ...]  # ascending, the first is 0

    @property
    def points(self) -> float:
        return self.levels[-1]


def rubric_criteria(rubric: str) -> list[Criterion]:
    """The criteria of a rubric, in order; [] if it has none written with points."""
    criteria: list[tuple[tuple[float, ...], list[str]]] = []
    current: list[str] | None = None
    for line in rubric.splitlines():
        match = _ITEM.match(line.strip()) if not line[:1].isspace() else None
        if match:
            numbers = [float(n) for n in match.group("levels").split("/")]
            current = [match.group("text").strip()]
            criteria.append((_levels(numbers), current))
        elif current is not None and line[:1].isspace() and line.strip():
            current.append(line.strip())
        else:
            current = None
    return [Criterion(f"c{n}", " ".join(text), levels) for n, (levels, text) in enumerate(criteria, start=1)]


def _levels(numbers: list[float]) -> tuple[float, ...]:
    if len(numbers) > 1:
        return tuple(sorted({0.0, *numbers}))
    top = numbers[0]
    return tuple(sorted({0.0, round(top / 2, DECIMALS), top}))


def rubric_points(criteria: list[Criterion], chosen: dict[str, float]) -> float:
    """The hand mark the chosen levels add up to."""
    return round(sum(chosen.get(c.id, 0.0) for c in criteria), DECIMALS)
