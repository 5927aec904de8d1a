"""The candidate answers every kind of question through the real page; each answer lands in SQLite.

One exam window (one QtWebEngine page) serves the whole module: the tests run in order, like a
candidate going through the sample bank, and read the answer file through a second connection.
"""

from __future__ import annotations

import pytest
from conftest import BANKS
from pagetools import click, close_window, go, js, key, open_window, saved, text_of, type_text
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from exam_desktop.core.bank import load_bank
from exam_desktop.core.seat.meta import Meta

pytestmark = pytest.mark.gui

TIMEOUT = 5000


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return tmp_path_factory.mktemp("candidate") / "answers.sqlite"


@pytest.fixture(scope="module")
def window(qapp, store_path):
    exam = load_bank(BANKS / "sample-every-kind.md")
    window = open_window(exam, store_path)
    yield window
    close_window(window)


def row(store_path, question_id):
    return saved(store_path).get(question_id)


def wait_saved(qtbot, store_path, question_id, check):
    qtbot.waitUntil(lambda: (r := row(store_path, question_id)) is not None and check(r), timeout=TIMEOUT)


def test_the_first_question_is_shown_with_its_math_typeset(window):
    assert window.current_id == "minibatches"
    assert text_of(window, "#q-title") == "Mini-batches"
    assert js(window, "return document.querySelectorAll('.stem mjx-container svg').length") >= 1
    # assistive MathML for screen readers next to every formula
    assert (
        js(window, "return document.querySelectorAll('.stem mjx-container mjx-assistive-mml math').length")
        >= 1
    )
    assert text_of(window, "#page-indicator") == "Page 1 of 4 · Choices"
    assert window.page_errors == []


def test_single_choice_click_saves_the_choice_and_clear_selection_removes_it(qtbot, window, store_path):
    click(window, "label[for=opt-1]")
    wait_saved(qtbot, store_path, "minibatches", lambda r: r.value == "b")
    assert js(
        window,
        "return document.querySelector('.nav-question[data-id=minibatches]').classList.contains('answered')",
    )
    qtbot.waitUntil(lambda: text_of(window, "#save-state") == "✓ All answers saved", timeout=TIMEOUT)

    click(window, ".clear-selection")
    wait_saved(qtbot, store_path, "minibatches", lambda r: r.value is None)
    assert (
        js(window, "return [...document.querySelectorAll('input[name=answer]')].some(x => x.checked)")
        is False
    )


def test_multiple_choice_counts_and_saves_every_pick(qtbot, window, store_path):
    go(qtbot, window, "birnn")
    click(window, "#opt-2")
    click(window, "#opt-3")
    wait_saved(qtbot, store_path, "birnn", lambda r: r.value == ["c", "d"])
    assert text_of(window, ".counter") == "2 selected"


def test_figures_are_served_by_the_app_and_drawn(qtbot, window):
    go(qtbot, window, "maxpool")
    sources = js(
        window, "return [...document.querySelectorAll('img.figure')].map(i => [i.src, i.naturalWidth])"
    )
    assert len(sources) == 1 + len(window.exam.question("maxpool").answer.choices)  # stem + choices
    assert all(src.startswith("exam://app/figure/") and width > 0 for src, width in sources)


def test_true_false_saves_a_boolean(qtbot, window, store_path):
    go(qtbot, window, "maxpool-tf")
    click(window, "label[for=opt-1]")  # "False"
    wait_saved(qtbot, store_path, "maxpool-tf", lambda r: r.value is False)
    click(window, "label[for=opt-0]")
    wait_saved(qtbot, store_path, "maxpool-tf", lambda r: r.value is True)


def test_numeric_field_reads_what_people_type_and_says_when_it_cannot(qtbot, window, store_path):
    go(qtbot, window, "mlp-params")
    type_text(window, "#numeric", "3 8 5 5 apples")
    qtbot.waitUntil(lambda: "number" in (text_of(window, "#number-feedback") or "").lower(), timeout=TIMEOUT)
    assert js(window, "return document.querySelector('#number-feedback').classList.contains('bad')")

    type_text(window, "#numeric", "3855")
    qtbot.waitUntil(lambda: text_of(window, "#number-feedback").startswith("Read as"), timeout=TIMEOUT)
    wait_saved(qtbot, store_path, "mlp-params", lambda r: r.value == "3855")


def test_text_is_saved_within_a_second_while_typing(qtbot, window, store_path):
    go(qtbot, window, "lr")
    type_text(window, "#numeric", "0.4")
    # debounced, not lost: the row appears without any navigation
    wait_saved(qtbot, store_path, "lr", lambda r: r.value == "0.4")


