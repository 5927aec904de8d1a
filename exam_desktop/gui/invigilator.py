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
from exam_desktop.core.page.strings import fill, said, strings_for
from exam_desktop.core.seat.session import Backoff, ExamSession

SHORTCUT = "Ctrl+Alt+Shift+I"
# Actions that cannot be taken back ask once more, saying what they do (texts "inv_confirm_<action>").
CONFIRM = ("end", "permit-quit", "new-candidate", "continue")


class InvigilatorPanel(QWidget):
    """PIN prompt and action buttons for one session; emits `acted(action)` and `closed`."""

    acted = Signal(str)  # "extend" | "pause" | "resume" | "unlock" | "end" | "permit-quit" | "continue"
    closed = Signal()

    def __init__(self, session: ExamSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.s = strings_for(session.header.language)
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
        title = QLabel(f"<h2>{self.s['inv_pin_title']}</h2>{self.s['inv_pin_prompt']}")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin = QLineEdit(echoMode=QLineEdit.EchoMode.Password, placeholderText=self.s["inv_pin"])
        self.pin.setMaximumWidth(240)
        self.pin.setAccessibleName("Invigilator PIN")
        self.pin.returnPressed.connect(self.check_pin)
        self.pin_message = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.pin_message.setObjectName("error")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.pin_ok = QPushButton(self.s["inv_open"])
        self.pin_ok.clicked.connect(self.check_pin)
        back = QPushButton(self.s["inv_back"])
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
        self.who = QLineEdit(placeholderText=self.s["inv_who_hint"])
        self.reason = QLineEdit(placeholderText=self.s["inv_reason_hint"])
        self.who.setAccessibleName(self.s["inv_who"])
        self.reason.setAccessibleName(self.s["inv_reason"])
        self.minutes = QSpinBox(minimum=1, maximum=480, value=10, suffix=self.s["inv_min"])
        form.addRow(self.s["inv_who"], self.who)
        form.addRow(self.s["inv_reason"], self.reason)
        form.addRow(self.s["inv_extra"], self.minutes)
        holder = QWidget()
        holder.setLayout(form)
        holder.setMaximumWidth(640)
        layout.addWidget(holder, alignment=Qt.AlignmentFlag.AlignCenter)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        actions = ["extend", "pause", "resume", "unlock", "continue", "permit-quit", "end", "new-candidate"]
        for index, action in enumerate(actions):
            button = QPushButton(self.s[f"inv_{action}"])
            button.setObjectName(action)
            button.clicked.connect(lambda _=False, a=action: self.act(a))
            self.buttons[action] = button
            grid.addWidget(button, index // 3, index % 3)
        close = QPushButton(self.s["inv_close"])
        close.clicked.connect(self.close_panel)
        grid.addWidget(close, len(actions) // 3 + 1, 2)
        layout.addLayout(grid)
        self.extend_note = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.extend_note.setWordWrap(True)
        self.extend_note.setObjectName("extend-note")
        layout.addWidget(self.extend_note)
        self.confirm_box = QWidget()
        self.confirm_box.setObjectName("confirm")
        confirm = QVBoxLayout(self.confirm_box)
        self.confirm_text = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.confirm_text.setWordWrap(True)
        self.confirm_text.setStyleSheet("font-weight: 600; color: #7a1f00;")
        confirm.addWidget(self.confirm_text)
        row = QHBoxLayout()
        row.addStretch(1)
        self.confirm_yes = QPushButton("")
        self.confirm_yes.setObjectName("confirm-yes")
        self.confirm_yes.clicked.connect(self.confirm_pending)
        self.confirm_no = QPushButton(self.s["cancel"])
        self.confirm_no.setObjectName("confirm-no")
        self.confirm_no.clicked.connect(self.cancel_pending)
        row.addWidget(self.confirm_no)
        row.addWidget(self.confirm_yes)
        row.addStretch(1)
        confirm.addLayout(row)
        self.confirm_box.hide()
        self.pending: str | None = None
        layout.addWidget(self.confirm_box)
        self.message = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
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
        self.cancel_pending()
        self.closed.emit()

    def check_pin(self) -> None:
        desk = self.session.desk
        wait = self.backoff.wait_s()
        if wait > 0:
            self.pin_message.setText(fill(self.s["inv_wait_pins"], n=round(wait)))
            return
        if desk is None:
            self.pin_message.setText(self.s["inv_not_started"])
            return
        try:
            desk.open(self.pin.text())
        except KnownError as exc:
            wait = self.backoff.failed()
            extra = " " + fill(self.s["inv_pin_wait"], n=round(wait)) if wait else ""
            self.pin_message.setText(said(exc, self.s) + extra)
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
        s = self.s
        if clock is not None:
            parts.append(fill(s["inv_left"], n=round(clock.remaining() / 60)))
            if clock.extension_s:
                parts.append(fill(s["inv_extended"], n=round(clock.extension_s / 60)))
        if state and state.paused:
            parts.append(s["inv_paused"])
        if state and state.locked:
            parts.append(fill(s["inv_locked"], why=state.lock_reason))
        if state and state.on_break:
            parts.append(s["inv_on_break"])
        if state and state.quit_permitted:
            parts.append(s["inv_quit_permitted"])
        if session.needs_invigilator:
            parts.append(s["inv_waiting_continue"])
        self.status.setText(f"<h2>{s['inv_panel']}</h2>" + " · ".join(p for p in parts if p))
        submitted = session.written is not None or session.submitted_reason is not None
        running = clock is not None and not submitted
        allowed = desk is not None and desk.extra_time_allowed
        self.buttons["extend"].setEnabled(running and allowed)
        if not allowed:
            why = self.s["inv_extend_off"]
        elif clock is None:
            why = self.s["inv_extend_not_started"]
        else:
            why = ""
        self.buttons["extend"].setToolTip(why)
        self.extend_note.setText(why)
        self.extend_note.setVisible(bool(why))
        self.buttons["pause"].setEnabled(running and not (state and state.paused))
        self.buttons["resume"].setEnabled(running and bool(state and state.paused))
        self.buttons["unlock"].setEnabled(bool(state and state.locked))
        self.buttons["continue"].setEnabled(session.needs_invigilator)
        self.buttons["end"].setEnabled(running)
        self.buttons["new-candidate"].setEnabled(session.written is not None)

    def act(self, action: str, *, confirmed: bool = False) -> None:
        """Take `action`; one that cannot be taken back first asks for confirmation (`confirm_pending`)."""
        desk = self.session.desk
        assert desk is not None
        if action in CONFIRM and not confirmed:
            candidate = (
                ", ".join(v for v in self.session.candidate.values() if v) or self.s["inv_this_candidate"]
            )
            self.pending = action
            self.confirm_text.setText(fill(self.s[f"inv_confirm_{action}"], who=candidate))
            self.confirm_yes.setText(fill(self.s["inv_yes"], action=self.buttons[action].text().lower()))
            self.confirm_box.show()
            self.confirm_no.setFocus()  # Enter on a stray key press cancels, never confirms
            return
        self.cancel_pending()
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
            elif action == "new-candidate":
                self.acted.emit(action)  # the kiosk archives the session and starts over
                return
        except KnownError as exc:
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(said(exc, self.s))
            return
        self.message.setStyleSheet("color: #1b5e20;")
        self.message.setText(fill(self.s["inv_done"], action=self.buttons[action].text().lower()))
        self.reason.clear()
        self.refresh()
        self.acted.emit(action)

    def confirm_pending(self) -> None:
        """The invigilator confirmed the action that asked for it."""
        action = self.pending
        if action is not None:
            self.act(action, confirmed=True)

    def cancel_pending(self) -> None:
        self.pending = None
        self.confirm_box.hide()
