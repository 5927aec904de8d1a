"""A kiosk seat in a room: the console starts it, the candidate raises a hand and sees it answered,
an announcement stays on the page, the console ends the exam and the receipt says where the
results went. Real Mosquitto, the real kiosk and exam page (offscreen)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from roomtools import broker, built, room, secrets  # noqa: F401  (fixtures)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "session"))
from kiosktools import on_view, override_office_key, press, text, type_into
from pagetools import js, text_of
from sessiontools import screenshot

from exam_desktop.core.seat.session import ExamSession, LaunchSettings
from exam_desktop.gui.kiosk import open_kiosk
from exam_desktop.room.console import RoomConsole
from exam_desktop.room.seat import LinkSettings, SeatLink

pytestmark = pytest.mark.gui
SHOTS = Path(os.environ.get("EXAM_DESKTOP_SCREENSHOTS") or tempfile.gettempdir())
TIMEOUT_MS = 20_000


def test_a_kiosk_seat_is_run_from_the_console(qtbot, tmp_path, room, secrets, broker, built):
    console = RoomConsole(room, secrets, collect=True)
    console.start()
    console.wait_connected()
    session = ExamSession(LaunchSettings(package=built.package, data_dir=tmp_path / "seat", pin="2468"))
    link = SeatLink(room, "lab-b-07", session.session_key, settings=LinkSettings(status_every_s=0.5))
    kiosk = open_kiosk(session, full_screen=False, room_link=link)
    try:
        kiosk.resize(1280, 800)
        override_office_key(qtbot, kiosk, "2468")  # the seat has no office key installed
        on_view(qtbot, kiosk, "identify")
        for field in session.candidate_fields:
            type_into(kiosk, field.id, "Katherine Johnson")
        press(qtbot, kiosk, "continue")
        qtbot.waitUntil(lambda: (console.view.row("lab-b-07") or None) is not None, timeout=TIMEOUT_MS)

        # The synchronised start: the console sends the start code, the seat opens its exam.
        console.send(
            "start", ["lab-b-07"], who="A. Invigilator", reason="start signal", code=built.start_code
        )
        qtbot.waitUntil(lambda: kiosk.current == "instructions", timeout=TIMEOUT_MS)
        on_view(qtbot, kiosk, "instructions")
        with qtbot.waitSignal(kiosk.exam_ready, timeout=TIMEOUT_MS):
            press(qtbot, kiosk, "begin", wait=False)
        window = kiosk.exam_window
        assert js(window, "return document.getElementById('hand').hidden") is False

        # A raised hand reaches the console; acknowledged there, it is lowered on the page.
        js(window, "document.getElementById('hand').click(); return true;")
        qtbot.waitUntil(lambda: console.view.row("lab-b-07").hand is not None, timeout=TIMEOUT_MS)
        assert js(window, "return document.getElementById('hand').getAttribute('aria-pressed')") == "true"
        assert "hand raised" in console.view.row("lab-b-07").attention(console.view._wall())
        console.send(
            "announce", None, who="A. Invigilator", reason="erratum", text="Question 3: read 'at most'."
        )
        qtbot.waitUntil(
            lambda: "read 'at most'" in (text_of(window, "#announcements") or ""), timeout=TIMEOUT_MS
        )
        with qtbot.waitSignal(window.painted, timeout=TIMEOUT_MS):
            window.request_paint("announced")
        window.grab().save(str(SHOTS / "kiosk-in-room-hand-and-announcement.png"))
        console.acknowledge_hand("lab-b-07", who="A. Invigilator")
        qtbot.waitUntil(
            lambda: (
                js(window, "return document.getElementById('hand').getAttribute('aria-pressed')") == "false"
            ),
            timeout=TIMEOUT_MS,
        )
        assert "announcement" in [e["type"] for e in session.store.events()]

        # The console ends the exam; the bundle travels to the console; the receipt says so.
        console.send("end", ["lab-b-07"], who="A. Invigilator", reason="time is over")
        qtbot.waitUntil(lambda: kiosk.finished, timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: kiosk.current == "receipt", timeout=TIMEOUT_MS)  # after "time is up"
        qtbot.waitUntil(lambda: "collected by the room console" in text(kiosk, "note"), timeout=TIMEOUT_MS)
        on_view(qtbot, kiosk, "receipt")
        assert text(kiosk, "code") == session.written.receipt
        assert list((room.folder / "results").glob("*.bundle"))
        screenshot(qtbot, kiosk, SHOTS / "kiosk-in-room-receipt.png")
    finally:
        kiosk.finished = True
        kiosk.close()
        kiosk.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        console.stop()
