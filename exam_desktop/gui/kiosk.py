"""The kiosk: a frameless, stay-on-top, full-screen window on every screen for a proctored session.

Screens, in order: identification (fields from the package header; warnings for the invigilator
such as a missing results folder) → waiting for the start code (wrong codes: a clear message and
growing waits; "Back / correct" returns to identification) → instructions (scrolling, complete) →
the exam (`ExamWindow`, embedded; the header shows the candidate and their end time) → at time-up a
"Time is up — saving" screen that takes no keys for `TIME_UP_HOLD_MS` → the receipt (its button takes
no keyboard focus). A relaunch after a crash goes straight to the start code ("welcome back"). Every
word comes from the language table in the exam's language. After a submit the invigilator can seat
a new candidate (the session is archived, core/seat/session.py `seat_next_candidate`).

Time is fair: the clock stops under pause, rest breaks (from the candidate's roster profile) and,
unless the rules say otherwise, an incident lock; the question is covered meanwhile.

While the exam runs the kiosk refuses to close (window close, Alt+F4, Escape) unless an invigilator
permitted it, and reports incidents to the session (core/seat/session.py), which journals them and says
whether to log, warn or lock: focus lost, window hidden or resized, screen added or removed, text
copied outside the exam pasted in. Copying from the question text is disabled in the page. What an
application cannot block is in docs/lockdown.md. Ctrl+Alt+Shift+I opens the invigilator panel.
"""

from __future__ import annotations

import logging
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
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from exam_desktop.core.errors import KnownError
from exam_desktop.core.page.figures import packaged_content
from exam_desktop.core.page.strings import fill, strings_for
from exam_desktop.core.sealed.bundle import WrittenBundle
from exam_desktop.core.sealed.package import StartCodeRejected
from exam_desktop.core.seat.incidents import warning_text
from exam_desktop.core.seat.session import ExamSession, TryAgainLater
from exam_desktop.core.seat.trust import (
    missing_office_key_sentence,
    needs_office_key_override,
    override_office_key,
)
from exam_desktop.gui.crash import crash_handler
from exam_desktop.gui.exam_page import ExamPage
from exam_desktop.gui.exam_window import ExamWindow, duration_text, format_remaining
from exam_desktop.gui.invigilator import SHORTCUT, InvigilatorPanel
from exam_desktop.room.seat import Applied, RoomSeat, SeatLink

log = logging.getLogger(__name__)

# Ticks a little more often than the session persists time (HEARTBEAT_S), on a precise timer: a
# tick that came a few milliseconds early would otherwise wait a whole second more.
HEARTBEAT_MS = 900
ROOM_TICK_MS = 250  # how often the room's commands are applied and the status published
COLUMN_WIDTH = 700
TIME_UP_HOLD_MS = 3000  # the "Time is up — saving" screen ignores typing this long
STYLE = """
QWidget#kiosk { background: #f4f5f7; }
QLabel, QLineEdit, QPushButton, QSpinBox { font-size: 17px; }
QLineEdit, QSpinBox { padding: 6px; min-width: 320px; }
QPushButton { padding: 8px 22px; }
QLabel#error { color: #b00020; }
QLabel#title { font-size: 28px; font-weight: 600; }
QLabel#receipt-code { font-size: 56px; font-weight: 700; font-family: monospace; letter-spacing: 4px;
  color: #1f2430; background: white; border: 2px solid #1f2430; padding: 12px 28px; }
QLabel#warning { color: #7a4b00; background: #fff4d6; border: 1px solid #e0b050; padding: 10px; }
QWidget#cover { background: #1f2430; }
QWidget#cover QLabel { color: white; font-size: 22px; }
"""


def _message_label(lines: int = 2) -> QLabel:
    """A centred, wrapped label with room for `lines` lines (errors and notes)."""
    label = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setMinimumHeight(label.fontMetrics().lineSpacing() * lines + 8)
    return label


def _set_wrapped(label: QLabel, text: str) -> None:
    """Set a wrapped label's text and make room for all of it (a warning is never cut off)."""
    label.setText(text)
    label.ensurePolished()  # the style sheet's font, padding and border
    flags = Qt.TextFlag.TextWordWrap
    needed = label.fontMetrics().boundingRect(0, 0, COLUMN_WIDTH - 40, 100_000, flags, text).height()
    label.setMinimumHeight(needed + 32 if text else 0)


