"""The room as the console shows it: one row per seat, sorted by attention, and a live feed.

`RoomView` is Qt-free and thread-safe: the console's network thread feeds it (`update_status`,
`update_presence`, `record_ack`, `record_collected`, `note`), readers take `rows()` and `feed()`
snapshots. `room status` prints it; the console window shows it through a Qt model. The window must
not read it from paho's thread, nor build its rows on its own thread (100 seats are milliseconds of
Python every refresh): `ViewSnapshots` rebuilds them on a thread of its own when the room changes
and at least every second (times and ages move on), and the window takes the newest finished one.

Attention order (first = needs someone now): locked, offline, error, not saving, hand raised, then
every other seat by name. `SeatRow.attention()` gives the reasons; `SeatRow.to_json()` is one object
of `room status --json` (seat, state, answered, time_left_s, last_save_age_s, online, collected, ...).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from exam_desktop.room.protocol import SeatMessage

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTENTION = ("locked", "offline", "error", "not saving", "hand raised")
NOT_SAVING_S = 30.0  # a running seat whose last durable save is older than this
MISSED_HEARTBEATS = 3  # a seat silent for this many status intervals is offline
RUNNING = ("running", "crashed-resumed")
FEED_LENGTH = 500


@dataclass
class SeatRow:
    seat: str
    state: str = "unknown"
    presence_online: bool = False
    offline_since: float | None = None
    status_at: float | None = None  # the seat's clock when it sent the last status
    received_at: float | None = None  # this console's clock when it arrived
    interval_s: float = 3.0
    status: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    genuine: bool = True  # every status of this session was signed by the session's first key
    collected_path: str = ""  # where the console stored the bundle
    hand_acknowledged: int = 0

    # ---------------------------------------------------------------------------- derived

    def online(self, now: float) -> bool:
        if not self.presence_online or self.received_at is None:
            return False
        return now - self.received_at <= MISSED_HEARTBEATS * self.interval_s + 1.0

    def since_offline(self, now: float) -> float | None:
        if self.online(now):
            return None
        if self.offline_since is not None:
            return self.offline_since
        return self.received_at

    def time_left_s(self, now: float) -> float | None:
        left = self.status.get("time_left_s")
        if not isinstance(left, (int, float)):
            return None
        if self.state in RUNNING and self.status_at is not None:
            left = max(0.0, left - max(0.0, now - self.status_at))
        return round(left, 1)

    def last_save_age_s(self, now: float) -> float | None:
        at = self.status.get("last_save_at")
        return round(max(0.0, now - at), 1) if isinstance(at, (int, float)) else None

    @property
    def collected(self) -> bool:
        return bool(self.status.get("collected")) or bool(self.collected_path)

    @property
    def hand(self) -> dict[str, Any] | None:
        hand = self.status.get("hand")
        if isinstance(hand, dict) and hand.get("id") != self.hand_acknowledged:
            return hand
        return None

    def attention(self, now: float) -> list[str]:
        reasons = []
        if self.state == "locked":
            reasons.append("locked")
        if not self.online(now) and not (self.state in ("submitted", "exported") and self.collected):
            reasons.append("offline")
        if self.status.get("errors") or not self.genuine:
            reasons.append("error")
        age = self.last_save_age_s(now)
        if self.state in RUNNING and age is not None and age > NOT_SAVING_S:
            reasons.append("not saving")
        if self.hand is not None:
            reasons.append("hand raised")
        return reasons

    def sort_key(self, now: float) -> tuple[int, str]:
        reasons = self.attention(now)
        rank = min((ATTENTION.index(r) for r in reasons), default=len(ATTENTION))
        return rank, self.seat

    def to_json(self, now: float) -> dict[str, Any]:
        s = self.status
        since = self.since_offline(now)
        return {
            "seat": self.seat,
            "state": self.state,
            "candidate": s.get("candidate", {}),
            "answered": s.get("answered", 0),
            "questions": s.get("questions", 0),
            "flagged": s.get("flagged", 0),
            "time_left_s": self.time_left_s(now),
            "ends_at": s.get("ends_at"),
            "extensions_s": s.get("extensions_s", 0.0),
            "last_save_age_s": self.last_save_age_s(now),
            "online": self.online(now),
            "offline_since": time.strftime("%H:%M:%S", time.localtime(since)) if since else None,
            "incidents": s.get("incidents", 0),
            "latest_incident": s.get("latest_incident"),
            "errors": s.get("errors", []),
            "hand": self.hand,
            "submitted": self.state in ("submitted", "exported"),
            "collected": self.collected,
            "receipt": s.get("receipt"),
            "genuine": self.genuine,
            "attention": self.attention(now),
            "session_id": s.get("session_id", ""),
            "status_sent_at": self.status_at,
        }


@dataclass(frozen=True)
class FeedEntry:
    at: float
    seat: str
    kind: str  # incident | action | ack | hand | collected | refused | presence
    text: str


class RoomView:
    """Every seat of the room and what happened, fed from the network thread."""

    def __init__(self, *, wall: Callable[[], float] = time.time):
        self._wall = wall
        self._lock = threading.Lock()
        self._rows: dict[str, SeatRow] = {}
        self._feed: deque[FeedEntry] = deque(maxlen=FEED_LENGTH)
        self._keys: dict[tuple[str, str], str] = {}  # (seat, session id) -> the first key seen
        self.version = 0
        self.listeners: list[Callable[[str], None]] = []

    # ---------------------------------------------------------------------------- reading

    def rows(self, now: float | None = None) -> list[SeatRow]:
        return [row for row, _ in self.ranked_rows(now)]

    def ranked_rows(self, now: float | None = None) -> list[tuple[SeatRow, int]]:
        """The rows in attention order, each with its rank (the index of its first reason in
        ATTENTION; len(ATTENTION) for a seat that needs nobody)."""
        now = self._wall() if now is None else now
        with self._lock:
            rows = list(self._rows.values())
        keyed = sorted(((row.sort_key(now), row) for row in rows), key=lambda pair: pair[0])
        return [(row, key[0]) for key, row in keyed]

    def row(self, seat: str) -> SeatRow | None:
        with self._lock:
            return self._rows.get(seat)

    def feed(self) -> list[FeedEntry]:
        with self._lock:
            return list(self._feed)

    def to_json(self, now: float | None = None) -> list[dict[str, Any]]:
        now = self._wall() if now is None else now
        return [row.to_json(now) for row in self.rows(now)]

    # ---------------------------------------------------------------------------- feeding

    def update_status(self, message: SeatMessage) -> None:
        now = self._wall()
        fields = message.fields
        with self._lock:
            row = self._rows.setdefault(message.seat, SeatRow(message.seat))
            old = row.status
            session = str(fields.get("session_id", ""))
            pinned = self._keys.setdefault((message.seat, session), message.key)
            if pinned != message.key:
                row.genuine = False
                self._add(now, message.seat, "refused", "a status signed by another key than the session's")
            elif row.key != message.key:
                row.genuine = True
            row.key = pinned
            if (
                row.status_at is not None
                and message.sent_at < row.status_at
                and old.get("session_id") == session
            ):
                return  # an older status arriving late
            row.status = dict(fields)
            row.state = str(fields.get("state", "unknown"))
            row.status_at = message.sent_at
            row.received_at = now
            row.interval_s = float(fields.get("interval_s") or 3.0)
            row.presence_online = True
            row.offline_since = None
            self._changes(now, message.seat, old, row.status)
        self._changed(message.seat)

    def _changes(self, now: float, seat: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        if new.get("incidents", 0) > old.get("incidents", 0) and new.get("latest_incident"):
            self._add(now, seat, "incident", str(new["latest_incident"]))
        hand, old_hand = new.get("hand"), old.get("hand")
        if isinstance(hand, dict) and (
            not isinstance(old_hand, dict) or old_hand.get("id") != hand.get("id")
        ):
            self._add(now, seat, "hand", "raised a hand")
        if new.get("state") != old.get("state") and old:
            self._add(now, seat, "state", f"{old.get('state')} → {new.get('state')}")

    def update_presence(self, message: SeatMessage, *, live: bool) -> None:
        now = self._wall()
        online = bool(message.get("online"))
        with self._lock:
            row = self._rows.setdefault(message.seat, SeatRow(message.seat))
            was = row.presence_online
            row.presence_online = online
            if online:
                row.offline_since = None
                row.received_at = now
            else:
                row.offline_since = now if live else (row.status_at or message.sent_at)
                if was:
                    self._add(now, message.seat, "presence", "went offline")
        self._changed(message.seat)

    def record_ack(self, seat: str, seq: int, ok: bool, message: str, action: str = "") -> None:
        now = self._wall()
        with self._lock:
            what = f"{action} #{seq}" if action else f"#{seq}"
            self._add(now, seat, "ack", f"{what} applied" if ok else f"{what} refused: {message}")
        self._changed(seat)

    def acknowledge_hand(self, seat: str) -> None:
        with self._lock:
            row = self._rows.get(seat)
            hand = row.status.get("hand") if row else None
            if row is not None and isinstance(hand, dict):
                row.hand_acknowledged = int(hand.get("id") or 0)
        self._changed(seat)

    def record_collected(self, seat: str, receipt: str, path: str) -> None:
        now = self._wall()
        with self._lock:
            row = self._rows.setdefault(seat, SeatRow(seat))
            first = not row.collected_path
            row.collected_path = path
            if first:
                self._add(now, seat, "collected", f"bundle collected, receipt {receipt}")
        self._changed(seat)

    def note(self, seat: str, kind: str, text: str) -> None:
        with self._lock:
            self._add(self._wall(), seat, kind, text)
        self._changed(seat)

    def _add(self, now: float, seat: str, kind: str, text: str) -> None:
        self._feed.append(FeedEntry(now, seat, kind, text))

    def _changed(self, seat: str) -> None:
        with self._lock:
            self.version += 1
        for listener in list(self.listeners):
            listener(seat)


@dataclass(frozen=True)
class Snapshot(Generic[T]):
    """The room at one moment: every row in attention order, shaped for its reader."""

    at: float  # the wall clock the rows were computed for
    version: int  # RoomView.version when they were read (changes after it make a new snapshot)
    rows: list[T]


class ViewSnapshots(Generic[T]):
    """The view's rows, rebuilt off the reader's thread: `shape(row_json, rank)` makes each row.

    A daemon thread waits for a change of the view (or `poke()`), rebuilds the rows (at most once
    every `min_interval_s`, and at least every `every_s`: time left and save ages move on without
    messages) and keeps the newest; `take()` hands it over once. Nothing here knows Qt: the console
    window polls `take()` from a timer and only copies the rows into its table."""

    def __init__(
        self,
        view: RoomView,
        shape: Callable[[dict[str, Any], int], T],
        *,
        min_interval_s: float = 0.25,
        every_s: float = 1.0,
    ):
        self.view = view
        self.shape = shape
        self.min_interval_s = min_interval_s
        self.every_s = every_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._newest: Snapshot[T] | None = None
        self._thread: threading.Thread | None = None
        self.problem = ""  # the last failure to build a snapshot (logged; the thread carries on)

    def start(self) -> ViewSnapshots[T]:
        self.view.listeners.append(self._changed)
        self._thread = threading.Thread(target=self._run, name="room-view-snapshots", daemon=True)
        self._thread.start()
        self._wake.set()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        if self._changed in self.view.listeners:
            self.view.listeners.remove(self._changed)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    def poke(self) -> None:
        """Rebuild soon (something the reader did changed what it shows)."""
        self._wake.set()

    def take(self) -> Snapshot[T] | None:
        """The newest snapshot not taken yet, or None."""
        with self._lock:
            newest, self._newest = self._newest, None
        return newest

    def build(self, now: float | None = None) -> Snapshot[T]:
        """One snapshot, on the calling thread."""
        now = self.view._wall() if now is None else now
        version = self.view.version
        rows = [self.shape(row.to_json(now), rank) for row, rank in self.view.ranked_rows(now)]
        return Snapshot(now, version, rows)

    def _changed(self, _seat: str) -> None:  # on the network thread: only a flag
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.every_s)
            if self._stopping.is_set():
                return
            self._wake.clear()
            started = time.monotonic()
            try:
                snapshot = self.build()
            except Exception as exc:  # a bad row must not stop the window following the room
                self.problem = f"{type(exc).__name__}: {exc}"
                log.exception("building the room's rows failed")
            else:
                with self._lock:
                    self._newest = snapshot
            # Changes during the pause are gathered into the next snapshot.
            self._stopping.wait(max(0.0, self.min_interval_s - (time.monotonic() - started)))


def format_table(view: RoomView, now: float | None = None) -> str:
    """The table of `room status` as text: attention first."""
    now = time.time() if now is None else now
    lines = [
        f"{'seat':<14} {'state':<16} {'answered':>9} {'time left':>9} {'saved':>7} {'online':<19} {'collected':<9} attention"
    ]
    for row in view.rows(now):
        data = row.to_json(now)
        left = data["time_left_s"]
        left_text = f"{int(left // 60)}:{int(left % 60):02d}" if isinstance(left, (int, float)) else "-"
        age = data["last_save_age_s"]
        online = "yes" if data["online"] else f"offline since {data['offline_since'] or '?'}"
        answered = f"{data['answered']}/{data['questions']}"
        collected = "yes" if data["collected"] else ("NO" if data["submitted"] else "-")
        lines.append(
            f"{row.seat:<14} {row.state:<16} {answered:>9} {left_text:>9} "
            f"{(str(round(age)) + ' s') if age is not None else '-':>7} {online:<19} {collected:<9} "
            f"{', '.join(data['attention'])}"
        )
    if len(lines) == 1:
        lines.append("(no seat has reported yet)")
    return "\n".join(lines)
