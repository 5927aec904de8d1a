"""A candidate process that leaves notes, a struck option and a highlight, then waits to be killed.

Run by tests/gui/test_tools_access.py: `python aids_child.py ANSWER_FILE BANK`; prints "saved" once
the answer file holds all three (through the window's saving interface, as on a seat).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pagetools import TIMEOUT_MS, click, go, js, type_text
from PySide6.QtWidgets import QApplication

from exam_desktop.core.bank import load_bank
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.saving import AnswerFileSaving
from exam_desktop.core.seat.timer import ExamClock
from exam_desktop.gui.exam_window import ExamWindow
from exam_desktop.gui.preview import wait_for


class Bot:
    """Just enough of pytest-qt's qtbot for pagetools.go."""

    class _Wait:
        def __init__(self, signal, check):
            self.signal, self.check = signal, check

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            wait_for(self.signal, self.check, "showing a question")

    def waitSignal(self, signal, timeout=TIMEOUT_MS, check_params_cb=None):
        return self._Wait(signal, check_params_cb or (lambda *a: True))


def main() -> None:
    app = QApplication(sys.argv)
    exam = load_bank(sys.argv[2])
    saving = AnswerFileSaving(AnswerStore.open(sys.argv[1]))
    window = ExamWindow(exam, saving, ExamClock(exam.duration_minutes * 60))
    window.resize(1280, 860)
    window.show()
    wait_for(window.ready, lambda: True, "loading")
    go(Bot(), window, "iou")
    click(window, ".strike[data-option=d]")
    click(window, "#tool-notes")
    type_text(window, "#notes", "IoU = 12/36, below 0.45")
    click(window, "#tool-highlighter")
    js(
        window,
        "const text = document.querySelector('#view .stem p').firstChild; const range = document.createRange();"
        "range.setStart(text, 0); range.setEnd(text, 8); getSelection().removeAllRanges(); getSelection().addRange(range);"
        "document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true})); return 1;",
    )

    def complete() -> bool:
        aids = saving.page_state().aids.get("iou", {})
        return bool(aids.get("notes") and aids.get("struck") and aids.get("highlights"))

    while not complete():
        wait_for(window.saved, lambda: True, "saving the aids")
    print("saved", flush=True)
    app.exec()  # until killed


if __name__ == "__main__":
    main()
