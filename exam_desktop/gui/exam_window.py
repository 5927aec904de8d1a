"""The candidate's exam window: one locked web view, the page shell loaded once, questions pushed in.

`ExamWindow(exam, saving, clock, practice=..., content=...)` shows the candidate's answers while the
exam runs: every change from the page is kept in memory and handed to `saving` (core/seat/saving.py;
text fields at most ~0.7 s later, everything else at once and on every navigation); a failed save
shows a banner and is retried until it succeeds. The window never holds the answer file: on a seat
`saving` is the session's, which is its only writer. The clock (core/seat/timer.py) drives the time
shown, the 15/5-minute notices and the automatic submit at zero; the clock's owner (the session)
persists it. Figures and images come from `content` (core/page/figures.py), served from memory.

The kiosk layer builds on the public API: the `submitted` and `break_requested` signals, `go_to()`,
`set_locked()`, `set_cover()` (an opaque screen for pause, lock and breaks), `set_seat()` (the
candidate, their end time and breaks in the header), `open_instructions()`, `show_notice()` and
`submit()`. Each answer's review state (core/page/review_state.py) marks the navigator and the review
page; the instructions can be reopened from the header at any time, practice mode too.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QCloseEvent
from PySide6.QtWidgets import QMainWindow, QWidget

from exam_desktop.core.model import DragWords, Exam, Matching, Matrix, Ordering, Question, Template
from exam_desktop.core.numbers import NumberNotReadable, format_number, parse_number, uses_decimal_comma
from exam_desktop.core.page.calculator import CalculationError, calculate
from exam_desktop.core.page.figures import PageContent, bank_content
from exam_desktop.core.page.question_data import QuestionPages
from exam_desktop.core.page.review_state import review_state
from exam_desktop.core.page.strings import fill, number, plural, strings_for
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.saving import AnswerSaving
from exam_desktop.core.seat.storage_errors import StorageWriteError
from exam_desktop.core.seat.timer import ExamClock
from exam_desktop.gui.application import match_display_thread_priority
from exam_desktop.gui.bridge import MessageType, call_js
from exam_desktop.gui.crash import crash_handler
from exam_desktop.gui.exam_page import ExamPage
from exam_desktop.gui.speech import ReadAloud

log = logging.getLogger(__name__)

TOOLS_JOURNALED = frozenset({"calculator", "formula-sheet", "notes"})
MAX_NOTES = 20_000  # characters of one question's notes
COMFORT_KEYS = {  # what the page may ask to remember, and the values it may give
    "theme": ("default", "contrast", "dark", "cream", "yellow"),
    "font": ("default", "dyslexia"),
    "spacing": (True, False),
    "timer_hidden": (True, False),
    "line_reader": (True, False),
    "passage_collapsed": (True, False),
}
TEXT_KINDS = frozenset({"numeric", "matrix", "template", "short", "essay"})
SAVE_DELAY_MS = 700  # text fields: the longest an answer waits in memory while being typed
RETRY_MS = 2000  # after a failed write
POSITION_DELAY_MS = 1000  # the question to resume at is written this long after moving
TICK_MS = 500
# Time warnings: at 5 minutes or 10 % of the candidate's time left (whichever comes later in the
# exam), and at 15 minutes or 25 %: a 6-minute exam warns at 1:30 and 0:36, never at "15 minutes".
WARNINGS = (("critical", 5 * 60, 0.10), ("warning", 15 * 60, 0.25))


def warning_thresholds(total_s: float) -> list[tuple[str, float]]:
    """(level, seconds left) at which the candidate is warned, most urgent first."""
    return [(level, min(cap_s, total_s * share)) for level, cap_s, share in WARNINGS]


ZOOM_STEPS = (1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
MAX_TEXT = 1_000_000  # characters kept from one field (a long essay is ~20 000)


def format_remaining(seconds: float) -> str:
    total = max(0, math.ceil(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def clean_value(question: Question, value: Any) -> Any:
    """The page's value for `question` in the shape core.responses expects; ValueError if not."""
    kind, answer = question.kind, question.answer
    if kind == "single":
        ids = {c.id for c in answer.choices}  # type: ignore[union-attr]
        if value is None or value in ids:
            return value
    elif kind == "multiple":
        if isinstance(value, list):
            picked = set(value)
            return [c.id for c in answer.choices if c.id in picked]  # type: ignore[union-attr]
    elif kind == "truefalse":
        if value is None or isinstance(value, bool):
            return value
    elif kind in ("numeric", "short", "essay"):
        if isinstance(value, str):
            return value[:MAX_TEXT]
    elif kind == "matrix" and isinstance(answer, Matrix):
        if (
            isinstance(value, list)
            and len(value) == answer.rows
            and all(isinstance(r, list) and len(r) == answer.cols for r in value)
        ):
            return [[str(cell)[:100] for cell in row] for row in value]
    elif kind == "matching" and isinstance(answer, Matching):
        count = len(answer.options)
        if (
            isinstance(value, list)
            and len(value) == len(answer.prompts)
            and all(v is None or (type(v) is int and 0 <= v < count) for v in value)
        ):
            return value
    elif kind == "ordering" and isinstance(answer, Ordering):
        if value is None or (isinstance(value, list) and sorted(value) == sorted(answer.items)):
            return value
    elif kind == "template" and isinstance(answer, Template):
        if isinstance(value, dict):
            menus = {b.name: b.options for b in answer.blanks if b.options}
            if all(value.get(n, "") in ("", *options) for n, options in menus.items()):
                return {b.name: str(value.get(b.name, ""))[:1000] for b in answer.blanks}
    elif (
        kind == "dragwords"
        and isinstance(answer, DragWords)
        and isinstance(value, list)
        and len(value) == answer.gaps
    ):
        pool = list(answer.words)
        for word in value:  # each word of the pool placed at most as often as it is listed
            if word is not None and word not in pool:
                break
            if word is not None:
                pool.remove(word)
        else:
            return value
    raise ValueError(f"not a {kind} answer: {value!r:.100}")


