"""What the exam window may do to a candidate's record: the one way it saves anything.

The window never holds the answer file. It is given an `AnswerSaving` and calls it to save an
answer, to remember where the candidate is and how the page looks (zoom, theme, reading aids), to keep
the candidate's private aids (notes, struck options, highlights), to journal that a tool was opened or
closed, and to report that the exam was submitted. Two backings:

- on a seat, the session's (`ExamSession.saving`, core/seat/session.py): the session stays the only
  writer of the answer file, journals the submission and owns the clock;
- for practice and previews, `PracticeAnswers`: a plain answer file of its own, nothing journaled
  but the submission, no clock kept.

Every method that writes raises `StorageWriteError` (a KnownError with a sentence for the candidate)
when the disk refuses; the window shows it and tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from exam_desktop.core.responses import Response
from exam_desktop.core.seat.meta import Meta

if TYPE_CHECKING:
    from exam_desktop.core.seat.answer_file import AnswerStore


@dataclass(frozen=True)
class PageState:
    """What the page remembers across a restart: where the candidate was and how it looked."""

    position: str | None = None
    comfort: dict[str, Any] = field(default_factory=dict)  # zoom_step, high_contrast, theme, font, ...
    submitted: str | None = None  # why the exam ended, once it has
    # owner (a question id, or "passage:<id>") -> {notes, struck, highlights}: candidate aids
    aids: dict[str, dict[str, Any]] = field(default_factory=dict)


class AnswerSaving(Protocol):
    def saved_responses(self) -> dict[str, Response]:
        """Every answer saved so far (after a restart: what the candidate had given)."""
        ...

    def save_answer(self, response: Response) -> None:
        """Commit one answer durably before returning."""
        ...

    def page_state(self) -> PageState: ...

    def remember_position(self, question_id: str) -> None: ...

    def remember_comfort(self, **settings: Any) -> None: ...

    def remember_aids(self, owner: str, aids: dict[str, Any]) -> None:
        """The candidate's notes, struck options and highlights of one question or passage."""
        ...

    def record_tool(self, tool: str, opened: bool) -> None:
        """A tool (calculator, formula sheet, notes) was opened or closed: journaled, not its use."""
        ...

    def report_submitted(self, reason: str, answered: int) -> None:
        """The exam ended (`reason`: candidate, time, invigilator); recorded once."""
        ...


class AnswerFileSaving:
    """`AnswerSaving` over one answer file; the seat's session adds the journal and the clock."""

    def __init__(self, store: AnswerStore, on_submitted: Callable[[str, int], None] | None = None):
        self._store = store
        self._on_submitted = on_submitted

    @property
    def store(self) -> AnswerStore:
        return self._store

    def saved_responses(self) -> dict[str, Response]:
        return self.store.responses()

    def save_answer(self, response: Response) -> None:
        self.store.save_response(response)

    def page_state(self) -> PageState:
        submitted = self.store.get_meta(Meta.SUBMITTED)
        return PageState(
            position=self.store.get_meta(Meta.POSITION),
            comfort=dict(self.store.get_meta(Meta.COMFORT) or {}),
            submitted=None if submitted is None else str(submitted.get("reason", "candidate")),
            aids=dict(self.store.get_meta(Meta.AIDS) or {}),
        )

    def remember_position(self, question_id: str) -> None:
        self.store.set_meta(Meta.POSITION, question_id)

    def remember_comfort(self, **settings: Any) -> None:
        comfort = self.store.get_meta(Meta.COMFORT) or {}
        self.store.set_meta(Meta.COMFORT, {**comfort, **settings})

    def remember_aids(self, owner: str, aids: dict[str, Any]) -> None:
        kept = self.store.get_meta(Meta.AIDS) or {}
        self.store.set_meta(Meta.AIDS, {**kept, owner: aids})

    def record_tool(self, tool: str, opened: bool) -> None:
        self.store.append_event("tool", {"tool": tool, "open": opened})

    def report_submitted(self, reason: str, answered: int) -> None:
        if self._on_submitted is not None:
            self._on_submitted(reason, answered)
            return
        if self.store.get_meta(Meta.SUBMITTED) is None:
            self.store.set_meta(Meta.SUBMITTED, {"reason": reason})
            self.store.append_event("submitted", {"reason": reason, "answered": answered})


class PracticeAnswers(AnswerFileSaving):
    """A practice run's (or a preview's) own answer file.

    `open(path)` opens (or creates) the file before returning. `new(path)` is for a run's fresh
    file: a file not made yet holds no answers, so the window can show the first question without
    it; `open_in_background()` then makes it on a worker thread (sqlite-utils alone takes about a
    tenth of a second to load), and whatever needs the file first waits for it. A file that cannot
    be made fails that first write with the disk's reason, as any failed save does, and is tried
    again on the next.
    """

    def __init__(self, path: Path | str, store: AnswerStore | None = None):
        self.path = Path(path)
        self._opened = store
        self._opening: threading.Thread | None = None
        self._on_submitted = None

    @classmethod
    def open(cls, path: Path | str) -> PracticeAnswers:
        from exam_desktop.core.seat.answer_file import AnswerStore

        return cls(path, AnswerStore.open(path))

    @classmethod
    def new(cls, path: Path | str) -> PracticeAnswers:
        """A fresh practice file at `path`, made when first needed (an existing one is opened)."""
        return cls.open(path) if Path(path).exists() else cls(path)

    def open_in_background(self) -> None:
        """Make the file now on a worker thread, unless it is made or being made already."""
        if self._opened is None and self._opening is None:
            self._opening = threading.Thread(target=self._open, name="practice-answers", daemon=True)
            self._opening.start()

    def _open(self) -> None:
        from exam_desktop.core.seat.answer_file import AnswerStore

        try:
            self._opened = AnswerStore.open(self.path, any_thread=True)
        except Exception:  # made again where it is first needed, which raises the reason
            self._opened = None

    def _wait_for_opening(self) -> None:
        if self._opening is not None:
            self._opening.join()
            self._opening = None

    @property
    def store(self) -> AnswerStore:
        self._wait_for_opening()
        if self._opened is None:
            from exam_desktop.core.seat.answer_file import AnswerStore

            self._opened = AnswerStore.open(self.path)
        return self._opened

    def _not_made(self) -> bool:
        return self._opened is None and self._opening is None

    def saved_responses(self) -> dict[str, Response]:
        return {} if self._not_made() else super().saved_responses()

    def page_state(self) -> PageState:
        return PageState() if self._not_made() else super().page_state()

    def record_tool(self, tool: str, opened: bool) -> None:
        """Practice journals nothing but the submission."""

    def close(self) -> None:
        """Close the file if it was made (closing never makes one)."""
        self._wait_for_opening()
        if self._opened is not None:
            self._opened.close()

    def __enter__(self) -> PracticeAnswers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
