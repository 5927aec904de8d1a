"""A seat's network cut for two minutes (a network namespace whose link the test pulls): the seat
carries on, the console shows it offline and then back, a command sent meanwhile is applied once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from roomtools import PASSPHRASE, built, free_port, need_mosquitto, wait_for  # noqa: F401 (fixtures)

from exam_desktop.core.sealed.bundle import read_bundle
from exam_desktop.room.broker import EmbeddedBroker
from exam_desktop.room.config import BrokerAddress, init_room, load_console_secrets
from exam_desktop.room.console import RoomConsole

CUT_S = 120.0


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def namespace():
    """A network namespace joined to this one by a veth pair: 10.231.N.1 here, 10.231.N.2 there."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    n = random.randrange(1, 250)
    name, host_if, seat_if = f"edroom{n}", f"edr{n}h", f"edr{n}s"
    try:
        ip("netns", "add", name)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"network namespaces are not available here ({exc})")
    try:
        ip("link", "add", host_if, "type", "veth", "peer", "name", seat_if)
        ip("link", "set", seat_if, "netns", name)
        ip("addr", "add", f"10.231.{n}.1/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("netns", "exec", name, "ip", "addr", "add", f"10.231.{n}.2/30", "dev", seat_if)
        ip("netns", "exec", name, "ip", "link", "set", seat_if, "up")
        ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name, host_if, f"10.231.{n}.1"
    finally:
        subprocess.run(["ip", "link", "del", host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


@pytest.mark.slow
def test_a_seat_cut_off_for_two_minutes(built, tmp_path, namespace):
    need_mosquitto()
    name, host_if, address = namespace
    room = init_room(
        tmp_path / "ROOM", PASSPHRASE, broker=BrokerAddress(address, free_port()), exam_package=built.package
    )
    broker = EmbeddedBroker(room).start()
    console = RoomConsole(room, load_console_secrets(room, PASSPHRASE), collect=True)
    console.start()
    seat = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            name,
            sys.executable,
            "-m",
            "exam_desktop",
            "room",
            "simulate",
            str(room.folder),
            str(built.package),
            "--code",
            built.start_code,
            "--seats",
            "1",
            "--status-every",
            "1",
            "--answer-every",
            "1",
            "--data-dir",
            str(tmp_path / "seat"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(
            lambda: (r := console.view.row("sim-001")) is not None and r.online(time.time()), timeout_s=30
        )
        ip("link", "set", host_if, "down")
        cut_at = time.time()
        wait_for(lambda: not console.view.row("sim-001").online(time.time()), timeout_s=10, what="offline")
        answered_at_cut = console.view.row("sim-001").status["answered"]
        sent = console.send("extend", ["sim-001"], who="A. Invigilator", reason="network cut", minutes=1)
        time.sleep(max(0.0, CUT_S - (time.time() - cut_at)))  # the cut itself: nothing to wait for
        assert seat.poll() is None, "the seat carried on"
        ip("link", "set", host_if, "up")
        wait_for(lambda: console.view.row("sim-001").online(time.time()), timeout_s=30, what="back online")
        wait_for(lambda: console.wait_acks(sent, 0)[sent[0].seq] is not None, timeout_s=10, what="applied")
        assert console.wait_acks(sent, 0)[sent[0].seq].ok
        # The seat acknowledges, then publishes its status: the two messages may arrive apart.
        wait_for(
            lambda: console.view.row("sim-001").status["extensions_s"] > 0, timeout_s=10, what="extended"
        )
        row = console.view.row("sim-001")
        assert row.status["extensions_s"] == 60 and row.status["answered"] >= answered_at_cut
        console.send("end", ["sim-001"], who="A. Invigilator", reason="done")
        output = seat.communicate(timeout=60)[0]
        assert seat.returncode == 0, output
    finally:
        if seat.poll() is None:
            seat.send_signal(signal.SIGTERM)
            seat.communicate(timeout=30)
        console.stop()
        broker.stop()
    bundle = read_bundle(next((room.folder / "results").glob("*.bundle")))
    assert [e["data"]["action"] for e in bundle.events if e["type"] == "room_command"] == ["extend", "end"]
    saved_during_cut = [
        e
        for e in bundle.events
        if e["type"] == "answer_saved" and cut_at + 5 < _epoch(e["at_wall"]) < cut_at + CUT_S - 5
    ]
    assert saved_during_cut, "the candidate kept answering while the seat was cut off"


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()
