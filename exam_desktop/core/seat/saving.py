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

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from exam_desktop.core.responses import Response
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.meta import Meta


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
        self.store = store
        self._on_submitted = on_submitted

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
    """A practice run's (or a preview's) own answer file."""

    @classmethod
    def open(cls, path: Path | str) -> PracticeAnswers:
        return cls(AnswerStore.open(path))

    def record_tool(self, tool: str, opened: bool) -> None:
        """Practice journals nothing but the submission."""

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> PracticeAnswers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
