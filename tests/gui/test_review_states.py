"""Review states: answered, not answered, "don't know yet" and invalid each have their own mark and
list; an invalid answer says why at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import BANKS
from pagetools import TIMEOUT_MS, click, close_window, go, js, open_window, text_of, type_text

from exam_desktop.core.bank import load_bank
from exam_desktop.core.page.review_state import review_state
from exam_desktop.core.responses import Response

pytestmark = pytest.mark.gui
SHOTS = Path(
    os.environ.get("EXAM_DESKTOP_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "out" / "exam-day"
)


def test_seven_picks_where_six_are_asked_is_invalid_and_says_so():
    exam = load_bank(BANKS / "dl-exam-it.md")
    question = exam.question("vanishing-gradients")
    ids = [c.id for c in question.answer.choices]
    assert review_state(question, Response(question.id, ids[:6]), "it") == ("answered", "")
    state, why = review_state(question, Response(question.id, ids[:7]), "it")
    assert state == "invalid" and why == "Seleziona esattamente 6: ne hai selezionate 7."


@pytest.fixture
def window(tmp_path):
    exam = load_bank(BANKS / "sample-every-kind.md")
    window = open_window(exam, tmp_path / "answers.sqlite")
    yield window
    close_window(window)


def nav_classes(window, question_id: str) -> list[str]:
    return js(
        window, f"return [...document.querySelector('.nav-question[data-id=\"{question_id}\"]').classList]"
    )


def test_each_state_has_its_mark_its_list_and_an_invalid_cell_says_why_at_once(qtbot, window, tmp_path):
    go(qtbot, window, "relu")
    type_text(window, "input.cell", "abc04")
    qtbot.waitUntil(lambda: "abc04" in (text_of(window, "#answer-feedback") or ""), timeout=TIMEOUT_MS)
    assert text_of(window, "#answer-feedback") == "Row 1, column 1: “abc04” is not a number."
    assert "state-invalid" in nav_classes(window, "relu") and "answered" not in nav_classes(window, "relu")

    go(qtbot, window, "mlp-params")
    type_text(window, "#numeric", "12,,3")
    go(qtbot, window, "summary")
    type_text(window, "input.blank", "(None, 128, 256, 16)")
    qtbot.waitUntil(lambda: "empty" in (text_of(window, "#answer-feedback") or ""), timeout=TIMEOUT_MS)
    go(qtbot, window, "minibatches")
    click(window, "#dont-know")
    qtbot.waitUntil(lambda: "state-dont-know" in nav_classes(window, "minibatches"), timeout=TIMEOUT_MS)
    go(qtbot, window, "maxpool")
    click(window, "#opt-1")
    qtbot.waitUntil(lambda: "answered" in nav_classes(window, "maxpool"), timeout=TIMEOUT_MS)

    with qtbot.waitSignal(window.shown, timeout=TIMEOUT_MS):
        click(window, "#review")
    lists = js(
        window,
        "return [...document.querySelectorAll('.review h2')].map(h => [h.textContent,"
        " h.nextElementSibling.textContent])",
    )
    by_heading = dict(lists)
    invalid = by_heading["Answers that need a look"]
    assert "ReLU backward" in invalid and "“abc04” is not a number" in invalid
    assert "Parameters of an MLP" in invalid and "Some blanks are still empty (1)" in invalid
    assert "Mini-batches" in by_heading["“I don't know yet”"]
    assert (
        "1. Mini-batches" not in by_heading["Not answered"]
        and "3. Max pooling" not in by_heading["Not answered"]
    )
    assert "Max pooling backward" in by_heading["Not answered"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with qtbot.waitSignal(window.painted, timeout=TIMEOUT_MS):
        window.request_paint("review")
    window.grab().save(str(SHOTS / "review-states.png"))


def test_practice_mode_reopens_the_whole_instructions_at_any_time(qtbot, tmp_path):
    exam = load_bank(BANKS / "sample-every-kind.md")
    window = open_window(exam, tmp_path / "practice.sqlite", practice=True)
    try:
        click(window, "#instructions-open")
        text = text_of(window, ".instructions-text")
        assert "Duration: 20 minutes" in text and "use Flag to mark a question for review" in text
        assert js(window, "return document.activeElement.id") == "instructions-close"
        js(
            window,
            "document.getElementById('instructions-dialog').dispatchEvent("
            "new KeyboardEvent('keydown', {key: 'Escape', bubbles: true})); return true",
        )
        assert js(window, "return document.getElementById('instructions-dialog').hidden") is True
    finally:
        close_window(window)
