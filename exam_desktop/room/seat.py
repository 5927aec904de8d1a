"""A seat in the room: `SeatLink` (the network, on paho's thread) and `RoomSeat` (the session's side).

The seat's answer file and journal stay the only truth; the room is a view and a remote control.

- `SeatLink(room, seat, session_key)` owns one paho client. `start()` connects in the background and
  keeps reconnecting with back-off (the exam never waits for it); on every (re)connect it
  subscribes to the seat's commands, announces itself online (the broker publishes the last will,
  "offline", if the seat vanishes) and republishes its last status and an uncollected bundle, so a
  reconnect is idempotent. Commands are verified on paho's thread (`protocol.CommandGuard`: console
  signature, room, exam, seat, expiry, replay) and put on a thread-safe queue; nothing here touches
  the session.
- `RoomSeat(session, link, owner)` is driven by the thread that owns the session: call `tick()`
  every few hundred milliseconds (the kiosk from a QTimer, the simulator from its loop). It drains
  the queue, applies each command to the session exactly as if typed at the seat (the invigilator
  desk journals who and why; a `room_command` entry records the command's number and origin),
  acknowledges it, publishes the status every `status_every_s` and at once on a change, and
  publishes the bundle after submit until the console acknowledges it with its receipt.

For the kiosk (the API the exam window's room parts use):
    seat.tick() -> list[Applied]        what was applied (the kiosk reacts: banner, screen refresh)
    seat.raise_hand() / seat.hand       the candidate's raised hand, until the console acknowledges
    seat.announcements                  every announcement received (text, who, when)
    seat.session.collected_by_room      True once the console collected the bundle (receipt wording)
    seat.link.connected / .problem      whether the room is reachable, and why not in one sentence
The owner implements `SeatOwner`: `start_with_code(code)` (what typing the code does),
`end_exam()` (submit now, reason "invigilator") and `command_applied(applied)`.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.errors import KnownError
from exam_desktop.core.seat.invigilator import InvigilatorError
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.session import ExamSession
from exam_desktop.room.config import RoomConfig, check_seat_name
from exam_desktop.room.protocol import (
    Command,
    CommandGuard,
    Expired,
    MessageRefused,
    Replayed,
    Topics,
    seat_message,
)

log = logging.getLogger(__name__)

DESK_ACTIONS = ("extend", "pause", "resume", "unlock", "end", "permit-quit")


@dataclass
class LinkSettings:
    status_every_s: float = 3.0
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 15.0


@dataclass(frozen=True)
class Inbound:
    """What the network thread hands the owner: a command to apply, or one refused."""

    command: Command | None
    refused: str = ""
    seq: int | None = None
    duplicate: bool = False  # a command already handled, delivered again (retained): acknowledge again


class SeatLink:
    """One seat's connection to the room broker, on paho's network thread."""

    def __init__(
        self,
        room: RoomConfig,
        seat: str,
        session_key: Ed25519PrivateKey,
        *,
        exam_id: str | None = None,
        settings: LinkSettings | None = None,
    ):
        self.room = room
        self.seat = check_seat_name(seat)
        self.key = session_key
        self.settings = settings or LinkSettings()
        self.topics = Topics(room.topic_root)
        self.guard = CommandGuard(
            room_id=room.room_id, seat=self.seat, console_key=room.console_public_key, exam_id=exam_id
        )
        self._guard_lock = threading.Lock()
        self.inbound: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
        self._connected = threading.Event()
        self.connections = 0  # how many times the link (re)connected
        self.problem = ""
        self.session_id = ""
        self._last_status: bytes | None = None
        self._bundle: bytes | None = None
        self._lock = threading.Lock()
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.seat,
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        client.username_pw_set(self.room.seat_user, self.room.seat_password)
        client.tls_set_context(self.room.tls_context())
        client.reconnect_delay_set(  # paho waits float seconds (its hint says int)
            min_delay=self.settings.reconnect_min_s,  # type: ignore[arg-type]
            max_delay=self.settings.reconnect_max_s,  # type: ignore[arg-type]
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    # ---------------------------------------------------------------------------- control

    def start(self, session_id: str = "") -> None:
        self.session_id = session_id
        offline = seat_message("presence", self.seat, self.key, online=False, session_id=session_id)
        self.client.will_set(self.topics.seat(self.seat, "presence"), offline, qos=1, retain=True)
        keepalive = max(2, round(self.settings.status_every_s))
        self.client.connect_async(self.room.broker.host, self.room.broker.port, keepalive=keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        """Say goodbye (presence offline), disconnect, stop the network thread."""
        if self.connected:
            info = self.client.publish(
                self.topics.seat(self.seat, "presence"),
                seat_message("presence", self.seat, self.key, online=False, session_id=self.session_id),
                qos=1,
                retain=True,
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2.0)
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def seed_handled(self, seqs: set[int]) -> None:
        """Commands handled before a relaunch (from the journal): a second delivery is a replay."""
        with self._guard_lock:
            self.guard.seen |= seqs

    def set_exam(self, exam_id: str) -> None:
        with self._guard_lock:
            self.guard.exam_id = exam_id

    # ---------------------------------------------------------------------------- sending

    def publish_status(self, fields: dict[str, Any]) -> None:
        payload = seat_message("status", self.seat, self.key, **fields)
        with self._lock:
            self._last_status = payload
        if self.connected:
            self.client.publish(self.topics.seat(self.seat, "status"), payload, qos=1, retain=True)

    def acknowledge(self, seq: int, ok: bool, message: str = "", *, duplicate: bool = False) -> None:
        payload = seat_message(
            "ack",
            self.seat,
            self.key,
            seq=seq,
            ok=ok,
            message=message[:500],
            duplicate=duplicate,
            session_id=self.session_id,
        )
        self.client.publish(self.topics.seat(self.seat, "ack"), payload, qos=1)

    def publish_bundle(self, data: bytes) -> None:
        with self._lock:
            self._bundle = data
        if self.connected:
            self.client.publish(self.topics.seat(self.seat, "bundle"), data, qos=1, retain=True)

    def clear_bundle(self) -> None:
        with self._lock:
            self._bundle = None
        self.client.publish(self.topics.seat(self.seat, "bundle"), b"", qos=1, retain=True)

    # ---------------------------------------------------------------------------- paho thread

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self.problem = f"The room broker {self.room.broker} refused this seat ({reason})."
            log.warning("%s", self.problem)
            return
        self.problem = ""
        self.connections += 1
        client.subscribe(self.topics.seat_commands(self.seat), qos=1)
        client.publish(
            self.topics.seat(self.seat, "presence"),
            seat_message("presence", self.seat, self.key, online=True, session_id=self.session_id),
            qos=1,
            retain=True,
        )
        with self._lock:
            status, bundle = self._last_status, self._bundle
        if status is not None:
            client.publish(self.topics.seat(self.seat, "status"), status, qos=1, retain=True)
        if bundle is not None:
            client.publish(self.topics.seat(self.seat, "bundle"), bundle, qos=1, retain=True)
        self._connected.set()
        log.info("seat %s joined the room %s", self.seat, self.room.broker)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._connected.clear()
        if reason is not None and reason.is_failure:
            self.problem = f"Lost the room broker {self.room.broker} ({reason}); reconnecting."
            log.info("%s", self.problem)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if not message.payload:  # a cleared (acknowledged) retained command
            return
        try:
            with self._guard_lock:
                command = self.guard.check(bytes(message.payload))
        except Replayed as exc:
            # Never obeyed twice; acknowledged again (the first acknowledgement may have been lost).
            # A retained command delivered again after a reconnect is normal, anything else is logged.
            if not message.retain:
                log.warning("seat %s refused a command: %s", self.seat, exc)
            self.inbound.put(Inbound(None, str(exc), exc.command.seq, duplicate=True))
            return
        except Expired as exc:
            log.warning("seat %s refused a command: %s", self.seat, exc)
            self.inbound.put(Inbound(None, str(exc), exc.command.seq))
            return
        except MessageRefused as exc:
            log.warning("seat %s refused a message on %s: %s", self.seat, message.topic, exc)
            self.inbound.put(Inbound(None, str(exc)))
            return
        self.inbound.put(Inbound(command))


def broker_problem(room: RoomConfig, timeout_s: float = 3.0) -> str:
    """One sentence saying why the room's broker cannot be used from here, or "" when TLS works."""
    where = f"{room.broker}"
    try:
        with (
            socket.create_connection((room.broker.host, room.broker.port), timeout_s) as raw,
            room.tls_context().wrap_socket(raw, server_hostname=room.broker.host),
        ):
            return ""
    except ssl.SSLCertVerificationError:
        return (
            f"The room broker {where} does not present this room's certificate (another room, or a "
            "wrong room.json)."
        )
    except ssl.SSLError as exc:
        return f"The room broker {where} refused a secure connection ({exc.reason})."
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        return f"The room broker {where} cannot be reached ({why.lower()})."


