"""Finding and resuming an unfinished session after a crash, a kill or a reboot.

Each session lives in one answer file, `DATA/sessions/<exam id>-<package hash>.sqlite`, holding the
candidate, every answer, the journal and the clock. While the exam runs the session writes a
heartbeat every second: the clock's elapsed time (counted on a monotonic clock) and the wall time.
After a crash the remaining time is duration + extensions − the last persisted elapsed time, so at
most one heartbeat is lost and the downtime itself is never counted. The gap since the last
heartbeat only decides whether the candidate may continue at once (up to the exam's grace,
5 minutes by default) or an invigilator must type the PIN. Within one boot of the machine the
gap is measured on the boot clock (Linux CLOCK_BOOTTIME, with the boot's id), which a corrected
wall clock does not move; after a restart only the wall clock can tell, and the sentence says so.

A damaged answer file is never replaced by an empty exam: `SessionDamaged` says so, and
`recover_session` (`exam-desktop launch EXAM.exam --recover`, run by the invigilator) moves it
aside and copies everything readable into a new one at the same place.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exam_desktop.core.errors import KnownError
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.recovery import Recovery, recover_answers
from exam_desktop.core.seat.storage_errors import CorruptStoreError

SESSIONS_FOLDER = "sessions"


class SessionMismatch(KnownError):
    """The answer file found belongs to another exam or package."""


class SessionDamaged(KnownError):
    """The session's answer file is damaged; an invigilator must recover it."""

    def __init__(self, message: str, path: Path):
        super().__init__(message)
        self.path = path


def session_path(data_dir: Path, exam_id: str, package_hash: str) -> Path:
    """Where the answer file of this package's session lives on this machine."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", exam_id)[:60] or "exam"
    return Path(data_dir) / SESSIONS_FOLDER / f"{safe}-{package_hash[:16]}.sqlite"


def open_session_store(path: Path, **clocks: Any) -> AnswerStore:
    """Open an existing answer file; damage becomes `SessionDamaged` with the recovery path."""
    try:
        store = AnswerStore.open(path, **clocks)
        try:
            facts = store.damaged_facts()
            if facts:  # the session cannot even say whose it is or how much time is left
                raise CorruptStoreError(f"the session facts {', '.join(facts)} are unreadable", path)
        except BaseException:
            store.close()
            raise
        return store
    except CorruptStoreError as exc:
        raise SessionDamaged(
            f"The answers saved on this machine for this exam are damaged ({path.name}: "
            f"{_detail(exc)}). "
            "Nothing was deleted and the exam was not restarted empty. Invigilator: run "
            "`exam-desktop launch EXAM.exam --recover` on this machine (from an administrator "
            "console) to copy every readable answer into a fresh file and continue.",
            path,
        ) from exc


def _detail(exc: CorruptStoreError) -> str:
    text = str(exc)
    return text[text.find("(") + 1 : text.find(")")] if "(" in text else text


def check_belongs(store: AnswerStore, exam_id: str, package_hash: str) -> None:
    """Refuse to resume a session with a package of another exam (or another build of it)."""
    session = store.get_meta(Meta.SESSION) or {}
    if session.get("exam_id") != exam_id:
        raise SessionMismatch(
            f"The unfinished session in {store.path.name} is for exam "
            f"{session.get('exam_id')!r}, not {exam_id!r}. Launch that exam's package, or ask the "
            "exam office."
        )
    if session.get("package_hash") != package_hash:
        raise SessionMismatch(
            f"The unfinished session in {store.path.name} was started with another package of "
            f"exam {exam_id!r} (it was rebuilt since). Launch the package the session started with."
        )


def is_finished(store: AnswerStore) -> bool:
    """The session wrote its result bundle (or was abandoned before the exam started)."""
    return store.get_meta(Meta.BUNDLE) is not None


@dataclass(frozen=True)
class ResumePlan:
    """What a relaunch finds: who, where they were, how much time they have, who must agree."""

    path: Path
    candidate: dict[str, str]
    step: str  # the last step completed before the interruption
    duration_s: float
    extension_s: float
    elapsed_s: float
    downtime_s: float  # gap since the last heartbeat (for the grace rule only)
    grace_s: float
    submitted: bool
    downtime_measured_by: str = "wall"  # "boot": the boot clock (same boot); "wall": the wall clock

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.duration_s + self.extension_s - self.elapsed_s)

    @property
    def needs_invigilator(self) -> bool:
        """The interruption was longer than the exam's grace: the PIN is required to continue."""
        return not self.submitted and self.step == "run" and self.downtime_s > self.grace_s


