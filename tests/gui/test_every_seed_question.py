"""Every question of every bank can be answered with the keyboard alone, and with the mouse.

A candidate goes through each bank from the first question to the last: keys only (the focus lands
on the answer when a question is shown; Alt+N moves on), then real mouse clicks (at the element's
place on the screen, through the web view, not DOM calls). At the end every question's answer is
in the answer file.
"""

from __future__ import annotations

import pytest
from conftest import BANKS
from pagetools import close_window, js, open_window, q, saved
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from exam_desktop.core.bank import find_banks, load_bank
from exam_desktop.core.model import Exam

pytestmark = pytest.mark.gui

TIMEOUT = 5000
BANK_FILES = find_banks([BANKS])
TYPED = {"numeric": "42", "matrix": "1", "template": "x", "short": "ReLU", "essay": "Two words"}


def focused(window) -> str:
    """What has the keyboard focus in the page: a short description for failure messages."""
    return js(
        window, "const e = document.activeElement; return e ? e.tagName + '#' + e.id + '.' + e.className : ''"
    )


def answer_with_keys(qtbot, window, question) -> None:
    target = window.view.focusProxy()
    kind = question.kind
    if kind in TYPED:
        QTest.keyClicks(target, TYPED[kind])
    elif kind in ("single", "multiple", "truefalse"):
        QTest.keyClick(target, Qt.Key.Key_Space)  # the first option has the focus
    elif kind == "matching":
        QTest.keyClick(target, Qt.Key.Key_Down)  # a closed list steps to its first answer
    elif kind == "ordering":
        QTest.keyClick(target, Qt.Key.Key_Space)  # the first item's "down" button has the focus
    else:
        pytest.fail(f"no keyboard recipe for {kind}")


def rect_of(window, selector: str) -> QPoint:
    """The centre of an element on the screen, scrolled into view first."""
    box = js(
        window,
        f"const e = {q(selector)}; if (!e) return null; e.scrollIntoView({{block: 'center'}});"
        " const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];",
    )
    assert box, f"nothing matches {selector}"
    zoom = window.view.zoomFactor()
    return QPoint(round(box[0] * zoom), round(box[1] * zoom))


def mouse_click(window, selector: str) -> None:
    QTest.mouseClick(
        window.view.focusProxy(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect_of(window, selector),
    )


def answer_with_mouse(qtbot, window, question) -> None:
    kind = question.kind
    first_field = {
        "numeric": "#numeric",
        "matrix": ".cell",
        "template": ".blank",
        "short": "#short",
        "essay": "#essay",
    }
    if kind in first_field:
        mouse_click(window, first_field[kind])  # click into the field, then type
        QTest.keyClicks(window.view.focusProxy(), TYPED[kind])
    elif kind in ("single", "multiple", "truefalse"):
        mouse_click(window, "label.option:last-child")  # anywhere on an option's row
    elif kind == "ordering":
        mouse_click(window, "ol.ordering > li:first-child button.move:last-child")
    elif kind == "matching":
        mouse_click(window, "select")
        # The list opens as a popup of its own; its first answer is one step down, then Enter.
        QTest.keyClick(window.view.focusProxy(), Qt.Key.Key_Down)
        QTest.keyClick(window.view.focusProxy(), Qt.Key.Key_Return)
    else:
        pytest.fail(f"no mouse recipe for {kind}")


def go_through(qtbot, window, exam: Exam, answer, move_on) -> None:
    store_path = window.saving.store.path
    order = window.pages.order
    for index, qid in enumerate(order):
        question = exam.question(qid)
        where = focused(window)
        answer(qtbot, window, question)
        try:
            qtbot.waitUntil(
                lambda qid=qid: (r := saved(store_path).get(qid)) is not None and r.answered, timeout=TIMEOUT
            )
        except qtbot.TimeoutError:
            pytest.fail(f"{question.kind} question {qid} not answered (focus was on {where})")
        if index + 1 < len(order):
            with qtbot.waitSignal(
                window.shown,
                timeout=TIMEOUT,
                check_params_cb=lambda view, shown, nxt=order[index + 1]: shown == nxt,
            ):
                move_on(window)


def keys_next(window) -> None:
    QTest.keyClick(window.view.focusProxy(), Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)


def click_next(window) -> None:
    mouse_click(window, "#next")


@pytest.mark.parametrize("bank", BANK_FILES, ids=[b.stem for b in BANK_FILES])
@pytest.mark.parametrize("way", ["keyboard", "mouse"])
def test_every_question_can_be_answered(qtbot, qapp, tmp_path, bank, way):
    exam = load_bank(bank)
    window = open_window(exam, tmp_path / "answers.sqlite")
    try:
        window.activateWindow()
        window.view.setFocus()
        if way == "keyboard":
            go_through(qtbot, window, exam, answer_with_keys, keys_next)
        else:
            go_through(qtbot, window, exam, answer_with_mouse, click_next)
        answers = saved(window.saving.store.path)
        unanswered = [qid for qid in window.pages.order if not (qid in answers and answers[qid].answered)]
        assert not unanswered, f"not answered by {way}: {unanswered}"
    finally:
        close_window(window)
