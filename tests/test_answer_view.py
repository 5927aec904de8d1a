"""How answers and keys are shown (practice results, feedback pages, grading window): one module,
every kind marked against the key, in the exam's language."""

from __future__ import annotations

import random
import re

import pytest
from conftest import BANKS

from exam_desktop.core.bank import load_bank
from exam_desktop.core.page.answer_view import key_html, response_html
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import score_exam
from exam_desktop.grading.simulate import simulated_responses

EXAM = load_bank(BANKS / "sample-every-kind.md")
ITALIAN = load_bank(BANKS / "dl-exam-it.md")
MARKED_KINDS = ("single", "multiple", "truefalse", "matrix", "template", "matching", "ordering")


def classes(html: str) -> list[str]:
    return re.findall(r'class="([^"]*)"', html)


def marks(html: str) -> tuple[int, int]:
    found = " ".join(classes(html)).split()
    return found.count("right"), found.count("wrong")


def picks_only_right(question, response) -> bool:
    """A multiple choice missing some right options but with no wrong pick: nothing to mark wrong."""
    return all(c.correct for c in question.answer.choices if c.id in (response.value or []))


@pytest.mark.parametrize("question", EXAM.questions, ids=[q.kind + ":" + q.id for q in EXAM.questions])
def test_a_right_answer_is_marked_right_and_a_wrong_one_wrong(question):
    right = simulated_responses(EXAM, random.Random(1), ability=1.0)[question.id]
    shown = response_html(question, right)
    assert shown.startswith('<div class="answer-view">')
    if question.kind in MARKED_KINDS:
        assert marks(shown)[1] == 0 and marks(shown)[0] > 0, shown
        wrong = next(
            r
            for seed in range(100)
            if (r := simulated_responses(EXAM, random.Random(seed), ability=0.0).get(question.id))
            and r.answered
            and not r.dont_know
            and not (question.kind == "multiple" and picks_only_right(question, r))
            and score_exam(EXAM, {question.id: r}).per_question[question.id].points < question.points
        )
        assert marks(response_html(question, wrong))[1] > 0
    assert key_html(question).startswith('<div class="answer-view key">')


def test_nothing_and_dont_know_are_said_in_the_exam_language():
    q = next(q for q in ITALIAN.questions if q.kind not in ("single", "multiple"))
    assert "Nessuna risposta." in response_html(q, Response(q.id), "it")
    assert "No answer." in response_html(q, Response(q.id), "en")
    assert "Nessuna risposta." in response_html(q, Response(q.id), "it-IT")  # as the window reads it
    assert "Non lo so ancora" in response_html(q, Response(q.id, None, dont_know=True), "it")
    assert "know yet" in response_html(q, Response(q.id, None, dont_know=True))


def test_true_false_and_word_counts_follow_the_language():
    tf = next(q for q in EXAM.questions if q.kind == "truefalse")
    assert ">Vero<" in response_html(tf, Response(tf.id, True), "it")
    assert ">True<" in response_html(tf, Response(tf.id, True), "en")
    assert f">{'Vero' if tf.answer.answer else 'Falso'}<" in key_html(tf, "it")
    essay = next(q for q in EXAM.questions if q.kind == "essay")
    assert "3 parole" in response_html(essay, Response(essay.id, "tre parole qui"), "it")
    assert "1 word<" in response_html(essay, Response(essay.id, "one"), "en")


def test_bank_text_goes_through_the_callers_renderer():
    single = next(q for q in EXAM.questions if q.kind == "single")
    seen: list[str] = []

    def render(text: str) -> str:
        seen.append(text)
        return "<span>rendered</span>"

    shown = key_html(single, "en", render)
    assert seen == [c.text for c in single.answer.choices]
    assert shown.count("rendered") == len(single.answer.choices)


def test_what_a_candidate_typed_is_escaped_never_run():
    short = next(q for q in EXAM.questions if q.kind == "short")
    shown = response_html(short, Response(short.id, '<img src=x onerror="alert(1)">'))
    assert "<img" not in shown and "&lt;img" in shown
    ordering = next(q for q in EXAM.questions if q.kind == "ordering")
    odd = response_html(ordering, Response(ordering.id, ["<script>alert(1)</script>"]))
    assert "<script>" not in odd and "&lt;script&gt;" in odd  # not an item of the bank: escaped