def test_matrix_cells_are_saved_and_arrow_keys_move_between_cells(qtbot, window, store_path):
    go(qtbot, window, "relu")
    type_text(window, "input.cell[data-row='0'][data-col='0']", "5")
    key(window, "input.cell[data-row='0'][data-col='0']", "ArrowDown")
    assert js(window, "return [document.activeElement.dataset.row, document.activeElement.dataset.col]") == [
        "1",
        "0",
    ]
    type_text(window, "input.cell[data-row='1'][data-col='0']", "2")
    key(window, "input.cell[data-row='1'][data-col='0']", "ArrowRight")  # caret at the end: next cell
    assert js(window, "return [document.activeElement.dataset.row, document.activeElement.dataset.col]") == [
        "1",
        "1",
    ]
    wait_saved(qtbot, store_path, "relu", lambda r: r.value == [["5", "", ""], ["2", "", ""], ["", "", ""]])


def test_template_blanks_are_inline_fields_saved_by_name(qtbot, window, store_path):
    go(qtbot, window, "summary")
    assert js(window, "return getComputedStyle(document.querySelector('input.blank')).fontFamily").startswith(
        '"DejaVu Sans Mono"'
    )
    type_text(window, "input[data-blank=conv1_shape]", "(None, 128, 256, 16)")
    type_text(window, "input[data-blank=conv1_params]", "1216")
    wait_saved(
        qtbot,
        store_path,
        "summary",
        lambda r: r.value == {"conv1_shape": "(None, 128, 256, 16)", "conv1_params": "1216"},
    )


def test_short_text_and_essay_word_count(qtbot, window, store_path):
    go(qtbot, window, "hpo")
    type_text(window, "#short", "Bayesian optimisation")
    wait_saved(qtbot, store_path, "hpo", lambda r: r.value == "Bayesian optimisation")

    go(qtbot, window, "gans")
    type_text(window, "#essay", "A generator and a discriminator play a game.")
    assert text_of(window, "#word-count") == "8 words · at least 20 · at most 150"
    wait_saved(qtbot, store_path, "gans", lambda r: r.value.startswith("A generator"))


def test_dont_know_clears_and_disables_the_inputs(qtbot, window, store_path):
    go(qtbot, window, "hpo")
    assert js(window, "return document.querySelector('#short').value") == "Bayesian optimisation"
    click(window, "#dont-know")
    wait_saved(qtbot, store_path, "hpo", lambda r: r.dont_know and r.value is None)
    assert js(window, "const s = document.querySelector('#short'); return [s.value, s.disabled]") == [
        "",
        True,
    ]
    click(window, "#dont-know")
    wait_saved(qtbot, store_path, "hpo", lambda r: not r.dont_know)
    assert js(window, "return document.querySelector('#short').disabled") is False


def test_rating_and_flag_are_saved_and_shown_in_the_navigator(qtbot, window, store_path):
    go(qtbot, window, "iou")
    click(window, "#rating-4")
    click(window, "#flag")
    wait_saved(qtbot, store_path, "iou", lambda r: r.rating == 4 and r.flagged)
    assert js(
        window, "return document.querySelector('.nav-question[data-id=iou]').classList.contains('flagged')"
    )
    assert text_of(window, "#flag") == "⚑ Flagged — remove flag"


def test_previous_next_and_the_navigator_move_between_questions(qtbot, window):
    go(qtbot, window, "maxpool")
    with qtbot.waitSignal(window.shown, timeout=TIMEOUT, check_params_cb=lambda v, i: i == "maxpool-tf"):
        click(window, "#next")
    assert text_of(window, "#q-title") == "Max pooling backward"
    with qtbot.waitSignal(window.shown, timeout=TIMEOUT, check_params_cb=lambda v, i: i == "maxpool"):
        click(window, "#previous")
    with qtbot.waitSignal(window.shown, timeout=TIMEOUT, check_params_cb=lambda v, i: i == "train-step"):
        click(window, ".nav-question[data-id=train-step]")
    assert text_of(window, "#page-indicator") == "Page 4 of 4 · Pairs and order"
    assert js(window, "return document.querySelector('#next').disabled") is True  # the last question
    with qtbot.waitSignal(window.shown, timeout=TIMEOUT, check_params_cb=lambda v, i: i == "gans"):
        click(window, ".nav-question[data-id=gans]")
    assert text_of(window, "#page-indicator") == "Page 3 of 4 · Writing"
    # answers given earlier come back when the question is shown again
    assert js(window, "return document.querySelector('#essay').value").startswith("A generator")


