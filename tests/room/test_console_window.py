"""The room console window on a real room: a real Mosquitto, real seat sessions, the real Qt table.

The simulated seats run on the test's (GUI) thread from a timer, as the kiosk runs its seat; the
console's network thread only feeds the view."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialogButtonBox
from roomtools import broker, built, room, secrets, simulated  # noqa: F401  (fixtures)

from exam_desktop.gui.room_console import ACTIONS, ActionDialog, RoomConsoleWindow
from exam_desktop.room.console import RoomConsole

pytestmark = pytest.mark.gui
SHOTS = Path(os.environ.get("EXAM_DESKTOP_SCREENSHOTS") or tempfile.gettempdir())
TIMEOUT_MS = 20_000
SPEC = {spec.action: spec for spec in ACTIONS}


@pytest.fixture
def console(room, secrets, broker):
    running = RoomConsole(room, secrets, collect=True)
    running.start()
    running.wait_connected()
    yield running
    running.stop()


@pytest.fixture
def seats(qtbot, room, built, tmp_path, console):
    simulation = simulated(room, built, tmp_path / "seats", 6)
    timer = QTimer(interval=20)
    timer.timeout.connect(simulation.step)
    timer.start()
    yield simulation
    timer.stop()
    simulation.close()


def shown_seats(window: RoomConsoleWindow) -> list[str]:
    return [str(window.proxy.index(r, 0).data()) for r in range(window.proxy.rowCount())]


def row(window: RoomConsoleWindow, seat: str) -> dict:
    return window.model.seat_row(seat) or {}


def test_the_console_shows_every_seat_attention_first_and_acts_on_them(qtbot, console, seats):
    window = RoomConsoleWindow(console)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: len(window.model.rows) == 6, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: all(r["state"] == "running" for r in window.model.rows), timeout=TIMEOUT_MS)
    assert "6 seats · 6 running" in window.summary.text()
    assert window.connection.text().startswith("● connected")

    # A lock and a raised hand: those seats come first, the locked one before the hand.
    locked, hand = seats.seats[3], seats.seats[1]
    locked.session.desk.lock("focus-lost")
    hand.seat.raise_hand()
    qtbot.waitUntil(lambda: shown_seats(window)[:2] == [locked.name, hand.name], timeout=TIMEOUT_MS)
    assert "locked" in window.proxy.index(0, 8).data()
    assert "hand raised" in window.proxy.index(1, 8).data()
    window.search.setText(hand.name)
    assert shown_seats(window) == [hand.name]
    window.search.clear()
    window.category.setCurrentText("Needs attention")
    assert shown_seats(window) == [locked.name, hand.name]
    window.category.setCurrentText("All seats")
    window.grab().save(str(SHOTS / "room-console-6-seats.png"))

    # Unlock the locked seat and acknowledge the hand, from the window.
    window.select_seats([locked.name])
    assert window.act(SPEC["unlock"], {"reason": "false alarm, candidate stayed seated"})
    qtbot.waitUntil(lambda: not locked.session.desk.state.locked, timeout=TIMEOUT_MS)
    window.select_seats([hand.name])
    assert window.buttons["hand"].isEnabled()
    window.acknowledge_hands()
    qtbot.waitUntil(lambda: row(window, hand.name).get("hand") is None, timeout=TIMEOUT_MS)
    journaled = [e["data"] for e in locked.session.store.events() if e["type"] == "invigilator"]
    assert journaled and journaled[-1]["action"] == "unlock"
    assert "false alarm" in journaled[-1]["reason"]

    # Extend every seat by 10 minutes: each one's clock gets 600 s more.
    before = {s.name: s.session.clock.remaining() for s in seats.seats}
    window.all_seats.setChecked(True)
    assert window.targets.text() == "every seat (6)"
    assert window.act(SPEC["extend"], {"minutes": 10, "reason": "fire alarm"})
    qtbot.waitUntil(
        lambda: all(s.session.clock.remaining() > before[s.name] + 590 for s in seats.seats),
        timeout=TIMEOUT_MS,
    )
    qtbot.waitUntil(
        lambda: sum("applied" in window.feed.item(i).text() for i in range(window.feed.count())) >= 6,
        timeout=TIMEOUT_MS,
    )
    qtbot.waitUntil(lambda: "(+10 min)" in window.proxy.index(0, 4).data(), timeout=TIMEOUT_MS)

    # A reason is required: without one the console refuses and says so.
    assert not window.act(SPEC["pause"], {"reason": "  "})
    assert "reason" in window.last_error

    # End for everyone: the seats submit and their results are collected.
    assert window.act(SPEC["end"], {"reason": "time is over in the room"})
    qtbot.waitUntil(lambda: all(s.submitted for s in seats.seats), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: all(r["collected"] for r in window.model.rows), timeout=TIMEOUT_MS)
    assert window.proxy.index(0, 7).data().startswith("collected")
    window.grab().save(str(SHOTS / "room-console-ended.png"))
    window.close()


def test_an_action_needs_a_reason_and_an_irreversible_one_a_confirmation(qtbot):
    dialog = ActionDialog(SPEC["end"], ["sim-001", "sim-002"])
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.reason.setText("the room's time is over")
    assert not ok.isEnabled()  # not yet confirmed
    assert "ends the exam now for 2 candidates" in dialog.consequence.text()
    dialog.confirm.setChecked(True)
    assert ok.isEnabled()
    assert dialog.values() == {"reason": "the room's time is over"}

    extend = ActionDialog(SPEC["extend"], ["sim-001"])
    qtbot.addWidget(extend)
    extend.reason.setText("reader needed more time")
    extend.minutes.setValue(15)
    assert extend.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert extend.values() == {"reason": "reader needed more time", "minutes": 15.0}


def test_forty_seats_with_a_locked_an_offline_and_a_raised_hand_seat(qtbot, room, built, tmp_path, console):
    simulation = simulated(room, built, tmp_path / "seats", 40)
    timer = QTimer(interval=20)
    timer.timeout.connect(simulation.step)
    timer.start()
    window = RoomConsoleWindow(console, title="Lab B — Machine Learning Engineers Test")
    qtbot.addWidget(window)
    window.resize(1600, 1000)
    window.show()
    try:
        qtbot.waitUntil(
            lambda: sum(r["state"] == "running" for r in window.model.rows) == 40, timeout=TIMEOUT_MS
        )
        locked, offline, hand = simulation.seats[16], simulation.seats[22], simulation.seats[4]
        locked.session.desk.lock("focus-lost")
        hand.seat.raise_hand()
        offline.seat.link.stop()  # its network goes: the console sees it stop reporting
        qtbot.waitUntil(
            lambda: shown_seats(window)[:3] == [locked.name, offline.name, hand.name], timeout=TIMEOUT_MS
        )
        assert "offline since" in window.proxy.index(1, 6).data()
        assert "1 locked" in window.summary.text() and "1 offline" in window.summary.text()
        assert "1 hand raised" in window.summary.text()
        window.grab().save(str(SHOTS / "room-console-40-seats.png"))
        window.show_projector_clock()
        projector = window.projector
        assert projector is not None and projector.ends.text().startswith("The exam ends at")
        projector.resize(1280, 720)
        projector.grab().save(str(SHOTS / "room-projector-clock.png"))
    finally:
        timer.stop()
        window.close()
        simulation.close()


def _start_demo(tmp_path):
    """`room demo --seats 3` with its temporary folder under `tmp_path`, once its seats joined."""
    import subprocess
    import sys
    import time

    from roomtools import need_mosquitto

    need_mosquitto()
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        EXAM_DESKTOP_DATA=str(tmp_path / "data"),
        TMPDIR=str(tmp_path),
    )
    demo = subprocess.Popen(
        [sys.executable, "-m", "exam_desktop", "room", "demo", "--seats", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        lines.append(line)
        if "3 simulated seats joined" in line:
            break
    if not any("3 simulated seats joined" in line for line in lines):
        demo.kill()
        demo.wait(10)
        demo.stdout.close()
        raise AssertionError("".join(lines))
    return demo


def test_room_demo_runs_a_whole_room_and_stops_with_its_window(tmp_path):
    """`room demo`: broker, console window and simulated seats; killed, it leaves nothing running."""
    import signal
    import subprocess
    import time

    demo = _start_demo(tmp_path)
    try:
        rooms = list(tmp_path.glob("exam-room-demo-*/ROOM/room.json"))
        assert len(rooms) == 1
    finally:
        demo.send_signal(signal.SIGKILL)
        demo.wait(10)
        demo.stdout.close()
    deadline = time.monotonic() + 15  # the children receive their parent-death signal and stop
    leftovers = ["?"]
    while leftovers and time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-af", str(tmp_path)], capture_output=True, text=True).stdout
        leftovers = [line for line in found.splitlines() if "pgrep" not in line]
        time.sleep(0.1)
    assert leftovers == [], f"the broker or the seats outlived the demo: {leftovers}"


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_room_demo_ended_by_sigterm_or_ctrl_c_removes_its_temporary_folder(tmp_path, signum):
    import signal

    demo = _start_demo(tmp_path)
    try:
        assert list(tmp_path.glob("exam-room-demo-*"))
        demo.send_signal(getattr(signal, signum))  # SIGINT: what Ctrl+C in its terminal sends
        assert demo.wait(30) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(10)
        demo.stdout.close()
    assert list(tmp_path.glob("exam-room-demo-*")) == []