BootClock = Callable[[], "tuple[str, float] | None"]
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_clock() -> tuple[str, float] | None:
    """This boot's id and the seconds since it, suspend included (None where unknown)."""
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    try:
        boot_id = BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return (boot_id, time.clock_gettime(clock)) if clock is not None and boot_id else None


def boot_stamp(boot: BootClock) -> dict[str, Any]:
    """What a heartbeat records of the boot clock ({} where there is none)."""
    now = boot()
    return {} if now is None else {"boot_id": now[0], "boot_s": now[1]}


def plan_resume(
    store: AnswerStore, *, wall: float | None = None, boot: BootClock | None = None
) -> ResumePlan:
    """Read the interrupted session's state from its answer file."""
    now = time.time() if wall is None else wall
    session = store.get_meta(Meta.SESSION) or {}
    clock = store.get_meta(Meta.CLOCK) or {}
    heartbeat = store.get_meta(Meta.HEARTBEAT) or {}
    rules = store.get_meta(Meta.RULES) or {}
    last_wall = heartbeat.get("wall")
    downtime = max(0.0, now - float(last_wall)) if last_wall is not None else 0.0
    measured_by = "wall"
    booted = boot() if boot is not None else None
    if booted is not None and heartbeat.get("boot_id") == booted[0] and "boot_s" in heartbeat:
        downtime, measured_by = max(0.0, booted[1] - float(heartbeat["boot_s"])), "boot"
    return ResumePlan(
        path=store.path,
        candidate=dict(session.get("candidate") or {}),
        step=str(store.get_meta(Meta.STEP) or "identify"),
        duration_s=float(clock.get("duration_s", session.get("duration_s", 0.0))),
        extension_s=float(clock.get("extension_s", 0.0)),
        elapsed_s=float(clock.get("elapsed_s", 0.0)),
        downtime_s=downtime,
        grace_s=float(rules.get("resume_grace_minutes", 5.0)) * 60,
        submitted=store.get_meta(Meta.SUBMITTED) is not None,
        downtime_measured_by=measured_by,
    )


def interruption_sentence(plan: ResumePlan) -> str:
    """Why the invigilator must agree to continue, saying how the interruption was measured."""
    if plan.downtime_measured_by == "boot":
        how = f"This exam was interrupted for {minutes_text(plan.downtime_s)}"
    else:
        how = (
            f"By this computer's clock, this exam was interrupted for about "
            f"{minutes_text(plan.downtime_s)} (the computer was restarted, so only its clock can "
            "tell; if the clock was set or corrected meanwhile, the real interruption differs)"
        )
    return (
        f"{how}, longer than the {minutes_text(plan.grace_s)} allowed without an invigilator. "
        "Call the invigilator to continue; the interruption does not count against your time."
    )


def minutes_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes else f"{round(seconds)} s"


def recover_session(path: Path) -> Recovery:
    """Move a damaged answer file aside and copy everything readable into a new one at `path`.

    `SessionDamaged` when the result cannot be resumed (nothing readable, not an answer file, or
    the session's identity lost): the damaged file is then back in place, untouched, and a
    partial copy of what was readable is kept next to it.
    """
    path = Path(path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    parts = [suffix for suffix in ("", "-wal", "-shm") if Path(str(path) + suffix).exists()]
    for suffix in parts:
        Path(str(path) + suffix).rename(Path(str(aside) + suffix))

    def put_back() -> None:
        for suffix in parts:
            Path(str(aside) + suffix).rename(Path(str(path) + suffix))

    try:
        recovery = recover_answers(aside, path)
    except KnownError as exc:
        put_back()
        raise SessionDamaged(
            f"{exc} Nothing was changed: the damaged file is still at {path}.", path
        ) from None
    if not recovery.resumable:
        partial = path.with_name(f"{path.stem}.partial-{stamp}{path.suffix}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(path) + suffix)
            if part.exists():
                part.rename(Path(str(partial) + suffix))
        put_back()
        raise SessionDamaged(
            f"The session cannot be resumed: {'; '.join(recovery.lines())}. What was readable "
            f"is kept in {partial.name}; the damaged file is still at {path}. Ask the exam "
            "office before starting the exam again.",
            path,
        )
    return recovery
