"""Driving the real exam page from tests: open a window, run JS, fire DOM events, read the answer file.

Imported by the GUI test modules (it registers the exam: scheme at import, before any QApplication).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer

from exam_desktop.core.model import Exam
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.saving import PracticeAnswers
from exam_desktop.core.seat.timer import ExamClock
from exam_desktop.gui import webview  # noqa: F401  (registers the exam: scheme)
from exam_desktop.gui.exam_window import ExamWindow
from exam_desktop.gui.preview import wait_for

TIMEOUT_MS = 20_000


def open_window(
    exam: Exam, store_path: Path, clock: ExamClock | None = None, *, practice: bool = False
) -> ExamWindow:
    """A shown exam window whose first question is typeset (usable from module-scoped fixtures)."""
    answers = PracticeAnswers.open(store_path)
    window = ExamWindow(exam, answers, clock or ExamClock(exam.duration_minutes * 60), practice=practice)
    window.resize(1280, 860)
    window.show()
    wait_for(window.ready, lambda: True, "loading")
    return window


def close_window(window: ExamWindow) -> None:
    window.close()
    window.saving.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # page before profile


def js(window: ExamWindow, source: str) -> Any:
    """The value of the JS expression `source` in the exam page."""
    result: dict[str, Any] = {}
    loop = QEventLoop()

    def got(value: Any) -> None:
        result["value"] = value
        loop.quit()

    window.page.runJavaScript(f"JSON.stringify((() => {{ {source} }})())", 0, got)
    QTimer.singleShot(TIMEOUT_MS, loop.quit)
    if "value" not in result:
        loop.exec()
    assert "value" in result, f"no answer from the page for: {source}"
    value = result["value"]
    return json.loads(value) if isinstance(value, str) else None


def q(selector: str) -> str:
    """A JS expression selecting one element (JSON-quoted selector)."""
    return f"document.querySelector({json.dumps(selector)})"


def click(window: ExamWindow, selector: str) -> None:
    found = js(window, f"const e = {q(selector)}; if (!e) return false; e.click(); return true;")
    assert found, f"nothing matches {selector}"


def type_text(window: ExamWindow, selector: str, text: str) -> None:
    """Put `text` in a field and fire its input event, as typing does."""
    found = js(
        window,
        f"const e = {q(selector)}; if (!e) return false; e.focus(); e.value = {json.dumps(text)};"
        " e.dispatchEvent(new Event('input', {bubbles: true})); return true;",
    )
    assert found, f"nothing matches {selector}"


def key(window: ExamWindow, selector: str, name: str, **modifiers: bool) -> None:
    options = json.dumps({"key": name, "bubbles": True, "cancelable": True, **modifiers})
    js(window, f"{q(selector)}.dispatchEvent(new KeyboardEvent('keydown', {options})); return true;")


def text_of(window: ExamWindow, selector: str) -> str:
    return js(window, f"const e = {q(selector)}; return e ? e.textContent : null;")


def saved(store_path: Path) -> dict[str, Response]:
    """What the answer file holds now, read through a second connection."""
    with AnswerStore.open(store_path) as store:
        return store.responses()


def go(qtbot, window: ExamWindow, question_id: str) -> None:
    with qtbot.waitSignal(window.shown, timeout=TIMEOUT_MS, check_params_cb=lambda v, i: i == question_id):
        window.go_to(question_id)