def probe_broker(room: RoomConfig, timeout_s: float = 3.0) -> str:
    """`broker_problem` as a seat says it: the exam goes on without the room."""
    problem = broker_problem(room, timeout_s)
    if not problem:
        return ""
    if "cannot be reached" in problem:
        return (
            f"{problem[:-1]}: the exam runs on this seat alone and joins the room when the broker is there."
        )
    return f"{problem[:-1]}: the exam runs on this seat alone."


# --------------------------------------------------------------------------------------------
# The session's side


class SeatOwner(Protocol):
    """What the room asks of whoever owns the session (the kiosk, or a simulated seat)."""

    def start_with_code(self, code: str) -> None:
        """Do what typing the start code at the seat does; KnownError if refused."""

    def end_exam(self) -> None:
        """Submit now: the invigilator ended the exam."""

    def command_applied(self, applied: Applied) -> None:
        """A command was applied (refresh the screen: extra time, pause, banner...)."""


@dataclass(frozen=True)
class Applied:
    command: Command
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class Announcement:
    text: str
    who: str
    at: float


class RoomSeat:
    """The session's side of a seat in the room. Every method runs on the session's thread."""

    def __init__(
        self,
        session: ExamSession,
        link: SeatLink,
        owner: SeatOwner,
        *,
        wall: Callable[[], float] = time.time,
    ):
        self.session = session
        self.link = link
        self.owner = owner
        self.wall = wall
        self.announcements: list[Announcement] = []
        self.hand: dict[str, Any] | None = None
        self.errors: list[str] = []
        self._hand_count = 0
        self._last_full = -float("inf")
        self._last_quick: tuple[Any, ...] | None = None
        self._bundle_sent: str | None = None
        self._seeded = False
        self._incidents: tuple[int, str | None] = (0, None)
        self._journal_seq = 0
        self._outcomes: dict[int, tuple[bool, str]] = {}  # seq -> how it was handled (for re-acks)

    def start(self) -> None:
        self._seed()
        self.link.start(self.session.session_id)

    def stop(self) -> None:
        self.link.stop()

    # ---------------------------------------------------------------------------- the candidate

    def raise_hand(self) -> None:
        """The candidate asks for the invigilator; shown on the console until acknowledged."""
        if self.hand is not None:
            return
        self._hand_count += 1
        self.hand = {"id": self._hand_count, "raised_at": self.wall()}
        self.session.journal("hand_raised", {"id": self._hand_count})
        self._last_quick = None  # publish at once

    def report_error(self, text: str) -> None:
        """A problem the console should see (disk, results folder); kept until `clear_errors`."""
        if text not in self.errors:
            self.errors = ([*self.errors, text])[-5:]

    def clear_errors(self) -> None:
        self.errors = []

    # ---------------------------------------------------------------------------- the loop

    def tick(self) -> list[Applied]:
        """Apply what arrived, publish what changed. Cheap when nothing did."""
        self._seed()
        applied = []
        while True:
            try:
                item = self.link.inbound.get_nowait()
            except queue.Empty:
                break
            if item.command is None:
                self._refused(item)
                continue
            result = self._apply(item.command)
            self._outcomes[result.command.seq] = (result.ok, result.message)
            applied.append(result)
            self.link.acknowledge(result.command.seq, result.ok, result.message)
            try:
                self.owner.command_applied(result)
            except KnownError as exc:
                log.warning("after %s: %s", result.command.action, exc)
        self._publish_bundle()
        self._publish_status()
        return applied

    def _seed(self) -> None:
        store = self.session.store
        if self._seeded or store is None:
            return
        seen = {
            int(e["data"]["seq"])
            for e in store.events()
            if e["type"] in ("room_command", "room_command_refused") and isinstance(e["data"].get("seq"), int)
        }
        self.link.seed_handled(seen)
        self.link.set_exam(self.session.header.exam_id)
        self._seeded = True

    def _refused(self, item: Inbound) -> None:
        if item.duplicate and item.seq is not None:
            ok, message = self._outcomes.get(item.seq, (True, "already handled"))
            self.link.acknowledge(item.seq, ok, message, duplicate=True)
            return
        if item.seq is not None:
            self.session.journal("room_command_refused", {"seq": item.seq, "why": item.refused})
            self._outcomes[item.seq] = (False, item.refused)
            self.link.acknowledge(item.seq, False, item.refused)
        else:
            self.session.journal("room_message_refused", {"why": item.refused[:300]})

    def _apply(self, command: Command) -> Applied:
        session = self.session
        who = f"{command.who} (room console)"
        try:
            if command.action in (*DESK_ACTIONS, "start") and self.state() in ("submitted", "exported"):
                raise KnownError("The exam on this seat was already submitted.")
            if command.action == "start":
                self._start(command)
            elif command.action in DESK_ACTIONS:
                self._desk_action(command, who)
            elif command.action == "announce":
                session.journal("announcement", {"text": command.text, "who": who, "reason": command.reason})
                self.announcements.append(Announcement(command.text, command.who, self.wall()))
            elif command.action == "acknowledge-hand":
                if self.hand is not None:
                    session.journal("hand_acknowledged", {"id": self.hand["id"], "who": who})
                self.hand = None
            elif command.action == "collected":
                session.record_collected(str(command.args["receipt"]))
                self.link.clear_bundle()
        except KnownError as exc:
            self._journal_command(command, ok=False, message=str(exc))
            return Applied(command, False, str(exc))
        self._journal_command(command, ok=True)
        self._last_quick = None
        if command.action == "end":
            self.owner.end_exam()
        return Applied(command, True)

    def _start(self, command: Command) -> None:
        session = self.session
        if session.store is None:
            raise KnownError("The candidate has not identified yet.")
        if session.clock is not None:
            return  # already started: nothing to do (a second start is harmless)
        self.owner.start_with_code(str(command.args["code"]))

    def _desk_action(self, command: Command, who: str) -> None:
        desk = self.session.desk
        if desk is None:
            raise InvigilatorError("The candidate has not identified yet.", "not_identified")
        desk.authenticated = True  # the console's signature stands for the PIN
        try:
            if command.action == "extend":
                desk.extend(command.minutes * 60, who, command.reason)
            elif command.action == "pause":
                desk.pause(who, command.reason)
            elif command.action == "resume":
                desk.resume(who, command.reason)
            elif command.action == "unlock":
                desk.unlock(who, command.reason)
            elif command.action == "end":
                desk.end(who, command.reason)
            elif command.action == "permit-quit":
                desk.permit_quit(who, command.reason)
        finally:
            desk.close()

    def _journal_command(self, command: Command, *, ok: bool, message: str = "") -> None:
        entry: dict[str, Any] = {
            "seq": command.seq,
            "action": command.action,
            "who": command.who,
            "reason": command.reason,
            "issued_at": command.issued_at,
            "ok": ok,
        }
        if message:
            entry["message"] = message
        if self.session.store is not None:
            self.session.journal("room_command", entry)

    # ---------------------------------------------------------------------------- status

    def _publish_bundle(self) -> None:
        written = self.session.written
        if written is None or self._bundle_sent == written.sha256 or self.session.collected_by_room:
            return
        path = written.local_path or written.path
        if path is None:
            return
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            self.report_error(f"The bundle cannot be read for the room ({exc.strerror}).")
            return
        self.link.publish_bundle(data)
        self._bundle_sent = written.sha256

    def _publish_status(self) -> None:
        quick = self._quick()
        now = time.monotonic()
        if quick == self._last_quick and now - self._last_full < self.link.settings.status_every_s:
            return
        self._last_quick = quick
        self._last_full = now
        self.link.publish_status(self.status())

    def _quick(self) -> tuple[Any, ...]:
        session = self.session
        desk = session.desk.state if session.desk else None
        clock = session.clock
        answered = len(session.store.responses()) if session.store is not None else 0
        return (
            self.state(),
            answered,
            desk.to_dict() if desk else None,
            clock.extension_s if clock else 0.0,
            clock.running if clock else False,
            self.hand is not None,
            session.collected_by_room,
            len(self.announcements),
            tuple(self.errors),
            session.results_warning,
        )

    def state(self) -> str:
        session = self.session
        store = session.store
        if store is None:
            return "preflight"
        if store.get_meta(Meta.SUBMITTED) is not None or session.written is not None:
            written = session.written
            exported = session.collected_by_room or (written is not None and written.path is not None)
            return "exported" if exported else "submitted"
        desk = session.desk.state if session.desk else None
        if desk is not None and desk.locked:
            return "locked"
        if desk is not None and desk.paused and session.clock is not None:
            return "paused"
        if session.clock is not None:
            return "crashed-resumed" if session.resuming else "running"
        if session.exam is not None:
            return "identified"
        return "waiting"

    def status(self) -> dict[str, Any]:
        """Everything the console shows for this seat (protocol.STATUS_FIELDS)."""
        session = self.session
        store = session.store
        responses = store.responses() if store is not None else {}
        clock = session.clock
        remaining = clock.remaining() if clock is not None else None
        heartbeat = store.get_meta(Meta.HEARTBEAT) if store is not None else None
        last_save = heartbeat.get("wall") if isinstance(heartbeat, dict) else None
        if store is not None:  # follow the journal: read only what was added since
            count, latest = self._incidents
            for event in store.events(after_seq=self._journal_seq):
                self._journal_seq = event["seq"]
                if event["type"] == "incident":
                    count, latest = count + 1, str(event["data"].get("kind"))
            self._incidents = (count, latest)
        errors = list(self.errors)
        if session.results_warning:
            errors.append(session.results_warning[:500])
        questions = len(session.exam.questions) if session.exam is not None else 0
        written = session.written
        return {
            "state": self.state(),
            "exam_id": session.header.exam_id,
            "session_id": session.session_id,
            "candidate": {k: str(v)[:200] for k, v in list(session.candidate.items())[:20]},
            "answered": sum(1 for r in responses.values() if _answered(r.value)),
            "questions": questions,
            "flagged": sum(1 for r in responses.values() if r.flagged),
            "time_left_s": round(remaining, 1) if remaining is not None else None,
            "ends_at": self.wall() + remaining if remaining is not None and clock and clock.running else None,
            "extensions_s": clock.extension_s if clock is not None else 0.0,
            "last_save_at": float(last_save) if isinstance(last_save, (int, float)) else None,
            "incidents": self._incidents[0],
            "latest_incident": self._incidents[1],
            "errors": errors[-10:],
            "hand": dict(self.hand) if self.hand else None,
            "collected": session.collected_by_room,
            "receipt": written.receipt if written is not None else None,
            "interval_s": self.link.settings.status_every_s,
            "announcements": len(self.announcements),
        }


def _answered(value: Any) -> bool:
    return value not in (None, "", [], {})


def join_room(
    room_path: Path, session: ExamSession, seat: str | None = None, *, probe_timeout_s: float = 2.0
) -> tuple[SeatLink | None, str]:
    """For `launch --room`: the seat's link (not started) and one sentence when the room cannot be
    used now. An unusable room.json gives no link; an unreachable broker or a wrong CA gives a
    link that keeps trying in the background. Either way the exam runs on the seat as without a room."""
    from exam_desktop.room.config import RoomProblem, default_seat_name, load_room

    try:
        room = load_room(room_path)
        link = SeatLink(
            room, seat or default_seat_name(), session.session_key, exam_id=session.header.exam_id
        )
    except RoomProblem as exc:
        return None, f"{exc} The exam runs on this seat alone."
    if room.exam_id is not None and room.exam_id != session.header.exam_id:
        return None, (
            f"The room in {room.path} is for the exam {room.exam_id}, not {session.header.exam_id}: "
            "the exam runs on this seat alone."
        )
    link.problem = probe_broker(room, probe_timeout_s)
    return link, link.problem
