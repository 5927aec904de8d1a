"""Faults injected for real: forged commands on the broker, the broker killed mid-exam, the
console killed and restarted. Every seat carries on; nothing is lost, nothing applied twice."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from roomtools import (  # noqa: F401 (fixtures)
    PASSPHRASE,
    broker,
    built,
    console,
    need_mosquitto,
    room,
    rows_ready,
    seats,
    secrets,
    simulated,
    wait_for,
)

from exam_desktop.core.sealed.bundle import read_bundle
from exam_desktop.room.broker import EmbeddedBroker
from exam_desktop.room.console import RoomConsole
from exam_desktop.room.protocol import Topics, new_command


def console_client(room, secrets) -> mqtt.Client:
    """A raw client with the console's broker account: what a stolen console password allows."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="forger", protocol=mqtt.MQTTv311)
    client.username_pw_set(secrets.broker_user, secrets.broker_password)
    client.tls_set_context(room.tls_context())
    client.connect(room.broker.host, room.broker.port)
    client.loop_start()
    return client


def journal_of(seat, kind):
    return [e["data"] for e in seat.session.store.events() if e["type"] == kind]


def test_forged_commands_are_refused_logged_and_change_nothing(room, secrets, console, seats, caplog):
    caplog.set_level(logging.WARNING, logger="exam_desktop.room.seat")
    wait_for(lambda: rows_ready(console, 3), step=seats.step)
    genuine = console.send("extend", ["sim-001"], who="A. Invigilator", reason="late start", minutes=1)
    wait_for(lambda: console.wait_acks(genuine, 0)[genuine[0].seq] is not None, step=seats.step)
    topics = Topics(room.topic_root)
    now = time.time()

    def command(**changes):
        values = {
            "room_id": room.room_id,
            "exam_id": room.exam_id,
            "seat": "sim-001",
            "action": "extend",
            "who": "candidate",
            "reason": "I want more time",
            "args": {"minutes": 60},
        }
        values.update(changes)
        return new_command(**values)

    forgeries = {
        "wrong key": command().signed(Ed25519PrivateKey.generate()),
        "other exam": command(exam_id="another-exam").signed(secrets.signing_key),
        "other seat": command(seat="sim-002").signed(secrets.signing_key),
        "expired": command(now=now - 3600).signed(secrets.signing_key),
        "replayed": genuine[0].signed(secrets.signing_key),
        "malformed": b'{"kind": "command", "v": 1, ',
        "10 MB": b"[" + b"1," * (5 * 1024 * 1024) + b"1]",
    }
    forger = console_client(room, secrets)
    try:
        for number, payload in enumerate(forgeries.values(), start=1):
            forger.publish(topics.command("sim-001", number), payload, qos=1).wait_for_publish(10)
    finally:
        forger.loop_stop()
        forger.disconnect()
    seat = seats.seats[0]
    wait_for(
        lambda: (
            len(journal_of(seat, "room_command_refused")) + len(journal_of(seat, "room_message_refused")) >= 5
        ),
        step=seats.step,
        what="the refusals journaled",
    )
    for _ in range(20):  # the replay is only logged: give it time to arrive too
        seats.step()
        time.sleep(0.02)
    assert seat.session.clock.extension_s == 60, "only the genuine minute was given"
    assert seat.seat.state() == "running"
    refused = " ".join(
        d["why"] for d in journal_of(seat, "room_command_refused") + journal_of(seat, "room_message_refused")
    )
    for why in (
        "bad signature",
        "another exam",
        "another seat",
        "expired",
        "not valid JSON",
        "bytes refused",
    ):
        assert why in refused, why
    logged = caplog.text
    assert "replayed" in logged and "bad signature" in logged and "bytes refused" in logged
    assert len(journal_of(seat, "room_command")) == 1, "the genuine command once, the replay never"


