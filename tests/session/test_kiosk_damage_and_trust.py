"""The kiosk (offscreen) when the answer file is damaged and when no office key is installed."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import pytest
from kiosktools import button, enter_code, identify, on_view, press, text, type_into
from PySide6.QtCore import QCoreApplication, QEvent
from sessiontools import PIN, FakeTime, build, screenshot, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from pagetools import TIMEOUT_MS

from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.bundle import read_bundle
from exam_desktop.core.seat.session import ExamSession
from exam_desktop.gui.kiosk import open_kiosk

pytestmark = pytest.mark.gui
SHOTS = Path(os.environ.get("EXAM_DESKTOP_SCREENSHOTS") or tempfile.gettempdir())


@pytest.fixture
def kiosks():
    opened = []
    yield opened
    for kiosk in opened:
        kiosk.finished = True
        kiosk.close()
        kiosk.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_a_damaged_answer_is_said_on_screen_and_the_invigilator_continues(qtbot, tmp_path, kiosks):
    built = build(tmp_path / "package")
    time = FakeTime()
    first = ExamSession(settings(built, tmp_path / "seat", time))
    first.preflight()
    first.identify({"name": "Alan Turing", "student_id": "S-1912"})
    first.unlock(built.start_code)
    first.enter_kiosk()
    first.run()
    questions = [q for q in built.exam.questions if q.kind == "single"]
    for question in questions[:2]:
        first.save_answer(Response(question.id, question.answer.choices[0].id))
    first.close()
    conn = sqlite3.connect(first.path)  # the first answer's stored text cut short: unreadable
    conn.execute("UPDATE responses SET value = substr(value, 1, 2) WHERE question_id = ?", (questions[0].id,))
    conn.commit()
    conn.close()

    kiosk = open_kiosk(ExamSession(settings(built, tmp_path / "seat", time)))
    kiosks.append(kiosk)
    enter_code(qtbot, kiosk, built.start_code)
    assert kiosk.current == "instructions"
    assert not button(kiosk, "begin")["enabled"]
    assert "answer file on this machine is damaged" in text(kiosk, "error")
    assert questions[0].id in text(kiosk, "error")
    screenshot(qtbot, kiosk, SHOTS / "kiosk-damaged-answer-file.png")

    kiosk.open_invigilator_panel()
    panel = kiosk.panel
    panel.pin.setText(PIN)
    panel.pin_ok.click()
    panel.who.setText("R. Invigilator")
    panel.reason.setText("answer file damage seen")
    panel.act("continue")  # an irreversible decision: the panel asks once more
    assert "Alan Turing" in panel.confirm_text.text()
    panel.confirm_yes.click()
    panel.closed.emit()
    on_view(qtbot, kiosk, "instructions")
    assert button(kiosk, "begin")["enabled"] and text(kiosk, "error") == ""
    with qtbot.waitSignal(kiosk.exam_ready, timeout=TIMEOUT_MS):
        press(qtbot, kiosk, "begin", wait=False)
    assert kiosk.current == "exam"
    kiosk.exam_window.submit("candidate")
    qtbot.waitUntil(lambda: kiosk.finished, timeout=TIMEOUT_MS)
    bundle = read_bundle(kiosk.session.written.local_path)
    assert bundle.damage["answers"] == [questions[0].id]
    assert questions[1].id in bundle.responses


def test_without_an_office_key_the_kiosk_waits_for_the_invigilators_pin(qtbot, tmp_path, kiosks):
    built = build(tmp_path / "package")
    kiosk = open_kiosk(ExamSession(settings(built, tmp_path / "seat", FakeTime(), office_public_key=None)))
    kiosks.append(kiosk)
    assert kiosk.current == "office-key"
    on_view(qtbot, kiosk, "office-key")
    assert "No exam office key is installed" in text(kiosk, "all")
    screenshot(qtbot, kiosk, SHOTS / "kiosk-no-office-key.png")

    type_into(kiosk, "pin", "not-the-pin")
    type_into(kiosk, "who", "R. Invigilator")
    type_into(kiosk, "reason", "key not yet installed on this lab")
    press(qtbot, kiosk, "override")
    assert kiosk.current == "office-key" and "not the invigilator PIN" in text(kiosk, "error")

    type_into(kiosk, "pin", PIN)
    press(qtbot, kiosk, "override")
    assert kiosk.current == "identify"
    identify(qtbot, kiosk)
    events = kiosk.session.store.events()
    override = next(e for e in events if e["type"] == "office_key_override")
    assert override["data"]["who"] == "R. Invigilator"
    assert override["data"]["package_office_fingerprint"] == kiosk.session.header.office_fingerprint


def test_with_an_office_key_the_kiosk_starts_at_identification(qtbot, tmp_path, kiosks):
    built = build(tmp_path / "package")
    kiosk = open_kiosk(ExamSession(settings(built, tmp_path / "seat", FakeTime())))
    kiosks.append(kiosk)
    assert kiosk.current == "identify"


def test_a_relaunch_without_the_pin_option_takes_the_pin_kept_in_the_session(qtbot, tmp_path, kiosks):
    """The PIN given at the first launch is kept (hashed) in the answer file; a relaunch after a
    crash, started without --pin, still lets the invigilator override the missing office key."""
    from exam_desktop.core.seat.trust import check_invigilator_pin

    built = build(tmp_path / "package")
    time = FakeTime()
    first = ExamSession(settings(built, tmp_path / "seat", time, office_public_key=None))
    first.preflight()
    first.identify({"name": "Alan Turing", "student_id": "S-1912"})
    first.close()
    again = ExamSession(settings(built, tmp_path / "seat", time, office_public_key=None, pin=None))
    assert check_invigilator_pin(again, PIN) and not check_invigilator_pin(again, "wrong")
    again.close()
