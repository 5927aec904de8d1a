"""The proctored session as a sequence of steps: preflight, identify, unlock, kiosk, run, submit.

Each step is a small object with `perform` and `revert`; `ExamSession` runs them in order, records
the last completed step in the session's answer file, and on `abort()` reverts the completed ones in
reverse order, so an abort never leaves a half-state. After a crash, a relaunch of the same package
finds the answer file (core.seat.resume) and the steps already done are resumed rather than repeated:
the candidate is not asked to identify again, their answers, position and time are restored.

Identification comes before the start code (issue 3 §3: the room identifies first, then the code
is announced), so the candidate form is built from the package's public, signature-checked header.
The start code is never stored: after a crash it is typed again (it is still on the board).

The GUI (gui/kiosk.py) and the headless tests drive the same object; this module imports no Qt.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from exam_desktop import __version__
from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import CandidateField, Exam, MultipleChoice, SingleChoice
from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.bundle import (
    ResultsNotWritten,
    SessionInfo,
    WrittenBundle,
    bundle_bytes,
    local_bundle_dir,
)
from exam_desktop.core.sealed.keys import DEFAULT_SCRYPT, ScryptParams, new_session_key
from exam_desktop.core.sealed.package import (
    OpenedPackage,
    PackageHeader,
    PackageOptions,
    StartCodeRejected,
    open_package,
    read_package_header,
)
from exam_desktop.core.sealed.roster import Profile, normalize_id
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.damage import Damage, acknowledged, find_damage, invigilator_sentence
from exam_desktop.core.seat.incidents import INCIDENT_KINDS, Action, SessionRules
from exam_desktop.core.seat.invigilator import InvigilatorDesk, hash_pin
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.preflight import MIN_FREE_BYTES, Check, check_results_folder, run_preflight
from exam_desktop.core.seat.resume import (
    BootClock,
    ResumePlan,
    boot_clock,
    boot_stamp,
    check_belongs,
    interruption_sentence,
    is_finished,
    open_session_store,
    plan_resume,
    session_path,
)
from exam_desktop.core.seat.saving import AnswerFileSaving, AnswerSaving
from exam_desktop.core.seat.submit import clean_leftovers, release_pending, write_results_once
from exam_desktop.core.seat.timer import ExamClock, WallClockWatch

log = logging.getLogger(__name__)

STEP_NAMES = ("preflight", "identify", "unlock", "kiosk", "run", "submit")
HEARTBEAT_S = 1.0  # how often elapsed time is persisted: the most a crash can cost a candidate
HEARTBEAT_SLACK_S = 0.15  # a timer tick slightly early still persists (else the gap doubles)
DEFAULT_FIELDS = [CandidateField("name", "Full name"), CandidateField("student_id", "Student ID")]
MAX_FIELD_LENGTH = 200


class SessionError(KnownError):
    """A step of the session cannot be taken now; the message says why and what to do."""


class SessionFinished(SessionError):
    """This package's session on this machine already ended and wrote its results."""


class TryAgainLater(SessionError):
    """Too many wrong start codes in a row: the next attempt is accepted after `wait_s`.

    `reason` is why the last code was refused ("" when the wait is from earlier tries)."""

    def __init__(self, reason: str, wait_s: float):
        super().__init__(" ".join(part for part in (reason, _wait_sentence(wait_s)) if part))
        self.reason = reason
        self.wait_s = wait_s


class InvigilatorNeeded(SessionError):
    """The session was interrupted longer than the exam's grace: the invigilator must agree."""


class Lockdown(Protocol):
    """What the kiosk step asks of the screen: the GUI's kiosk window, or nothing when headless."""

    def engage(self) -> None: ...

    def release(self) -> None: ...


