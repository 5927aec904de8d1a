"""The kiosk: a frameless, stay-on-top, full-screen window on every screen for a proctored session.

Screens, in order: identification (fields from the package header) → waiting for the start code
(wrong codes: a clear message and growing waits) → instructions → the exam (`ExamWindow`, embedded)
→ the receipt. A relaunch after a crash goes straight to the start code ("welcome back").

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
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from exam_desktop.core.errors import KnownError
from exam_desktop.core.page.figures import packaged_content
from exam_desktop.core.seat.incidents import warning_text
from exam_desktop.core.seat.session import ExamSession, TryAgainLater
from exam_desktop.gui.crash import crash_handler
from exam_desktop.gui.exam_page import ExamPage
from exam_desktop.gui.exam_window import ExamWindow, format_remaining
from exam_desktop.gui.invigilator import SHORTCUT, InvigilatorPanel

log = logging.getLogger(__name__)

HEARTBEAT_MS = 1000
COLUMN_WIDTH = 700
LOCK_TEXT = "This screen is locked because {why}. Please call the invigilator."
LOCK_REASONS = {
    "focus-lost": "another window took the keyboard",
    "window-hidden": "the exam window was hidden",
    "resized": "the exam window changed size",
    "screen-added": "a screen was connected",
    "screen-removed": "a screen was disconnected",
    "foreign-paste": "text from outside the exam was pasted",
    "clock-jump": "the computer's clock was changed",
}
PAUSE_TEXT = "The invigilator has paused the exam. Your time is not running."
STYLE = """
QWidget#kiosk { background: #f4f5f7; }
QLabel, QLineEdit, QPushButton, QSpinBox { font-size: 17px; }
QLineEdit, QSpinBox { padding: 6px; min-width: 320px; }
QPushButton { padding: 8px 22px; }
QLabel#error { color: #b00020; }
QLabel#title { font-size: 28px; font-weight: 600; }
QWidget#cover { background: #1f2430; }
QWidget#cover QLabel { color: white; font-size: 22px; }
"""


def _message_label(lines: int = 2) -> QLabel:
    """A centred, wrapped label with room for `lines` lines (errors and notes)."""
    label = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setMinimumHeight(label.fontMetrics().lineSpacing() * lines + 8)
    return label


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

    def __init__(self, screen: QScreen):
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("cover")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(STYLE)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Exam in progress", alignment=Qt.AlignmentFlag.AlignCenter))
        self.setScreen(screen)
        self.setGeometry(screen.geometry())


class KioskWindow(QWidget):
    """One proctored session, full screen. Emits `shown_screen(name)` on every screen change."""

    shown_screen = Signal(str)  # identify | waiting | instructions | exam | invigilator | message
    exam_ready = Signal()

    def __init__(self, session: ExamSession, *, full_screen: bool = True):
        super().__init__(None, Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        self.session = session
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
        self._add("identify", self._identify_screen())
        self._add("waiting", self._waiting_screen())
        self._add("instructions", self._instructions_screen())
        self._add("message", self._message_screen())
        self.panel = InvigilatorPanel(session)
        self.panel.closed.connect(self._panel_closed)
        self.panel.acted.connect(self._invigilator_acted)
        self._add("invigilator", self.panel)

        self.heartbeat_timer = QTimer(self, interval=HEARTBEAT_MS)
        self.heartbeat_timer.timeout.connect(self._heartbeat)
        self._code_timer = QTimer(self, interval=1000)
        self._code_timer.timeout.connect(self._code_countdown)

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

    def _identify_screen(self) -> QWidget:
        page, layout = _screen(self.session.header.title)
        layout.addWidget(QLabel("Please identify yourself.", alignment=Qt.AlignmentFlag.AlignCenter))
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}
        for field in self.session.candidate_fields:
            edit = QLineEdit()
            edit.setObjectName(f"field-{field.id}")
            edit.setAccessibleName(field.label)
            edit.returnPressed.connect(self._identify)
            self.fields[field.id] = edit
            label = field.label + ("" if field.required else " (optional)")
            form.addRow(label, edit)
        holder = QWidget()
        holder.setLayout(form)
        layout.addWidget(holder, alignment=Qt.AlignmentFlag.AlignCenter)
        self.identify_message = _message_label()
        self.identify_message.setObjectName("error")
        layout.addWidget(self.identify_message)
        button = QPushButton("Continue")
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
        self.code_button = QPushButton("Start")
        self.code_button.setObjectName("start")
        self.code_button.clicked.connect(self._unlock)
        layout.addWidget(self.code_button, alignment=Qt.AlignmentFlag.AlignCenter)
        return page

    def _instructions_screen(self) -> QWidget:
        page, layout = _screen(self.session.header.title)
        self.instructions = _message_label(4)
        self.instructions.setTextFormat(Qt.TextFormat.MarkdownText)
        layout.addWidget(self.instructions)
        self.begin_message = _message_label(3)
        self.begin_message.setObjectName("error")
        layout.addWidget(self.begin_message)
        self.begin_button = QPushButton("Begin the exam")
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
        self.message_button = QPushButton("Close")
        self.message_button.setObjectName("close")
        self.message_button.clicked.connect(self.close)
        layout.addWidget(self.message_button, alignment=Qt.AlignmentFlag.AlignCenter)
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
        """Show the kiosk and run the preflight; then the first screen the session needs."""
        self.show_kiosk()
        try:
            if "preflight" not in self.session.results:  # `exam-desktop launch` ran it already
                self.session.preflight()
        except KnownError as exc:
            self.show_message("This machine is not ready", str(exc), closable=True)
            return
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
        try:
            self.session.identify(given)
        except KnownError as exc:
            self.identify_message.setText(str(exc))
            return
        self._show_waiting()

    def _show_waiting(self) -> None:
        who = self.session.candidate
        name = next((v for v in who.values() if v), "")
        if self.session.resuming:
            text = f"Welcome back, {name}. Your answers are saved. Type the start code again to continue."
        else:
            text = f"Thank you, {name}. Wait for the invigilator to give the start code, then type it here."
        self.waiting_text.setText(text)
        self.show_screen("waiting")
        self.code.setFocus()

    def _unlock(self) -> None:
        if not self.code_button.isEnabled():
            return
        try:
            self.session.unlock(self.code.text())
        except TryAgainLater as exc:
            self._wait_for_code(exc.wait_s, exc.reason)
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
            self.code_message.setText(f"{self._code_text} You can try again now.")
            self.code.setFocus()
            self.code.selectAll()
            return
        self.code_message.setText(f"{self._code_text} Too many wrong codes: wait {round(left)} seconds.")

    def _show_instructions(self) -> None:
        exam = self.session.exam
        assert exam is not None
        plan = self.session.plan
        if plan is not None and plan.step in ("run", "submit"):
            lines = [f"**Time left: {format_remaining(plan.remaining_s)}**", ""]
            self.begin_button.setText("Continue the exam")
        else:
            hours, minutes = divmod(exam.duration_minutes, 60)
            duration = f"{hours} h {minutes:02d} min" if hours else f"{minutes} minutes"
            lines = [f"**Duration: {duration}**", ""]
        lines.append(exam.instructions or "Answer every question. Your answers are saved at once.")
        self.instructions.setText("\n".join(lines))
        spoken = QTextDocument()
        spoken.setMarkdown("\n".join(lines))
        self.instructions.setAccessibleName(spoken.toPlainText())  # read without Markdown's asterisks
        self._update_begin()
        self.show_screen("instructions")

    def _update_begin(self) -> None:
        needs = self.session.needs_invigilator
        self.begin_button.setEnabled(not needs)
        if needs and self.session.plan is not None:
            minutes = round(self.session.plan.downtime_s / 60)
            self.begin_message.setText(
                f"The exam was interrupted for about {minutes} minutes. Please call the "
                "invigilator to continue; the interruption does not count against your time."
            )
        else:
            self.begin_message.setText("")

    def _begin(self) -> None:
        try:
            clock = self.session.run()
        except KnownError as exc:
            self.begin_message.setText(str(exc))
            return
        opened = self.session.opened
        assert self.session.exam is not None and opened is not None
        window = ExamWindow(
            self.session.exam,
            self.session.saving,
            clock,
            page=self.page,
            content=packaged_content(opened.figures, opened.images),  # drawn at build, from memory
        )
        window.setWindowFlags(Qt.WindowType.Widget)
        window.ready.connect(self._exam_ready)
        window.submitted.connect(self._submitted)
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

    def _submitted(self, reason: str) -> None:
        self.heartbeat_timer.stop()
        try:
            written = self.session.submit(reason)
        except KnownError as exc:
            # The answers stay in the answer file; the next launch tries to write the results again.
            self.show_message("Your answers are saved on this machine", str(exc), closable=True)
            return
        self.finished = True
        text = (
            f"Your answers were submitted. Your receipt code is <b>{written.receipt}</b>: "
            "write it on the attendance sheet."
        )
        if self.session.results_warning:
            text += f"<br><br>{self.session.results_warning}"
        self.show_message("Submitted", text, closable=True)

    def _heartbeat(self) -> None:
        self.session.heartbeat()
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
        if action == "continue":
            self._update_begin()
        elif action == "end" and window is not None:
            self.show_screen("exam")
            window.submit("invigilator")
            return
        elif action == "extend" and window is not None:
            window.tick()
            window.show_notice("The invigilator gave you extra time.")
        self._apply_desk_state()

    def _apply_desk_state(self) -> None:
        desk, window = self.session.desk, self.exam_window
        if desk is None or window is None:
            return
        clock = self.session.clock
        if desk.state.paused:
            if clock is not None and clock.running:
                clock.pause()
            window.set_locked(True, PAUSE_TEXT)
        elif desk.state.locked:
            why = LOCK_REASONS.get(desk.state.lock_reason, "of an incident")
            window.set_locked(True, LOCK_TEXT.format(why=why))
        else:
            window.set_locked(False)

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
            window.show_notice(warning_text(kind))
        elif action == "lock":
            self._apply_desk_state()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if not self.may_close():
            event.ignore()
            if self.exam_window is not None:
                self.exam_window.show_notice("The exam window cannot be closed during the exam.")
            self.session.journal("close_refused", {})
            return
        self.heartbeat_timer.stop()
        if self.exam_window is not None:
            self.exam_window.close()
        for cover in self.covers.values():
            cover.close()
        self.session.close()
        super().closeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
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

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.WindowStateChange and self.isMinimized():
            self.report("window-hidden", {"how": "minimized"})
            if self.engaged and self.full_screen:
                QTimer.singleShot(0, self.showFullScreen)
        super().changeEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        if event.spontaneous():
            self.report("window-hidden", {"how": "hidden"})
        super().hideEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        size = (event.size().width(), event.size().height())
        if self.engaged and self._last_size is not None and size != self._last_size:
            self.report("resized", {"from": list(self._last_size), "to": list(size)})
        self._last_size = size
        super().resizeEvent(event)

    def _cover(self, screen: QScreen) -> None:
        cover = CoverWindow(screen)
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


def _size(screen: QScreen) -> list[int]:
    geometry = screen.geometry()
    return [geometry.width(), geometry.height()]


def open_kiosk(session: ExamSession, *, full_screen: bool = True) -> KioskWindow:
    """Create the kiosk for `session` and start it (the caller runs the Qt event loop)."""
    kiosk = KioskWindow(session, full_screen=full_screen)
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
