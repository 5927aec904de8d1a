"""The kiosk while the exam runs (offscreen): incidents per the exam's rules, pastes, the panel."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from kiosktools import begin, button, enter_code, identify, on_view, run_js, text
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from sessiontools import PIN, FakeTime, build, screenshot, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from pagetools import js

from exam_desktop.core.seat.incidents import SessionRules
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.session import ExamSession
from exam_desktop.gui.kiosk import KioskWindow, open_kiosk

pytestmark = pytest.mark.gui
SHOTS = Path(os.environ.get("EXAM_DESKTOP_SCREENSHOTS") or tempfile.gettempdir())


@dataclass
class Seat:
    kiosk: KioskWindow
    time: FakeTime
    start_code: str


@pytest.fixture
def seat(qtbot, tmp_path):
    """A kiosk at the start code screen, with the clock the test moves and the right code."""
    built = build(tmp_path / "package")
    rules = SessionRules.parse("focus-lost=lock,foreign-paste=warn")
    time = FakeTime()
    kiosk = open_kiosk(ExamSession(settings(built, tmp_path / "seat", time, rules=rules)))
    kiosk.built = built
    identify(qtbot, kiosk)
    yield Seat(kiosk, time, built.start_code)
    kiosk.finished = True
    kiosk.close()
    kiosk.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def kiosk(qtbot, seat):
    """A kiosk with the exam running."""
    begin(qtbot, seat.kiosk)
    return seat.kiosk


def test_wrong_start_codes_make_the_candidate_wait_longer(qtbot, seat):
    kiosk = seat.kiosk
    for _ in range(3):
        enter_code(qtbot, kiosk, "AAAA-AAAA-AAAA-AAAA")
    assert not button(kiosk, "start")["enabled"]
    assert run_js(kiosk, "return document.getElementById('field-start-code').disabled") is True
    assert "does not open the exam" in text(kiosk, "error")
    assert "wait 5 seconds" in text(kiosk, "error")
    screenshot(qtbot, kiosk, SHOTS / "kiosk-start-code-backoff.png")
    seat.time.advance(5)
    qtbot.waitUntil(lambda: "try again now" in kiosk.screens["waiting"]["error"], timeout=3000)  # next tick
    on_view(qtbot, kiosk, "waiting")
    assert button(kiosk, "start")["enabled"] and "try again now" in text(kiosk, "error")
    enter_code(qtbot, kiosk, seat.start_code)
    assert kiosk.current == "instructions"


def incidents(kiosk: KioskWindow) -> list[dict]:
    return [e["data"] for e in kiosk.session.store.events() if e["type"] == "incident"]


def test_focus_loss_locks_until_the_invigilator_unlocks(qtbot, kiosk):
    app = QApplication.instance()
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    assert incidents(kiosk) == [{"kind": "focus-lost", "action": "lock", "state": "ApplicationInactive"}]
    assert kiosk.exam_window.locked and kiosk.session.desk.state.locked
    assert js(kiosk.exam_window, "return document.getElementById('lock-overlay').hidden") is False
    assert "another window took the keyboard" in js(
        kiosk.exam_window, "return document.getElementById('lock-text').textContent"
    )
    screenshot(qtbot, kiosk, SHOTS / "kiosk-locked.png", kiosk.exam_window)
    kiosk.open_invigilator_panel()
    kiosk.panel.pin.setText(PIN)
    kiosk.panel.check_pin()
    kiosk.panel.who.setText("A. Invigilator")
    kiosk.panel.reason.setText("candidate dropped a pen, window lost focus")
    kiosk.panel.act("unlock")
    kiosk.panel.close_panel()
    assert kiosk.current == "exam" and not kiosk.exam_window.locked
    types = [e["type"] for e in kiosk.session.store.events()]
    assert "focus_regained" in types and types[-1] == "invigilator"


def test_text_copied_outside_the_exam_is_not_pasted(qtbot, kiosk):
    app = QApplication.instance()
    proxy = kiosk.exam_window.view.focusProxy()
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)
    QGuiApplication.clipboard().setText("answer from a chat window")  # copied elsewhere
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    before = len(incidents(kiosk))
    qtbot.keyClick(proxy, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pasted = incidents(kiosk)[before:]
    assert pasted == [{"kind": "foreign-paste", "action": "warn", "characters": 25}]
    # Text the candidate copies inside the exam pastes normally.
    QGuiApplication.clipboard().setText("my own words")
    qtbot.keyClick(proxy, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert len(incidents(kiosk)) == before + 1


def test_the_window_refuses_to_close_until_quitting_is_permitted(qtbot, kiosk):
    kiosk.close()
    assert kiosk.isVisible()
    desk = kiosk.session.desk
    desk.open(PIN)
    desk.permit_quit("A. Invigilator", "fire alarm, building evacuated")
    kiosk.close()
    assert not kiosk.isVisible()
    assert kiosk.session.store is None, "the session was closed cleanly, ready to resume"


def test_resizes_and_screens_are_journaled(qtbot, kiosk):
    kiosk.resize(kiosk.width() - 200, kiosk.height() - 100)
    app = QApplication.instance()
    screen = QGuiApplication.primaryScreen()
    app.screenAdded.emit(screen)  # what Qt reports when a projector is plugged in
    assert screen in kiosk.covers and kiosk.covers[screen].isVisible()
    app.screenRemoved.emit(screen)
    assert screen not in kiosk.covers
    kinds = [(i["kind"], i["action"]) for i in incidents(kiosk)]
    assert kinds == [("resized", "log"), ("screen-added", "warn"), ("screen-removed", "log")]


def test_question_text_cannot_be_copied_but_own_answers_can(qtbot, kiosk):
    copy_blocked = """
        const event = new ClipboardEvent('copy', {bubbles: true, cancelable: true});
        target.dispatchEvent(event);
        return event.defaultPrevented;
    """
    stem = "const target = document.querySelector('#question p') || document.body;"
    stem += " document.getSelection().selectAllChildren(target);"
    assert js(kiosk.exam_window, stem + copy_blocked) is True
    own = "const target = document.createElement('textarea'); target.value = 'my essay';"
    own += " document.body.appendChild(target); target.focus(); target.select();"
    assert js(kiosk.exam_window, own + copy_blocked) is False
    assert js(kiosk.exam_window, "return getComputedStyle(document.body).userSelect") == "none"


def test_the_launch_command_opens_the_kiosk_with_its_options(qtbot, tmp_path):
    from exam_desktop.cli import build_parser
    from exam_desktop.cli.cmd_launch import start

    built = build(tmp_path / "package")
    (tmp_path / "office.pem").write_bytes(
        built.office_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    args = build_parser().parse_args(
        [
            "launch",
            str(built.package),
            "--data-dir",
            str(tmp_path / "seat"),
            "--pin",
            "4321",
            "--office-key",
            str(tmp_path / "office.pem"),
            "--policy",
            "screen-added=lock,grace=15",
        ]
    )
    kiosk = start(args)
    try:
        assert kiosk.current == "identify" and kiosk.isFullScreen()
        assert "preflight" in kiosk.session.results
        identify(qtbot, kiosk, "Kurt Gödel", "S-1906")
        store = kiosk.session.store
        assert store.get_meta(Meta.RULES) == {
            "incidents": {**SessionRules().actions, "screen-added": "lock"},
            "resume_grace_minutes": 15,
        }
        assert store.get_meta(Meta.PIN) is not None and kiosk.session.desk.pin_record is not None
    finally:
        kiosk.close()
        kiosk.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
