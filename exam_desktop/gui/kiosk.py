"""The kiosk: a frameless, stay-on-top, full-screen window on every screen for a proctored session.

One web view for the whole sitting: the exam page (gui/exam_page.py) loads while the candidate
identifies, and every screen is drawn in it, in the exam's style and language (assets/web/kiosk.js;
this module says what each screen holds, the page sends back what was typed, the session decides).
Screens, in order: identification (fields from the package header; warnings for the invigilator
such as a missing results folder) → waiting for the start code (wrong codes: a clear message and
growing waits; "Back / correct" returns to identification) → instructions (scrolling, complete) →
the exam (`ExamWindow` on the same page; the header shows the candidate and their end time) → at
time-up a "Time is up — saving" screen that takes no keys for `TIME_UP_HOLD_MS` → the receipt (its
button takes no keyboard focus). A relaunch after a crash goes straight to the start code ("welcome
back"). After a submit the invigilator can seat a new candidate (the session is archived,
core/seat/session.py `seat_next_candidate`). The invigilator panel (Ctrl+Alt+Shift+I) is a Qt
widget shown instead of the page, from any screen.

Time is fair: the clock stops under pause, rest breaks (from the candidate's roster profile) and,
unless the rules say otherwise, an incident lock; the question is covered meanwhile.

While the exam runs the kiosk refuses to close (window close, Alt+F4, Escape) unless an invigilator
permitted it, and reports incidents to the session (core/seat/session.py), which journals them and says
whether to log, warn or lock: focus lost, window hidden or resized, screen added or removed, text
copied outside the exam pasted in. Copying from the question text is disabled in the page. What an
application cannot block is in docs/lockdown.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QClipboard,
    QCloseEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QResizeEvent,
    QScreen,
    QShortcut,
)
from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget, QVBoxLayout, QWidget

from exam_desktop.core.errors import KnownError
from exam_desktop.core.page.figures import packaged_content
from exam_desktop.core.page.strings import fill, said, strings_for
from exam_desktop.core.sealed.bundle import WrittenBundle
from exam_desktop.core.sealed.package import OpenedPackage, StartCodeRejected
from exam_desktop.core.seat.incidents import warning_text
from exam_desktop.core.seat.session import ExamSession, TryAgainLater
from exam_desktop.core.seat.trust import (
    needs_office_key_override,
    override_office_key,
)
from exam_desktop.gui.bridge import MessageType, call_js
from exam_desktop.gui.crash import crash_handler
from exam_desktop.gui.exam_page import ExamPage
from exam_desktop.gui.exam_window import ZOOM_STEPS, ExamWindow, format_remaining, instructions_html
from exam_desktop.gui.invigilator import SHORTCUT, InvigilatorPanel
from exam_desktop.room.seat import Applied, RoomSeat, SeatLink

log = logging.getLogger(__name__)

# Ticks a little more often than the session persists time (HEARTBEAT_S), on a precise timer: a
# tick that came a few milliseconds early would otherwise wait a whole second more.
HEARTBEAT_MS = 900
ROOM_TICK_MS = 250  # how often the room's commands are applied and the status published
TIME_UP_HOLD_MS = 3000  # the "Time is up — saving" screen ignores typing this long
MAX_TYPED = 1000  # characters kept from one field of a screen
CODE_MASK = "XXXX-XXXX-XXXX-XXXX"
THEMES = ("default", "contrast", "dark", "cream", "yellow")  # the page's (assets/web/tools.js)
PAGE_SCREENS = frozenset(
    {"office-key", "identify", "waiting", "instructions", "exam", "time-up", "receipt", "message"}
)
# The Qt widgets that stay Qt: the invigilator's panel and the covers of other screens.
STYLE = """
QWidget#invigilator { background: #f6f7f9; }
QWidget#invigilator QLabel, QLineEdit, QPushButton, QSpinBox { font-size: 17px; }
QLineEdit, QSpinBox { padding: 6px; min-width: 320px; }
QPushButton { padding: 8px 22px; }
QLabel#error { color: #b3261e; }
QWidget#cover { background: #1f2430; }
QWidget#cover QLabel { color: white; font-size: 22px; }
"""


class CoverWindow(QWidget):
    """Covers a second screen while the exam runs on the first."""

    def __init__(self, screen: QScreen, text: str):
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("cover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(STYLE)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(text, alignment=Qt.AlignmentFlag.AlignCenter))
        self.setScreen(screen)
        self.setGeometry(screen.geometry())


def page_messages(page: ExamPage, handler: Callable[[str, dict[str, Any]], None]) -> None:
    """Send the page's screen messages (kiosk.js) to `handler`; the exam's go to the exam window."""
    page.bridge.route({MessageType.KIOSK_ACTION, MessageType.KIOSK_SHOWN}, handler)


def typed_values(data: dict[str, Any]) -> dict[str, str]:
    """What the page says was typed, as short strings (anything else is dropped)."""
    raw = data.get("values")
    if not isinstance(raw, dict):
        return {}
    return {str(k): v[:MAX_TYPED] for k, v in raw.items() if isinstance(v, str)}


def _returned(outcome: object) -> OpenedPackage:
    """What a worker's `ExamSession.open_with` returned, or what it raised, raised again here."""
    if isinstance(outcome, BaseException):
        raise outcome
    assert isinstance(outcome, OpenedPackage)
    return outcome