def test_keyboard_alone_answers_and_moves_on(qtbot, window, store_path):
    go(qtbot, window, "minibatches")
    window.activateWindow()
    window.view.setFocus()
    js(window, "document.querySelector('#opt-0').focus(); return true;")
    target = window.view.focusProxy()
    QTest.keyClick(target, Qt.Key.Key_Down)  # the radio group moves and selects with the arrow keys
    wait_saved(qtbot, store_path, "minibatches", lambda r: r.value == "b")
    with qtbot.waitSignal(window.shown, timeout=TIMEOUT, check_params_cb=lambda v, i: i == "birnn"):
        QTest.keyClick(target, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    QTest.keyClick(target, Qt.Key.Key_Space)  # the first option has the focus on arrival
    wait_saved(qtbot, store_path, "birnn", lambda r: r.value == ["a", "c", "d"])


def test_keyboard_alone_fills_text_fields_and_matrix_cells(qtbot, window, store_path):
    target = window.view.focusProxy()
    with qtbot.waitSignal(window.shown, timeout=TIMEOUT, check_params_cb=lambda v, i: i == "relu"):
        js(window, "document.querySelector('.nav-question[data-id=relu]').focus(); return true;")
        QTest.keyClick(target, Qt.Key.Key_Return)  # the navigator's buttons work with Enter
    QTest.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # the first cell has
    QTest.keyClicks(target, "7")  # the focus on arrival; its earlier "5" is replaced
    QTest.keyClick(target, Qt.Key.Key_Tab)
    QTest.keyClicks(target, "-1")
    QTest.keyClick(target, Qt.Key.Key_Down)
    QTest.keyClicks(target, "3")
    wait_saved(qtbot, store_path, "relu", lambda r: r.value[0][:2] == ["7", "-1"] and r.value[1][1] == "3")

    go(qtbot, window, "summary")  # answered before: select and replace
    QTest.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(target, "(None, 1, 2, 3)")
    QTest.keyClick(target, Qt.Key.Key_Tab)
    QTest.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(target, "42")
    wait_saved(
        qtbot,
        store_path,
        "summary",
        lambda r: r.value == {"conv1_shape": "(None, 1, 2, 3)", "conv1_params": "42"},
    )


def test_ctrl_plus_zooms_up_to_400_percent(qtbot, window):
    for _ in range(10):
        key(window, "body", "+", ctrlKey=True)
    qtbot.waitUntil(lambda: window.zoom_factor() == pytest.approx(4.0), timeout=TIMEOUT)
    key(window, "body", "0", ctrlKey=True)
    qtbot.waitUntil(lambda: window.zoom_factor() == pytest.approx(1.0), timeout=TIMEOUT)


def test_high_contrast_theme_toggles(window):
    click(window, "#contrast-toggle")
    assert js(window, "return getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    click(window, "#contrast-toggle")
    assert js(window, "return getComputedStyle(document.body).backgroundColor") != "rgb(0, 0, 0)"


def test_review_lists_unanswered_and_flagged_then_submit_after_confirmation(qtbot, window, store_path):
    with qtbot.waitSignal(window.shown, timeout=TIMEOUT, check_params_cb=lambda v, i: v == "review"):
        click(window, "#review")
    lists = js(window, "return [...document.querySelectorAll('.review-list')].map(l => l.textContent)")
    assert "1. Mini-batches" not in lists[0]  # answered
    assert "3. Max pooling" in lists[0]  # never answered
    assert lists[-1] == "8. IoU"  # the only flagged question (the last list)
    click(window, "#submit")
    assert js(window, "return document.querySelector('#confirm').hidden") is False
    click(window, "#confirm-cancel")  # changing one's mind is possible
    assert window.is_submitted is False
    click(window, "#submit")
    with qtbot.waitSignal(window.submitted, timeout=TIMEOUT) as submitted:
        click(window, "#confirm-ok")
    assert submitted.args == ["candidate"]
    assert window.saving.store.get_meta(Meta.SUBMITTED) == {"reason": "candidate"}
    assert saved(store_path)["summary"].value["conv1_params"] == "42"
    # after submit the page no longer changes answers
    window.bridge.post('{"type": "answer_changed", "question_id": "hpo", "value": "late"}')
    assert saved(store_path)["hpo"].value != "late"


def test_a_window_out_of_sight_from_the_start_still_moves_between_questions(qtbot, qapp, tmp_path):
    """A page out of sight paints no frames: nothing the page does may wait for one for ever
    (MathJax's speech waits for the first question's frame, and the next questions wait for it)."""
    from exam_desktop.core.seat.saving import PracticeAnswers
    from exam_desktop.core.seat.timer import ExamClock
    from exam_desktop.gui.exam_window import ExamWindow
    from exam_desktop.gui.preview import wait_for

    exam = load_bank(BANKS / "ml-engineers-test.md")
    window = ExamWindow(exam, PracticeAnswers.open(tmp_path / "answers.sqlite"), ExamClock(6000))
    try:
        window.show()
        window.hide()  # minimised, or covered by another screen, before its first frame
        wait_for(window.ready, lambda: True, "loading")
        assert js(window, "return document.visibilityState") == "hidden"
        second = exam.questions[1].id
        with qtbot.waitSignal(
            window.shown, timeout=TIMEOUT, check_params_cb=lambda _v, shown: shown == second
        ):
            window.go_to(second)
    finally:
        close_window(window)
