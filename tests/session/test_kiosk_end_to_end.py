"""End to end: build the ML test into a package, launch it in the kiosk, crash, resume, submit.

The exam office's steps run through the CLI (`keys init`, `build`); the lab machine's through the
kiosk the `launch` verb opens, offscreen. Time is injected: the test moves the clock by hand.
Screenshots of every kiosk screen are saved next to the test's files.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from kiosktools import code_checked, focused, key, on_view, press, run_js, start_code_watch, text, type_into
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from sessiontools import ML_BANK, FakeTime, screenshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from pagetools import TIMEOUT_MS, click, js

from exam_desktop.cli import main
from exam_desktop.core.journal import verify_chain
from exam_desktop.core.sealed.bundle import read_bundle
from exam_desktop.core.sealed.keys import load_public_key
from exam_desktop.core.seat.session import ExamSession, LaunchSettings
from exam_desktop.gui.kiosk import KioskWindow, open_kiosk

pytestmark = pytest.mark.gui
PIN = "2468"


def cli(capsys, *argv: object) -> str:
    code = main([str(a) for a in argv])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def shoot(kiosk: KioskWindow, folder: Path, name: str, qtbot, web: bool = False) -> Path:
    return screenshot(qtbot, kiosk, folder / f"{name}.png", kiosk.exam_window if web else None)


@pytest.fixture
def launch():
    """Opens kiosks like `exam-desktop launch`; deletes them (pages first) after the test."""
    kiosks: list[KioskWindow] = []

    def open_one(settings: LaunchSettings) -> KioskWindow:
        kiosks.append(open_kiosk(ExamSession(settings)))
        return kiosks[-1]

    yield open_one
    for kiosk in kiosks:
        kiosk.finished = True  # the crashed one too
        kiosk.close()
        kiosk.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def enter_code(qtbot, kiosk: KioskWindow, code: str) -> None:
    on_view(qtbot, kiosk, "waiting")
    # focus in the field, which a screen reader names (its placeholder is only the code's shape)
    assert focused(kiosk) == {"tag": "input", "id": "field-start-code", "label": "Start code"}
    type_into(kiosk, "start-code", code)
    checked = start_code_watch(kiosk)
    key(qtbot, kiosk, Qt.Key.Key_Return, wait=False)  # Enter submits
    code_checked(qtbot, kiosk, checked)


def test_build_launch_extend_crash_resume_submit(qtbot, capsys, tmp_path, monkeypatch, launch):
    shots = Path(os.environ.get("EXAM_DESKTOP_SCREENSHOTS") or tmp_path / "screens")
    shots.mkdir(parents=True, exist_ok=True)
    # The exam office: keys and the package, through the CLI.
    monkeypatch.setenv("EXAM_DESKTOP_PASSPHRASE", "a long office passphrase")
    cli(capsys, "keys", "init", "--dir", tmp_path / "office")
    package = tmp_path / "ml.exam"
    out = cli(
        capsys,
        "build",
        ML_BANK,
        "-o",
        package,
        "--key",
        tmp_path / "office" / "office-private.pem",
        "--pin",
        PIN,
        "--extra-time-allowed",
        "--results-dir",
        tmp_path / "results",
    )
    start_code = re.search(r"^\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})\s*$", out, re.M).group(1)
    (tmp_path / "results").mkdir()

    # The lab machine.
    time = FakeTime()
    settings = LaunchSettings(
        package=package,
        data_dir=tmp_path / "seat",
        office_public_key=load_public_key(tmp_path / "office" / "office-public.pem"),
        needed_bytes=1024 * 1024,
        wall=time.wall,
        monotonic=time.monotonic,
    )
    kiosk = launch(settings)
    assert kiosk.current == "identify"
    assert kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert kiosk.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert kiosk.isFullScreen()
    on_view(qtbot, kiosk, "identify")
    assert focused(kiosk) == {"tag": "input", "id": "field-name", "label": "Full name"}
    type_into(kiosk, "name", "Grace Hopper")
    key(qtbot, kiosk, Qt.Key.Key_Return)
    assert "Student ID" in text(kiosk, "error")
    assert focused(kiosk)["id"] == "field-student_id", "focus goes to the field still empty"
    shoot(kiosk, shots, "1-identify-missing", qtbot)
    type_into(kiosk, "student_id", "S-1906")
    key(qtbot, kiosk, Qt.Key.Key_Return)
    assert kiosk.current == "waiting"

    enter_code(qtbot, kiosk, "AAAA-BBBB-CCCC-DDDD")
    assert "does not open" in text(kiosk, "error")
    shoot(kiosk, shots, "2-waiting-wrong-code", qtbot)
    enter_code(qtbot, kiosk, start_code)
    assert kiosk.current == "instructions"
    assert text(kiosk, "html").startswith("Duration: "), "read as text, not as Markdown"
    assert focused(kiosk)["id"] == "kiosk-html", "arrow keys and Page Down scroll the instructions"
    shoot(kiosk, shots, "3-instructions", qtbot)

    with qtbot.waitSignal(kiosk.exam_ready, timeout=TIMEOUT_MS):
        press(qtbot, kiosk, "begin", wait=False)
    window = kiosk.exam_window
    click(window, "#opt-1")
    first_id = window.current_id
    assert window.unsaved == []
    time.advance(600)
    window.tick()
    assert js(window, "return document.getElementById('timer').textContent") == "1:35:00 left"
    shoot(kiosk, shots, "4-exam", qtbot, web=True)

    # The exam cannot be closed while it runs, neither by the window manager nor with Escape.
    kiosk.close()
    qtbot.keyClick(kiosk, Qt.Key.Key_Escape)
    assert kiosk.isVisible() and kiosk.current == "exam"

    # The invigilator gives ten minutes more.
    qtbot.keyClick(
        kiosk,
        Qt.Key.Key_I,
        Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.AltModifier
        | Qt.KeyboardModifier.ShiftModifier,
    )
    assert kiosk.current == "invigilator"
    panel = kiosk.panel
    panel.pin.setText("0000")
    panel.check_pin()
    assert "not the invigilator PIN" in panel.pin_message.text()
    panel.pin.setText(PIN)
    panel.check_pin()
    panel.who.setText("M. Invigilator")
    panel.reason.setText("extra time agreed with disability services")
    panel.minutes.setValue(10)
    panel.act("extend")
    shoot(kiosk, shots, "5-invigilator-panel", qtbot)
    panel.close_panel()
    assert kiosk.current == "exam"
    total = 105 * 60 + 600
    assert kiosk.session.clock.remaining() == pytest.approx(total - 600)

    # The candidate reads better in high contrast: chosen in the exam, it stays for every screen.
    click(window, "#contrast-toggle")
    key(
        qtbot, kiosk, Qt.Key.Key_Plus, modifier=Qt.KeyboardModifier.ControlModifier, wait=False
    )  # larger text

    def comfort() -> dict:
        return kiosk.session.saving.page_state().comfort

    qtbot.waitUntil(
        lambda: comfort().get("theme") == "contrast" and comfort().get("zoom_step") == 1, timeout=TIMEOUT_MS
    )

    # A forced kill: the process state is dropped, nothing is closed or flushed on purpose.
    time.advance(300)
    kiosk.session.heartbeat()
    kiosk.heartbeat_timer.stop()
    window._tick_timer.stop()
    kiosk.hide()
    time.advance(90)  # the machine restarts

    again = launch(settings)
    on_view(qtbot, again, "waiting")
    assert "Welcome back, Grace Hopper" in text(again, "all")
    assert run_js(again, "return document.body.classList.contains('contrast')"), "in the colours chosen"
    assert again.page.view.zoomFactor() > 1, "and the text size"
    assert text(again, "back") == "", "nothing to correct after a restart"
    shoot(again, shots, "6-resume-waiting", qtbot)
    enter_code(qtbot, again, start_code)
    assert "Time left: 1:40:00" in text(again, "html")
    shoot(again, shots, "7-resume-instructions", qtbot)
    with qtbot.waitSignal(again.exam_ready, timeout=TIMEOUT_MS):
        press(qtbot, again, "begin", wait=False)
    assert again.session.clock.remaining() == pytest.approx(total - 900, abs=2)
    assert again.exam_window.current_id == first_id
    assert js(again.exam_window, "return document.querySelector('#opt-1').checked") is True
    shoot(again, shots, "8-resumed-exam", qtbot, web=True)

    again.exam_window.submit("candidate")
    on_view(qtbot, again, "receipt")
    assert text(again, "code") == again.session.written.receipt
    shoot(again, shots, "9-submitted", qtbot)
    bundles = list((tmp_path / "results").glob("*.bundle"))
    assert len(bundles) == 1
    bundle = read_bundle(bundles[0], exam_id="ml-engineers-test")
    assert bundle.candidate == {"name": "Grace Hopper", "student_id": "S-1906"}
    assert bundle.responses[first_id].value is not None
    verify_chain(bundle.events)
    kinds = [e["type"] for e in bundle.events]
    for expected in (
        "session_created",
        "start_code_rejected",
        "package_unlocked",
        "kiosk_entered",
        "exam_started",
        "answer_saved",
        "close_refused",
        "invigilator",
        "relaunched",
        "resumed",
        "submitted",
    ):
        assert expected in kinds, expected
    extension = next(e["data"] for e in bundle.events if e["type"] == "invigilator")
    assert extension["action"] == "extend" and extension["seconds"] == 600
    assert extension["who"] == "M. Invigilator"
    assert bundle.session["extensions"][0]["seconds"] == 600
    again.close()
    assert not again.isVisible(), "after submitting the kiosk may close"