class KioskWindow(QWidget):
    """One proctored session, full screen. Emits `shown_screen(name)` once a screen is on view."""

    # office-key | identify | waiting | instructions | exam | invigilator | time-up | receipt | message
    shown_screen = Signal(str)
    exam_ready = Signal()
    start_code_checked = Signal(bool)  # a typed start code was checked: whether it opened the exam
    _code_outcome = Signal(str, object)  # from the worker checking a code: (code, its outcome)

    def __init__(self, session: ExamSession, *, full_screen: bool = True, room_link: SeatLink | None = None):
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.session = session
        self.strings = strings_for(session.header.language)
        self.full_screen = full_screen
        self.setWindowTitle(session.header.title)
        self.exam_window: ExamWindow | None = None
        self.engaged = False
        self.finished = False
        self.covers: dict[QScreen, CoverWindow] = {}
        self._focus_lost = False
        self._last_size: tuple[int, int] | None = None
        self._own_clipboard: str | None = None
        self._before_panel = "identify"
        self.current = ""
        self.screens: dict[str, dict[str, Any]] = {}  # what each page screen says, as last shown
        self.typed: dict[str, str] = {}  # the identification as given
        self._code_waiting = False
        self._code_checking = False
        self._code_outcome.connect(self._code_opened)
        self._begin_label = self.strings["begin"]
        self.sent = 0  # screens handed to the page so far (each one numbered)
        self.seen = 0  # the number of the last one the page says is on view

        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.page_host = QWidget()  # holds the page until the exam window takes it over
        self.page_layout = QVBoxLayout(self.page_host)
        self.page_layout.setContentsMargins(0, 0, 0, 0)
        self.stack.addWidget(self.page_host)
        self._new_page()  # QtWebEngine starts while the candidate identifies
        self.panel = InvigilatorPanel(session)
        self.panel.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.panel.setStyleSheet(STYLE)
        self.panel.closed.connect(self._panel_closed)
        self.panel.acted.connect(self._invigilator_acted)
        self.stack.addWidget(self.panel)
        self._actions: dict[tuple[str, str], Callable[[dict[str, str]], object]] = {
            ("office-key", "override"): self._override_office_key,
            ("identify", "continue"): self._identify,
            ("waiting", "start"): lambda values: self._check_code(values.get("start-code", "")),
            ("waiting", "back"): lambda _values: self._correct_identification(),
            ("instructions", "begin"): lambda _values: self._begin(),
            ("message", "close"): lambda _values: self.close(),
            ("receipt", "close"): lambda _values: self.close(),
        }
        self._define_screens()

        self.heartbeat_timer = QTimer(self, interval=HEARTBEAT_MS)
        self.heartbeat_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.heartbeat_timer.timeout.connect(self._heartbeat)
        self._code_timer = QTimer(self, interval=1000)
        self._code_timer.timeout.connect(self._code_countdown)
        # The exam room (exam_desktop/room/): its commands are applied here, on the GUI thread.
        self.room_seat = RoomSeat(session, room_link, self) if room_link is not None else None
        self.room_timer = QTimer(self, interval=ROOM_TICK_MS)
        self.room_timer.timeout.connect(self._room_tick)
        self._receipt: WrittenBundle | None = None
        self._receipt_collected = False

        shortcut = QShortcut(QKeySequence(SHORTCUT), self)
        shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
        shortcut.activated.connect(self.open_invigilator_panel)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.applicationStateChanged.connect(self._application_state)
        app.screenAdded.connect(self._screen_added)
        app.screenRemoved.connect(self._screen_removed)
        app.clipboard().dataChanged.connect(self._clipboard_changed)
        crash = crash_handler()
        crash.language = session.header.language
        crash.keep_safe["journal"] = self._journal_crash
        crash.notify = self._crash_notice

    # ---------------------------------------------------------------------------- screens

    def _new_page(self) -> None:
        self.page = ExamPage()
        self.seen = 0  # nothing of it on view yet
        self.page_layout.addWidget(self.page.view)
        page_messages(self.page, self._on_page_message)
        self.page.bridge.loaded.connect(self.redraw)

    def _define_screens(self) -> None:
        """What each screen holds before anything is typed; the flow fills in the rest."""
        s, title = self.strings, self.session.header.title
        self.screens = {
            "office-key": {
                "title": s["office_key_title"],
                "fields": [
                    {"id": "pin", "label": s["override_pin"], "secret": True},
                    {"id": "who", "label": s["override_who"]},
                    {"id": "reason", "label": s["override_reason"]},
                ],
                "buttons": [{"id": "override", "label": s["override_start"], "primary": True}],
                "submit": "override",
            },
            "identify": {
                "title": title,
                "text": s["identify_prompt"],
                "buttons": [{"id": "continue", "label": s["continue"], "primary": True}],
                "submit": "continue",
            },
            "waiting": {
                "title": title,
                "fields": [
                    {
                        "id": "start-code",
                        "label": s["start_code"],  # a screen reader names the field, not its mask
                        "placeholder": CODE_MASK,
                        "description": s["start_code_hint"],
                    }
                ],
                "submit": "start",
            },
            "instructions": {
                "title": title,
                "html_label": s["instructions"],
                "submit": "begin",
                "focus": "html",
            },
            "message": {"title": title},
            "time-up": {"title": s["time_up_title"], "text": s["time_up_saving"]},
            "receipt": {
                "title": s["submitted_heading"],
                "text": s["receipt_intro"],
                "after": s["receipt_write"],
                # its one button takes no keyboard focus: a key still being typed cannot close it
                "buttons": [{"id": "close", "label": s["close"], "focusable": False}],
            },
            "exam": {},
        }
        self._identify_fields()

    def _identify_fields(self) -> None:
        s = self.strings
        self.screens["identify"]["fields"] = [
            {
                "id": field.id,
                "label": field.label,
                "optional": None if field.required else s["optional"],
                "required": field.required,
                "value": self.typed.get(field.id, ""),
            }
            for field in self.session.candidate_fields
        ]

    def show_screen(self, name: str, **changes: Any) -> None:
        """Show screen `name`, with `changes` to what it says; `shown_screen(name)` follows once
        it is on view (the invigilator panel at once, the page's screens when the page says so)."""
        self.current = name
        if name == "invigilator":
            self.stack.setCurrentWidget(self.panel)
            self.shown_screen.emit(name)
            return
        self.screens[name].update(changes)
        self.stack.setCurrentWidget(self.exam_window or self.page_host)
        self.page.view.setFocus()
        self.redraw()

    def _update(self, name: str, **changes: Any) -> None:
        """Change what screen `name` says; shown again at once if it is on view."""
        self.screens[name].update(changes)
        if self.current == name:
            self.redraw()

    def redraw(self) -> None:
        """Draw the current screen in the page (once the page has loaded; then it is drawn at once)."""
        if self.current not in PAGE_SCREENS or not self.page.bridge.is_loaded:
            return
        self.sent += 1
        data = {
            "screen": self.current,
            "seq": self.sent,
            "language": self.session.header.language,
            "theme": self._comfort(),
            **self.screens[self.current],
        }
        call_js(self.page.view.locked_page, "kiosk.show", data)

    def _comfort(self) -> str | None:
        """The text size and colours the candidate chose in the exam (kept in the answer file),
        for every screen after it (after a restart too); returns the theme for the page."""
        if self.session.store is None:
            return None
        comfort = self.session.saving.page_state().comfort
        step = comfort.get("zoom_step", 0)
        if isinstance(step, int) and 0 < step < len(ZOOM_STEPS):
            self.page.view.setZoomFactor(ZOOM_STEPS[step])
        theme = comfort.get("theme") or ("contrast" if comfort.get("high_contrast") else None)
        return theme if theme in THEMES else None

    def _on_page_message(self, kind: str, data: dict[str, Any]) -> None:
        screen = str(data.get("screen"))
        if kind == MessageType.KIOSK_SHOWN:
            seq = data.get("seq")
            self.seen = seq if isinstance(seq, int) else self.seen
            if screen == self.current:
                self.shown_screen.emit(screen)
            return
        action = self._actions.get((screen, str(data.get("action"))))
        if screen != self.current or action is None:  # a late click on a screen already gone
            log.info("ignored %s on %s (showing %s)", data.get("action"), screen, self.current)
            return
        action(typed_values(data))

    def show_message(self, title: str, text: str, *, closable: bool) -> None:
        buttons = [{"id": "close", "label": self.strings["close"], "primary": True}] if closable else []
        self.show_screen("message", title=title, text=text, buttons=buttons)

    def _journal_crash(self) -> None:
        reports = crash_handler().reports
        self.session.journal("crash", {"report": reports[-1].name if reports else None})

    def _crash_notice(self, text: str) -> None:
        """Before the exam page is up (it shows the notice itself once it is)."""
        self.show_message(self.session.header.title, text, closable=not self.exam_running)

    # ---------------------------------------------------------------------------- the flow

    def start(self) -> None:
        """Show the kiosk and run the preflight; then the first screen the session needs.

        Without an office key to check the package against, the invigilator must override first."""
        self.show_kiosk()
        if self.room_seat is not None:
            self.room_seat.start()
            self.room_timer.start()
        if needs_office_key_override(self.session):
            missing = fill(
                self.strings["office_key_missing"], fingerprint=self.session.header.office_fingerprint
            )
            self.show_screen("office-key", text=missing, focus="pin")
            return
        self._first_screen()

    def _override_office_key(self, values: dict[str, str]) -> None:
        try:
            override_office_key(
                self.session, values.get("pin", ""), values.get("who", ""), values.get("reason", "")
            )
        except KnownError as exc:
            self.show_screen("office-key", error=said(exc, self.strings), focus="pin", select=True)
            return
        self.screens["office-key"]["error"] = ""
        self._first_screen()

    def _first_screen(self) -> None:
        try:
            if "preflight" not in self.session.results:  # `exam-desktop launch` ran it already
                self.session.preflight()
        except KnownError as exc:
            self.show_message(self.strings["not_ready_title"], said(exc, self.strings), closable=True)
            return
        warnings = []  # for the invigilator, on the first screen (nobody reads the terminal)
        if self.session.settings.office_public_key is None:
            warnings.append(self.strings["no_office_key"])
        results = self.session.check_results_folder()
        if results is not None and not results.ok:
            warnings.append(results_folder_warning(results.facts, self.strings))
        self.screens["identify"]["warning"] = "\n\n".join(warnings)
        if self.session.resuming:
            self._show_waiting()
        else:
            self.show_screen("identify")

    def show_kiosk(self) -> None:
        if not self.full_screen:
            self.show()
            return
        primary = QGuiApplication.primaryScreen()
        self.setGeometry(primary.geometry())
        self.showFullScreen()
        for screen in QGuiApplication.screens():
            if screen is not primary:
                self._cover(screen)

    def _identify(self, values: dict[str, str]) -> None:
        fields = self.session.candidate_fields
        self.typed = {f.id: values.get(f.id, "") for f in fields}
        self._identify_fields()
        missing = next((f for f in fields if f.required and not self.typed[f.id].strip()), None)
        if missing is not None:  # said in the exam's language (the session checks it again)
            self.show_screen(
                "identify", error=fill(self.strings["fill_in"], label=missing.label), focus=missing.id
            )
            return
        try:
            self.session.identify(self.typed)
        except KnownError as exc:
            self.show_screen("identify", error=said(exc, self.strings), focus=None)
            return
        self.screens["identify"].update(error="", focus=None)
        self._show_waiting()

    def _show_waiting(self) -> None:
        s = self.strings
        who = self.session.candidate
        name = next((v for v in who.values() if v), "")
        key = "welcome_back" if self.session.resuming else "thank_you_wait"
        buttons = [{"id": "start", "label": s["start"], "primary": True}]
        if not self.session.resuming:
            buttons.append({"id": "back", "label": s["back_correct"]})
        self.show_screen("waiting", text=fill(s[key], name=name), buttons=buttons, focus="start-code")

    def _correct_identification(self) -> None:
        try:
            typed = self.session.correct_identification()
        except KnownError as exc:
            self.show_screen("waiting", error=said(exc, self.strings))
            return
        self.typed = {f.id: typed.get(f.id, self.typed.get(f.id, "")) for f in self.session.candidate_fields}
        self._identify_fields()
        first = self.session.candidate_fields[0].id if self.session.candidate_fields else None
        self.show_screen("identify", focus=first, select=True)

    def _check_code(self, code: str) -> None:
        """The start code the candidate typed, checked on a worker thread: its key derivation takes
        about half a second on purpose (against guessing), and meanwhile the screen says so and
        everything else on the seat goes on. The result is applied here, if the seat still waits."""
        if self._code_waiting or self._code_checking:
            self.redraw()
            self.start_code_checked.emit(False)
            return
        if self.session.start_code_backoff.wait_s() > 0:  # refused at once, nothing to derive
            self._unlock(code)
            self.start_code_checked.emit(False)
            return
        self._code_checking = True
        self.show_screen("waiting", disabled=True, error="", status=self.strings["code_checking"])

        def check() -> None:
            try:
                outcome: object = self.session.open_with(code)
            except Exception as exc:  # its reason is given on the GUI thread, by unlock
                outcome = exc
            try:
                self._code_outcome.emit(code, outcome)
            except RuntimeError:  # the window has gone meanwhile: nobody waits for the code
                log.info("the start code was checked after its window closed")

        threading.Thread(target=check, name="start-code", daemon=True).start()

    def _code_opened(self, code: str, outcome: object) -> None:
        self._code_checking = False
        self.screens["waiting"].update(disabled=False, status="")
        # Unless the invigilator's desk is open, or the room started the seat meanwhile
        if self.current == "waiting" and self.session.exam is None:
            self._unlock(code, lambda: _returned(outcome))
        self.start_code_checked.emit(self.session.exam is not None)

    def _unlock(self, code: str, opening: Callable[[], OpenedPackage] | None = None) -> None:
        if self._code_waiting:
            self.redraw()
            return
        try:
            self.session.unlock(code, opening)
        except TryAgainLater as exc:
            self._wait_for_code(exc.wait_s, self.strings["code_rejected"] if exc.reason else "")
            return
        except StartCodeRejected:
            self.show_screen("waiting", error=self.strings["code_rejected"], select=True)
            return
        except KnownError as exc:
            self.show_screen("waiting", error=said(exc, self.strings), select=True)
            return
        self.screens["waiting"].update(error="", select=False)
        plan = self.session.plan
        if plan is not None and plan.submitted:  # submitted, then interrupted before the bundle
            self._submitted(self.session.submitted_reason or "candidate")
            return
        self.session.enter_kiosk(self)
        self._show_instructions()

    def _wait_for_code(self, wait_s: float, reason: str) -> None:
        self._code_wait_until = self.session.settings.monotonic() + wait_s
        self._code_text = reason
        self._code_waiting = True
        self._code_countdown()
        self._code_timer.start()

    def _code_countdown(self) -> None:
        left = self._code_wait_until - self.session.settings.monotonic()
        if left <= 0:
            self._code_timer.stop()
            self._code_waiting = False
            error = f"{self._code_text} {self.strings['try_again_now']}".strip()
            self.show_screen("waiting", disabled=False, error=error, select=True)
            return
        wait = fill(self.strings["wait_seconds"], n=round(left))
        self.show_screen("waiting", disabled=True, error=f"{self._code_text} {wait}".strip())

    def _show_instructions(self) -> None:
        exam = self.session.exam
        assert exam is not None
        plan = self.session.plan
        s = self.strings
        if plan is not None and plan.step in ("run", "submit"):
            head, begin = (
                fill(s["time_left_now"], time=format_remaining(plan.remaining_s)),
                s["continue_exam"],
            )
        else:
            head, begin = None, s["begin"]  # the exam's duration
        self.screens["instructions"]["html"] = instructions_html(exam, s, head)
        self._begin_label = begin
        self._begin_state()
        self.show_screen("instructions")  # arrow keys and Page Down scroll; Tab reaches Begin

    def _begin_state(self) -> None:
        """Begin is greyed, with the reason, while the session needs the invigilator."""
        needs = self.session.needs_invigilator
        begin = {"id": "begin", "label": self._begin_label, "primary": True, "disabled": needs}
        self.screens["instructions"].update(
            buttons=[begin], error=self.session.invigilator_needed_sentence() if needs else ""
        )

    def _update_begin(self) -> None:
        self._begin_state()
        if self.current == "instructions":
            self.redraw()

    def _begin(self) -> None:
        if self.session.needs_invigilator:
            self.redraw()
            return
        # A damaged answer file found only now (a bad page read while the window restores the
        # answers) is said on screen, never left to escape this slot with nothing shown.
        try:
            clock = self.session.run()
            opened = self.session.opened
            assert self.session.exam is not None and opened is not None
            window = ExamWindow(
                self.session.exam,
                self.session.saving,
                clock,
                page=self.page,  # the same page: it takes the view over
                content=packaged_content(opened.figures, opened.images),  # drawn at build, from memory
            )
        except KnownError as exc:
            self.show_screen("instructions", error=said(exc, self.strings))
            return
        window.setWindowFlags(Qt.WindowType.Widget)
        window.ready.connect(self._exam_ready)
        window.submitted.connect(self._submitted)
        window.break_requested.connect(self._break_requested)
        if self.room_seat is not None:
            window.set_room(True)
            window.hand_raised.connect(self.room_seat.raise_hand)
            for announcement in self.room_seat.announcements:  # given before a restart
                window.show_announcement(announcement.text, announcement.at)
            window.save_failed.connect(self.room_seat.report_error)  # the console sees a seat
            window.saved.connect(self.room_seat.clear_errors)  # that cannot save
        self.exam_window = window
        self.stack.addWidget(window)
        self.show_screen("exam")
        self.heartbeat_timer.start()

    def _exam_ready(self) -> None:
        window = self.exam_window
        assert window is not None
        window.guard_copying()
        proxy = window.view.focusProxy()
        if proxy is not None:  # where QtWebEngine receives keys and clicks
            proxy.installEventFilter(self)
        self._apply_desk_state()
        self.exam_ready.emit()

    def _seat_info(self) -> None:
        """The header: who is sitting, when their exam ends, the breaks they have left."""
        window = self.exam_window
        if window is None:
            return
        who = " · ".join(v for v in self.session.candidate.values() if v)
        ends = self.session.ends_at()
        ends_text = ""
        if ends is not None and self.session.clock is not None and self.session.clock.running:
            ends_text = fill(
                self.strings["ends_at"], time=format_clock_time(ends, self.session.header.language)
            )
        window.set_seat(candidate=who, ends_at=ends_text, breaks_left=self.session.breaks_left)

    def _break_requested(self, on: bool) -> None:
        try:
            if on:
                self.session.start_break()
            else:
                self.session.end_break()
        except KnownError as exc:
            if self.exam_window is not None:
                self.exam_window.show_notice(said(exc, self.strings))
            return
        self._apply_desk_state()

    def _submitted(self, reason: str) -> None:
        self.heartbeat_timer.stop()
        hold = reason in ("time", "invigilator") and self.current == "exam"
        if hold:  # the candidate may be typing: first a screen that takes no keys
            self.show_screen("time-up")
        try:
            written = self.session.submit(reason)
        except KnownError as exc:
            # The answers stay in the answer file; the next launch tries to write the results again.
            self.show_message(self.strings["saved_here_title"], said(exc, self.strings), closable=True)
            return
        self.finished = True
        self._receipt = written
        self._update_receipt_notes()
        if hold:
            QTimer.singleShot(TIME_UP_HOLD_MS, self._show_receipt)
        else:
            self._show_receipt()

    def _update_receipt_notes(self) -> None:
        """Under the receipt code: where the results are (over the room, or kept here and on the
        results folder) and, if the results folder failed, where the local copy is."""
        written = self._receipt
        if written is None:
            return
        notes = []
        if self.room_seat is not None:
            where = "collected_by_room" if self.session.collected_by_room else "kept_on_seat"
            notes.append(self.strings[where])
        if self.session.results_warning:
            notes.append(
                fill(
                    self.strings["results_local_only"],
                    folder=str(self.session.results_folder),
                    local=str(written.local_path),
                )
            )
        self._update("receipt", code=written.receipt, note="\n\n".join(notes))
        self._receipt_collected = self.session.collected_by_room

    def _show_receipt(self) -> None:
        self.show_screen("receipt")

    def _heartbeat(self) -> None:
        self.session.heartbeat()
        if self.session.break_over():
            self._apply_desk_state()
        desk = self.session.desk
        window = self.exam_window
        if desk is not None and desk.state.ended and window is not None:
            window.submit("invigilator")

    # ---------------------------------------------------------------------------- invigilator

    def open_invigilator_panel(self) -> None:
        if self.current == "invigilator" or self.session.desk is None:
            return
        self._before_panel = self.current
        self.panel.open_panel()
        self.show_screen("invigilator")

    def _panel_closed(self) -> None:
        self.show_screen(self._before_panel)

    def _invigilator_acted(self, action: str) -> None:
        window = self.exam_window
        if action == "new-candidate":
            self.seat_next_candidate()
            return
        if action == "continue":
            self._update_begin()
        elif action == "end" and window is not None:
            self.show_screen("exam")
            window.submit("invigilator")
            return
        elif action == "extend" and window is not None:
            window.tick()
            window.show_notice(self.strings["extra_time_given"])
        elif action == "permit-quit" and window is not None:
            window.show_notice(self.strings["quit_permitted"])
        self._apply_desk_state()

    def seat_next_candidate(self) -> None:
        """After a submitted session: archive it and show identification for the next candidate."""
        try:
            self.session.seat_next_candidate()
        except KnownError as exc:
            self.panel.message.setText(said(exc, self.strings))
            return
        self.heartbeat_timer.stop()
        self.release()
        window = self.exam_window
        if window is not None:
            self.stack.removeWidget(window)
            window.close()
            window.deleteLater()
        else:  # the page never went into an exam window (submitted before a restart)
            self.page.view.deleteLater()
        self.exam_window = None
        self.finished = False
        warning = self.screens["identify"].get("warning", "")
        self.typed = {}
        self._define_screens()  # nothing the previous candidate typed or saw stays
        self.screens["identify"]["warning"] = warning
        self._new_page()  # a fresh page: nothing of the previous candidate stays in it
        self._before_panel = "identify"
        self.panel.close_panel()

    def _apply_desk_state(self) -> None:
        desk, window = self.session.desk, self.exam_window
        if desk is None or window is None:
            return
        s, state = self.strings, desk.state
        desk.apply_clock()
        if state.paused:
            window.set_cover(True, s["paused"])
        elif state.locked:
            why = s.get(f"lock_{state.lock_reason}", s["lock_other"])
            clock_note = s["locked_clock_stopped"] if state.lock_stops_clock else s["locked_clock_runs"]
            window.set_cover(True, f"{fill(s['locked_because'], why=why)} {clock_note}")
        elif state.on_break:
            window.set_cover(True, s["on_break"], s["end_break"])
        else:
            window.set_cover(False)
        window.tick()
        self._seat_info()

    # ---------------------------------------------------------------------------- the room

    def _room_tick(self) -> None:
        assert self.room_seat is not None
        try:
            self.room_seat.tick()
        except KnownError as exc:  # the exam goes on without the room
            log.warning("room: %s", exc)
        if self.finished and self.session.collected_by_room and not self._receipt_collected:
            self._update_receipt_notes()  # the console has the results now: the receipt says so

    def start_with_code(self, code: str) -> None:
        """The room's start command: what typing the start code does (SeatOwner)."""
        if self.current != "waiting":
            raise KnownError("This seat is not waiting for the start code.")
        self._unlock(code)
        if self.session.exam is None:
            raise KnownError(self.screens["waiting"].get("error") or "The start code was refused.")

    def end_exam(self) -> None:
        """The room ended the exam (SeatOwner)."""
        if self.exam_window is not None and self.exam_running:
            self.show_screen("exam")
            self.exam_window.submit("invigilator")

    def command_applied(self, applied: Applied) -> None:
        """Show what a room command changed (SeatOwner)."""
        action = applied.command.action
        if not applied.ok:
            return
        if action in ("extend", "pause", "resume", "unlock", "permit-quit"):
            self._invigilator_acted(action)
        elif action == "announce" and self.exam_window is not None:
            self.exam_window.show_announcement(applied.command.text)
        elif action == "acknowledge-hand" and self.exam_window is not None:
            self.exam_window.set_hand(False)

    # ---------------------------------------------------------------------------- lockdown

    def engage(self) -> None:
        """Start watching for incidents (the Lockdown protocol of core/seat/session.py)."""
        self.engaged = True
        self._last_size = (self.width(), self.height())

    def release(self) -> None:
        self.engaged = False

    @property
    def exam_running(self) -> bool:
        window = self.exam_window
        return window is not None and not window.is_submitted and not self.finished

    def may_close(self) -> bool:
        desk = self.session.desk
        return not self.exam_running or bool(desk and desk.state.quit_permitted)

    def report(self, kind: str, details: dict[str, Any] | None = None) -> None:
        if not self.engaged:
            return
        action = self.session.report_incident(kind, details or {})
        log.info("incident %s: %s", kind, action)
        window = self.exam_window
        if action == "warn" and window is not None:
            window.show_notice(self.strings.get(f"warn_{kind}") or warning_text(kind))
        elif action == "lock":
            self._apply_desk_state()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.may_close():
            event.ignore()
            if self.exam_window is not None:
                self.exam_window.show_notice(self.strings["cannot_close"])
            self.session.journal("close_refused", {})
            return
        self.heartbeat_timer.stop()
        self.room_timer.stop()
        if self.room_seat is not None:
            self.room_seat.tick()  # the last status, and the bundle if there is one
            self.room_seat.stop()
        if self.exam_window is not None:
            self.exam_window.close()
        for cover in self.covers.values():
            cover.close()
        self.session.close()
        super().closeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Installed on the exam view's input widget only: an application-wide Python filter
        also sees QtWebEngine's internal objects, which PySide cannot wrap safely."""
        kind = event.type()
        if not self.engaged:
            return False
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            assert isinstance(event, QKeyEvent)
            return self._paste_key(event)
        if kind == QEvent.Type.MouseButtonPress:
            assert isinstance(event, QMouseEvent)
            # The middle button pastes the X11 selection, which may come from another program.
            return event.button() == Qt.MouseButton.MiddleButton
        return False

    def _paste_key(self, event: QKeyEvent) -> bool:
        modifiers = event.modifiers()
        is_paste = event.matches(QKeySequence.StandardKey.Paste) or (
            event.key() == Qt.Key.Key_Insert and modifiers & Qt.KeyboardModifier.ShiftModifier
        )
        if not is_paste:
            return False
        text = QGuiApplication.clipboard().text()
        if not text or text == self._own_clipboard:
            return False
        if event.type() == QEvent.Type.KeyPress:
            self.report("foreign-paste", {"characters": len(text)})
        return True

    def _clipboard_changed(self) -> None:
        app_active = QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive
        text = QGuiApplication.clipboard().text(QClipboard.Mode.Clipboard)
        self._own_clipboard = text if app_active and not self._focus_lost else None

    def _application_state(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            if self._focus_lost:
                self._focus_lost = False
                if self.engaged:
                    self.session.journal("focus_regained", {})
            return
        if self.engaged and not self._focus_lost:
            self._focus_lost = True
            self.report("focus-lost", {"state": state.name})

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.WindowStateChange and self.isMinimized():
            self.report("window-hidden", {"how": "minimized"})
            if self.engaged and self.full_screen:
                QTimer.singleShot(0, self.showFullScreen)
        super().changeEvent(event)

    def hideEvent(self, event: Any) -> None:
        if event.spontaneous():
            self.report("window-hidden", {"how": "hidden"})
        super().hideEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        size = (event.size().width(), event.size().height())
        if self.engaged and self._last_size is not None and size != self._last_size:
            self.report("resized", {"from": list(self._last_size), "to": list(size)})
        self._last_size = size
        super().resizeEvent(event)

    def _cover(self, screen: QScreen) -> None:
        cover = CoverWindow(screen, self.strings["exam_in_progress"])
        self.covers[screen] = cover
        cover.showFullScreen()

    def _screen_added(self, screen: QScreen) -> None:
        self.report("screen-added", {"name": screen.name(), "size": _size(screen)})
        if self.full_screen:
            self._cover(screen)

    def _screen_removed(self, screen: QScreen) -> None:
        self.report("screen-removed", {"name": screen.name(), "size": _size(screen)})
        cover = self.covers.pop(screen, None)
        if cover is not None:
            cover.close()


def results_folder_warning(facts: dict[str, str], s: dict[str, str]) -> str:
    """The results folder cannot be used (core/seat/preflight.py `check_results_folder`), in the
    table's words: why, and where the results go instead."""
    why = (
        s["results_missing"]
        if facts["reason"] == "missing"
        else fill(s["results_read_only"], error=facts["error"])
    )
    return fill(s["results_folder_unusable"], folder=facts["folder"], why=why, local=facts["local"])


def format_clock_time(timestamp: float, language: str) -> str:
    """A wall-clock time of day as people of `language` write it (CLDR, through Babel)."""
    from datetime import datetime

    from babel.dates import format_time

    try:
        return format_time(
            datetime.fromtimestamp(timestamp), format="short", locale=language.replace("-", "_")
        )
    except (ValueError, LookupError):
        return format_time(datetime.fromtimestamp(timestamp), format="short", locale="en")


def _size(screen: QScreen) -> list[int]:
    geometry = screen.geometry()
    return [geometry.width(), geometry.height()]


def open_kiosk(
    session: ExamSession, *, full_screen: bool = True, room_link: SeatLink | None = None
) -> KioskWindow:
    """Create the kiosk for `session` and start it (the caller runs the Qt event loop)."""
    kiosk = KioskWindow(session, full_screen=full_screen, room_link=room_link)
    kiosk.start()
    return kiosk


def show_refusal(text: str, language: str = "en") -> None:
    """Say on screen why the exam cannot start (a kiosk session has no terminal to print to): a
    full-screen page like the kiosk's, in `language` (English when the exam's is not known yet)."""
    from exam_desktop.gui.application import qt_application

    app = qt_application()
    window = RefusalWindow(text, language)
    window.showFullScreen()
    app.exec()


class RefusalWindow(QWidget):
    """The exam page with one message screen and a Close button (`show_refusal`)."""

    def __init__(self, text: str, language: str = "en"):
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        strings = strings_for(language)
        self.setWindowTitle(strings["cannot_start_title"])
        self.current = "message"
        self.sent = self.seen = 0  # as the kiosk's: screens handed to the page, and on view
        self.page = ExamPage()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.page.view)
        self.screen_data = {
            "screen": "message",
            "language": language,
            "title": strings["cannot_start_title"],
            "text": text,
            "buttons": [{"id": "close", "label": strings["close"], "primary": True}],
        }
        page_messages(self.page, self._on_page_message)
        self.page.bridge.loaded.connect(self.redraw)
        self.page.view.setFocus()

    def redraw(self) -> None:
        if self.page.bridge.is_loaded:
            self.sent += 1
            call_js(self.page.view.locked_page, "kiosk.show", {**self.screen_data, "seq": self.sent})

    def _on_page_message(self, kind: str, data: dict[str, Any]) -> None:
        if kind == MessageType.KIOSK_SHOWN and isinstance(data.get("seq"), int):
            self.seen = data["seq"]
        elif kind == MessageType.KIOSK_ACTION and data.get("action") == "close":
            self.close()