def _screen(title: str) -> tuple[QWidget, QVBoxLayout]:
    """A screen with a centred column of fixed width; returns the screen and the column."""
    page = QWidget()
    outer = QVBoxLayout(page)
    outer.setContentsMargins(40, 40, 40, 40)
    outer.addStretch(1)
    column_widget = QWidget()
    column_widget.setFixedWidth(COLUMN_WIDTH)
    column = QVBoxLayout(column_widget)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(14)
    outer.addWidget(column_widget, alignment=Qt.AlignmentFlag.AlignHCenter)
    outer.addStretch(2)
    heading = QLabel(title, alignment=Qt.AlignmentFlag.AlignCenter)
    heading.setObjectName("title")
    heading.setWordWrap(True)
    column.addWidget(heading)
    return page, column


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


class KioskWindow(QWidget):
    """One proctored session, full screen. Emits `shown_screen(name)` on every screen change."""

    # office-key | identify | waiting | instructions | exam | invigilator | time-up | receipt | message
    shown_screen = Signal(str)
    exam_ready = Signal()

    def __init__(self, session: ExamSession, *, full_screen: bool = True, room_link: SeatLink | None = None):
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.session = session
        self.strings = strings_for(session.header.language)
        self.full_screen = full_screen
        self.setObjectName("kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(STYLE)
        self.setWindowTitle(session.header.title)
        self.page = ExamPage()  # QtWebEngine starts while the candidate identifies
        self.exam_window: ExamWindow | None = None
        self.engaged = False
        self.finished = False
        self.covers: dict[QScreen, CoverWindow] = {}
        self._focus_lost = False
        self._last_size: tuple[int, int] | None = None
        self._own_clipboard: str | None = None
        self._before_panel = "identify"
        self.current = ""

        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.screens: dict[str, QWidget] = {}
        self._add("office-key", self._office_key_screen())
        self._add("identify", self._identify_screen())
        self._add("waiting", self._waiting_screen())
        self._add("instructions", self._instructions_screen())
        self._add("message", self._message_screen())
        self._add("time-up", self._time_up_screen())
        self._add("receipt", self._receipt_screen())
        self.panel = InvigilatorPanel(session)
        self.panel.closed.connect(self._panel_closed)
        self.panel.acted.connect(self._invigilator_acted)
        self._add("invigilator", self.panel)

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

    def _add(self, name: str, widget: QWidget) -> None:
        self.screens[name] = widget
        self.stack.addWidget(widget)

    def show_screen(self, name: str) -> None:
        self.stack.setCurrentWidget(self.screens[name])
        self.current = name
        self.shown_screen.emit(name)

    def _office_key_screen(self) -> QWidget:
        page, layout = _screen("The exam office key is missing")
        self.office_key_text = _message_label(7)
        layout.addWidget(self.office_key_text)
        form = QFormLayout()
        self.override_pin = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.override_pin.setObjectName("override-pin")
        self.override_who = QLineEdit()
        self.override_who.setObjectName("override-who")
        self.override_reason = QLineEdit()
        self.override_reason.setObjectName("override-reason")
        form.addRow("Invigilator PIN", self.override_pin)
        form.addRow("Your name", self.override_who)
        form.addRow("Why start it anyway", self.override_reason)
        holder = QWidget()
        holder.setLayout(form)
        layout.addWidget(holder, alignment=Qt.AlignmentFlag.AlignCenter)
        self.override_message = _message_label()
        self.override_message.setObjectName("error")
        layout.addWidget(self.override_message)
        button = QPushButton("Start without the office key")
        button.setObjectName("override-office-key")
        button.clicked.connect(self._override_office_key)
        layout.addWidget(button, alignment=Qt.AlignmentFlag.AlignCenter)
        return page

    def _override_office_key(self) -> None:
        try:
            override_office_key(
                self.session, self.override_pin.text(), self.override_who.text(), self.override_reason.text()
            )
        except KnownError as exc:
            self.override_message.setText(str(exc))
            self.override_pin.selectAll()
            return
        self.override_pin.clear()
        self._first_screen()

    def _identify_screen(self) -> QWidget:
        s = self.strings
        page, layout = _screen(self.session.header.title)
        self.preflight_warning = _message_label(4)
        self.preflight_warning.setObjectName("warning")
        self.preflight_warning.hide()
        layout.addWidget(self.preflight_warning)
        layout.addWidget(QLabel(s["identify_prompt"], alignment=Qt.AlignmentFlag.AlignCenter))
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        for field in self.session.candidate_fields:
            edit = QLineEdit()
            edit.setObjectName(f"field-{field.id}")
            edit.setAccessibleName(field.label)
            edit.returnPressed.connect(self._identify)
            self.fields[field.id] = edit
            label = field.label + ("" if field.required else f" {s['optional']}")
            form.addRow(label, edit)
        holder = QWidget()
        holder.setLayout(form)
        layout.addWidget(holder, alignment=Qt.AlignmentFlag.AlignCenter)
        self.identify_message = _message_label()
        self.identify_message.setObjectName("error")
        layout.addWidget(self.identify_message)
        button = QPushButton(s["continue"])
        button.setObjectName("identify-continue")
        button.clicked.connect(self._identify)
        layout.addWidget(button, alignment=Qt.AlignmentFlag.AlignCenter)
        return page

    def _waiting_screen(self) -> QWidget:
        page, layout = _screen(self.session.header.title)
        self.waiting_text = _message_label()
        layout.addWidget(self.waiting_text)
        self.code = QLineEdit(placeholderText="XXXX-XXXX-XXXX-XXXX")
        self.code.setObjectName("start-code")
        self.code.setAccessibleName("Start code")  # a screen reader names the field, not its mask
        self.code.setAccessibleDescription("Type the start code the invigilator gives you.")
        self.code.returnPressed.connect(self._unlock)
        layout.addWidget(self.code, alignment=Qt.AlignmentFlag.AlignCenter)
        self.code_message = _message_label(3)
        self.code_message.setObjectName("error")
        layout.addWidget(self.code_message)
        self.code_button = QPushButton(self.strings["start"])
        self.code_button.setObjectName("start")
        self.code_button.clicked.connect(self._unlock)
        layout.addWidget(self.code_button, alignment=Qt.AlignmentFlag.AlignCenter)
        self.back_button = QPushButton(self.strings["back_correct"])
        self.back_button.setObjectName("back-correct")
        self.back_button.clicked.connect(self._correct_identification)
        layout.addWidget(self.back_button, alignment=Qt.AlignmentFlag.AlignCenter)
        return page

    def _correct_identification(self) -> None:
        try:
            typed = self.session.correct_identification()
        except KnownError as exc:
            self.code_message.setText(str(exc))
            return
        for field_id, edit in self.fields.items():
            edit.setText(typed.get(field_id, edit.text()))
        self.show_screen("identify")
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus()
            first.selectAll()

    def _instructions_screen(self) -> QWidget:
        page, layout = _screen(self.session.header.title)
        self.instructions = QLabel("")
        self.instructions.setWordWrap(True)
        self.instructions.setTextFormat(Qt.TextFormat.MarkdownText)
        self.instructions.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.instructions.setObjectName("instructions")
        # However long the instructions are, all of them can be read: they scroll (keys too).
        self.instructions_scroll = QScrollArea()
        self.instructions_scroll.setWidget(self.instructions)
        self.instructions_scroll.setWidgetResizable(True)
        self.instructions_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.instructions_scroll.setMinimumHeight(380)
        self.instructions_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.instructions_scroll.viewport().setAutoFillBackground(False)
        self.instructions.setStyleSheet("background: transparent;")
        self.instructions_scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        layout.addWidget(self.instructions_scroll, 1)
        self.begin_message = _message_label(5)  # room for what the invigilator must know
        self.begin_message.setObjectName("error")
        layout.addWidget(self.begin_message)
        self.begin_button = QPushButton(self.strings["begin"])
        self.begin_button.setObjectName("begin")
        self.begin_button.clicked.connect(self._begin)
        layout.addWidget(self.begin_button, alignment=Qt.AlignmentFlag.AlignCenter)
        return page

    def _message_screen(self) -> QWidget:
        page, layout = _screen("")
        self.message_title = page.findChild(QLabel, "title")
        self.message_text = _message_label(6)
        self.message_text.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.message_text)
        self.message_button = QPushButton(self.strings["close"])
        self.message_button.setObjectName("close")
        self.message_button.clicked.connect(self.close)
        layout.addWidget(self.message_button, alignment=Qt.AlignmentFlag.AlignCenter)
        return page

    def _time_up_screen(self) -> QWidget:
        """Shown the moment time runs out: no field and no button, so typing goes nowhere."""
        page, layout = _screen(self.strings["time_up_title"])
        text = _message_label(3)
        text.setText(self.strings["time_up_saving"])
        layout.addWidget(text)
        page.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return page

    def _receipt_screen(self) -> QWidget:
        """The receipt code, large; its one button takes no keyboard focus, so a key still being
        typed from the exam cannot close it."""
        s = self.strings
        page, layout = _screen(s["submitted_heading"])
        intro = _message_label()
        intro.setText(s["receipt_intro"])
        layout.addWidget(intro)
        self.receipt_code = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.receipt_code.setObjectName("receipt-code")
        layout.addWidget(self.receipt_code, alignment=Qt.AlignmentFlag.AlignCenter)
        after = _message_label()
        after.setText(s["receipt_write"])
        layout.addWidget(after)
        self.receipt_warning = _message_label(5)
        self.receipt_warning.setObjectName("warning")
        layout.addWidget(self.receipt_warning)
        self.receipt_close = QPushButton(s["close"])
        self.receipt_close.setObjectName("receipt-close")
        self.receipt_close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.receipt_close.setAutoDefault(False)
        self.receipt_close.clicked.connect(self.close)
        layout.addWidget(self.receipt_close, alignment=Qt.AlignmentFlag.AlignCenter)
        page.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return page

    def show_message(self, title: str, text: str, *, closable: bool) -> None:
        assert self.message_title is not None
        self.message_title.setText(title)
        self.message_text.setText(text)
        self.message_button.setVisible(closable)
        self.show_screen("message")

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
            self.office_key_text.setText(missing_office_key_sentence(self.session))
            self.show_screen("office-key")
            self.override_pin.setFocus()
            return
        self._first_screen()

    def _first_screen(self) -> None:
        try:
            if "preflight" not in self.session.results:  # `exam-desktop launch` ran it already
                self.session.preflight()
        except KnownError as exc:
            self.show_message(self.strings["not_ready_title"], str(exc), closable=True)
            return
        warnings = []  # for the invigilator, on the first screen (nobody reads the terminal)
        if self.session.settings.office_public_key is None:
            warnings.append(self.strings["no_office_key"])
        results = self.session.check_results_folder()
        if results is not None and not results.ok:
            warnings.append(results.message)
        if warnings:
            _set_wrapped(self.preflight_warning, "\n\n".join(warnings))
            self.preflight_warning.show()
        if self.session.resuming:
            self._show_waiting()
        else:
            self.show_screen("identify")
            first = next(iter(self.fields.values()), None)
            if first is not None:
                first.setFocus()

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

    def _identify(self) -> None:
        given = {field_id: edit.text() for field_id, edit in self.fields.items()}
        missing = next(
            (f for f in self.session.candidate_fields if f.required and not given.get(f.id, "").strip()), None
        )
        if missing is not None:  # said in the exam's language (the session checks it again)
            self.identify_message.setText(fill(self.strings["fill_in"], label=missing.label))
            self.fields[missing.id].setFocus()
            return
        try:
            self.session.identify(given)
        except KnownError as exc:
            self.identify_message.setText(str(exc))
            return
        self._show_waiting()

    def _show_waiting(self) -> None:
        who = self.session.candidate
        name = next((v for v in who.values() if v), "")
        key = "welcome_back" if self.session.resuming else "thank_you_wait"
        self.waiting_text.setText(fill(self.strings[key], name=name))
        self.back_button.setVisible(not self.session.resuming)
        self.show_screen("waiting")
        self.code.setFocus()

    def _unlock(self) -> None:
        if not self.code_button.isEnabled():
            return
        try:
            self.session.unlock(self.code.text())
        except TryAgainLater as exc:
            self._wait_for_code(exc.wait_s, self.strings["code_rejected"] if exc.reason else "")
            return
        except StartCodeRejected:
            self.code_message.setText(self.strings["code_rejected"])
            self.code.selectAll()
            return
        except KnownError as exc:
            self.code_message.setText(str(exc))
            self.code.selectAll()
            return
        self.code_message.setText("")
        plan = self.session.plan
        if plan is not None and plan.submitted:  # submitted, then interrupted before the bundle
            self._submitted(self.session.submitted_reason or "candidate")
            return
        self.session.enter_kiosk(self)
        self._show_instructions()

    def _wait_for_code(self, wait_s: float, reason: str) -> None:
        self._code_wait_until = self.session.settings.monotonic() + wait_s
        self._code_text = reason
        self.code_button.setEnabled(False)
        self.code.setEnabled(False)
        self._code_countdown()
        self._code_timer.start()

    def _code_countdown(self) -> None:
        left = self._code_wait_until - self.session.settings.monotonic()
        if left <= 0:
            self._code_timer.stop()
            self.code_button.setEnabled(True)
            self.code.setEnabled(True)
            self.code_message.setText(f"{self._code_text} {self.strings['try_again_now']}".strip())
            self.code.setFocus()
            self.code.selectAll()
            return
        wait = fill(self.strings["wait_seconds"], n=round(left))
        self.code_message.setText(f"{self._code_text} {wait}".strip())

    def _show_instructions(self) -> None:
        exam = self.session.exam
        assert exam is not None
        plan = self.session.plan
        s = self.strings
        if plan is not None and plan.step in ("run", "submit"):
            lines = [f"**{fill(s['time_left_now'], time=format_remaining(plan.remaining_s))}**", ""]
            self.begin_button.setText(s["continue_exam"])
        else:
            lines = [f"**{fill(s['duration'], duration=duration_text(exam.duration_minutes, s))}**", ""]
        lines.append(exam.instructions or s["default_instructions"])
        self.instructions.setText("\n".join(lines))
        spoken = QTextDocument()
        spoken.setMarkdown("\n".join(lines))
        self.instructions.setAccessibleName(spoken.toPlainText())  # read without Markdown's asterisks
        self._update_begin()
        self.show_screen("instructions")
        self.instructions_scroll.setFocus()  # arrow keys and Page Down scroll; Tab reaches Begin

    def _update_begin(self) -> None:
        needs = self.session.needs_invigilator
        self.begin_button.setEnabled(not needs)
        if needs:
            self.begin_message.setText(self.session.invigilator_needed_sentence())
        else:
            self.begin_message.setText("")

    def _begin(self) -> None:
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
                page=self.page,
                content=packaged_content(opened.figures, opened.images),  # drawn at build, from memory
            )
        except KnownError as exc:
            self.begin_message.setText(str(exc))
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
        self._add("exam", window)
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
                self.exam_window.show_notice(str(exc))
            return
        self._apply_desk_state()

    def _submitted(self, reason: str) -> None:
        self.heartbeat_timer.stop()
        hold = reason in ("time", "invigilator") and self.current == "exam"
        if hold:  # the candidate may be typing: first a screen that takes no keys
            self.show_screen("time-up")
            self.screens["time-up"].setFocus()
        try:
            written = self.session.submit(reason)
        except KnownError as exc:
            # The answers stay in the answer file; the next launch tries to write the results again.
            self.show_message(self.strings["saved_here_title"], str(exc), closable=True)
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
        self.receipt_code.setText(written.receipt)
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
        _set_wrapped(self.receipt_warning, "\n\n".join(notes))
        self.receipt_warning.setVisible(bool(notes))
        self._receipt_collected = self.session.collected_by_room

    def _show_receipt(self) -> None:
        self.show_screen("receipt")
        self.screens["receipt"].setFocus()

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
            self.panel.message.setText(str(exc))
            return
        self.heartbeat_timer.stop()
        self.release()
        window = self.exam_window
        if window is not None:
            self.stack.removeWidget(window)
            self.screens.pop("exam", None)
            window.close()
            window.deleteLater()
        self.exam_window = None
        self.finished = False
        self.page = ExamPage()  # a fresh page: nothing of the previous candidate stays in it
        for edit in self.fields.values():
            edit.clear()
        self.identify_message.setText("")
        self.code.clear()
        self.code_message.setText("")
        self._before_panel = "identify"
        self.panel.close_panel()
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus()

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
        self.code.setText(code)
        self._unlock()
        if self.session.exam is None:
            raise KnownError(self.code_message.text() or "The start code was refused.")

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


def show_refusal(text: str) -> None:
    """Say on screen why the exam cannot start (a kiosk session has no terminal to print to)."""
    from exam_desktop.gui.application import qt_application

    app = qt_application()
    window = QWidget(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
    window.setObjectName("kiosk")
    window.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
    window.setStyleSheet(STYLE)
    page, column = _screen("The exam cannot start")
    message = _message_label(6)
    message.setText(text)
    column.addWidget(message)
    close = QPushButton("Close")
    close.clicked.connect(window.close)
    column.addWidget(close, alignment=Qt.AlignmentFlag.AlignCenter)
    layout = QVBoxLayout(window)
    layout.addWidget(page)
    window.showFullScreen()
    app.exec()
