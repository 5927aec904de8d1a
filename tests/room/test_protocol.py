"""A seat obeys a command only when the room console signed it, for this room, exam and seat,
before it expired and only once; everything it receives is size-capped before it is parsed."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.room.protocol import (
    CommandGuard,
    Expired,
    MessageRefused,
    Replayed,
    new_command,
    parse_seat_message,
    seat_message,
)

CONSOLE = Ed25519PrivateKey.generate()


def guard(now: float = 1000.0) -> CommandGuard:
    return CommandGuard(
        room_id="0badcafe",
        seat="seat-01",
        console_key=CONSOLE.public_key(),
        exam_id="exam-a",
        wall=lambda: now,
    )


def command(**changes):
    values = {
        "room_id": "0badcafe",
        "exam_id": "exam-a",
        "seat": "seat-01",
        "action": "extend",
        "who": "A. Invigilator",
        "reason": "late start",
        "args": {"minutes": 10},
        "now": 990.0,
        "seq": 7,
    }
    values.update(changes)
    return new_command(**values)


def test_a_signed_command_for_this_seat_is_accepted_once():
    seat = guard()
    accepted = seat.check(command().signed(CONSOLE))
    assert (accepted.action, accepted.minutes, accepted.seq) == ("extend", 10, 7)
    with pytest.raises(Replayed):
        seat.check(command().signed(CONSOLE))


@pytest.mark.parametrize(
    ("forged", "why"),
    [
        (command().signed(Ed25519PrivateKey.generate()), "bad signature"),
        (command(exam_id="exam-b").signed(CONSOLE), "another exam"),
        (command(seat="seat-02").signed(CONSOLE), "another seat"),
        (command(room_id="feedface").signed(CONSOLE), "another room"),
        (command(now=100.0).signed(CONSOLE), "expired"),
        (command(now=5000.0).signed(CONSOLE), "in the future"),
        (b"{not json", "not valid JSON"),
        (b"{" + b" " * (10 * 1024 * 1024) + b"}", "bytes refused"),
        (json.dumps({"kind": "command", "v": 1}).encode(), "not signed"),
        (command(action="extend", args={"minutes": 10_000}).signed(CONSOLE), "between -480 and 480"),
    ],
    ids=[
        "wrong-key",
        "other-exam",
        "other-seat",
        "other-room",
        "expired",
        "future",
        "malformed",
        "10MB",
        "unsigned",
        "absurd",
    ],
)
def test_forged_commands_are_refused(forged, why):
    with pytest.raises(MessageRefused, match=why):
        guard().check(forged)


def test_a_changed_field_breaks_the_signature():
    data = json.loads(command().signed(CONSOLE))
    data["args"]["minutes"] = 60
    with pytest.raises(MessageRefused, match="bad signature"):
        guard().check(json.dumps(data).encode())


def test_an_expired_command_is_not_accepted_later_either():
    seat = guard(now=2000.0)
    with pytest.raises(Expired):
        seat.check(command().signed(CONSOLE))
    with pytest.raises(Replayed):
        seat.check(command().signed(CONSOLE))


def test_a_seat_message_is_signed_by_the_key_it_names_and_from_its_own_topic():
    key = Ed25519PrivateKey.generate()
    data = seat_message("presence", "seat-01", key, online=True, session_id="s")
    assert parse_seat_message(data, "presence", "seat-01").get("online") is True
    with pytest.raises(MessageRefused, match="names seat"):
        parse_seat_message(data, "presence", "seat-02")
    tampered = json.loads(data)
    tampered["online"] = False
    with pytest.raises(MessageRefused, match="bad signature"):
        parse_seat_message(json.dumps(tampered).encode(), "presence", "seat-01")


def test_a_status_with_a_wrong_field_is_refused():
    key = Ed25519PrivateKey.generate()
    data = seat_message("status", "seat-01", key, state="running")
    with pytest.raises(MessageRefused, match="missing or has the wrong type"):
        parse_seat_message(data, "status", "seat-01")