def test_the_broker_killed_mid_exam(room, secrets, broker, built, tmp_path):
    seats = simulated(room, built, tmp_path / "seats", 4)
    console = RoomConsole(room, secrets, collect=True)
    console.start()
    try:
        wait_for(lambda: rows_ready(console, 4), step=seats.step)
        broker.process.send_signal(signal.SIGKILL)
        broker.process.wait(5)
        wait_for(lambda: not any(s.seat.link.connected for s in seats.seats), step=seats.step, what="offline")
        saved = [s.answers_saved for s in seats.seats]
        wait_for(
            lambda: all(s.answers_saved > n + 2 for s, n in zip(seats.seats, saved)),
            step=seats.step,
            what="the seats answering without the broker",
        )
        sent = console.send("extend", None, who="A. Invigilator", reason="the network was down", minutes=5)
        restarted = EmbeddedBroker(room).start()
        broker.process = restarted.process  # the fixture stops it
        back = time.monotonic()
        wait_for(
            lambda: rows_ready(console, 4) and all(s.seat.link.connected for s in seats.seats),
            timeout_s=10,
            step=seats.step,
            what="the table complete again",
        )
        assert time.monotonic() - back < 10
        wait_for(lambda: all(s.session.clock.extension_s == 300 for s in seats.seats), step=seats.step)
        assert all(a is not None and a.ok for a in console.wait_acks(sent, 5).values())
        wait_for(
            lambda: all(
                console.view.row(s.name).status["answered"] == s.seat.status()["answered"]
                for s in seats.seats
            ),
            step=seats.step,
            what="the console's answer counts match the seats'",
        )
        console.send("end", None, who="A. Invigilator", reason="time is up")
        wait_for(lambda: all(s.collected for s in seats.seats), step=seats.step, what="collected")
        for seat in seats.seats:
            bundle = read_bundle(
                next((room.folder / "results").glob(f"*{seat.session.written.receipt}.bundle"))
            )
            assert bundle.responses == seat.session.store.responses(), "no answer lost"
            commands = [e["data"]["seq"] for e in bundle.events if e["type"] == "room_command"]
            assert len(commands) == len(set(commands)) == 2, "each command applied once"
            seqs = [e["seq"] for e in bundle.events]
            assert seqs == list(range(1, len(seqs) + 1))
            assert [e["data"]["action"] for e in bundle.events if e["type"] == "invigilator"] == [
                "extend",
                "end",
            ]
    finally:
        console.stop()
        seats.close()


def test_the_console_killed_and_restarted_collects_what_was_handed_in_meanwhile(room, built, tmp_path):
    """External Mosquitto (as IT runs it, from ROOM/broker/mosquitto.conf) and `room serve --no-broker`."""
    need_mosquitto()
    conf = room.folder / "broker" / "mosquitto.conf"
    external = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    serve_command = [sys.executable, "-m", "exam_desktop", "room", "serve", str(room.folder), "--no-broker"]
    serve_command += ["--passphrase-file", str(passphrase)]
    serve = subprocess.Popen(serve_command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seats = simulated(room, built, tmp_path / "seats", 3, submit_after_s=4.0)
    try:
        wait_for(
            lambda: all(s.session.clock is not None and s.seat.link.connected for s in seats.seats),
            step=seats.step,
        )
        serve.send_signal(signal.SIGKILL)
        serve.communicate(timeout=5)
        wait_for(lambda: all(s.submitted for s in seats.seats), step=seats.step, what="every seat submitted")
        for _ in range(20):
            seats.step()
            time.sleep(0.05)
        assert not any(s.collected for s in seats.seats), "nobody collects while the console is down"
        assert not list((room.folder / "results").glob("*.bundle"))
        serve = subprocess.Popen(serve_command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for(
            lambda: all(s.collected for s in seats.seats), timeout_s=20, step=seats.step, what="collected"
        )
        assert len(list((room.folder / "results").glob("*.bundle"))) == 3
    finally:
        seats.close()
        serve.send_signal(signal.SIGTERM)
        output = serve.communicate(timeout=15)[0]
        external.send_signal(signal.SIGTERM)
        external.wait(10)
    assert "bundle collected" in output and "Traceback" not in output
