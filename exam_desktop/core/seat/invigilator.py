"""What an invigilator can do to one candidate's session, each action journaled with who, when, why.

The invigilator PIN is set when the package is built (its hash travels in the signed header) or
when the exam is launched (`--pin`, hashed at once and kept only as a salted scrypt hash in the
session's answer file). `InvigilatorDesk` checks the PIN, then offers the actions: extend the time,
pause and resume, unlock a locked screen, end the exam early, permit quitting, and continue after a
long interruption. Each action needs the invigilator's name and a typed reason and is written to the
hash-chained journal as an `invigilator` entry; the desk's state (locked, paused, quitting
permitted) is kept in the answer file so a relaunch cannot undo it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from exam_desktop.core.errors import WordedError
from exam_desktop.core.sealed.keys import DEFAULT_SCRYPT, ScryptParams, check_secret, hash_secret
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.timer import ExamClock

ACTIONS = ("extend", "pause", "resume", "unlock", "end", "permit-quit", "continue")
MAX_EXTENSION_S = 8 * 3600


class InvigilatorError(WordedError):
    """An invigilator action (or a candidate's break) was refused; the message says why, in
    English and through its `key` in the exam's language."""


class PinRejected(InvigilatorError):
    """The PIN typed is not the invigilator PIN."""


class NoPinSet(InvigilatorError):
    """Neither the package nor the launch set an invigilator PIN."""


def hash_pin(pin: str, kdf: ScryptParams = DEFAULT_SCRYPT) -> dict[str, Any]:
    """The salted scrypt hash of a PIN, ready to store; the PIN itself is never stored."""
    if not pin.strip():
        raise InvigilatorError("The invigilator PIN is empty. Choose a PIN of a few digits.", "pin_empty")
    return hash_secret(pin, kdf)


def pin_matches(pin: str, record: dict[str, Any]) -> bool:
    return check_secret(pin, record)


@dataclass
class DeskState:
    """What the invigilator has decided for this session; persisted in the answer file."""

    locked: bool = False
    lock_reason: str = ""
    paused: bool = False
    quit_permitted: bool = False
    ended: bool = False
    lock_stops_clock: bool = True  # from the session's rules, fixed when the lock happened
    on_break: bool = False
    breaks_taken: int = 0

    def clock_runs(self) -> bool:
        """Whether the candidate's clock runs in this state: not paused, not on a break, and not
        locked by an incident whose rules stop the clock."""
        return not (self.paused or self.on_break or (self.locked and self.lock_stops_clock))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> DeskState:
        data = data if isinstance(data, dict) else {}
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


class InvigilatorDesk:
    """The invigilator's controls over one session: PIN check, then journaled actions."""

    def __init__(
        self,
        store: AnswerStore,
        clock: Callable[[], ExamClock | None],
        pin_record: dict[str, Any] | None,
        *,
        extra_time_allowed: bool = True,
        persist_clock: Callable[[], None] = lambda: None,
    ):
        self.store = store
        self._clock = clock
        self.pin_record = pin_record
        self.extra_time_allowed = extra_time_allowed
        self._persist_clock = persist_clock
        self.state = DeskState.from_dict(store.get_meta(Meta.DESK))
        self.authenticated = False

    # ---------------------------------------------------------------------------- PIN

    def open(self, pin: str) -> None:
        """Check the PIN and open the desk; a wrong PIN is journaled and raises PinRejected."""
        if self.pin_record is None:
            raise NoPinSet(
                "No invigilator PIN was set for this exam (set one with --pin at build or launch).",
                "no_pin_set",
            )
        if not pin_matches(pin, self.pin_record):
            self.store.append_event("invigilator_pin_rejected", {})
            raise PinRejected("That is not the invigilator PIN.", "pin_rejected")
        self.authenticated = True
        self.store.append_event("invigilator_desk_opened", {})

    def close(self) -> None:
        self.authenticated = False

    # ---------------------------------------------------------------------------- actions

    def extend(self, seconds: float, who: str, reason: str) -> None:
        """Give this candidate extra time (negative: take back time given by mistake)."""
        if not self.extra_time_allowed:
            raise InvigilatorError(
                "This exam's package does not allow extra time for single candidates (the exam "
                "office builds it with --extra-time-allowed). For an interruption use pause.",
                "no_extra_time",
            )
        if not -MAX_EXTENSION_S <= seconds <= MAX_EXTENSION_S or seconds == 0:
            raise InvigilatorError("Give the extension in minutes, up to 8 hours.", "extension_range")
        clock = self._require_clock()
        self._record("extend", who, reason, seconds=seconds, change=lambda: clock.extend(seconds))

    def pause(self, who: str, reason: str) -> None:
        clock = self._require_clock()
        if self.state.paused:
            raise InvigilatorError("The exam is already paused.", "already_paused")

        def change() -> None:
            clock.pause()
            self.state.paused = True

        self._record("pause", who, reason, change=change)

    def resume(self, who: str, reason: str) -> None:
        self._require_clock()
        if not self.state.paused:
            raise InvigilatorError("The exam is not paused.", "not_paused")

        def change() -> None:
            self.state.paused = False
            self.apply_clock()

        self._record("resume", who, reason, change=change)

    def lock(self, kind: str, *, stops_clock: bool = True) -> None:
        """Lock the screen after an incident (called by the session, not by an invigilator); the
        clock stops until the unlock unless the rules keep it running. Journaled either way."""
        self.state.locked = True
        self.state.lock_reason = kind
        self.state.lock_stops_clock = stops_clock
        self.apply_clock()
        self._persist_clock()
        self._save_state()
        clock = self._clock()
        self.store.append_event(
            "clock_stopped" if stops_clock else "clock_kept_running",
            {
                "why": "lock",
                "incident": kind,
                "remaining_s": round(clock.remaining(), 3) if clock else None,
            },
        )

    def apply_clock(self) -> None:
        """Start or stop the candidate's clock as the state says."""
        clock = self._clock()
        if clock is None:
            return
        if self.state.clock_runs():
            clock.resume()
        else:
            clock.pause()

    def unlock(self, who: str, reason: str) -> None:
        if not self.state.locked:
            raise InvigilatorError("The screen is not locked.", "not_locked")

        def change() -> None:
            self.state.locked = False
            self.state.lock_reason = ""
            self.apply_clock()

        self._record("unlock", who, reason, change=change)

    # ---------------------------------------------------------------------------- breaks

    def start_break(self, allowed: int, length_s: float) -> None:
        """The candidate starts one of their `allowed` rest breaks (from their profile); the clock
        stops. Needs no PIN: journaled as the candidate's own action."""
        clock = self._require_clock()
        if self.state.on_break:
            raise InvigilatorError("A break is already running.", "break_running")
        if self.state.breaks_taken >= allowed:
            raise InvigilatorError("No rest breaks are left.", "no_breaks_left")
        self.state.on_break = True
        self.state.breaks_taken += 1
        self.apply_clock()
        self._persist_clock()
        self._save_state()
        self.store.append_event(
            "break_started",
            {
                "number": self.state.breaks_taken,
                "of": allowed,
                "length_s": length_s,
                "remaining_s": round(clock.remaining(), 3),
            },
        )

    def end_break(self, why: str = "candidate") -> None:
        """The break ends (the candidate pressed End, or its length ran out); the clock runs again."""
        if not self.state.on_break:
            return
        self.state.on_break = False
        self.apply_clock()
        self._persist_clock()
        self._save_state()
        clock = self._clock()
        self.store.append_event(
            "break_ended",
            {"why": why, "remaining_s": round(clock.remaining(), 3) if clock else None},
        )

    def end(self, who: str, reason: str) -> None:
        """End the exam early; the session then submits what the candidate answered."""

        def change() -> None:
            self.state.ended = True

        self._record("end", who, reason, change=change)

    def permit_quit(self, who: str, reason: str) -> None:
        """Let the window close without submitting (the session stays open for a relaunch)."""

        def change() -> None:
            self.state.quit_permitted = True

        self._record("permit-quit", who, reason, change=change)

    def continue_after_downtime(self, who: str, reason: str, downtime_s: float) -> None:
        """Let a session interrupted longer than the grace continue (the downtime is not counted)."""

        self._record("continue", who, reason, downtime_s=round(downtime_s, 1), change=lambda: None)

    # ---------------------------------------------------------------------------- helpers

    def _require_clock(self) -> ExamClock:
        clock = self._clock()
        if clock is None:
            raise InvigilatorError("The exam has not started yet.", "not_started")
        return clock

    def _record(self, action: str, who: str, reason: str, *, change: Callable[[], None], **data: Any) -> None:
        if not self.authenticated:
            raise InvigilatorError("Type the invigilator PIN first.", "pin_first")
        who, reason = who.strip(), reason.strip()
        if not who:
            raise InvigilatorError(
                "Type your name or initials: every action records who took it.", "who_missing"
            )
        if not reason:
            raise InvigilatorError("Type a reason: every action records why it was taken.", "reason_missing")
        change()
        clock = self._clock()
        self._persist_clock()
        self._save_state()
        self.store.append_event(
            "invigilator",
            {
                "action": action,
                "who": who,
                "reason": reason,
                "at_local": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                "elapsed_s": round(clock.elapsed(), 3) if clock else None,
                "remaining_s": round(clock.remaining(), 3) if clock else None,
                **data,
            },
        )

    def _save_state(self) -> None:
        self.store.set_meta(Meta.DESK, self.state.to_dict())