class ExamWindow(QMainWindow):
    """The exam, one question at a time, in a locked web view."""

    ready = Signal()  # the page is up and shows the first question
    shown = Signal(str, str)  # (view: "question" | "review" | "results" | "message", question id)
    submitted = Signal(str)  # reason: "candidate" | "time" | whatever `submit()` was given
    saved = Signal()  # every answer changed so far is committed to the answer file
    save_failed = Signal(str)  # the message shown in the banner
    painted = Signal(str)  # token given to request_paint(): the page has drawn its current content
    all_prepared = Signal()  # every question is typeset ahead: moving between them is a swap
    hand_raised = Signal()  # the candidate asks for the invigilator (in an exam room)
    break_requested = Signal(bool)  # the candidate pressed "Take a break" (True) or "End the break"

    def __init__(
        self,
        exam: Exam,
        saving: AnswerSaving,
        clock: ExamClock,
        *,
        practice: bool = False,
        content: PageContent | None = None,
        page: ExamPage | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.exam = exam
        self.saving = saving
        self.clock = clock
        self.practice = practice
        self.strings = strings_for(exam.language)
        self.setWindowTitle(exam.title)
        self.resize(1280, 860)

        page = page or ExamPage()
        self.view = page.view
        self.setCentralWidget(self.view)
        self.page = self.view.locked_page
        self.bridge = page.bridge
        if content is None:  # a bank on disk: figures drawn from it, images from its folder
            content = bank_content(Path(exam.source).parent if exam.source else None)
        self.pages = QuestionPages(exam, self.strings, self.view.scheme_handler.add_generated, content)

        self.responses: dict[str, Response] = {qid: Response(qid) for qid in self.pages.order}
        self.responses.update(
            {qid: r for qid, r in saving.saved_responses().items() if qid in self.responses}
        )
        self._dirty: dict[str, None] = {}  # ordered set of question ids not yet committed
        self.is_ready = False  # the page is up and has been given the exam
        self.is_submitted = False
        self.locked = False
        self.page_errors: list[str] = []
        self.last_math_errors: list[str] = []
        self.prepared: set[str] = set()  # questions the page has typeset ahead
        self._sent_for_prefetch: set[str] = set()
        self.has_shown = False  # the first question is on screen (`ready` was emitted)
        self.last_save_error: str | None = None
        self._zoom = 0
        self.read_aloud: ReadAloud | None = None  # set up with the page (exam.init)
        self._warned: set[str] = set()
        self._room = False
        self._state = saving.page_state()  # position, zoom and theme after a restart
        self.seat: dict[str, Any] = {}  # the instructions are rendered while MathJax loads

        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush)
        self._retry_timer = QTimer(self, interval=RETRY_MS)
        self._retry_timer.timeout.connect(self.flush)
        self._tick_timer = QTimer(self, interval=TICK_MS)
        self._tick_timer.timeout.connect(self.tick)
        self._position_timer = QTimer(self, singleShot=True, interval=POSITION_DELAY_MS)
        self._position_timer.timeout.connect(self._save_position)
        self.saved.connect(self._announce_saved)

        self.commit_ms: deque[float] = deque(maxlen=10_000)  # how long each durable save took
        self._saved_position = self._state.position
        self.current_id = (
            self._saved_position if self._saved_position in self.responses else self.pages.order[0]
        )
        self.bridge.set_handler(self._on_message)
        crash = crash_handler()  # a bug anywhere: what is typed is saved, the candidate is told
        crash.language = exam.language
        crash.keep_safe["answers"] = self.flush
        crash.notify = self.show_notice

    def _prepare_first_page(self) -> None:
        """The first question's page data and the instructions, built when the page says it is
        ready: by then it has asked for all its files (built any earlier, they would keep the
        page's files waiting), and MathJax, asked for first, is compiled or being compiled."""
        if self.current_id is not None:
            self.pages.question(self.current_id)
        if "instructions_html" not in self.seat:
            self.seat["instructions_html"] = instructions_html(self.exam, self.strings)

    # ---------------------------------------------------------------------------- public API

    def go_to(self, question_id: str) -> None:
        """Show one question (answers typed so far are saved first)."""
        if question_id not in self.responses:
            raise KeyError(question_id)
        self.flush()
        self.current_id = question_id
        if self.is_ready:
            self._show_current()

    def set_locked(self, locked: bool, text: str | None = None) -> None:
        """Lock (or unlock) every input, e.g. while the invigilator pauses the exam."""
        self.locked = locked
        if self.is_ready:
            self._js("exam.setLocked", locked, text or self.strings["locked"])

    def set_seat(self, **info: Any) -> None:
        """What the header shows around the exam: `candidate` (name and ID), `ends_at` (the
        candidate's own end time), `breaks_left`; the instructions are always there to reopen."""
        self.seat.update(info)
        if self.is_ready:
            self._js("exam.setSeat", info)

    def open_instructions(self) -> None:
        """Show the exam's instructions over the question (the candidate can do so at any time)."""
        self._js("exam.openInstructions")

    def set_cover(self, on: bool, text: str = "", end_break_label: str = "") -> None:
        """An opaque screen over the question (pause, break, lock); inputs are locked under it."""
        self.locked = on
        if self.is_ready:
            self._js("exam.setCover", on, text or self.strings["locked"], end_break_label)

    def guard_copying(self) -> None:
        """A proctored session: question text cannot be copied or dragged out of the page."""
        self._js("exam.guardCopying")

    def set_room(self, on: bool) -> None:
        """In an exam room: the candidate can raise a hand, announcements are listed."""
        self._room = on
        if self.is_ready:
            self._js("exam.setRoom", on)

    def set_hand(self, raised: bool) -> None:
        """Show the hand as raised (the candidate asked) or lowered (the invigilator saw it)."""
        self._js("exam.setHand", raised)

    def show_announcement(self, text: str, at: float | None = None) -> None:
        """An invigilators' announcement: listed under the top bar for the rest of the exam."""
        stamp = time.strftime("%H:%M", time.localtime(at if at is not None else time.time()))
        self._js("exam.showAnnouncement", stamp, text)

    def show_notice(self, text: str) -> None:
        """A non-blocking notice in the corner of the page (time warnings, the invigilator's
        words), announced to a screen reader at once."""
        self._js("exam.showNotice", text)
        self.announce(text, urgent=True)

    def submit(self, reason: str = "candidate") -> None:
        """End the exam: save everything, stop the clock, show the end page, emit `submitted`."""
        if self.is_submitted:
            return
        self.is_submitted = True
        self._tick_timer.stop()
        self.flush()
        self._save_position()
        if self.clock.running:
            self.clock.pause()
        answered = sum(r.answered for r in self.responses.values())
        try:
            self.saving.report_submitted(reason, answered)
        except StorageWriteError as exc:
            self._save_failed(exc)
        self._show_end(reason)
        self.submitted.emit(reason)

    def request_paint(self, token: str = "") -> None:
        """Emit `painted(token)` once the page has drawn what it shows now (for screenshots)."""
        self._js("exam.whenPainted", token)

    def zoom_factor(self) -> float:
        return self.view.zoomFactor()

    # ---------------------------------------------------------------------------- the page

    def _js(self, function: str, *args: Any) -> None:
        if self.bridge.closed:  # closed: a late callback (a voice ending, a timer) has no page to tell
            return
        call_js(self.page, function, *args)

    def _on_message(self, kind: str, data: dict[str, Any]) -> None:
        if self.bridge.closed:
            return
        handler = {
            MessageType.READY: self._on_ready,
            MessageType.SHOWN: self._on_shown,
            MessageType.ANSWER_CHANGED: self._on_answer_changed,
            MessageType.NAVIGATE: self._on_navigate,
            MessageType.FLAG: self._on_flag,
            MessageType.DONT_KNOW: self._on_dont_know,
            MessageType.RATING: self._on_rating,
            MessageType.CLEAR: self._on_clear,
            MessageType.SUBMIT_REQUEST: lambda _data: self.submit("candidate"),
            MessageType.ZOOM: self._on_zoom,
            MessageType.THEME: self._on_theme,
            MessageType.PAGE_ERROR: self._on_page_error,
            MessageType.PAINTED: lambda data: self.painted.emit(str(data.get("token"))),
            MessageType.PREPARED: self._on_prepared,
            MessageType.RAISE_HAND: lambda _data: self.hand_raised.emit(),
            MessageType.BREAK: lambda data: self.break_requested.emit(bool(data["on"])),
            MessageType.TOOL: self._on_tool,
            MessageType.CALCULATE: self._on_calculate,
            MessageType.AIDS: self._on_aids,
            MessageType.COMFORT: self._on_comfort,
            MessageType.SPEAK: self._on_speak,
        }.get(MessageType(kind))
        if handler is None:  # a kiosk screen's message with no kiosk around the window
            log.warning("ignored a %s message: no screen around the exam", kind)
            return
        try:
            handler(data)
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("ignored a malformed %s message (%s): %.200s", kind, exc, data)

    def _on_ready(self, _data: dict[str, Any]) -> None:
        if self.is_ready:
            return
        self.is_ready = True
        comfort = self._state.comfort  # zoom and theme come back after a restart
        self._js(
            "exam.init",
            {
                "title": self.exam.title,
                "language": self.exam.language,
                "strings": self.strings,
                "practice": self.practice,
                "allow_dont_know": self.exam.allow_dont_know,
                "allow_rating": self.exam.allow_rating,
                "questions": self.pages.navigator(),
                "status": self._status(list(self.responses)),
                "high_contrast": bool(comfort.get("high_contrast")),
                "tools": self._tools_config(),
                "aids": self._state.aids,
                "comfort": {k: v for k, v in comfort.items() if k in COMFORT_KEYS},
            },
        )
        self._zoom = min(max(int(comfort.get("zoom_step", 0)), 0), len(ZOOM_STEPS) - 1)
        if self._zoom:
            self.view.setZoomFactor(ZOOM_STEPS[self._zoom])
        self._prepare_first_page()
        self._js("exam.setSeat", self.seat)
        if self.locked:
            self._js("exam.setLocked", True, self.strings["locked"])
        if self._room:
            self._js("exam.setRoom", True)
        if self._state.submitted is not None:
            self.is_submitted = True
            self._show_end("resumed")
            return
        self._show_current()
        if not self.clock.expired:
            self.clock.start()
        self.tick()
        self._tick_timer.start()
        QTimer.singleShot(0, self._prepare_next_page)

    def _prepare_next_page(self) -> None:
        """Hand the page the next question to typeset ahead, nearest to the current one first.

        One at a time: a question the candidate moves to never waits behind a queue of others.
        """
        if self.is_submitted or self.bridge.closed:
            return
        order = self.pages.order
        here = order.index(self.current_id) if self.current_id in order else 0
        waiting = [q for q in order if q not in self._sent_for_prefetch]
        if not waiting:
            return
        nearest = min(waiting, key=lambda q: (abs(order.index(q) - here), order.index(q) < here))
        self._sent_for_prefetch.add(nearest)
        self._js("exam.prefetch", self.pages.question(nearest))  # the next when this one is done

    def _on_prepared(self, data: dict[str, Any]) -> None:
        self.prepared.add(str(data["id"]))
        if len(self.prepared) == len(self.pages.order):
            self.all_prepared.emit()
        else:
            QTimer.singleShot(0, self._prepare_next_page)

    def _on_shown(self, data: dict[str, Any]) -> None:
        view = str(data.get("view"))
        errors = data.get("math_errors") or []
        self.last_math_errors = [str(e) for e in errors]
        if errors:
            log.warning("math errors in %s %s: %s", view, data.get("id"), errors)
        first, self.has_shown = not self.has_shown, True
        self.shown.emit(view, str(data.get("id") or ""))
        if first:
            # Not earlier: raised while the page typesets its first question, this thread's own
            # start-up work would take the cores from it.
            match_display_thread_priority()
            self.ready.emit()
            self._start_read_aloud()

    def _on_page_error(self, data: dict[str, Any]) -> None:
        self.page_errors.append(str(data.get("message")))
        log.error("script error in the exam page: %s", data.get("message"))

    def _on_zoom(self, data: dict[str, Any]) -> None:
        step = int(data["step"])
        self._zoom = 0 if step == 0 else max(0, min(len(ZOOM_STEPS) - 1, self._zoom + step))
        self.view.setZoomFactor(ZOOM_STEPS[self._zoom])
        self._save_comfort(zoom_step=self._zoom)

    def _on_theme(self, data: dict[str, Any]) -> None:
        self._save_comfort(high_contrast=bool(data["high_contrast"]))

    def _save_comfort(self, **settings: Any) -> None:
        try:
            self.saving.remember_comfort(**settings)
        except StorageWriteError as exc:
            self._save_failed(exc)

    # ---------------------------------------------------------------------------- tools

    def _tools_config(self) -> dict[str, Any]:
        return {**self.pages.tools(), "decimal_comma": uses_decimal_comma(self.exam.language)}

    def _start_read_aloud(self) -> None:
        """Look for a voice once the first question is on screen (starting QtTextToSpeech takes
        tens of milliseconds the first question would otherwise wait for); the page's read-aloud
        button is enabled, or says why not."""
        if self.read_aloud is not None or self.bridge.closed:
            return
        self.read_aloud = ReadAloud(self.exam.language, on_finished=lambda: self._js("examTools.speechEnded"))
        self._js(
            "examTools.setSpeech",
            {"available": self.read_aloud.available, "message": self.strings["no_voice"]},
        )

    def _on_tool(self, data: dict[str, Any]) -> None:
        tool = str(data["tool"])
        if tool not in TOOLS_JOURNALED or self.is_submitted:
            return
        try:
            self.saving.record_tool(tool, bool(data["open"]))
        except StorageWriteError as exc:
            self._save_failed(exc)

    def _on_calculate(self, data: dict[str, Any]) -> None:
        question = self.exam.question(self.current_id) if self.current_id else None
        request = int(data["request"])
        if question is None or "calculator" not in self.exam.tools_for(question):
            return
        answer = data.get("answer")
        try:
            result = calculate(
                str(data["expression"]),
                mode=self.exam.calculator,
                language=self.exam.language,
                answer=float(answer) if isinstance(answer, (int, float)) else None,
            )
        except CalculationError as exc:
            reason = fill(self.strings["calc_" + exc.reason], name=exc.detail)
            message = fill(self.strings["calc_error"], reason=reason)
            self._js("examTools.calcResult", {"request": request, "ok": False, "message": message})
            return
        self._js(
            "examTools.calcResult",
            {"request": request, "ok": True, "value": result.value, "text": result.text},
        )

    def _on_aids(self, data: dict[str, Any]) -> None:
        owner = str(data["owner"])
        raw = data["aids"]
        if self.is_submitted or not isinstance(raw, dict):
            return
        if owner not in self.responses and not (
            owner.startswith("passage:") and any(p.id == owner[8:] for p in self.exam.passages)
        ):
            raise ValueError(f"no question or passage {owner!r}")
        aids = {
            "notes": str(raw.get("notes") or "")[:MAX_NOTES],
            "struck": [str(x) for x in raw.get("struck") or []][:100],
            "highlights": [
                [int(a), int(b)]
                for a, b in (raw.get("highlights") or [])[:500]
                if isinstance(a, int) and isinstance(b, int) and 0 <= a < b
            ],
        }
        try:
            self.saving.remember_aids(owner, aids)
        except StorageWriteError as exc:
            self._save_failed(exc)
            return
        self._js("exam.setSaveState", "saved", self.strings["saved"])
        self.saved.emit()

    def _on_comfort(self, data: dict[str, Any]) -> None:
        settings = {k: v for k, v in data.items() if k in COMFORT_KEYS and v in COMFORT_KEYS[k]}
        if "theme" in settings:
            settings["high_contrast"] = settings["theme"] == "contrast"
        if settings:
            self._save_comfort(**settings)

    def _on_speak(self, data: dict[str, Any]) -> None:
        if self.read_aloud is not None:
            self.read_aloud.say(str(data.get("text") or "")[:20_000])

    # ---------------------------------------------------------------------------- answers

    def _response(self, data: dict[str, Any]) -> Response | None:
        if self.is_submitted or self.locked:
            return None
        return self.responses[str(data["question_id"])]

    def _on_answer_changed(self, data: dict[str, Any]) -> None:
        response = self._response(data)
        if response is None:
            return
        question = self.exam.question(response.question_id)
        response.value = clean_value(question, data.get("value"))
        if response.answered and response.dont_know:
            response.dont_know = False
        if question.kind == "numeric":
            self._js("exam.numberFeedback", question.id, self._number_feedback(response.value))
        elif question.kind in ("matrix", "multiple", "template"):
            self._js("exam.answerFeedback", question.id, self._answer_feedback(question.id))
        self._changed(response, immediate=question.kind not in TEXT_KINDS)

    def _answer_feedback(self, question_id: str) -> str:
        """Why the answer typed cannot count as it is ("" when it can), said at once."""
        question, response = self.exam.question(question_id), self.responses[question_id]
        state, why = review_state(question, response, self.exam.language)
        return why if state == "invalid" else ""

    def _on_flag(self, data: dict[str, Any]) -> None:
        response = self._response(data)
        if response is not None:
            response.flagged = bool(data["flagged"])
            self._changed(response)

    def _on_dont_know(self, data: dict[str, Any]) -> None:
        response = self._response(data)
        if response is not None and self.exam.allow_dont_know:
            response.dont_know = bool(data["dont_know"])
            if response.dont_know:
                response.value = None
            self._changed(response)

    def _on_rating(self, data: dict[str, Any]) -> None:
        response = self._response(data)
        rating = data.get("rating")
        if response is not None and (rating is None or rating in (1, 2, 3, 4, 5)):
            response.rating = rating
            self._changed(response)

    def _on_clear(self, data: dict[str, Any]) -> None:
        response = self._response(data)
        if response is not None:
            response.value = [] if response_kind(self.exam, response) == "multiple" else None
            self._changed(response)

    def _number_feedback(self, text: str) -> dict[str, Any]:
        if not text.strip():
            return {"ok": True, "message": ""}
        try:
            value = parse_number(text, self.exam.language)
        except NumberNotReadable as exc:
            return {"ok": False, "message": str(exc)}
        shown = format_number(value, self.exam.language)
        return {"ok": True, "message": fill(self.strings["number_read"], value=shown)}

    def _changed(self, response: Response, *, immediate: bool = True) -> None:
        self._dirty[response.question_id] = None
        if immediate:
            self.flush()  # first the commit, then the page's updates (they compete for the CPU)
        elif not self._save_timer.isActive():
            self._save_timer.start()
        self._js("exam.setStatus", self._status([response.question_id]))

    def _status(self, ids: list[str]) -> list[dict[str, Any]]:
        status = []
        for i in ids:
            state, _why = review_state(self.exam.question(i), self.responses[i], self.exam.language)
            status.append(
                {
                    "id": i,
                    "answered": state == "answered",
                    "state": state,
                    "flagged": self.responses[i].flagged,
                }
            )
        return status

    def flush(self) -> bool:
        """Write every answer not yet committed; True when nothing is left unsaved."""
        self._save_timer.stop()
        wrote = False
        while self._dirty:
            question_id = next(iter(self._dirty))
            started = time.perf_counter()
            try:
                self.saving.save_answer(self.responses[question_id])
            except StorageWriteError as exc:
                self._save_failed(exc)
                return False
            self.commit_ms.append((time.perf_counter() - started) * 1000)
            self._dirty.pop(question_id, None)
            wrote = True
        if self._retry_timer.isActive() or self.last_save_error:
            self._retry_timer.stop()
            self.last_save_error = None
            self._js("exam.showBanner", None)
            wrote = True
        if wrote:
            self._js("exam.setSaveState", "saved", self.strings["saved"])
            self.saved.emit()
        return True

    def _announce_saved(self) -> None:
        self.announce(self.strings["saved"])

    def announce(self, text: str, *, urgent: bool = False) -> None:
        """Tell a screen reader `text` (politely, or at once when `urgent`): QtWebEngine passes no
        live-region change of the page on to Qt's accessibility bridge, so the page's aria-live
        regions ("saved", notices, the save-failure banner) are never announced by themselves."""
        if not QAccessible.isActive():
            return
        event = QAccessibleAnnouncementEvent(self.view, text)
        if urgent:
            event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
        QAccessible.updateAccessibility(event)

    def _save_failed(self, error: StorageWriteError) -> None:
        log.error("saving failed: %s", error)
        why = self.strings.get(f"disk_{error.reason}", self.strings["disk_other"])
        message = fill(self.strings["save_failed"], why=why)
        if message != self.last_save_error:  # said once, not at every retry
            self.announce(message, urgent=True)
        self.last_save_error = message
        self._js("exam.showBanner", message)
        self._js("exam.setSaveState", "failed", self.strings["not_saved"])
        if not self._retry_timer.isActive():
            self._retry_timer.start()
        self.save_failed.emit(message)

    @property
    def unsaved(self) -> list[str]:
        """Ids of questions whose latest answer is not yet committed."""
        return list(self._dirty)

    # ---------------------------------------------------------------------------- navigation

    def _on_navigate(self, data: dict[str, Any]) -> None:
        if self.is_submitted or self.locked:
            return
        target = str(data["target"])
        order = self.pages.order
        self.flush()
        if target == "review":
            self._show_review()
            return
        index = order.index(self.current_id) if self.current_id in order else 0
        if target == "next":
            index = min(index + 1, len(order) - 1)
        elif target == "previous":
            index = max(index - 1, 0)
        elif target != "current":
            index = order.index(target)
        self.current_id = order[index]
        self._show_current()

    def _show_current(self, focus: bool = True) -> None:
        assert self.current_id is not None
        response = self.responses[self.current_id]
        data = dict(self.pages.question(self.current_id))
        data["response"] = {
            "value": response.value,
            "dont_know": response.dont_know,
            "flagged": response.flagged,
            "rating": response.rating,
        }
        data["focus"] = focus
        if data["kind"] == "numeric" and isinstance(response.value, str):
            data["number_feedback"] = self._number_feedback(response.value)
        self._js("exam.showQuestion", data)
        if self.current_id != self._saved_position and not self._position_timer.isActive():
            self._position_timer.start()  # where to resume: written a moment later, not per move

    def _save_position(self) -> None:
        if self.current_id == self._saved_position:
            return
        try:
            self.saving.remember_position(self.current_id)
            self._saved_position = self.current_id
        except StorageWriteError as exc:
            self._save_failed(exc)

    def _show_review(self) -> None:
        s = self.strings

        def label(qid: str) -> str:
            position = self.pages.positions[qid]
            return f"{position.number}. {self.exam.question(qid).title}"

        states = {
            q: review_state(self.exam.question(q), self.responses[q], self.exam.language)
            for q in self.pages.order
        }
        unanswered = [q for q in self.pages.order if states[q][0] == "unanswered"]
        dont_know = [q for q in self.pages.order if states[q][0] == "dont_know"]
        invalid = [q for q in self.pages.order if states[q][0] == "invalid"]
        flagged = [q for q in self.pages.order if self.responses[q].flagged]
        total = len(self.pages.order)
        answered = sum(state == "answered" for state, _ in states.values())
        open_count = len(unanswered) + len(dont_know) + len(invalid)
        confirm = plural(s, "confirm_submit_open", open_count) if open_count else s["confirm_submit"]
        self._js(
            "exam.showReview",
            {
                "title": s["review_title"],
                "summary": plural(s, "review_summary", total, answered=number(answered, self.exam.language)),
                "unanswered": [{"id": q, "label": label(q)} for q in unanswered],
                "dont_know": [{"id": q, "label": label(q)} for q in dont_know],
                "invalid": [{"id": q, "label": f"{label(q)} — {states[q][1]}"} for q in invalid],
                "flagged": [{"id": q, "label": label(q)} for q in flagged],
                "submit_label": s["finish"] if self.practice else s["submit"],
                "confirm_text": confirm,
            },
        )

    def _show_end(self, reason: str) -> None:
        self._js("exam.setTimer", "", "")
        if self.practice:
            from exam_desktop.core import scoring
            from exam_desktop.core.page import practice_results as results

            score = scoring.score_exam(self.exam, self.responses)
            self._js("exam.showResults", results.results_page(self.exam, self.pages, self.responses, score))
            return
        s = self.strings
        text = s["submitted_time_text"] if reason == "time" else s["submitted_text"]
        self._js("exam.showMessage", s["submitted_title"], text)

    # ---------------------------------------------------------------------------- time

    def tick(self) -> None:
        """Show the time left, warn as `warning_thresholds` says, submit at zero."""
        if self.is_submitted:
            return
        remaining = self.clock.remaining()
        if remaining <= 0:
            self._js("exam.setTimer", self.strings["time_up"], "critical")
            self.submit("time")
            return
        level = ""
        thresholds = warning_thresholds(self.clock.total_s)
        for name, threshold in thresholds:
            if remaining <= threshold:
                level = name
                if name not in self._warned:
                    self._warned.update(n for n, t in thresholds if t >= threshold)
                    self.show_notice(self._time_left_notice(remaining))
                break
        self._js("exam.setTimer", fill(self.strings["time_left"], time=format_remaining(remaining)), level)

    def _time_left_notice(self, remaining: float) -> str:
        """ "5 minutes left." with the minutes really left (rounded up), never more than there are."""
        if remaining < 60:
            return self.strings["notice_under_minute"]
        return plural(self.strings, "notice_left", math.ceil(remaining / 60 - 1e-9))

    # ---------------------------------------------------------------------------- teardown

    def closeEvent(self, event: QCloseEvent) -> None:
        self.flush()
        self._save_position()
        self._tick_timer.stop()
        self._retry_timer.stop()
        crash = crash_handler()
        if crash.keep_safe.get("answers") == self.flush:
            del crash.keep_safe["answers"]
            crash.notify = None
        self.bridge.close()
        super().closeEvent(event)


def instructions_html(exam: Exam, strings: dict[str, str], head: str | None = None) -> str:
    """The exam's instructions as the page shows them, under `head` in bold (by default its
    duration): on the kiosk's instructions screen and when reopened during the exam."""
    from exam_desktop.core.page.render import render_markdown

    if head is None:
        head = fill(strings["duration"], duration=duration_text(exam.duration_minutes, strings))
    return render_markdown(f"**{head}**\n\n{exam.instructions or strings['default_instructions']}")


def duration_text(minutes: int, strings: dict[str, str]) -> str:
    """ "1 h 45 min", "45 minutes", "1 minuto" in the table's language."""
    hours, rest = divmod(minutes, 60)
    if hours:
        return fill(strings["hours_minutes"], h=hours, mm=f"{rest:02d}")
    return plural(strings, "minutes", minutes)


def response_kind(exam: Exam, response: Response) -> str:
    return exam.question(response.question_id).kind
