"""A live room on a real Mosquitto: seats report, obey signed commands, and hand in their bundles."""

from __future__ import annotations

import json
import time

import paho.mqtt.client as mqtt
from roomtools import broker, built, console, room, rows_ready, seats, secrets, wait_for  # noqa: F401 (fixtures)

from exam_desktop.core.sealed.bundle import read_bundle
from exam_desktop.room.config import BrokerAddress, load_room
from exam_desktop.room.protocol import STATUS_FIELDS, Topics, new_command
from exam_desktop.room.seat import probe_broker


def test_every_seat_reports_what_the_console_shows(console, seats):
    wait_for(lambda: rows_ready(console, 3), step=seats.step, what="3 running seats")
    wait_for(lambda: all(r.status.get("answered", 0) >= 1 for r in console.view.rows()), step=seats.step)
    row = console.view.row("sim-001")
    assert set(STATUS_FIELDS) <= set(row.status)
    data = row.to_json(time.time())
    assert data["candidate"]["student_id"] == "SIM-0001" and data["questions"] == 13
    assert 0 < data["time_left_s"] <= 20 * 60 and data["last_save_age_s"] < 5 and data["genuine"]


def test_commands_are_applied_once_journaled_and_the_bundles_collected(console, seats, room):
    wait_for(lambda: rows_ready(console, 3), step=seats.step)
    before = {r.seat: r.time_left_s(time.time()) for r in console.view.rows()}
    sent = console.send("extend", None, who="A. Invigilator", reason="late start", minutes=10)
    wait_for(lambda: all(a is not None for a in console.wait_acks(sent, 0).values()), step=seats.step)
    assert all(a.ok for a in console.wait_acks(sent, 0).values())
    wait_for(
        lambda: all(r.status["extensions_s"] == 600 for r in console.view.rows()),
        step=seats.step,
        what="extended",
    )
    for r in console.view.rows():
        assert 595 <= r.time_left_s(time.time()) - before[r.seat] <= 605
    console.send("announce", None, who="A. Invigilator", reason="erratum", text="Question 3: read x as y.")
    seats.seats[0].seat.raise_hand()
    wait_for(lambda: console.view.row("sim-001").hand is not None, step=seats.step, what="hand shown")
    console.acknowledge_hand("sim-001", who="A. Invigilator")
    wait_for(
        lambda: console.view.row("sim-001").status.get("hand") is None, step=seats.step, what="hand cleared"
    )
    sent = console.send("end", None, who="A. Invigilator", reason="time is up")
    wait_for(lambda: all(s.collected for s in seats.seats), step=seats.step, what="every bundle collected")

    stored = sorted((room.folder / "results").glob("*.bundle"))
    assert len(stored) == 3
    for path in stored:
        bundle = read_bundle(path, exam_id=room.exam_id)
        events = bundle.events
        by_console = [e["data"] for e in events if e["type"] == "invigilator"]
        assert [(e["action"], e["who"]) for e in by_console] == [
            ("extend", "A. Invigilator (room console)"),
            ("end", "A. Invigilator (room console)"),
        ]
        assert by_console[0]["reason"] == "late start" and by_console[0]["seconds"] == 600
        announcements = [e["data"]["text"] for e in events if e["type"] == "announcement"]
        assert announcements == ["Question 3: read x as y."]
        seqs = [e["data"]["seq"] for e in events if e["type"] == "room_command"]
        assert len(seqs) == len(set(seqs)) == 3 + (1 if bundle.candidate["student_id"] == "SIM-0001" else 0)
    wait_for(
        lambda: all(r.collected and r.state == "exported" for r in console.view.rows()),
        step=seats.step,
        what="the console shows every seat collected",
    )
    assert console.targets(None) == [], "--all reaches only the seats still taking the exam"
    late = console.send("extend", ["sim-002"], who="A. Invigilator", reason="too late", minutes=5)
    wait_for(lambda: console.wait_acks(late, 0)[late[0].seq] is not None, step=seats.step)
    assert "already submitted" in console.wait_acks(late, 0)[late[0].seq].message
    journal = [e["type"] for e in console.journal.entries()]
    assert journal.count("bundle_collected") == 3 and journal.count("command") >= 9


def test_a_seat_can_write_only_under_its_own_topic(room, console, seats, secrets):
    wait_for(lambda: rows_ready(console, 3), step=seats.step)
    topics = Topics(room.topic_root)
    intruder = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sim-099", protocol=mqtt.MQTTv311)
    intruder.username_pw_set(room.seat_user, room.seat_password)
    intruder.tls_set_context(room.tls_context())
    intruder.connect(room.broker.host, room.broker.port)
    intruder.loop_start()
    try:
        forged = new_command(
            room_id=room.room_id, exam_id=room.exam_id, seat="sim-001", action="end", who="x", reason="y"
        ).signed(secrets.signing_key)  # even a genuine command: a seat may not post commands
        intruder.publish(topics.command("sim-001", 1), forged, qos=1).wait_for_publish(5)
        intruder.publish(topics.seat("sim-001", "status"), b'{"kind":"status"}', qos=1).wait_for_publish(5)
        for _ in range(20):
            seats.step()
            time.sleep(0.05)
    finally:
        intruder.loop_stop()
        intruder.disconnect()
    assert console.view.row("sim-001").state == "running", "the seat did not receive the command"
    assert not [f for f in console.view.feed() if f.kind == "refused"], "the forged status never arrived"


def test_wrong_credentials_are_refused_by_the_broker(room, broker):
    outcome = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sim-009", protocol=mqtt.MQTTv311)
    client.username_pw_set(room.seat_user, "not the password")
    client.tls_set_context(room.tls_context())
    client.on_connect = lambda c, u, f, reason, p: outcome.append(str(reason))
    client.connect(room.broker.host, room.broker.port)
    client.loop_start()
    try:
        wait_for(lambda: outcome, what="an answer from the broker")
    finally:
        client.loop_stop()
    assert outcome == ["Not authorized"]


def test_a_broker_with_another_rooms_certificate_or_none_at_all_is_one_sentence(
    room, broker, tmp_path, built
):
    from roomtools import make_room

    other = make_room(tmp_path / "OTHER", built.package)
    data = json.loads(other.path.read_text())
    data["broker"]["port"] = room.broker.port  # the other room's CA, this room's broker
    other.path.write_text(json.dumps(data))
    sentence = probe_broker(load_room(other.path))
    assert "does not present this room's certificate" in sentence and "runs on this seat alone" in sentence
    nobody = load_room(room.path)
    nobody = type(nobody)(**{**nobody.__dict__, "broker": BrokerAddress("127.0.0.1", 1)})
    sentence = probe_broker(nobody)
    assert "cannot be reached (connection refused)" in sentence and "\n" not in sentence
