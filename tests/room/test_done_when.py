"""The room from the shell, as docs/room.md shows it: init, serve, 40 simulated seats, status,
extend every seat by 10 minutes, end them all, 40 bundles in ROOM/results/ that `verify` accepts."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import pytest
from roomtools import built, free_port, need_mosquitto, wait_for  # noqa: F401 (fixtures)

SEATS = 40


def exam_desktop(*args, check=True) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-m", "exam_desktop", *map(str, args)], capture_output=True, text=True, timeout=120
    )
    assert not check or run.returncode == 0, run.stdout + run.stderr
    return run


def test_a_room_of_40_seats_from_the_shell(built, tmp_path):
    need_mosquitto()
    room = tmp_path / "ROOM"
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("a room passphrase\n")
    secret = ["--passphrase-file", passphrase]
    port = free_port()
    exam_desktop(
        "room", "init", "-o", room, "--broker", f"127.0.0.1:{port}", "--exam", built.package, *secret
    )
    python = [sys.executable, "-m", "exam_desktop", "room"]
    served_log = tmp_path / "serve.log"
    processes: list[subprocess.Popen] = []
    try:
        with open(served_log, "w") as log:  # a file, not a pipe: the feed never blocks the console
            serve = subprocess.Popen([*python, "serve", room, *secret], stdout=log, stderr=subprocess.STDOUT)
        processes.append(serve)
        wait_for(lambda: "served on" in served_log.read_text(), what="the room served before anyone joins")
        simulate = subprocess.Popen(
            [
                *python,
                "simulate",
                room,
                built.package,
                "--code",
                built.start_code,
                "--seats",
                str(SEATS),
                "--answer-every",
                "2",
                "--status-every",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(simulate)

        def table():
            return json.loads(exam_desktop("room", "status", room, "--json", *secret).stdout)

        rows: list = []

        def running():
            rows[:] = table()
            return len(rows) == SEATS and all(r["state"] == "running" and r["online"] for r in rows)

        wait_for(running, timeout_s=60, what="40 running seats")
        assert {"seat", "state", "answered", "time_left_s", "last_save_age_s", "online", "collected"} <= set(
            rows[0]
        )
        before = {r["seat"]: (r["time_left_s"], r["ends_at"]) for r in rows}
        before_at = time.time()
        extend = exam_desktop(
            "room", "act", room, "extend", "--all", "--minutes", 10, "--reason", "late start", *secret
        )
        assert extend.stdout.count("extend applied") == SEATS
        nosuch = exam_desktop(
            "room",
            "act",
            room,
            "extend",
            "--seat",
            "nosuch",
            "--minutes",
            5,
            "--reason",
            "typo",
            *secret,
            check=False,
        )
        assert nosuch.returncode == 1 and "Seat nosuch never reported" in nosuch.stderr
        assert rows[0]["seat"] in nosuch.stderr, "the seats that did are named"

        def extended():
            rows[:] = table()
            return all(r["extensions_s"] == 600 for r in rows)

        wait_for(extended, timeout_s=30, what="every seat extended")
        passed = time.time() - before_at  # the clock ran meanwhile: time left grew by 600 s less that
        for row in rows:
            left, ends_at = before[row["seat"]]
            assert 595 <= row["time_left_s"] + passed - left <= 605, row
            assert 595 <= row["ends_at"] - ends_at <= 605, row
        end = exam_desktop("room", "act", room, "end", "--all", "--reason", "time is up", *secret)
        assert end.stdout.count("end applied") == SEATS
        simulated = simulate.communicate(timeout=90)[0]
        assert simulate.returncode == 0, simulated
        assert f"{SEATS} collected" in simulated
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
    assert "Traceback" not in served_log.read_text()
    bundles = sorted((room / "results").glob("*.bundle"))
    assert len(bundles) == SEATS
    verified = exam_desktop("verify", room / "results")
    assert verified.stdout.count("valid ") == SEATS and "INVALID" not in verified.stdout
    with pytest.raises(OSError):  # the embedded broker stopped with `room serve`
        socket.create_connection(("127.0.0.1", port), 1).close()
