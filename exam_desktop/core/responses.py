"""What a candidate answered: one `Response` per question, as JSON-ready values.

`value` depends on the question kind:
  single     -> choice id (str) or None
  multiple   -> list of choice ids
  truefalse  -> bool or None
  numeric    -> the text as typed (str), parsed by core.numbers.parse_number when scored
  matrix     -> list of rows of cell texts (list[list[str]])
  template   -> {blank name: text} (a menu blank: the option picked)
  short      -> str
  essay      -> str
  matching   -> list, per prompt, of the chosen option's index (or None)
  ordering   -> list of the item texts in the candidate's order
  dragwords  -> list, per gap, of the word placed there (or None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Response:
    question_id: str
    value: Any = None
    dont_know: bool = False
    flagged: bool = False
    rating: int | None = None

    @property
    def answered(self) -> bool:
        return self.dont_know or not is_empty(self.value)


def is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return all(is_empty(v) for v in value)
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    return False
