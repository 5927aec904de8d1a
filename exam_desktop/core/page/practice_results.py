"""The practice-mode results page: score, score per domain and, per question, "What you selected",
"Correct answer" and the explanation. Needs the exam with its key (practice mode only). Answers
and keys are drawn by `core.page.answer_view`, as in the feedback pages and the grading window.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from exam_desktop.core.model import Exam
from exam_desktop.core.page.answer_view import key_html, response_html
from exam_desktop.core.page.question_data import QuestionPages
from exam_desktop.core.page.strings import fill, number, percent
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import ExamScore, QuestionScore


def _points(value: float, language: str = "en") -> str:
    """Points as people write them: 1, 0.5, 1.56 (never 1.5556); 2,37 in Italian."""
    return number(value, language)


def _outcome(score: QuestionScore) -> str:
    if score.status == "manual-pending":
        return "pending"
    return "right" if score.max_points and score.points >= score.max_points else "wrong"


def results_page(
    exam: Exam, pages: QuestionPages, responses: dict[str, Response], score: ExamScore
) -> dict[str, Any]:
    """The data `exam.showResults` in the page displays."""
    s = pages.strings
    lang = exam.language
    share = round(100 * score.total / score.max_total) if score.max_total else 0
    questions = []
    for q in exam.questions:
        result = score.per_question[q.id]
        response = responses.get(q.id) or Response(q.id)
        points = fill(
            s["points_of"], points=_points(result.points, lang), max=_points(result.max_points, lang)
        )
        if result.status == "manual-pending":
            points += " — " + fill(
                s["graded_by_hand"],
                points=_points(result.pending, lang),
                max=_points(result.max_points, lang),
            )
        position = pages.positions[q.id]
        render = partial(pages.markdown, question=q)  # the window's renderer serves the figures
        questions.append(
            {
                "heading": f"{position.number}. {q.title}",
                "points_text": points,
                "outcome": _outcome(result),
                "html_stem": pages.markdown(q.stem, q),
                "selected_html": response_html(q, response, exam.language, render),
                "correct_html": key_html(q, exam.language, render),
                "explanation_html": pages.markdown(q.explanation, q) if q.explanation else "",
            }
        )
    return {
        "title": s["results_title"],
        "score_text": fill(
            s["score_text"],
            points=_points(score.total, lang),
            max=_points(score.max_total, lang),
            percent=number(share, lang),
        ),
        "domains": [
            {
                "tag": tag,
                "text": f"{_points(t.points, lang)} / {_points(t.max_points, lang)} ({percent(t.fraction, lang)})",
            }
            for tag, t in sorted(score.per_tag.items())
        ],
        "questions": questions,
    }
