"""The kiosk joins the room: the console's start code unlocks it, its extension and end reach the
exam window, and the bundle is collected; a room that cannot be used is one sentence."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from roomtools import broker, built, console, make_room, room, secrets  # noqa: F401 (fixtures)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "session"))
from kiosktools import on_view, override_office_key, press, type_into

from exam_desktop.core.seat.session import ExamSession, LaunchSettings
from exam_desktop.room.config import BrokerAddress
from exam_desktop.room.seat import join_room

TIMEOUT_MS = 20_000


def session_of(built, data_dir) -> ExamSession:
    session = ExamSession(
        LaunchSettings(package=built.package, data_dir=data_dir, pin="2468", needed_bytes=1024 * 1024)
    )
    session.preflight()
    return session


@pytest.mark.gui
def test_the_room_starts_extends_and_ends_a_kiosk(qtbot, built, room, console, tmp_path):
    from exam_desktop.gui.kiosk import open_kiosk

    session = session_of(built, tmp_path / "seat")
    link, problem = join_room(room.path, session, "lab-01")
    assert link is not None and problem == ""
    kiosk = open_kiosk(session, full_screen=False, room_link=link)
    try:
        override_office_key(qtbot, kiosk, "2468")  # the seat has no office key installed
        on_view(qtbot, kiosk, "identify")
        for field in session.candidate_fields:
            type_into(kiosk, field.id, "Ada Lovelace")
        press(qtbot, kiosk, "continue")
        qtbot.waitUntil(
            lambda: (row := console.view.row("lab-01")) is not None and row.state == "waiting",
            timeout=TIMEOUT_MS,
        )
        console.send("start", ["lab-01"], who="A. Invigilator", reason="start signal", code=built.start_code)
        qtbot.waitUntil(lambda: kiosk.current == "instructions", timeout=TIMEOUT_MS)
        on_view(qtbot, kiosk, "instructions")
        with qtbot.waitSignal(kiosk.exam_ready, timeout=TIMEOUT_MS):
            press(qtbot, kiosk, "begin", wait=False)
        console.send("extend", ["lab-01"], who="A. Invigilator", reason="late start", minutes=5)
        qtbot.waitUntil(lambda: session.clock.extension_s == 300, timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: console.view.row("lab-01").status["extensions_s"] == 300, timeout=TIMEOUT_MS)
        console.send("end", ["lab-01"], who="A. Invigilator", reason="time is up")
        qtbot.waitUntil(lambda: kiosk.finished and session.collected_by_room, timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: kiosk.current == "receipt", timeout=TIMEOUT_MS)  # after "time is up"
        assert len(list((room.folder / "results").glob("*.bundle"))) == 1
        actions = [e["data"]["action"] for e in session.store.events() if e["type"] == "invigilator"]
        assert actions == ["extend", "end"]
    finally:
        kiosk.close()
        kiosk.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_a_room_that_cannot_be_used_is_one_sentence_and_the_exam_runs_alone(built, room, tmp_path):
    session = session_of(built, tmp_path / "seat")
    try:
        link, problem = join_room(tmp_path / "missing" / "room.json", session)
        assert link is None and "There is no room file" in problem and "runs on this seat alone" in problem
        damaged = tmp_path / "damaged.json"
        damaged.write_text("{")
        link, problem = join_room(damaged, session)
        assert link is None and "is damaged" in problem
        other_exam = json.loads(room.path.read_text())
        other_exam["exam"]["exam_id"] = "another-exam"
        (tmp_path / "other.json").write_text(json.dumps(other_exam))
        link, problem = join_room(tmp_path / "other.json", session)
        assert link is None and "is for the exam another-exam" in problem
        nobody = make_room(tmp_path / "NOBODY", built.package)
        data = json.loads(nobody.path.read_text())
        data["broker"] = {"host": "127.0.0.1", "port": 1}
        nobody.path.write_text(json.dumps(data))
        link, problem = join_room(nobody.path, session)
        assert link is not None and "cannot be reached" in problem, "it keeps trying in the background"
        assert BrokerAddress.parse("10.0.0.5:8883") == BrokerAddress("10.0.0.5", 8883)
        session.identify({"name": "Ada", "student_id": "1"})
        session.unlock(built.start_code)
        session.run()
        assert session.clock is not None and session.clock.running, "the exam runs without the room"
    finally:
        session.close()
