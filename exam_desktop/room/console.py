"""The room console's engine: watches every seat, sends signed commands, collects the bundles.

    console = RoomConsole(room, secrets, collect=True)   # collect: `room serve` and the window
    console.start(); console.wait_settled()              # retained state: the room rebuilt
    commands = console.send("extend", ["seat-01"], who="A. Invigilator", reason="fire alarm", minutes=10)
    acks = console.wait_acks(commands, timeout_s=10)     # seq -> Ack (None: not acknowledged yet)
    console.view                                          # view.RoomView: rows and feed
    console.stop()

Everything a seat sends is checked (protocol.parse_seat_message) on paho's network thread and fed
to the `RoomView`; a refused message is logged and noted in the feed. With `collect`, a bundle
published by a seat is verified (core/sealed/bundle.py), stored in ROOM/results/ and acknowledged
with a signed `collected` command carrying its receipt; after a restart the console collects the
bundles still retained on the broker. Commands are retained per seat (`cmd/<seq>`) until the seat
acknowledges them or they expire, so a seat that was offline receives them once when it comes
back; the console clears them. Every command sent and every bundle collected is journaled in
ROOM/console-journal.jsonl (hash-chained, with who and why).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from exam_desktop.core.errors import KnownError
from exam_desktop.core.journal import GENESIS_HASH, event_hash
from exam_desktop.core.sealed.bundle import BundleRejected, bundle_name, read_bundle, write_atomically
from exam_desktop.room.config import RESULTS_DIR, ConsoleSecrets, RoomConfig
from exam_desktop.room.protocol import (
    DEFAULT_EXPIRY_S,
    MAX_BYTES,
    Command,
    MessageRefused,
    SeatMessage,
    Topics,
    new_command,
    parse_command,
    parse_seat_message,
)
from exam_desktop.room.view import RoomView

log = logging.getLogger(__name__)

CONSOLE_JOURNAL = "console-journal.jsonl"


class ConsoleProblem(KnownError):
    """The console cannot do what was asked; the message says why."""


@dataclass(frozen=True)
class Ack:
    seat: str
    seq: int
    ok: bool
    message: str
    duplicate: bool
    received_at: float = 0.0  # time.monotonic() when it arrived


class RoomConsole:
    """One console connection to the room's broker (paho network thread inside)."""

    def __init__(
        self,
        room: RoomConfig,
        secrets: ConsoleSecrets,
        *,
        collect: bool = False,
        results_dir: Path | None = None,
        view: RoomView | None = None,
        client_id: str | None = None,
    ):
        self.room = room
        self.secrets = secrets
        self.collect = collect
        self.results_dir = Path(results_dir or room.folder / RESULTS_DIR)
        self.view = view or RoomView()
        self.topics = Topics(room.topic_root)
        self.journal = ConsoleJournal(room.folder / CONSOLE_JOURNAL)
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._pending_subs = 0
        self._last_message = time.monotonic()
        self._acks: dict[int, Ack] = {}
        self._ack_event = threading.Condition(self._lock)
        self._sent: dict[int, tuple[str, bytes, Command]] = {}  # unacknowledged commands sent here
        self._retained_commands: dict[str, Command] = {}  # topic -> command still on the broker
        self._last_seq = 0
        self.problem = ""
        self.collected: dict[str, str] = {}  # receipt -> path
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"console-{os.getpid()}-{int(time.time() * 1000) % 100000}",
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        self.client.username_pw_set(secrets.broker_user, secrets.broker_password)
        self.client.tls_set_context(room.tls_context())
        self.client.reconnect_delay_set(min_delay=0.5, max_delay=5)  # type: ignore[arg-type]  # float s
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # ---------------------------------------------------------------------------- control

    def start(self) -> None:
        self.client.connect_async(self.room.broker.host, self.room.broker.port, keepalive=5)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout_s: float = 10.0) -> None:
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise ConsoleProblem(
                self.problem
                or f"The room broker {self.room.broker} cannot be reached (is `room serve` running?)."
            )

    def wait_settled(self, quiet_s: float = 0.5, max_s: float = 5.0) -> None:
        """Connected, and the retained state delivered (no message for `quiet_s`)."""
        self.wait_connected(max_s * 2)
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline and time.monotonic() - self._last_message < quiet_s:
            time.sleep(0.05)

    # ---------------------------------------------------------------------------- commands

    def targets(self, seats: Iterable[str] | None) -> list[str]:
        """The seats named, or (None) every seat that has reported and not handed in yet."""
        if seats is None:
            return sorted(row.seat for row in self.view.rows() if row.state not in ("submitted", "exported"))
        return list(dict.fromkeys(seats))

    def send(
        self,
        action: str,
        seats: Iterable[str] | None,
        *,
        who: str,
        reason: str,
        minutes: float | None = None,
        text: str | None = None,
        code: str | None = None,
        args: dict[str, Any] | None = None,
        expires_in_s: float = DEFAULT_EXPIRY_S,
    ) -> list[Command]:
        """Sign and publish `action` for each seat; journaled here with who and why."""
        who, reason = who.strip(), reason.strip()
        if not reason:
            raise ConsoleProblem("Type a reason: every action records why it was taken.")
        if not who:
            raise ConsoleProblem("Say who takes the action (--who): every action records it.")
        args = dict(args or {})
        if action == "extend":
            if minutes is None or minutes == 0:
                raise ConsoleProblem("Give the extension with --minutes M.")
            args["minutes"] = minutes
        if action == "announce":
            if not text or not text.strip():
                raise ConsoleProblem("Give the announcement with --text T.")
            args["text"] = text.strip()
        if action == "start":
            if not code:
                raise ConsoleProblem("Give the start code with --code CODE.")
            args["code"] = code
        targets = self.targets(seats)
        unknown = [seat for seat in targets if self.view.row(seat) is None]
        if unknown:
            known = ", ".join(sorted(row.seat for row in self.view.rows())) or "none yet"
            raise ConsoleProblem(
                f"{'Seats' if len(unknown) > 1 else 'Seat'} {', '.join(unknown)} never reported to this "
                f"room, so nothing was sent; the seats that have: {known}."
            )
        commands = []
        for seat in targets:
            row = self.view.row(seat)
            exam_id = self.room.exam_id or (str(row.status.get("exam_id", "")) if row else "")
            if not exam_id:
                raise ConsoleProblem(f"Seat {seat} has not reported yet, so its exam is not known.")
            with self._lock:
                seq = max(self._last_seq + 1, time.time_ns() // 1000)
                self._last_seq = seq
            command = new_command(
                room_id=self.room.room_id,
                exam_id=exam_id,
                seat=seat,
                action=action,
                who=who,
                reason=reason,
                args=args,
                expires_in_s=expires_in_s,
                seq=seq,
            )
            payload = command.signed(self.secrets.signing_key)
            topic = self.topics.command(seat, command.seq)
            with self._lock:
                self._sent[command.seq] = (topic, payload, command)
            self.client.publish(topic, payload, qos=1, retain=True)
            commands.append(command)
            if action not in ("collected",):
                self.view.note(seat, "action", command.describe())
            self.journal.append(
                "command",
                {
                    "seat": seat,
                    "seq": command.seq,
                    "action": action,
                    "who": who,
                    "reason": reason,
                    "args": {k: v for k, v in args.items() if k != "code"},
                },
            )
        return commands

    def wait_acks(self, commands: list[Command], timeout_s: float = 10.0) -> dict[int, Ack | None]:
        deadline = time.monotonic() + timeout_s
        wanted = {c.seq for c in commands}
        with self._ack_event:
            while not wanted <= set(self._acks) and time.monotonic() < deadline:
                self._ack_event.wait(max(0.01, deadline - time.monotonic()))
            return {seq: self._acks.get(seq) for seq in wanted}

    def acknowledge_hand(self, seat: str, *, who: str) -> list[Command]:
        self.view.acknowledge_hand(seat)
        return self.send("acknowledge-hand", [seat], who=who, reason="hand seen")

    # ---------------------------------------------------------------------------- network thread

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self.problem = f"The room broker {self.room.broker} refused the console ({reason})."
            log.warning("%s", self.problem)
            return
        self.problem = ""
        kinds = ["status", "presence", "ack"] + (["bundle"] if self.collect else [])
        subscriptions = [(self.topics.every(kind), 1) for kind in kinds]
        subscriptions.append((f"{self.room.topic_root}/seat/+/cmd/+", 1))
        self._last_message = time.monotonic()
        client.subscribe(subscriptions)
        with self._lock:
            resend = [(topic, payload) for topic, payload, _ in self._sent.values()]
        for topic, payload in resend:  # a broker restarted without them: send them again
            client.publish(topic, payload, qos=1, retain=True)
        self._connected.set()

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        self._last_message = time.monotonic()
        self._subscribed.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._connected.clear()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._last_message = time.monotonic()
        where = self.topics.parse(message.topic)
        if where is None:
            return
        seat, kind = where
        payload = bytes(message.payload)
        try:
            if kind == "cmd":
                self._command_seen(message)
            elif not message.payload:
                return
            elif kind == "bundle":
                self._bundle(seat, payload)
            elif kind in ("status", "presence", "ack"):
                if len(payload) > MAX_BYTES[kind]:
                    raise MessageRefused(f"{kind} of {len(payload)} bytes refused")
                parsed = parse_seat_message(payload, kind, seat)
                if kind == "status":
                    self.view.update_status(parsed)
                elif kind == "presence":
                    self.view.update_presence(parsed, live=not message.retain)
                else:
                    self._ack(seat, parsed)
        except MessageRefused as exc:
            log.warning("refused from seat %s (%s): %s", seat, kind, exc)
            self.view.note(seat, "refused", f"{kind}: {exc}")
        except Exception:  # one bad message must not stop the console
            log.exception("handling %s from seat %s failed", kind, seat)

    def _command_seen(self, message: mqtt.MQTTMessage) -> None:
        """A command on the broker: remember it, clear it when it expired."""
        if not message.payload:
            with self._lock:
                self._retained_commands.pop(message.topic, None)
            return
        try:
            command = parse_command(bytes(message.payload), self.room.console_public_key)
        except MessageRefused as exc:
            log.warning("a command on %s is not the console's: %s", message.topic, exc)
            return
        if command.expires_at < time.time():
            self.client.publish(message.topic, b"", qos=1, retain=True)
            return
        with self._lock:
            self._retained_commands[message.topic] = command

    def _ack(self, seat: str, parsed: SeatMessage) -> None:
        seq = int(parsed.get("seq"))
        ack = Ack(
            seat,
            seq,
            bool(parsed.get("ok")),
            str(parsed.get("message", "")),
            bool(parsed.get("duplicate")),
            time.monotonic(),
        )
        topic = self.topics.command(seat, seq)
        with self._lock:
            sent = self._sent.pop(seq, None)
            known = self._retained_commands.pop(topic, None)
            self._acks[seq] = ack
            self._ack_event.notify_all()
        command = sent[2] if sent else known
        if command is not None and command.seat != seat:
            return  # an ack for another seat's command: ignore it
        self.client.publish(topic, b"", qos=1, retain=True)
        if not ack.duplicate and command is not None and command.action != "collected":
            self.view.record_ack(seat, seq, ack.ok, ack.message, command.action)

    def pending_commands(self) -> list[Command]:
        """Commands on the broker not yet acknowledged (retained), oldest first."""
        with self._lock:
            return sorted(self._retained_commands.values(), key=lambda c: c.seq)

    # ---------------------------------------------------------------------------- collecting

    def _bundle(self, seat: str, data: bytes) -> None:
        if len(data) > MAX_BYTES["bundle"]:
            raise MessageRefused(f"bundle of {len(data)} bytes refused")
        try:
            bundle = read_bundle(data, exam_id=self.room.exam_id, package_hash=self.room.package_sha256)
        except BundleRejected as exc:
            self.journal.append("bundle_refused", {"seat": seat, "why": str(exc)})
            raise MessageRefused(f"bundle refused: {exc}") from None
        name = bundle_name(bundle.exam_id, bundle.candidate, bundle.session["id"], bundle.receipt)
        target = self.results_dir / name
        if not (target.is_file() and target.read_bytes() == data):
            self.results_dir.mkdir(parents=True, exist_ok=True)
            write_atomically(self.results_dir, name, data)
            self.journal.append("bundle_collected", {"seat": seat, "receipt": bundle.receipt, "file": name})
        row = self.view.row(seat)
        from exam_desktop.core.sealed.keys import b64, public_key_bytes

        if row is not None and row.key and row.key != b64(public_key_bytes(bundle.session_public_key)):
            self.view.note(seat, "refused", "the bundle is signed by another key than the seat's statuses")
        self.collected[bundle.receipt] = str(target)
        self.view.record_collected(seat, bundle.receipt, str(target))
        self.send(
            "collected",
            [seat],
            who="room console",
            reason="bundle verified and stored",
            args={"receipt": bundle.receipt},
        )


class ConsoleJournal:
    """ROOM/console-journal.jsonl: one hash-chained JSON line per command sent or bundle collected.

    Several writers may share it (the window, `room act`): each append holds an exclusive lock.
    The last entry's number and hash are remembered with the file's size after this writer's own
    append, and the file is read again only when someone else wrote since: an action on 200 seats
    is 200 appends, and reading a day's journal for each was most of its time (3,000 lines:
    ~190 ms on the window's thread)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._tail: tuple[int, int, int, str] | None = None  # inode, size, last seq, last hash

    def append(self, type: str, data: dict[str, Any]) -> None:
        at_wall = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with self._lock, open(self.path, "a+", encoding="utf-8") as out, _locked(out):
            stat = os.fstat(out.fileno())
            tail = self._tail
            if tail is not None and tail[:2] == (stat.st_ino, stat.st_size):
                seq, prev_hash = tail[2] + 1, tail[3]
            else:
                out.seek(0)
                last = None
                for line in out:
                    if line.strip():
                        last = line
                prev = json.loads(last) if last else None
                seq = prev["seq"] + 1 if prev else 1
                prev_hash = prev["hash"] if prev else GENESIS_HASH
            entry = {
                "seq": seq,
                "at_wall": at_wall,
                "type": type,
                "data": data,
                "prev_hash": prev_hash,
                "hash": (entry_hash := event_hash(seq, at_wall, type, data, prev_hash)),
            }
            out.seek(0, os.SEEK_END)
            out.write(json.dumps(entry, sort_keys=True) + "\n")
            out.flush()
            self._tail = (stat.st_ino, os.fstat(out.fileno()).st_size, seq, entry_hash)

    def entries(self) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]


@contextlib.contextmanager
def _locked(handle: Any) -> Any:
    try:
        import fcntl
    except ImportError:  # Windows: one console per room folder
        yield
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
