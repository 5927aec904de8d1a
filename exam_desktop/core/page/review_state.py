"""Where each answer stands for the candidate: answered, not answered, "don't know yet", or invalid.

Invalid is an answer that is there but cannot count as the candidate means it: an unreadable number
or matrix cell, a number of picks other than the question asks, a matrix or template half filled.
Each state has its own mark in the navigator and its own list on the review page; an invalid answer
says why the moment it is typed. (Flagged is separate: any answer can be flagged too.)
"""

from __future__ import annotations

from typing import Any, Literal

from exam_desktop.core.model import Matrix, MultipleChoice, Question, Template
from exam_desktop.core.numbers import NumberNotReadable, parse_number
from exam_desktop.core.page.strings import fill, strings_for
from exam_desktop.core.responses import Response, is_empty

State = Literal["answered", "unanswered", "dont_know", "invalid"]
STATES: tuple[State, ...] = ("answered", "unanswered", "dont_know", "invalid")


def review_state(question: Question, response: Response, language: str = "en") -> tuple[State, str]:
    """The answer's state and, when invalid, the sentence saying why (in the exam's language)."""
    if response.dont_know:
        return "dont_know", ""
    value = response.value
    if is_empty(value):
        return "unanswered", ""
    why = invalid_reason(question, value, language)
    return ("invalid", why) if why else ("answered", "")


def invalid_reason(question: Question, value: Any, language: str = "en") -> str:
    """Why a non-empty `value` cannot count as given, or "" when it can."""
    s = strings_for(language)
    answer = question.answer
    if question.kind == "numeric" and isinstance(value, str):
        try:
            parse_number(value, language)
        except NumberNotReadable:
            return fill(s["invalid_number"], text=value.strip())
    elif isinstance(answer, Matrix) and isinstance(value, list):
        cells = [(r, c, str(cell)) for r, row in enumerate(value) for c, cell in enumerate(row)]
        for r, c, cell in cells:
            if cell.strip():
                try:
                    parse_number(cell, language)
                except NumberNotReadable:
                    return fill(s["invalid_cell"], row=r + 1, col=c + 1, text=cell.strip())
        empty = sum(not cell.strip() for _, _, cell in cells)
        if empty:
            return fill(s["invalid_cells_empty"], n=empty)
    elif isinstance(answer, MultipleChoice) and isinstance(value, list) and answer.select_exactly:
        if len(value) != answer.select_exactly:
            return fill(s["invalid_picks"], n=answer.select_exactly, given=len(value))
    elif isinstance(answer, Template) and isinstance(value, dict):
        empty = sum(not str(value.get(b.name, "")).strip() for b in answer.blanks)
        if empty:
            return fill(s["invalid_blanks_empty"], n=empty)
    return ""
