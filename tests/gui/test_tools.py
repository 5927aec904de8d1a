"""Candidate tools in the real exam page: calculator, shared passages, notes, eliminator, highlighter,
timer hide, display settings, and that tool use is journaled through the saving interface."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BANKS
from pagetools import TIMEOUT_MS, click, close_window, go, js, open_window, text_of, type_text
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from exam_desktop.core.bank import load_bank
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.saving import AnswerFileSaving
from exam_desktop.core.seat.timer import ExamClock
from exam_desktop.gui.exam_window import ExamWindow
from exam_desktop.gui.preview import wait_for

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def assessment(tmp_path_factory):
    """Seed 003 (English): a calculator on the two parameter counts only."""
    exam = load_bank(BANKS / "dl-assessment.md")
    window = open_window(exam, tmp_path_factory.mktemp("tools") / "answers.db")
    yield window
    close_window(window)


@pytest.fixture(scope="module")
def italian(tmp_path_factory):
    """Seed 004 (Italian): the Keras model is a passage beside three questions."""
    exam = load_bank(BANKS / "dl-exam-it.md")
    window = open_window(exam, tmp_path_factory.mktemp("tools-it") / "answers.db")
    yield window
    close_window(window)


def visible(window: ExamWindow, selector: str) -> bool:
    return js(
        window,
        f"const e = document.querySelector({selector!r}); return !!e && !e.hidden && e.getClientRects().length > 0;",
    )


def open_calculator(qtbot, window: ExamWindow) -> None:
    if visible(window, "#calculator"):
        click(window, "#tool-calculator")  # closes it
    click(window, "#tool-calculator")  # opens it with the focus in its field
    qtbot.waitUntil(
        lambda: js(window, "return document.activeElement.id") == "calc-input", timeout=TIMEOUT_MS
    )
    js(window, "document.querySelector('#calc-input').value = ''; return 1;")


def type_keys(window: ExamWindow, keys: str) -> None:
    """Real key presses, through Qt into the page (as the candidate's keyboard sends them)."""
    window.activateWindow()  # the keys go to this window's page, whatever else is open
    window.view.setFocus()
    target = window.view.focusProxy()
    QTest.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # typing replaces it
    QTest.keyClicks(target, keys)
    QTest.keyClick(target, Qt.Key.Key_Return)


def calculator_says(qtbot, window: ExamWindow, expected: str) -> None:
    qtbot.waitUntil(lambda: expected in (text_of(window, "#calc-result") or ""), timeout=TIMEOUT_MS)


def test_the_calculator_computes_the_parameter_count_from_keys_alone(qtbot, assessment):
    go(qtbot, assessment, "mlp-parameters")
    assert visible(assessment, "#tool-calculator")
    open_calculator(qtbot, assessment)
    type_keys(assessment, "20*50+50+50*50+50+50*5+5")
    calculator_says(qtbot, assessment, "= 3855")
    assert js(assessment, "return document.querySelector('#calc-history li').textContent") == (
        "20*50+50+50*50+50+50*5+5 = 3855"
    )
    # the last answer is kept: ans/5 continues from 3855
    type_keys(assessment, "ans/5")
    calculator_says(qtbot, assessment, "= 771")


def test_the_calculator_refuses_code_and_says_why(qtbot, assessment):
    go(qtbot, assessment, "mlp-parameters")
    open_calculator(qtbot, assessment)
    type_keys(assessment, "__import__('os')")
    calculator_says(qtbot, assessment, "Cannot compute this")
    assert "__import__" in text_of(assessment, "#calc-result")
    assert (
        js(assessment, "return document.querySelector('#calc-input').getAttribute('aria-invalid')") == "true"
    )
    type_keys(assessment, "2^10")  # a basic calculator has no powers
    calculator_says(qtbot, assessment, "not on this calculator")


def test_no_calculator_where_the_bank_offers_none(qtbot, assessment):
    go(qtbot, assessment, "iou")
    assert not visible(assessment, "#tool-calculator")
    assert not visible(assessment, "#calculator")  # closed on leaving a question that had it
    assert visible(assessment, "#tool-notes")
    # the page cannot compute behind the bank's back either: Python does not answer
    calls = []
    original = assessment._js
    assessment._js = lambda function, *args: calls.append(function)
    try:
        assessment._on_message("calculate", {"request": 999, "expression": "1+1"})
    finally:
        assessment._js = original
    assert calls == []


def test_italian_calculator_reads_decimal_commas(qtbot, italian):
    go(qtbot, italian, "model-summary")
    open_calculator(qtbot, italian)
    type_keys(italian, "2,5*3")
    calculator_says(qtbot, italian, "= 7,5")


def test_the_keras_model_is_beside_the_questions_about_it(qtbot, italian):
    for question in ("model-summary", "receptive-field", "network-tasks"):
        go(qtbot, italian, question)
        qtbot.waitUntil(
            lambda: (
                "tfkl.Conv2DTranspose(filters = 3"
                in (text_of(italian, "#passage-panel .passage[data-passage=keras-model]") or "")
            ),
            timeout=TIMEOUT_MS,
        )
        assert js(italian, "return document.querySelector('#passage-panel').tagName") == "ASIDE"
        # beside the question: the two boxes share a row on a wide window
        top = js(
            italian,
            "const a = document.querySelector('#passage-panel').getBoundingClientRect();"
            "const q = document.querySelector('article.question').getBoundingClientRect();"
            "return [Math.abs(a.top - q.top) < 2, a.right <= q.left];",
        )
        assert top == [True, True]
    go(qtbot, italian, "inception")
    assert js(italian, "return document.querySelector('#passage-panel')") is None


def test_the_passage_can_be_collapsed_and_stays_so(qtbot, italian):
    go(qtbot, italian, "receptive-field")
    click(italian, "#passage-toggle")
    assert (
        js(italian, "return document.querySelector('#passage-toggle').getAttribute('aria-expanded')")
        == "false"
    )
    assert not visible(italian, "#passage-bodies")
    go(qtbot, italian, "network-tasks")
    assert not visible(italian, "#passage-bodies")
    click(italian, "#passage-toggle")
    assert visible(italian, "#passage-bodies")


def test_striking_an_option_is_an_aid_not_an_answer(qtbot, assessment):
    go(qtbot, assessment, "iou")
    with qtbot.waitSignal(assessment.saved, timeout=TIMEOUT_MS):
        click(assessment, ".strike[data-option=d]")
    assert (
        js(assessment, "return document.querySelector('.strike[data-option=d]').getAttribute('aria-pressed')")
        == "true"
    )
    assert js(
        assessment,
        "return document.querySelector('.strike[data-option=d]').closest('label').classList.contains('struck')",
    )
    assert assessment.responses["iou"].value is None  # nothing answered
    assert assessment.saving.page_state().aids["iou"]["struck"] == ["d"]


def test_timer_hide_keeps_the_warnings(qtbot, assessment):
    go(qtbot, assessment, "iou")
    click(assessment, "#tool-hide-timer")
    assert not js(
        assessment, "return getComputedStyle(document.querySelector('#timer')).visibility === 'visible'"
    )
    assessment.show_notice("5 minutes left.")
    assert visible(assessment, "#notice")
    assert assessment.saving.page_state().comfort["timer_hidden"] is True
    click(assessment, "#tool-hide-timer")
    assert js(assessment, "return getComputedStyle(document.querySelector('#timer')).visibility") == "visible"


def test_highlights_are_kept_as_text_ranges(qtbot, assessment):
    go(qtbot, assessment, "iou")
    click(assessment, "#tool-highlighter")
    with qtbot.waitSignal(assessment.saved, timeout=TIMEOUT_MS):
        js(
            assessment,
            "const stem = document.querySelector('#view .stem'); const text = stem.querySelector('p').firstChild;"
            "const range = document.createRange(); range.setStart(text, 0); range.setEnd(text, 8);"
            "getSelection().removeAllRanges(); getSelection().addRange(range);"
            "document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true})); return 1;",
        )
    assert text_of(assessment, "#view .stem mark.hl") == "Consider"
    assert assessment.saving.page_state().aids["iou"]["highlights"] == [[0, 8]]
    click(assessment, "#tool-highlighter")


def test_opening_and_closing_tools_is_journaled_not_their_keys(qtbot, tmp_path):
    """On a seat the window saves through the session's interface, which journals."""
    exam = load_bank(BANKS / "dl-assessment.md")
    store = AnswerStore.open(tmp_path / "answers.db")
    window = ExamWindow(exam, AnswerFileSaving(store), ExamClock(exam.duration_minutes * 60))
    window.resize(1280, 860)
    window.show()
    wait_for(window.ready, lambda: True, "loading")
    try:
        go(qtbot, window, "mlp-parameters")
        open_calculator(qtbot, window)
        type_keys(window, "1+2")
        calculator_says(qtbot, window, "= 3")
        click(window, "#calculator .panel-close")
        click(window, "#tool-notes")
        type_text(window, "#notes", "my private thought")
        click(window, "#tool-notes")
        events = [(e["type"], e["data"]) for e in store.events() if e["type"] == "tool"]
        assert events == [
            ("tool", {"tool": "calculator", "open": True}),
            ("tool", {"tool": "calculator", "open": False}),
            ("tool", {"tool": "notes", "open": True}),
            ("tool", {"tool": "notes", "open": False}),
        ]
        assert "1+2" not in str(store.events())
    finally:
        window.close()
        window.deleteLater()
        store.close()


def test_display_choices_are_remembered(qtbot, tmp_path):
    exam = load_bank(BANKS / "dl-assessment.md")
    path = tmp_path / "answers.db"
    window = open_window(exam, path)
    click(window, "#tool-display")
    click(window, "#theme-dark-choice")
    click(window, "#font-dyslexia-choice")
    click(window, "#spacing-choice")
    close_window(window)
    window = open_window(exam, path)
    try:
        classes = js(window, "return document.body.className")
        assert {"theme-dark", "font-dyslexia", "wide-spacing"} <= set(classes.split())
        assert "OpenDyslexic" in js(
            window, "return getComputedStyle(document.querySelector('#view')).fontFamily"
        )
    finally:
        close_window(window)


def test_seed_banks_load_with_their_tools(qtbot, tmp_path):
    """Every seed bank's tool bar comes up without a script error."""
    for name in ("ml-engineers-test", "dlai-2021-09-14"):
        window = open_window(load_bank(BANKS / f"{name}.md"), Path(tmp_path) / f"{name}.db")
        try:
            assert visible(window, "#tool-notes") and window.page_errors == []
        finally:
            close_window(window)


def test_read_aloud_says_plainly_when_there_is_no_voice(qtbot, assessment):
    # this machine's speech-dispatcher plug-in does not load: no engine has a voice
    state = js(
        assessment,
        "const b = document.querySelector('#tool-read-aloud');"
        "return [b.disabled, document.getElementById(b.getAttribute('aria-describedby')).textContent];",
    )
    assert state == [True, "Read aloud is not available: this computer has no voice installed."]


def test_read_aloud_speaks_the_question_with_figures_and_formulas(qtbot, tmp_path, monkeypatch):
    """Qt's test engine ("mock") stands in for a voice: what would be said is what it is given."""
    from exam_desktop.gui import speech

    said: list[str] = []
    monkeypatch.setattr(speech, "ENGINES", ("mock",))
    original = speech.ReadAloud.say
    monkeypatch.setattr(speech.ReadAloud, "say", lambda self, text: (said.append(text), original(self, text)))
    window = open_window(load_bank(BANKS / "dl-assessment.md"), tmp_path / "answers.db")
    try:
        go(qtbot, window, "iou")
        assert js(window, "return document.querySelector('#tool-read-aloud').disabled") is False
        click(window, "#tool-read-aloud")
        qtbot.waitUntil(lambda: bool(said), timeout=TIMEOUT_MS)
        text = said[0]
        assert text.startswith("Intersection over Union")
        assert "Box “Ground truth” (blue) from x 1, y 2 to x 7, y 6" in text  # the figure, described
        assert "IoU < 0.45" in text  # the options
        assert text_of(window, "#tool-read-aloud") == window.strings["read_stop"]
        click(window, "#tool-read-aloud")
        qtbot.waitUntil(lambda: len(said) == 2, timeout=TIMEOUT_MS)
        assert said[1] == ""  # stop
        go(qtbot, window, "gradient-interpretation")
        click(window, "#tool-read-aloud")
        qtbot.waitUntil(lambda: len(said) == 3, timeout=TIMEOUT_MS)
        assert "the fraction with numerator partial differential script L" in said[2]
    finally:
        close_window(window)


def test_a_highlight_in_a_passage_is_seen_beside_every_question_that_shows_it(qtbot, italian):
    go(qtbot, italian, "model-summary")
    qtbot.waitUntil(lambda: bool(text_of(italian, "#passage-panel .passage-body")), timeout=TIMEOUT_MS)
    click(italian, "#tool-highlighter")
    with qtbot.waitSignal(italian.saved, timeout=TIMEOUT_MS):
        js(
            italian,
            "const code = document.querySelector('#passage-panel .passage-body pre');"
            "const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);"
            "let node; while ((node = walker.nextNode()) && !node.data.includes('input_shape')) {}"
            "const at = node.data.indexOf('input_shape'); const range = document.createRange();"
            "range.setStart(node, at); range.setEnd(node, at + 11);"
            "getSelection().removeAllRanges(); getSelection().addRange(range);"
            "document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true})); return 1;",
        )
    click(italian, "#tool-highlighter")
    assert italian.saving.page_state().aids["passage:keras-model"]["highlights"]
    go(qtbot, italian, "receptive-field")
    qtbot.waitUntil(lambda: text_of(italian, "#passage-panel mark.hl") == "input_shape", timeout=TIMEOUT_MS)
