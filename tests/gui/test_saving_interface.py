"""The exam window writes the answer file only through its saving interface (core/seat/saving.py).

Every write that reaches the answer file while a candidate answers, flags, zooms, moves and submits
is checked to happen inside a call of the saving object the window was given; the window holds no
answer file of its own."""

from __future__ import annotations

import ast
import inspect
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import BANKS
from pagetools import TIMEOUT_MS, click, close_window, go, key, type_text
from PySide6.QtCore import QCoreApplication, QEvent

from exam_desktop.core.bank import load_bank
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.saving import PracticeAnswers
from exam_desktop.core.seat.timer import ExamClock
from exam_desktop.gui import exam_window
from exam_desktop.gui.exam_window import ExamWindow
from exam_desktop.gui.preview import wait_for

pytestmark = pytest.mark.gui

WRITES = ("save_response", "set_meta", "append_event")


class WatchedSaving(PracticeAnswers):
    """The practice store, recording whether the answer file is written from inside one of its calls."""

    def __init__(self, store: AnswerStore):
        super().__init__(store.path, store)
        self.depth = 0
        self.calls: list[str] = []

    @contextmanager
    def _inside(self, name: str):
        self.calls.append(name)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def save_answer(self, response):
        with self._inside("save_answer"):
            super().save_answer(response)

    def remember_position(self, question_id):
        with self._inside("remember_position"):
            super().remember_position(question_id)

    def remember_comfort(self, **settings):
        with self._inside("remember_comfort"):
            super().remember_comfort(**settings)

    def remember_aids(self, owner, aids):
        with self._inside("remember_aids"):
            super().remember_aids(owner, aids)

    def record_tool(self, tool, opened):
        with self._inside("record_tool"):
            super().record_tool(tool, opened)

    def report_submitted(self, reason, answered):
        with self._inside("report_submitted"):
            super().report_submitted(reason, answered)


def test_every_write_of_the_window_goes_through_its_saving_interface(qtbot, qapp, tmp_path, monkeypatch):
    store = AnswerStore.open(tmp_path / "answers.sqlite")
    saving = WatchedSaving(store)
    writes: list[tuple[str, bool]] = []  # (method, inside a saving call)
    for name in WRITES:
        original = getattr(AnswerStore, name)

        def spy(self, *args, _original=original, _name=name, **kwargs):
            writes.append((_name, saving.depth > 0))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(AnswerStore, name, spy)

    exam = load_bank(BANKS / "sample-every-kind.md")
    window = ExamWindow(exam, saving, ExamClock(exam.duration_minutes * 60))
    window.resize(1280, 860)
    window.show()
    try:
        wait_for(window.ready, lambda: True, "loading")
        click(window, "label[for=opt-1]")  # an answer
        click(window, "#flag")  # a flag
        with qtbot.waitSignal(window.saved, timeout=TIMEOUT_MS):
            click(window, ".strike[data-option=b]")  # a candidate aid (struck option)
        click(window, "#tool-calculator")  # a tool opened
        key(window, "body", "+", ctrlKey=True)  # zoom
        go(qtbot, window, "hpo")  # a move: the position
        type_text(window, "#short", "random search")
        qtbot.waitUntil(lambda: window.unsaved == [], timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: "remember_position" in saving.calls, timeout=TIMEOUT_MS)
        with qtbot.waitSignal(window.submitted, timeout=TIMEOUT_MS):
            window.submit("candidate")
    finally:
        close_window(window)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    assert {
        "save_answer",
        "remember_position",
        "remember_comfort",
        "remember_aids",
        "record_tool",
        "report_submitted",
    } <= set(saving.calls)
    assert writes, "nothing was written"
    outside = [name for name, inside in writes if not inside]
    assert outside == [], f"the window wrote {outside} without its saving interface"
    with PracticeAnswers.open(tmp_path / "answers.sqlite") as again:
        assert again.saved_responses()["hpo"].value == "random search"


def test_the_window_module_holds_no_answer_file():
    """No import of the answer file's module and no store parameter: it cannot open one."""
    tree = ast.parse(Path(inspect.getfile(exam_window)).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "exam_desktop.core.seat.answer_file"
        for alias in node.names
    }
    assert imported == set()
    parameters = inspect.signature(ExamWindow.__init__).parameters
    assert "saving" in parameters and "store" not in parameters
