"""A seat that stops reporting shows as offline within three missed heartbeats: hung (no status,
connection still open) or gone (the broker's last will). The table orders seats by attention."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from roomtools import PASSPHRASE, broker, built, console, room, secrets, wait_for  # noqa: F401 (fixtures)

from exam_desktop.room.protocol import SeatMessage
from exam_desktop.room.view import RoomView, format_table


def test_a_hung_seat_then_a_killed_seat_show_offline(room, built, console, tmp_path):
    seats = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exam_desktop",
            "room",
            "simulate",
            room.folder,
            built.package,
            "--code",
            built.start_code,
            "--seats",
            "2",
            "--status-every",
            "1",
            "--data-dir",
            tmp_path / "seats",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: len(console.view.rows()) == 2 and all(r.online(time.time()) for r in console.view.rows()),
            timeout_s=30,
        )
        seats.send_signal(signal.SIGSTOP)
        stopped = time.time()
        wait_for(lambda: not any(r.online(time.time()) for r in console.view.rows()), timeout_s=10)
        assert time.time() - stopped <= 3 * 1.0 + 2.0, "within three missed heartbeats"
        row = console.view.rows()[0]
        assert "offline" in row.attention(time.time()) and row.to_json(time.time())["offline_since"]
        seats.send_signal(signal.SIGCONT)
        wait_for(
            lambda: all(r.online(time.time()) for r in console.view.rows()), timeout_s=10, what="back online"
        )
        seats.send_signal(signal.SIGKILL)
        seats.wait(5)
        wait_for(
            lambda: not any(r.presence_online for r in console.view.rows()),
            timeout_s=10,
            what="the last will",
        )
        assert any(f.kind == "presence" and f.text == "went offline" for f in console.view.feed())
    finally:
        if seats.poll() is None:
            seats.send_signal(signal.SIGCONT)
            seats.kill()
            seats.wait(5)


def status(seat: str, sent_at: float, **fields) -> SeatMessage:
    base = {"state": "running", "session_id": seat, "interval_s": 2.0, "errors": [], "hand": None}
    base.update(fields)
    return SeatMessage("status", seat, f"key-{seat}", sent_at, base)


def test_the_table_puts_the_seats_that_need_someone_first():
    now = [1000.0]
    view = RoomView(wall=lambda: now[0])
    view.update_status(status("a-quiet", 1000.0, last_save_at=999.0))
    view.update_status(status("b-hand", 1000.0, last_save_at=999.0, hand={"id": 1, "raised_at": 999.0}))
    view.update_status(status("c-not-saving", 1000.0, last_save_at=900.0))
    view.update_status(status("d-error", 1000.0, last_save_at=999.0, errors=["results folder missing"]))
    view.update_status(status("e-locked", 1000.0, state="locked", last_save_at=999.0))
    assert [r.seat for r in view.rows()] == ["e-locked", "d-error", "c-not-saving", "b-hand", "a-quiet"]
    now[0] = 1010.0  # everybody else silent for five heartbeats; the quiet seat reported
    view.update_status(status("a-quiet", 1010.0, last_save_at=1009.0))
    order = [r.seat for r in view.rows()]
    assert (
        order[0] == "e-locked"
        and order[-1] == "a-quiet"
        and "offline" in view.row("b-hand").attention(now[0])
    )
    view.acknowledge_hand("b-hand")
    assert view.row("b-hand").hand is None
    table = format_table(view, now[0])
    assert "offline since" in table and table.splitlines()[1].startswith("e-locked")
