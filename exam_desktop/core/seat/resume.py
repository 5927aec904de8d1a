"""Finding and resuming an unfinished session after a crash, a kill or a reboot.

Each session lives in one answer file, `DATA/sessions/<exam id>-<package hash>.sqlite`, holding the
candidate, every answer, the journal and the clock. While the exam runs the session writes a
heartbeat every second: the clock's elapsed time (counted on a monotonic clock) and the wall time.
After a crash the remaining time is duration + extensions − the last persisted elapsed time, so at
most one heartbeat is lost and the downtime itself is never counted. The wall-clock gap since the
last heartbeat only decides whether the candidate may continue at once (up to the exam's grace,
5 minutes by default) or an invigilator must type the PIN.

A damaged answer file is never replaced by an empty exam: `SessionDamaged` says so, and
`recover_session` (`exam-desktop launch EXAM.exam --recover`, run by the invigilator) moves it
aside and copies everything readable into a new one at the same place.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exam_desktop.core.errors import KnownError
from exam_desktop.core.seat.answer_file import AnswerStore, CorruptStoreError
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.recovery import Recovery, recover_answers

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
        return AnswerStore.open(path, **clocks)
    except CorruptStoreError as exc:
        raise SessionDamaged(
            f"The answers saved on this machine for this exam are damaged ({path.name}). "
            "Nothing was deleted and the exam was not restarted empty. Invigilator: run "
            "`exam-desktop launch EXAM.exam --recover` on this machine (from an administrator "
            "console) to copy every readable answer into a fresh file and continue.",
            path,
        ) from exc


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
    downtime_s: float  # wall-clock gap since the last heartbeat (for the grace rule only)
    grace_s: float
    submitted: bool

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.duration_s + self.extension_s - self.elapsed_s)

    @property
    def needs_invigilator(self) -> bool:
        """The interruption was longer than the exam's grace: the PIN is required to continue."""
        return not self.submitted and self.step == "run" and self.downtime_s > self.grace_s


def plan_resume(store: AnswerStore, *, wall: float | None = None) -> ResumePlan:
    """Read the interrupted session's state from its answer file."""
    now = time.time() if wall is None else wall
    session = store.get_meta(Meta.SESSION) or {}
    clock = store.get_meta(Meta.CLOCK) or {}
    heartbeat = store.get_meta(Meta.HEARTBEAT) or {}
    rules = store.get_meta(Meta.RULES) or {}
    last_wall = heartbeat.get("wall")
    downtime = max(0.0, now - float(last_wall)) if last_wall is not None else 0.0
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
    )


def recover_session(path: Path) -> Recovery:
    """Move a damaged answer file aside and copy everything readable into a new one at `path`."""
    path = Path(path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(path) + suffix)
        if part.exists():
            part.rename(Path(str(aside) + suffix))
    recovery = recover_answers(aside, path)
    if recovery.responses == 0 and not recovery.meta:
        raise SessionDamaged(
            f"Nothing could be read from the damaged answer file (kept as {aside.name}). "
            "The candidate's answers are in the last result bundle or on paper; ask the exam "
            "office before starting the exam again.",
            aside,
        )
    return recovery
