"""The practice-mode results page: score, score per domain and, per question, "What you selected",
"Correct answer" and the explanation. Needs the exam with its key (practice mode only).
"""

from __future__ import annotations

import html
from typing import Any

from exam_desktop.core.model import (
    Essay,
    Exam,
    Matching,
    Matrix,
    MultipleChoice,
    Numeric,
    NumericAnswer,
    Ordering,
    Question,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
)
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import ExamScore, QuestionScore
from exam_desktop.gui.question_data import QuestionPages
from exam_desktop.gui.strings import fill


def _text(value: str) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in value.splitlines() if line.strip())


def _table(rows: list[list[Any]]) -> str:
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="matrix-answer">{body}</table>'


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _points(value: float) -> str:
    """Points as people write them: 1, 0.5, 1.56 (never 1.5556)."""
    return f"{round(value, 2):g}"


def _numeric_key(answer: NumericAnswer) -> str:
    value = f"{answer.value:g}"
    if answer.tolerance:
        tolerance = f"{answer.tolerance * 100:g}%" if answer.relative else f"{answer.tolerance:g}"
        value += f" ± {tolerance}"
    if answer.weight != 1:
        value += f" ({answer.weight:.0%})"
    return value


def selected_html(pages: QuestionPages, q: Question, response: Response, s: dict[str, str]) -> str:
    """What the candidate answered, as HTML."""
    if response.dont_know:
        return _text(s["dont_know_selected"])
    if not response.answered:
        return _text(s["nothing_selected"])
    answer, value = q.answer, response.value
    if isinstance(answer, SingleChoice):
        return "".join(pages.markdown(c.text, q) for c in answer.choices if c.id == value)
    if isinstance(answer, MultipleChoice):
        return _list([pages.markdown(c.text, q) for c in answer.choices if c.id in value])
    if isinstance(answer, TrueFalse):
        return _text(s["true_label"] if value else s["false_label"])
    if isinstance(answer, Matrix):
        return _table(value)
    if isinstance(answer, Template):
        return _list([html.escape(f"{name}: {text}") for name, text in value.items()])
    if isinstance(answer, Matching):
        return _pairs(pages, q, answer, value)
    if isinstance(answer, Ordering):
        return _ordered(pages, q, value)
    return _text(str(value))


def _pairs(pages: QuestionPages, q: Question, answer: Matching, picks: list[int | None]) -> str:
    rows = []
    for prompt, pick in zip(answer.prompts, picks):
        chosen = pages.inline_markdown(answer.options[pick], q) if pick is not None else "—"
        rows.append(f"{pages.inline_markdown(prompt, q)} → {chosen}")
    return _list(rows)


def _ordered(pages: QuestionPages, q: Question, items: list[str]) -> str:
    return "<ol>" + "".join(f"<li>{pages.inline_markdown(i, q)}</li>" for i in items) + "</ol>"


def correct_html(pages: QuestionPages, q: Question, s: dict[str, str]) -> str:
    """The key of `q`, as HTML."""
    answer = q.answer
    if isinstance(answer, SingleChoice):
        return "".join(pages.markdown(c.text, q) for c in answer.choices if c.correct)
    if isinstance(answer, MultipleChoice):
        return _list([pages.markdown(c.text, q) for c in answer.choices if c.correct])
    if isinstance(answer, TrueFalse):
        return _text(s["true_label"] if answer.answer else s["false_label"])
    if isinstance(answer, Numeric):
        unit = f" {answer.unit}" if answer.unit else ""
        return _list([html.escape(_numeric_key(a) + unit) for a in answer.answers])
    if isinstance(answer, Matrix):
        return _table([[f"{cell:g}" for cell in row] for row in answer.key])
    if isinstance(answer, Template):
        return _list(
            [
                html.escape(f"{b.name}: " + (" | ".join(b.accepted) if b.accepted else "—"))
                for b in answer.blanks
            ]
        )
    if isinstance(answer, ShortText):
        return _list([html.escape(a) for a in answer.accepted])
    if isinstance(answer, Matching):
        return _pairs(pages, q, answer, list(answer.key))
    if isinstance(answer, Ordering):
        return _ordered(pages, q, answer.items)
    if isinstance(answer, Essay) and answer.rubric:
        return pages.markdown(answer.rubric, q)
    return ""


def _outcome(score: QuestionScore) -> str:
    if score.status == "manual-pending":
        return "pending"
    return "right" if score.max_points and score.points >= score.max_points else "wrong"


def results_page(
    exam: Exam, pages: QuestionPages, responses: dict[str, Response], score: ExamScore
) -> dict[str, Any]:
    """The data `exam.showResults` in the page displays."""
    s = pages.strings
    percent = round(100 * score.total / score.max_total) if score.max_total else 0
    questions = []
    for q in exam.questions:
        result = score.per_question[q.id]
        response = responses.get(q.id) or Response(q.id)
        points = fill(s["points_of"], points=_points(result.points), max=_points(result.max_points))
        if result.status == "manual-pending":
            points += " — " + fill(
                s["graded_by_hand"], points=_points(result.pending), max=_points(result.max_points)
            )
        position = pages.positions[q.id]
        questions.append(
            {
                "heading": f"{position.number}. {q.title}",
                "points_text": points,
                "outcome": _outcome(result),
                "html_stem": pages.markdown(q.stem, q),
                "selected_html": selected_html(pages, q, response, s),
                "correct_html": correct_html(pages, q, s),
                "explanation_html": pages.markdown(q.explanation, q) if q.explanation else "",
            }
        )
    return {
        "title": s["results_title"],
        "score_text": fill(
            s["score_text"], points=_points(score.total), max=_points(score.max_total), percent=percent
        ),
        "domains": [
            {"tag": tag, "text": f"{_points(t.points)} / {_points(t.max_points)} ({t.fraction:.0%})"}
            for tag, t in sorted(score.per_tag.items())
        ],
        "questions": questions,
    }
