"""A bug in the kiosk while the exam runs: typed answers saved, a `crash` entry journaled, a report
written, one calm sentence on the exam page in the exam's language — and the exam goes on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import BANKS
from kiosktools import begin, on_view, press, type_into
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from sessiontools import FakeTime, build, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from pagetools import TIMEOUT_MS, js, text_of, type_text

from exam_desktop.core.page.strings import strings_for
from exam_desktop.core.seat.session import ExamSession
from exam_desktop.gui import crash
from exam_desktop.gui.kiosk import open_kiosk

pytestmark = pytest.mark.gui


@pytest.fixture
def handler(tmp_path, monkeypatch):
    """The process's crash handler, installed as `qt_application()` does, reports in tmp_path."""
    fresh = crash.CrashHandler(tmp_path / "reports")
    monkeypatch.setattr(crash, "_handler", fresh)
    previous = sys.excepthook
    crash.install_crash_handler()
    yield fresh
    sys.excepthook = previous


@pytest.mark.qt_no_exception_capture  # the app's own handler, not pytest-qt's, sees the bug
@pytest.mark.parametrize("bank", ["sample-every-kind.md", "dl-exam-it.md"])
def test_a_bug_in_a_slot_keeps_the_answers_and_tells_the_candidate_calmly(qtbot, tmp_path, handler, bank):
    built = build(tmp_path / "package", BANKS / bank)
    kiosk = open_kiosk(ExamSession(settings(built, tmp_path / "seat", FakeTime())))
    try:
        kiosk.built = built
        on_view(qtbot, kiosk, "identify")
        for field in kiosk.session.candidate_fields:
            type_into(kiosk, field.id, "Grace Hopper")
        press(qtbot, kiosk, "continue")
        begin(qtbot, kiosk)
        window = kiosk.exam_window
        text_question = next(q for q in built.exam.questions if q.kind in ("short", "essay"))
        with qtbot.waitSignal(window.shown, timeout=TIMEOUT_MS):
            window.go_to(text_question.id)
        field = "#short" if text_question.kind == "short" else "textarea"
        type_text(window, field, "typed just before the bug")
        qtbot.waitUntil(lambda: window.unsaved == [text_question.id], timeout=TIMEOUT_MS)

        def buggy_slot() -> None:
            raise RuntimeError("a bug in a timer slot")

        QTimer.singleShot(0, buggy_slot)
        qtbot.waitUntil(lambda: len(handler.reports) == 1, timeout=TIMEOUT_MS)

        # The typed answer did not wait for its debounce: it is in the answer file.
        assert kiosk.session.store.responses()[text_question.id].value == "typed just before the bug"
        report = handler.reports[0]
        assert "RuntimeError: a bug in a timer slot" in report.read_text()
        crashes = [e for e in kiosk.session.store.events() if e["type"] == "crash"]
        assert [c["data"] for c in crashes] == [{"report": report.name}]
        sentence = strings_for(built.exam.language)["crash_notice"]
        qtbot.waitUntil(lambda: text_of(window, "#notice") == sentence, timeout=TIMEOUT_MS)
        assert js(window, "return document.querySelector('#notice').hidden") is False
        # The exam carries on: the candidate can still answer.
        type_text(window, field, "and after it")
        qtbot.waitUntil(lambda: window.unsaved == [], timeout=TIMEOUT_MS)
        assert kiosk.session.store.responses()[text_question.id].value == "and after it"
    finally:
        kiosk.finished = True
        kiosk.close()
        kiosk.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
