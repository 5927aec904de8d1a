"""The invigilator panel: a PIN prompt, then extend / pause / resume / unlock / end / permit quitting.

Opened inside the kiosk with Ctrl+Alt+Shift+I (gui/kiosk.py). Every action needs the invigilator's
name and a typed reason; the core desk (core/seat/invigilator.py) journals it. Wrong PINs wait longer
and longer, like wrong start codes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from exam_desktop.core.errors import KnownError
from exam_desktop.core.seat.session import Backoff, ExamSession

SHORTCUT = "Ctrl+Alt+Shift+I"


class InvigilatorPanel(QWidget):
    """PIN prompt and action buttons for one session; emits `acted(action)` and `closed`."""

    acted = Signal(str)  # "extend" | "pause" | "resume" | "unlock" | "end" | "permit-quit" | "continue"
    closed = Signal()

    def __init__(self, session: ExamSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.backoff = Backoff(free=2, base_s=10, monotonic=session.settings.monotonic)
        self.setObjectName("invigilator")
        self.stack = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.stack.addWidget(self._pin_page())
        self.stack.addWidget(self._actions_page())

    # ---------------------------------------------------------------------------- pages

    def _pin_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        title = QLabel("<h2>Invigilator</h2>Type the invigilator PIN.")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin = QLineEdit(echoMode=QLineEdit.EchoMode.Password, placeholderText="PIN")
        self.pin.setMaximumWidth(240)
        self.pin.setAccessibleName("Invigilator PIN")
        self.pin.returnPressed.connect(self.check_pin)
        self.pin_message = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.pin_message.setObjectName("error")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.pin_ok = QPushButton("Open panel")
        self.pin_ok.clicked.connect(self.check_pin)
        back = QPushButton("Back to the exam")
        back.clicked.connect(self.close_panel)
        buttons.addWidget(self.pin_ok)
        buttons.addWidget(back)
        buttons.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(self.pin, alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.pin_message)
        layout.addLayout(buttons)
        layout.addStretch(2)
        return page

    def _actions_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.status = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.status)
        form = QFormLayout()
        self.who = QLineEdit(placeholderText="your name or initials")
        self.reason = QLineEdit(placeholderText="why (recorded in the exam journal)")
        self.who.setAccessibleName("Invigilator name or initials")
        self.reason.setAccessibleName("Reason, recorded in the exam journal")
        self.minutes = QSpinBox(minimum=1, maximum=480, value=10, suffix=" min")
        form.addRow("Invigilator", self.who)
        form.addRow("Reason", self.reason)
        form.addRow("Extra time", self.minutes)
        holder = QWidget()
        holder.setLayout(form)
        holder.setMaximumWidth(640)
        layout.addWidget(holder, alignment=Qt.AlignmentFlag.AlignCenter)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        actions = [
            ("extend", "Extend time"),
            ("pause", "Pause"),
            ("resume", "Resume"),
            ("unlock", "Unlock screen"),
            ("continue", "Continue after interruption"),
            ("permit-quit", "Permit quitting"),
            ("end", "End exam now"),
        ]
        for index, (action, label) in enumerate(actions):
            button = QPushButton(label)
            button.setObjectName(action)
            button.clicked.connect(lambda _=False, a=action: self.act(a))
            self.buttons[action] = button
            grid.addWidget(button, index // 3, index % 3)
        close = QPushButton("Close panel")
        close.clicked.connect(self.close_panel)
        grid.addWidget(close, len(actions) // 3 + 1, 2)
        layout.addLayout(grid)
        self.message = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.message)
        layout.addStretch(2)
        return page

    # ---------------------------------------------------------------------------- behaviour

    def open_panel(self) -> None:
        """Show the PIN prompt (the desk closes again whenever the panel closes)."""
        self.pin.clear()
        self.pin_message.setText("")
        self.stack.setCurrentIndex(0)
        self.pin.setFocus()

    def close_panel(self) -> None:
        if self.session.desk is not None:
            self.session.desk.close()
        self.pin.clear()
        self.reason.clear()
        self.message.setText("")
        self.closed.emit()

    def check_pin(self) -> None:
        desk = self.session.desk
        wait = self.backoff.wait_s()
        if wait > 0:
            self.pin_message.setText(f"Too many wrong PINs: wait {round(wait)} seconds.")
            return
        if desk is None:
            self.pin_message.setText("The exam has not started on this machine yet.")
            return
        try:
            desk.open(self.pin.text())
        except KnownError as exc:
            wait = self.backoff.failed()
            extra = f" Wait {round(wait)} seconds before the next try." if wait else ""
            self.pin_message.setText(f"{exc}{extra}")
            self.pin.selectAll()
            if wait:
                self.pin_ok.setEnabled(False)
                QTimer.singleShot(int(wait * 1000), lambda: self.pin_ok.setEnabled(True))
            return
        self.backoff.succeeded()
        self.pin.clear()
        self.refresh()
        self.stack.setCurrentIndex(1)
        self.who.setFocus()

    def refresh(self) -> None:
        session, desk = self.session, self.session.desk
        clock = session.clock
        state = desk.state if desk else None
        parts = [", ".join(f"{v}" for v in session.candidate.values())]
        if clock is not None:
            parts.append(f"{round(clock.remaining() / 60)} min left")
            if clock.extension_s:
                parts.append(f"extended by {round(clock.extension_s / 60)} min")
        if state and state.paused:
            parts.append("PAUSED")
        if state and state.locked:
            parts.append(f"LOCKED ({state.lock_reason})")
        if session.needs_invigilator:
            parts.append("waiting for you to continue after an interruption")
        self.status.setText("<h2>Invigilator panel</h2>" + " · ".join(p for p in parts if p))
        running = clock is not None
        self.buttons["extend"].setEnabled(running and desk is not None and desk.extra_time_allowed)
        self.buttons["pause"].setEnabled(running and not (state and state.paused))
        self.buttons["resume"].setEnabled(running and bool(state and state.paused))
        self.buttons["unlock"].setEnabled(bool(state and state.locked))
        self.buttons["continue"].setEnabled(session.needs_invigilator)
        self.buttons["end"].setEnabled(running)

    def act(self, action: str) -> None:
        desk = self.session.desk
        assert desk is not None
        who, reason = self.who.text(), self.reason.text()
        try:
            if action == "extend":
                desk.extend(self.minutes.value() * 60, who, reason)
            elif action == "pause":
                desk.pause(who, reason)
            elif action == "resume":
                desk.resume(who, reason)
            elif action == "unlock":
                desk.unlock(who, reason)
            elif action == "continue":
                self.session.approve_downtime(who, reason)
            elif action == "permit-quit":
                desk.permit_quit(who, reason)
            elif action == "end":
                desk.end(who, reason)
        except KnownError as exc:
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(str(exc))
            return
        self.message.setStyleSheet("color: #1b5e20;")
        self.message.setText(f"Done: {self.buttons[action].text().lower()}.")
        self.reason.clear()
        self.refresh()
        self.acted.emit(action)