class Backoff:
    """Growing waits after wrong attempts: `free` tries, then base, base*factor, ... up to max."""

    def __init__(
        self,
        *,
        free: int = 2,
        base_s: float = 5.0,
        factor: float = 2.0,
        max_s: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.free, self.base_s, self.factor, self.max_s = free, base_s, factor, max_s
        self._monotonic = monotonic
        self.failures = 0
        self._blocked_until = 0.0

    def wait_s(self) -> float:
        """Seconds before the next attempt is accepted (0: now)."""
        return max(0.0, self._blocked_until - self._monotonic())

    def failed(self) -> float:
        """Count a wrong attempt; returns the wait before the next one."""
        self.failures += 1
        extra = self.failures - self.free
        wait = 0.0 if extra <= 0 else min(self.max_s, self.base_s * self.factor ** (extra - 1))
        self._blocked_until = self._monotonic() + wait
        return wait

    def succeeded(self) -> None:
        self.failures = 0
        self._blocked_until = 0.0

    def restore(self, failures: int) -> None:
        """Continue after a relaunch: the wrong attempts so far count, and the last wait restarts."""
        self.failures = max(0, failures - 1)
        if failures:
            self.failed()


@dataclass
class LaunchSettings:
    """Everything `exam-desktop launch` was given; clocks are injectable for tests."""

    package: Path
    data_dir: Path
    results_dir: Path | None = None
    office_public_key: Ed25519PublicKey | None = None
    pin: str | None = None  # hashed at once; only the hash is kept
    rules: SessionRules | None = None  # None: the rules saved in the session, else the defaults
    pin_kdf: ScryptParams = DEFAULT_SCRYPT
    needed_bytes: int = MIN_FREE_BYTES
    heartbeat_s: float = HEARTBEAT_S
    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    boot: BootClock | None = None  # None: the real boot clock, unless `wall` is injected

    def boot_clock(self) -> BootClock:
        if self.boot is not None:
            return self.boot
        return boot_clock if self.wall is time.time else (lambda: None)


# --------------------------------------------------------------------------------------------
# Steps


class Step:
    """One step of the session: `perform` it (its result is kept), or `revert` what it did."""

    name: ClassVar[str]

    def perform(self, session: ExamSession) -> Any:
        raise NotImplementedError

    def revert(self, session: ExamSession) -> None:
        """Undo `perform`; steps that leave nothing behind need not override this."""


class PreflightStep(Step):
    name = "preflight"

    def perform(self, session: ExamSession) -> list[Check]:
        s = session.settings
        clean_leftovers(s.data_dir, s.results_dir or _path(session.header.results_dir))
        created = _parse_time(session.header.created_at)
        return run_preflight(s.data_dir, needed_bytes=s.needed_bytes, not_before=created, wall=s.wall)


@dataclass
class IdentifyStep(Step):
    name: ClassVar[str] = "identify"
    candidate: dict[str, str]

    def perform(self, session: ExamSession) -> dict[str, str]:
        if session.store is not None:  # resumed: the candidate identified before the crash
            return session.candidate
        candidate = check_candidate(session.candidate_fields, self.candidate)
        session.create_store(candidate)
        return candidate

    def revert(self, session: ExamSession) -> None:
        session.discard_store_if_unused()


@dataclass
class UnlockStep(Step):
    name: ClassVar[str] = "unlock"
    start_code: str
    # The package already opened with this code (`ExamSession.open_with`, e.g. on a worker
    # thread): returns it, or raises what opening it raised. None: opened here.
    opening: Callable[[], OpenedPackage] | None = None

    def perform(self, session: ExamSession) -> OpenedPackage:
        backoff = session.start_code_backoff
        wait = backoff.wait_s()
        if wait > 0:
            raise TryAgainLater("", wait)
        try:
            opened = self.opening() if self.opening else session.open_with(self.start_code)
        except StartCodeRejected as exc:
            wait = backoff.failed()
            session.journal("start_code_rejected", {"attempt": backoff.failures})
            if session.store is not None:  # a relaunch must not reset the waits
                session.store.set_meta(Meta.START_CODE_FAILURES, backoff.failures)
            if wait > 0:
                raise TryAgainLater(str(exc), wait) from None
            raise
        backoff.succeeded()
        if session.store is not None:
            session.store.set_meta(Meta.START_CODE_FAILURES, 0)
        session.opened = opened
        session.exam = exam_for_session(opened.exam, opened.options, session.session_id)
        session.journal(
            "package_unlocked",
            {"questions": [q.id for q in session.exam.questions]},
        )
        return opened

    def revert(self, session: ExamSession) -> None:
        session.opened = None
        session.exam = None


@dataclass
class KioskStep(Step):
    name: ClassVar[str] = "kiosk"
    lockdown: Lockdown | None

    def perform(self, session: ExamSession) -> None:
        if self.lockdown is not None:
            self.lockdown.engage()
        session.journal("kiosk_entered", {})

    def revert(self, session: ExamSession) -> None:
        if self.lockdown is not None:
            self.lockdown.release()
        session.journal("kiosk_left", {})


class RunStep(Step):
    name = "run"

    def perform(self, session: ExamSession) -> ExamClock:
        return session.start_clock()

    def revert(self, session: ExamSession) -> None:
        if session.clock is not None and session.clock.running:
            session.clock.pause()
        session.heartbeat(force=True)


@dataclass
class SubmitStep(Step):
    name: ClassVar[str] = "submit"
    reason: str

    def perform(self, session: ExamSession) -> WrittenBundle:
        return session.write_results(self.reason)


# --------------------------------------------------------------------------------------------


class ExamSession:
    """One candidate's proctored session of one package on this machine."""

    def __init__(self, settings: LaunchSettings):
        self.settings = settings
        # Signature and layout are checked before anything is shown (PackageRejected otherwise).
        self.header: PackageHeader = read_package_header(settings.package, settings.office_public_key)
        self.package_hash = hashlib.sha256(Path(settings.package).read_bytes()).hexdigest()
        self.path = session_path(settings.data_dir, self.header.exam_id, self.package_hash)
        self.store: AnswerStore | None = None
        self.desk: InvigilatorDesk | None = None
        self.plan: ResumePlan | None = None
        self.opened: OpenedPackage | None = None
        self.exam: Exam | None = None
        self.clock: ExamClock | None = None
        self.rules = settings.rules or SessionRules(lock_stops_clock=self.header.lock_stops_clock)
        self.completed: list[Step] = []  # performed in this launch, in order (for `abort`)
        self.results: dict[str, Any] = {}  # each step's result, by step name
        self.start_code_backoff = Backoff(monotonic=settings.monotonic)
        self.results_warning = ""
        self.written: WrittenBundle | None = None
        self.session_key = new_session_key()  # this launch's: signs its room statuses and its bundle
        self._pending_incidents: list[dict[str, Any]] = []
        self._pending_journal: list[tuple[str, dict[str, Any]]] = []  # before the answer file exists
        self.office_key_overridden = False  # core/seat/trust.py
        self.damage = Damage()  # found in the answer file at open (core/seat/damage.py)
        self._damage_acknowledged = True
        self._last_heartbeat = -float("inf")
        self._watch: WallClockWatch | None = None
        self._downtime_approved = False
        self._break_started: float | None = None
        if self.path.exists():
            self._reopen()

    # ---------------------------------------------------------------------------- facts

    @property
    def resuming(self) -> bool:
        return self.plan is not None

    @property
    def candidate_fields(self) -> list[CandidateField]:
        return self.header.candidate_fields or DEFAULT_FIELDS

    @property
    def candidate(self) -> dict[str, str]:
        session = self.store.get_meta(Meta.SESSION) if self.store else None
        return dict((session or {}).get("candidate") or {})

    @property
    def session_id(self) -> str:
        session = self.store.get_meta(Meta.SESSION) if self.store else None
        return str((session or {}).get("id") or "")

    @property
    def step(self) -> str | None:
        """The last step completed (persisted), or None before identification."""
        return self.store.get_meta(Meta.STEP) if self.store else None

    @property
    def needs_invigilator(self) -> bool:
        """Interrupted longer than the grace, or the answer file found damaged, and not yet
        approved (a paused exam waits for the invigilator's resume anyway)."""
        paused = self.desk is not None and self.desk.state.paused
        downtime = self.plan is not None and self.plan.needs_invigilator and not self._downtime_approved
        return (downtime or not self._damage_acknowledged) and not paused

    # ---------------------------------------------------------------------------- the steps

    def perform(self, step: Step) -> Any:
        """Perform one step; on success it is remembered (for `abort`) and persisted."""
        result = step.perform(self)
        self.completed.append(step)
        self.results[step.name] = result
        if self.store is not None and STEP_NAMES.index(step.name) > STEP_NAMES.index(
            self.step or "preflight"
        ):
            self.store.set_meta(Meta.STEP, step.name)
        return result

    def preflight(self) -> list[Check]:
        return self.perform(PreflightStep())

    def identify(self, candidate: dict[str, str] | None = None) -> dict[str, str]:
        return self.perform(IdentifyStep(candidate or {}))

    def unlock(self, start_code: str, opening: Callable[[], OpenedPackage] | None = None) -> OpenedPackage:
        """Open the package with the typed start code (refused during a back-off after wrong
        codes, each wrong code journaled). `opening`: the result of `open_with(start_code)` run
        elsewhere — it returns the package or raises what opening raised."""
        return self.perform(UnlockStep(start_code, opening))

    def open_with(self, start_code: str) -> OpenedPackage:
        """The package checked and opened with `start_code` (its key derivation takes about half a
        second on purpose). It reads the package and changes nothing of the session, so a window
        may run it on a worker thread and hand the result to `unlock`."""
        return open_package(self.settings.package, start_code, self.settings.office_public_key)

    def enter_kiosk(self, lockdown: Lockdown | None = None) -> None:
        self.perform(KioskStep(lockdown))

    def run(self) -> ExamClock:
        return self.perform(RunStep())

    def submit(self, reason: str = "candidate") -> WrittenBundle:
        return self.perform(SubmitStep(reason))

    def abort(self) -> None:
        """Revert every completed step, last first; the answer file keeps what was saved."""
        while self.completed:
            step = self.completed.pop()
            self.results.pop(step.name, None)
            try:
                step.revert(self)
            except Exception:  # one failing revert must not stop the others
                log.exception("reverting the %s step failed", step.name)

    def close(self) -> None:
        if self.store is not None:
            if self.clock is not None:
                self.heartbeat(force=True)
            self.store.close()
            self.store = None

    # ---------------------------------------------------------------------------- store

    def _reopen(self) -> None:
        clocks = {"wall": self.settings.wall, "monotonic": self.settings.monotonic}
        store = open_session_store(self.path, **clocks)
        try:
            check_belongs(store, self.header.exam_id, self.package_hash)
            if is_finished(store):
                bundle = store.get_meta(Meta.BUNDLE)
                raise SessionFinished(
                    f"This exam was already submitted on this machine (receipt "
                    f"{bundle.get('receipt')}). To seat another candidate with the same package, "
                    f"the invigilator moves {self.path} aside first."
                )
            self.plan = plan_resume(store, wall=self.settings.wall(), boot=self.settings.boot_clock())
            self.damage = find_damage(store)
            self._damage_acknowledged = not self.damage or acknowledged(store, self.damage)
        except BaseException:
            store.close()
            raise
        self.store = store
        stored_rules = store.get_meta(Meta.RULES)
        if stored_rules is not None:
            self.rules = SessionRules.from_dict(stored_rules)
        self._make_desk()
        self.start_code_backoff.restore(int(store.get_meta(Meta.START_CODE_FAILURES) or 0))
        store.append_event(
            "relaunched",
            {
                "after_step": self.plan.step,
                "downtime_s": round(self.plan.downtime_s, 1),
                "app_version": __version__,
            },
        )

    def create_store(self, candidate: dict[str, str]) -> None:
        """Create the answer file: written under a temporary name, then renamed into place, so a
        crash here leaves either no session or a complete one."""
        s = self.settings
        draft = self.path.with_name(self.path.name + ".new")
        for suffix in ("", "-wal", "-shm"):
            Path(str(draft) + suffix).unlink(missing_ok=True)
        store = AnswerStore.open(draft, wall=s.wall, monotonic=s.monotonic)
        try:
            store.set_meta(
                Meta.SESSION,
                {
                    "id": uuid.uuid4().hex,
                    "nonce": secrets.token_hex(16),
                    "exam_id": self.header.exam_id,
                    "package_hash": self.package_hash,
                    "title": self.header.title,
                    "candidate": candidate,
                    "duration_s": self.header.duration_minutes * 60,
                    "started_at": _iso(s.wall()),
                },
            )
            store.set_meta(Meta.RULES, self.rules.to_dict())
            if s.pin is not None:
                store.set_meta(Meta.PIN, hash_pin(s.pin, s.pin_kdf))
            store.append_event(
                "session_created",
                {
                    "exam_id": self.header.exam_id,
                    "package_hash": self.package_hash,
                    "candidate": candidate,
                    "rules": self.rules.to_dict(),
                    "app_version": __version__,
                },
            )
        finally:
            store.close()
        for suffix in ("-wal", ""):  # closing checkpoints the log; move it too if it stayed
            part = Path(str(draft) + suffix)
            if part.exists():
                part.replace(Path(str(self.path) + suffix))
        Path(str(draft) + "-shm").unlink(missing_ok=True)
        self.store = AnswerStore.open(self.path, wall=s.wall, monotonic=s.monotonic)
        self._make_desk()
        for type_, data in self._pending_journal:
            self.journal(type_, data)
        self._pending_journal.clear()
        for incident in self._pending_incidents:
            self.journal("incident", incident)
        self._pending_incidents.clear()

    def discard_store_if_unused(self) -> None:
        """Remove a session whose exam never started (nothing of value in it)."""
        if self.store is None or self.store.responses() or self.store.get_meta(Meta.CLOCK):
            return
        self.store.close()
        self.store = self.desk = None
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def _make_desk(self) -> None:
        assert self.store is not None
        pin_record = self.store.get_meta(Meta.PIN) or self.header.pin
        self.desk = InvigilatorDesk(
            self.store,
            lambda: self.clock,
            pin_record,
            extra_time_allowed=self.header.options.extra_time_allowed,
            persist_clock=lambda: self.heartbeat(force=True),
        )

    def candidate_notes(self) -> dict[str, str] | None:
        """The notes that travel in the bundle: only when the bank says so (`notes-in-bundle`)."""
        if self.store is None or self.exam is None or not self.exam.notes_in_bundle:
            return None
        aids = self.store.get_meta(Meta.AIDS) or {}
        return {
            owner: str(aid.get("notes", ""))
            for owner, aid in aids.items()
            if owner in {q.id for q in self.exam.questions} and aid.get("notes")
        }

    def journal(self, type: str, data: dict[str, Any]) -> None:
        """Append to the journal; before identification, kept until the answer file exists."""
        if self.store is not None:
            self.store.append_event(type, data)
        else:
            self._pending_journal.append((type, data))

    def save_answer(self, response: Response) -> int:
        """Save one answer durably."""
        if self.store is None:
            raise SessionError("The session has no answer file yet: identify first.")
        return self.store.save_response(response)

    @property
    def saving(self) -> AnswerSaving:
        """What the exam window saves through: this session's answer file, this session's journal."""
        if self.store is None:
            raise SessionError("The session has no answer file yet: identify first.")
        return AnswerFileSaving(self.store, on_submitted=self.record_submitted)

    @property
    def submitted_reason(self) -> str | None:
        """Why the exam ended (candidate, time, invigilator), once it has."""
        submitted = self.store.get_meta(Meta.SUBMITTED) if self.store else None
        return None if submitted is None else str(submitted.get("reason", "candidate"))

    def record_submitted(self, reason: str, answered: int | None = None) -> None:
        """The exam is over: stop and persist the clock, then record why (once; later calls keep
        the first reason)."""
        if self.store is None:
            raise SessionError("There is nothing to submit: the exam has not started.")
        if self.clock is not None and self.clock.running:
            self.clock.pause()
        self.heartbeat(force=True)
        if self.store.get_meta(Meta.SUBMITTED) is None:
            self.store.set_meta(Meta.SUBMITTED, {"reason": reason})
            entry: dict[str, Any] = {"reason": reason}
            if answered is not None:
                entry["answered"] = answered
            self.store.append_event("submitted", entry)

    # ---------------------------------------------------------------------------- time

    def start_clock(self) -> ExamClock:
        if self.store is None or self.exam is None:
            raise SessionError("The exam cannot start before identification and the start code.")
        if self.needs_invigilator:
            raise InvigilatorNeeded(self.invigilator_needed_sentence())
        s = self.settings
        snapshot = self.store.get_meta(Meta.CLOCK)
        if snapshot is not None:
            self.clock = ExamClock.restore({**snapshot, "running": False}, monotonic=s.monotonic)
        else:
            self.clock = ExamClock(self.header.duration_minutes * 60, monotonic=s.monotonic)
            self.apply_profile(self.clock)
        assert self.desk is not None
        if self.desk.state.clock_runs():
            self.clock.start()
        self._watch = WallClockWatch(wall=s.wall, monotonic=s.monotonic)
        if self.plan is not None and self.plan.step in ("run", "submit"):
            self.journal(
                "resumed",
                {
                    "downtime_s": round(self.plan.downtime_s, 1),
                    "grace_s": self.plan.grace_s,
                    "approved_by_invigilator": self._downtime_approved,
                    "elapsed_s": round(self.clock.elapsed(), 3),
                    "remaining_s": round(self.clock.remaining(), 3),
                },
            )
        else:
            self.journal("exam_started", {"duration_s": self.clock.duration_s})
        self.heartbeat(force=True)
        return self.clock

    def invigilator_needed_sentence(self) -> str:
        """Why the exam waits for the invigilator (damage first: it is the graver)."""
        if not self._damage_acknowledged:
            return invigilator_sentence(self.damage)
        assert self.plan is not None
        return interruption_sentence(self.plan)

    def continue_after_downtime(self, pin: str, who: str, reason: str) -> None:
        """The invigilator agrees to continue after an interruption longer than the grace."""
        assert self.desk is not None
        self.desk.open(pin)
        try:
            self.approve_downtime(who, reason)
        finally:
            self.desk.close()

    def approve_downtime(self, who: str, reason: str) -> None:
        """As `continue_after_downtime`, from an invigilator desk already opened with the PIN."""
        assert self.desk is not None and self.plan is not None
        self.desk.continue_after_downtime(who, reason, self.plan.downtime_s)
        self._downtime_approved = True
        if not self._damage_acknowledged:
            self.journal(
                "answer_file_damage_acknowledged",
                {"damage": self.damage.for_bundle(), "who": who.strip(), "reason": reason.strip()},
            )
            self._damage_acknowledged = True

    def heartbeat(self, force: bool = False) -> None:
        """Persist elapsed time (every `heartbeat_s`) and journal any wall-clock jump."""
        if self.clock is None or self.store is None:
            return
        if self._watch is not None:
            jump = self._watch.check()
            if jump is not None:
                self.report_incident("clock-jump", {"jump_s": round(jump, 1)})
        mono = self.settings.monotonic()
        if not force and mono - self._last_heartbeat < self.settings.heartbeat_s - HEARTBEAT_SLACK_S:
            return
        self._last_heartbeat = mono
        self.store.set_meta(Meta.CLOCK, self.clock.snapshot())
        self.store.set_meta(
            Meta.HEARTBEAT,
            {
                "wall": self.settings.wall(),
                "elapsed_s": self.clock.elapsed(),
                **boot_stamp(self.settings.boot_clock()),
            },
        )

    # ---------------------------------------------------------------------------- incidents

    def report_incident(self, kind: str, details: dict[str, Any] | None = None) -> Action:
        """Journal an incident and return what the exam's rules say to do about it."""
        if kind not in INCIDENT_KINDS:
            raise ValueError(f"unknown incident kind {kind!r}")
        action = self.rules.action_for(kind)
        entry = {"kind": kind, "action": action, **(details or {})}
        if self.store is None:
            self._pending_incidents.append(entry)
        else:
            self.journal("incident", entry)
            if action == "lock" and self.desk is not None:
                self.desk.lock(kind, stops_clock=self.rules.lock_stops_clock)
        return action

    # ---------------------------------------------------------------------------- results

    def write_results(self, reason: str) -> WrittenBundle:
        if self.store is None or self.opened is None:
            raise SessionError("There is nothing to submit: the exam has not started.")
        self.record_submitted(reason)
        reason = self.submitted_reason or reason
        session = self.store.get_meta(Meta.SESSION)
        extensions = [
            {"at": e["at_wall"], "seconds": e["data"].get("seconds"), "reason": e["data"]["reason"]}
            for e in self.store.events()
            if e["type"] == "invigilator" and e["data"].get("action") == "extend"
        ]
        info = SessionInfo(
            id=session["id"],
            nonce=session["nonce"],
            started_at=session["started_at"],
            ended_at=_iso(self.settings.wall()),
            extensions=extensions,
            ended_by={"time": "time-out", "invigilator": "invigilator"}.get(reason, "submit"),
            questions=[q.id for q in self.exam.questions] if self.exam is not None else [],
        )
        results_dir = self.settings.results_dir or (
            Path(self.header.results_dir) if self.header.results_dir else None
        )
        store, opened = self.store, self.opened

        def make_bundle() -> bytes:  # only once per session: a pending bundle is reused
            events = store.events()
            return bundle_bytes(
                exam_id=self.header.exam_id,
                package_hash=self.package_hash,
                candidate=session["candidate"],
                session=info,
                responses=store.responses(),
                events=events,
                session_key=self.session_key,
                binding_key=opened.binding_key,
                damage=find_damage(store, events).for_bundle(),
                notes=self.candidate_notes(),
            )

        try:
            written = write_results_once(
                store,
                make_bundle,
                results_dir=results_dir,
                local_dir=local_bundle_dir(self.settings.data_dir),
                exam_id=self.header.exam_id,
                package_hash=self.package_hash,
                binding_key=opened.binding_key,
            )
        except ResultsNotWritten as exc:
            written = exc.written
            self.results_warning = str(exc)
        self.written = written
        self.store.set_meta(
            Meta.BUNDLE,
            {
                "path": str(written.path) if written.path else None,
                "local_path": str(written.local_path) if written.local_path else None,
                "receipt": written.receipt,
                "sha256": written.sha256,
            },
        )
        self.store.append_event("bundle_written", {"receipt": written.receipt, "sha256": written.sha256})
        release_pending(self.store)
        return written

    # ---------------------------------------------------------------------------- the room

    def record_collected(self, receipt: str, by: str = "room console") -> None:
        """The room console verified and stored this session's bundle (exam_desktop/room/)."""
        if self.store is None or self.written is None or receipt != self.written.receipt:
            raise SessionError("The room acknowledged a bundle this seat did not send.")
        if self.store.get_meta(Meta.ROOM_COLLECTED) is None:
            self.store.set_meta(Meta.ROOM_COLLECTED, {"receipt": receipt, "by": by})
            self.journal("bundle_collected", {"receipt": receipt, "by": by})

    @property
    def collected_by_room(self) -> bool:
        """Whether the room console collected the results (the receipt screen says so)."""
        return self.store is not None and self.store.get_meta(Meta.ROOM_COLLECTED) is not None

    # ---------------------------------------------------------------------------- exam day

    @property
    def results_folder(self) -> Path | None:
        """Where the results go besides this machine: the launch's --results-dir, else the package's."""
        if self.settings.results_dir is not None:
            return Path(self.settings.results_dir)
        return Path(self.header.results_dir) if self.header.results_dir else None

    def check_results_folder(self) -> Check | None:
        """Before the exam: whether the results folder (when one is set) exists and takes a file.
        A failure is a warning saying where the local copy goes; it is journaled once identified."""
        folder = self.results_folder
        if folder is None:
            return None
        check = check_results_folder(folder, local_bundle_dir(self.settings.data_dir))
        self.results["results-folder"] = check
        return check

    @property
    def candidate_id(self) -> str:
        """The ID the candidate typed: the first identification field named like an ID."""
        who = self.candidate
        ids = [k for k in who if "id" in k.lower().split("_")] or list(who)[1:2]
        return next((who[k] for k in ids if who.get(k)), "")

    @property
    def profile(self) -> Profile | None:
        """This candidate's accommodations from the package's signed roster (None: none)."""
        if self.opened is None or not self.opened.roster:
            return None
        return self.opened.roster.get(normalize_id(self.candidate_id))

    def apply_profile(self, clock: ExamClock) -> None:
        """A new exam clock gets the candidate's extra time from their profile, journaled."""
        profile = self.profile
        if profile is None:
            return
        extra = profile.extra_s(clock.duration_s)
        if extra:
            clock.extend(extra)
        self.journal(
            "profile_applied",
            {
                "candidate_id": profile.candidate_id,
                "extra_s": round(extra, 3),
                "breaks": profile.breaks,
                "break_minutes": profile.break_minutes,
                "tools": profile.tools,
            },
        )

    def ends_at(self) -> float | None:
        """When this candidate's exam ends on the wall clock if nothing stops it (None before)."""
        if self.clock is None:
            return None
        return self.settings.wall() + self.clock.remaining()

    def correct_identification(self) -> dict[str, str]:
        """Back from the start code to identification, to correct a typo: the answer file made by
        identification is removed (nothing was answered yet). Returns what was typed."""
        if self.resuming or not self.completed or self.completed[-1].name != "identify":
            raise SessionError("The identification can be corrected only before the start code.")
        typed = self.candidate
        step = self.completed.pop()
        self.results.pop(step.name, None)
        step.revert(self)
        return typed

    def seat_next_candidate(self) -> Path:
        """After a submitted session: archive its files (never overwriting an earlier archive) and
        make this seat ready for the next candidate's identification. Returns the archive folder."""
        if self.store is None or self.store.get_meta(Meta.BUNDLE) is None:
            raise SessionError("The current candidate has not submitted yet: end their exam first.")
        receipt = str(self.store.get_meta(Meta.BUNDLE).get("receipt") or "session")
        self.store.append_event("seat_handed_over", {"receipt": receipt})
        self.close()
        stamp = datetime.fromtimestamp(self.settings.wall(), UTC).strftime("%Y%m%dT%H%M%SZ")
        archive_root = Path(self.settings.data_dir) / "archive"
        archive_root.mkdir(parents=True, exist_ok=True)
        folder = archive_root / f"{self.path.stem}-{stamp}-{receipt}"
        n = 1
        while folder.exists():
            n += 1
            folder = archive_root / f"{self.path.stem}-{stamp}-{receipt}-{n}"
        folder.mkdir()
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                part.replace(folder / part.name)
        preflight = self.results.get("preflight")
        self.desk = self.plan = self.opened = self.exam = self.clock = None
        self.completed, self.results = [], {}
        if preflight is not None:
            self.results["preflight"] = preflight
        self.start_code_backoff = Backoff(monotonic=self.settings.monotonic)
        self.results_warning = ""
        self.written = None
        self.damage = Damage()
        self._damage_acknowledged = True
        self._pending_incidents = []
        self._last_heartbeat = -float("inf")
        self._watch = None
        self._downtime_approved = False
        self._break_started = None
        return folder

    @property
    def breaks(self) -> tuple[int, float]:
        """The candidate's rest breaks: (how many, minutes each), from their profile (0 without)."""
        profile = self.profile
        return (profile.breaks, profile.break_minutes) if profile is not None else (0, 0.0)

    @property
    def breaks_left(self) -> int:
        taken = self.desk.state.breaks_taken if self.desk is not None else 0
        return max(0, self.breaks[0] - taken)

    def start_break(self) -> None:
        """The candidate starts a rest break: the clock stops, the question is hidden."""
        if self.desk is None:
            raise SessionError("The exam has not started yet.")
        count, minutes = self.breaks
        self.desk.start_break(count, minutes * 60)
        self._break_started = self.settings.monotonic()

    def end_break(self, why: str = "candidate") -> None:
        if self.desk is not None:
            self.desk.end_break(why)

    def break_over(self) -> bool:
        """Called every heartbeat: ends a break that has lasted its full length; True if it did."""
        if self.desk is None or not self.desk.state.on_break:
            return False
        started = self._break_started
        if started is None:  # a break running across a relaunch restarts its length
            started = self._break_started = self.settings.monotonic()
        if self.settings.monotonic() - started >= self.breaks[1] * 60:
            self.end_break("length")
            return True
        return False


# --------------------------------------------------------------------------------------------
# Helpers


def check_candidate(fields: list[CandidateField], given: dict[str, str]) -> dict[str, str]:
    """The identification as typed, trimmed; SessionError naming the first missing field."""
    candidate = {}
    for f in fields:
        value = " ".join(str(given.get(f.id, "")).split())[:MAX_FIELD_LENGTH]
        if f.required and not value:
            raise SessionError(f"Please fill in “{f.label}”.")
        candidate[f.id] = value
    return candidate


def exam_for_session(exam: Exam, options: PackageOptions, seed: str) -> Exam:
    """Apply the package's per-candidate options: draw N questions, shuffle choices (seeded)."""
    rng = random.Random(seed)
    keep = {q.id for q in exam.questions}
    if options.draw is not None and options.draw < len(keep):
        keep = set(rng.sample(sorted(keep), options.draw))
    sections = []
    for section in exam.sections:
        questions = []
        for q in section.questions:
            if q.id not in keep:
                continue
            if options.shuffle_choices and isinstance(q.answer, (SingleChoice, MultipleChoice)):
                choices = list(q.answer.choices)
                rng.shuffle(choices)
                q = replace(q, answer=replace(q.answer, choices=choices))
            questions.append(q)
        if questions:
            sections.append(replace(section, questions=questions))
    return replace(exam, sections=sections)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


def _parse_time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _wait_sentence(wait: float) -> str:
    return f"Too many wrong codes: wait {round(wait)} seconds before the next try."
