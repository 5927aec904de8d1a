"""Scoring of matching and ordering questions, by hand-computed expectations."""

from __future__ import annotations

from exam_desktop.core.model import Matching, Ordering, Question
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import score_question


def question(answer, points=2.0):
    return Question("q", "Q", points, "", answer)


def test_matching_per_prompt_and_all_or_nothing():
    answer = Matching(["Conv2D", "MaxPooling2D"], ["downsamples", "features", "normalises"], [1, 0])
    assert score_question(question(answer), Response("q", [1, 0])).points == 2.0
    assert score_question(question(answer), Response("q", [1, 2])).points == 1.0  # one of two right
    assert score_question(question(answer), Response("q", [None, None])).status == "unanswered"
    answer.scoring = "all-or-nothing"
    assert score_question(question(answer), Response("q", [1, 2])).points == 0.0


def test_ordering_all_or_nothing_and_per_position():
    answer = Ordering(["forward", "loss", "backward", "update"])
    right = ["forward", "loss", "backward", "update"]
    swapped = ["forward", "backward", "loss", "update"]
    assert score_question(question(answer, 4), Response("q", right)).points == 4.0
    assert score_question(question(answer, 4), Response("q", swapped)).points == 0.0
    answer.scoring = "per-position"
    assert score_question(question(answer, 4), Response("q", swapped)).points == 2.0
