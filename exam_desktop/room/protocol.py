"""What travels over the room: topics, message shapes, size caps, signatures.

Topics, under `exam-room/<room id>/seat/<seat>/`:

| topic | from | retained | payload |
|---|---|---|---|
| `status` | seat | yes | `SeatStatus` signed by the seat's session key |
| `presence` | seat (last will: broker) | yes | `{"kind": "presence", "online": bool, ...}` signed at connect |
| `ack` | seat | no | `Ack` of one command, signed by the session key |
| `bundle` | seat | yes, until collected | the result bundle's bytes (core/sealed/bundle.py verifies them) |
| `cmd/<seq>` | console | yes, until acknowledged or expired | `Command` signed by the console's Ed25519 key |

Every payload is refused before it is parsed when it is larger than its cap (`MAX_BYTES`), then read
with `strict_json` (no duplicate keys, no NaN) and checked field by field; a refusal raises
`MessageRefused` with the reason, which callers log. A command is bound to the room, the exam, the
seat, an expiry and a sequence number; `CommandGuard` (at the seat) refuses wrong signatures, other
rooms, exams or seats, expired commands and replays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from exam_desktop.core.canonical import canonical_json, strict_json
from exam_desktop.core.errors import KnownError
from exam_desktop.core.sealed.keys import (
    b64,
    public_key_bytes,
    public_key_from_bytes,
    unb64,
    verify_signature,
)

PROTOCOL_VERSION = 1

# Commands a console can send; `collected` and `acknowledge-hand` are sent by the console itself.
ACTIONS = (
    "start",
    "extend",
    "pause",
    "resume",
    "unlock",
    "end",
    "permit-quit",
    "announce",
    "acknowledge-hand",
    "collected",
)
STATES = (
    "preflight",
    "waiting",
    "identified",
    "running",
    "paused",
    "locked",
    "submitted",
    "exported",
    "crashed-resumed",
)
MAX_BYTES = {
    "status": 32 * 1024,
    "presence": 4 * 1024,
    "ack": 8 * 1024,
    "cmd": 16 * 1024,
    "bundle": 64 * 1024 * 1024,
}
MAX_TEXT = 2000  # an announcement, a reason
DEFAULT_EXPIRY_S = 600.0
CLOCK_SKEW_S = 120.0  # how far a seat's clock may be ahead of the console's when checking issued_at


class MessageRefused(KnownError):
    """A message from the room was not accepted; the message says why (for the log)."""


# --------------------------------------------------------------------------------------------
# Topics


@dataclass(frozen=True)
class Topics:
    root: str  # exam-room/<room id>

    def seat(self, seat: str, kind: str) -> str:
        return f"{self.root}/seat/{seat}/{kind}"

    def command(self, seat: str, seq: int) -> str:
        return f"{self.root}/seat/{seat}/cmd/{seq}"

    def seat_commands(self, seat: str) -> str:
        return f"{self.root}/seat/{seat}/cmd/+"

    def every(self, kind: str) -> str:
        return f"{self.root}/seat/+/{kind}"

    def parse(self, topic: str) -> tuple[str, str] | None:
        """(seat, kind) of a room topic, kind being status|presence|ack|bundle|cmd; else None."""
        prefix = f"{self.root}/seat/"
        if not topic.startswith(prefix):
            return None
        parts = topic[len(prefix) :].split("/")
        if len(parts) == 2 and parts[1] in ("status", "presence", "ack", "bundle"):
            return parts[0], parts[1]
        if len(parts) == 3 and parts[1] == "cmd":
            return parts[0], "cmd"
        return None


# --------------------------------------------------------------------------------------------
# Signing


def sign(payload: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    """The payload with `sig` (Ed25519 over its canonical form without `sig`), as bytes."""
    body = {k: v for k, v in payload.items() if k != "sig"}
    return canonical_json({**body, "sig": b64(key.sign(canonical_json(body)))})


def read_signed(data: bytes, kind: str, key: Ed25519PublicKey | None = None) -> dict[str, Any]:
    """Size cap, strict JSON, an object of `kind`, and (with `key`) a valid signature."""
    limit = MAX_BYTES["cmd" if kind == "command" else kind]
    if len(data) > limit:
        raise MessageRefused(f"{kind} of {len(data)} bytes refused (at most {limit})")
    try:
        raw = strict_json(data)
    except (ValueError, UnicodeError) as exc:
        raise MessageRefused(f"{kind} is not valid JSON ({exc})") from None
    if not isinstance(raw, dict) or raw.get("kind") != kind or raw.get("v") != PROTOCOL_VERSION:
        raise MessageRefused(f"not a {kind} message of this version")
    signature = raw.get("sig")
    if not isinstance(signature, str):
        raise MessageRefused(f"{kind} is not signed")
    if key is not None:
        body = {k: v for k, v in raw.items() if k != "sig"}
        try:
            good = verify_signature(key, unb64(signature, 64), canonical_json(body))
        except ValueError:
            good = False
        if not good:
            raise MessageRefused(f"{kind} has a bad signature")
    return raw


def _text(raw: dict[str, Any], name: str, *, limit: int = 200, empty: bool = False) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or len(value) > limit or (not empty and not value.strip()):
        raise MessageRefused(f"{raw.get('kind')} field {name!r} is missing or not valid")
    return value


def _number(raw: dict[str, Any], name: str, *, none: bool = False) -> float | None:
    value = raw.get(name)
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise MessageRefused(f"{raw.get('kind')} field {name!r} is not a number")
    return float(value)


def _int(raw: dict[str, Any], name: str) -> int:
    value = raw.get(name)
    if type(value) is not int or value < 0:
        raise MessageRefused(f"{raw.get('kind')} field {name!r} is not a whole number")
    return value


# --------------------------------------------------------------------------------------------
# Commands


@dataclass(frozen=True)
class Command:
    """One signed instruction from the console to one seat."""

    room_id: str
    exam_id: str
    seat: str
    seq: int
    action: str
    who: str
    reason: str
    issued_at: float
    expires_at: float
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def minutes(self) -> float:
        return float(self.args.get("minutes", 0))

    @property
    def text(self) -> str:
        return str(self.args.get("text", ""))

    def payload(self) -> dict[str, Any]:
        return {
            "kind": "command",
            "v": PROTOCOL_VERSION,
            "room": self.room_id,
            "exam_id": self.exam_id,
            "seat": self.seat,
            "seq": self.seq,
            "action": self.action,
            "who": self.who,
            "reason": self.reason,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "args": self.args,
        }

    def signed(self, key: Ed25519PrivateKey) -> bytes:
        return sign(self.payload(), key)

    def describe(self) -> str:
        extra = f" {self.minutes:g} min" if self.action == "extend" else ""
        return f"{self.action}{extra} (#{self.seq}, by {self.who}: {self.reason})"


def new_command(
    *,
    room_id: str,
    exam_id: str,
    seat: str,
    action: str,
    who: str,
    reason: str,
    args: dict[str, Any] | None = None,
    expires_in_s: float = DEFAULT_EXPIRY_S,
    seq: int | None = None,
    now: float | None = None,
) -> Command:
    """A command ready to sign; the sequence number is the issue time in microseconds (unique per
    console and increasing, with no counter file to lose)."""
    if action not in ACTIONS:
        raise MessageRefused(f"unknown action {action!r}")
    now = time.time() if now is None else now
    return Command(
        room_id=room_id,
        exam_id=exam_id,
        seat=seat,
        seq=seq if seq is not None else time.time_ns() // 1000,
        action=action,
        who=who,
        reason=reason,
        issued_at=now,
        expires_at=now + expires_in_s,
        args=dict(args or {}),
    )


def parse_command(data: bytes, console_key: Ed25519PublicKey) -> Command:
    raw = read_signed(data, "command", console_key)
    action = _text(raw, "action", limit=40)
    if action not in ACTIONS:
        raise MessageRefused(f"unknown action {action!r}")
    args = raw.get("args")
    if not isinstance(args, dict):
        raise MessageRefused("command args must be an object")
    if action == "extend":
        minutes = args.get("minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not -480 <= minutes <= 480:
            raise MessageRefused("extend needs minutes between -480 and 480")
    if action in ("announce",) and not isinstance(args.get("text"), str):
        raise MessageRefused("announce needs a text")
    if action == "start" and not isinstance(args.get("code"), str):
        raise MessageRefused("start needs the start code")
    if action == "collected" and not isinstance(args.get("receipt"), str):
        raise MessageRefused("collected needs the receipt")
    if action == "announce" and len(args["text"]) > MAX_TEXT:
        raise MessageRefused("the announcement is too long")
    return Command(
        room_id=_text(raw, "room", limit=40),
        exam_id=_text(raw, "exam_id", limit=200),
        seat=_text(raw, "seat", limit=40),
        seq=_int(raw, "seq"),
        action=action,
        who=_text(raw, "who", limit=200),
        reason=_text(raw, "reason", limit=MAX_TEXT),
        issued_at=float(_number(raw, "issued_at") or 0.0),
        expires_at=float(_number(raw, "expires_at") or 0.0),
        args=args,
    )


class CommandGuard:
    """At the seat: accept a command once, for this room, exam and seat, before it expires.

    `seen` holds the sequence numbers already handled (applied or refused after checking), so a
    replay is refused; the seat seeds it from its journal after a relaunch.
    """

    def __init__(
        self,
        *,
        room_id: str,
        seat: str,
        console_key: Ed25519PublicKey,
        exam_id: str | None = None,
        wall: Any = time.time,
    ):
        self.room_id, self.seat, self.exam_id = room_id, seat, exam_id
        self.console_key = console_key
        self.seen: set[int] = set()
        self._wall = wall

    def check(self, data: bytes) -> Command:
        """The command if it may be obeyed now; MessageRefused otherwise (replay: `Replayed`)."""
        command = parse_command(data, self.console_key)
        if command.room_id != self.room_id:
            raise MessageRefused(f"command #{command.seq} is for another room ({command.room_id})")
        if command.seat != self.seat:
            raise MessageRefused(f"command #{command.seq} is for another seat ({command.seat})")
        if self.exam_id is not None and command.exam_id != self.exam_id:
            raise MessageRefused(f"command #{command.seq} is for another exam ({command.exam_id})")
        if command.seq in self.seen:
            raise Replayed(f"command #{command.seq} was already handled (replayed)", command)
        now = self._wall()
        if now > command.expires_at:
            self.seen.add(command.seq)
            raise Expired(f"command #{command.seq} expired {round(now - command.expires_at)} s ago", command)
        if command.issued_at > now + CLOCK_SKEW_S:
            raise MessageRefused(f"command #{command.seq} was issued in the future")
        self.seen.add(command.seq)
        return command


class Replayed(MessageRefused):
    def __init__(self, message: str, command: Command):
        super().__init__(message)
        self.command = command


class Expired(MessageRefused):
    def __init__(self, message: str, command: Command):
        super().__init__(message)
        self.command = command


# --------------------------------------------------------------------------------------------
# Seat messages (status, presence, ack), signed by the seat's session key


def seat_message(kind: str, seat: str, key: Ed25519PrivateKey, **fields: Any) -> bytes:
    return sign(
        {
            "kind": kind,
            "v": PROTOCOL_VERSION,
            "seat": seat,
            "key": b64(public_key_bytes(key.public_key())),
            "sent_at": time.time(),
            **fields,
        },
        key,
    )


@dataclass(frozen=True)
class SeatMessage:
    """A status, presence or ack from a seat, with the key that signed it."""

    kind: str
    seat: str
    key: str  # the signer's public key, base64
    sent_at: float
    fields: dict[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


def parse_seat_message(data: bytes, kind: str, seat: str) -> SeatMessage:
    """Check a seat's message: cap, JSON, shape, its seat name, and its signature by the key it
    names (whether that key is the one this seat's session uses is the console's check)."""
    raw = read_signed(data, kind)
    key_text = _text(raw, "key", limit=100)
    try:
        key = public_key_from_bytes(unb64(key_text, 32))
    except ValueError:
        raise MessageRefused(f"{kind} names no valid key") from None
    raw = read_signed(data, kind, key)
    if raw.get("seat") != seat:
        raise MessageRefused(f"{kind} from topic of seat {seat} names seat {raw.get('seat')!r}")
    sent_at = float(_number(raw, "sent_at") or 0.0)
    if kind == "status":
        check_status_fields(raw)
    elif kind == "presence" and not isinstance(raw.get("online"), bool):
        raise MessageRefused("presence needs online true or false")
    elif kind == "ack":
        _int(raw, "seq")
        if not isinstance(raw.get("ok"), bool):
            raise MessageRefused("ack needs ok true or false")
    fields = {k: v for k, v in raw.items() if k not in ("kind", "v", "seat", "key", "sent_at", "sig")}
    return SeatMessage(kind, seat, key_text, sent_at, fields)


STATUS_FIELDS: dict[str, tuple[type, ...]] = {
    "state": (str,),
    "exam_id": (str,),
    "session_id": (str,),
    "candidate": (dict,),
    "answered": (int,),
    "questions": (int,),
    "flagged": (int,),
    "time_left_s": (int, float, type(None)),
    "ends_at": (int, float, type(None)),
    "extensions_s": (int, float),
    "last_save_at": (int, float, type(None)),
    "incidents": (int,),
    "latest_incident": (str, type(None)),
    "errors": (list,),
    "hand": (dict, type(None)),
    "collected": (bool,),
    "receipt": (str, type(None)),
    "interval_s": (int, float),
    "announcements": (int,),
}


def check_status_fields(raw: dict[str, Any]) -> None:
    for name, types in STATUS_FIELDS.items():
        value = raw.get(name)
        if isinstance(value, bool) and bool not in types:
            raise MessageRefused(f"status field {name!r} has the wrong type")
        if not isinstance(value, types):
            raise MessageRefused(f"status field {name!r} is missing or has the wrong type")
    if raw["state"] not in STATES:
        raise MessageRefused(f"unknown state {raw['state']!r}")
    candidate = raw["candidate"]
    if len(candidate) > 20 or not all(isinstance(v, str) and len(v) <= 200 for v in candidate.values()):
        raise MessageRefused("status candidate is not valid")
    if len(raw["errors"]) > 10 or not all(isinstance(e, str) and len(e) <= 500 for e in raw["errors"]):
        raise MessageRefused("status errors are not valid")
