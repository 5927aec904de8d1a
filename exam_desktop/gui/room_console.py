"""The room console window: every seat of the room on one screen, and the room's actions.

A thin Qt layer on the room's engine (exam_desktop/room/): `RoomConsole` keeps the connection to the
broker, verifies what seats send and signs what the invigilator sends; `RoomView` holds one row per
seat, sorted so that seats needing attention come first (locked, offline, error, not saving, hand
raised), and the room's feed. This window shows them:

- a table (`SeatTableModel`, a `QTableView`) with a colour and an icon per state and the reasons a
  seat needs attention, filterable by text and by state;
- the feed of incidents, actions, acknowledgements, raised hands and collected results;
- the room clock, which goes full screen for the projector (`ProjectorClock`);
- the actions, on the selected seats or on all of them, each asking for a typed reason (and, when it
  cannot be undone, a confirmation): start, extend, pause, resume, unlock, end, permit quitting,
  announce, acknowledge a raised hand.

The engine calls its listeners on the network thread; the window only sets a flag there. The
table's rows are built from the view on a thread of their own (`room.view.ViewSnapshots`), and the
window's thread, from a timer, only copies the cells that changed into Qt's own item model; painting
the table runs no Python. So the interface never waits for the network nor for the room's size.
"""

from __future__ import annotations

import gc
import getpass
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QCloseEvent,
    QColor,
    QFont,
    QIcon,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from exam_desktop.core.errors import KnownError
from exam_desktop.room.console import RoomConsole
from exam_desktop.room.view import ViewSnapshots

log = logging.getLogger(__name__)

REFRESH_MS = 250  # the rows are rebuilt at most this often (on their own thread)
TAKE_MS = 50  # how often this window looks for rows built meanwhile
FEED_SHOWN = 300  # feed entries kept in the list
Index = QModelIndex | QPersistentModelIndex

# state -> (label, colour of its icon); attention reasons override the row's colour.
STATES: dict[str, tuple[str, str]] = {
    "preflight": ("Preflight", "#7a8794"),
    "identified": ("Identified", "#4f7cac"),
    "waiting": ("Waiting for start", "#4f7cac"),
    "running": ("Running", "#2e7d32"),
    "paused": ("Paused", "#6d4c9f"),
    "locked": ("Locked", "#c62828"),
    "submitted": ("Submitted", "#1565c0"),
    "exported": ("Submitted", "#1565c0"),
    "crashed-resumed": ("Running (resumed)", "#2e7d32"),
    "offline": ("Offline", "#616161"),
    "unknown": ("Unknown", "#9e9e9e"),
}
ATTENTION_COLOURS = {  # row backgrounds: light enough for black text (contrast > 7:1)
    "locked": "#fde0e0",
    "offline": "#e6e6e6",
    "error": "#fde0e0",
    "not saving": "#ffe9cc",
    "hand raised": "#fff4c2",
}
FEED_COLOURS = {"incident": "#b71c1c", "hand": "#8a6100", "refused": "#b71c1c", "action": "#0d47a1"}
COMMAND_NUMBER = re.compile(r"(?<=\()#\d{6,}, | #\d{6,}")
FILTERS = ("All seats", "Needs attention", "Running", "Waiting", "Submitted", "Not collected", "Offline")


def state_icon(colour: str, mark: str = "") -> QIcon:
    """A filled circle in `colour`, with a white mark drawn in it."""
    pixmap = QPixmap(18, 18)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 16, 16)
    if mark:
        painter.setPen(QColor("white"))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(11)
        painter.setFont(font)
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, mark)
    painter.end()
    return QIcon(pixmap)


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# -------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Column:
    key: str
    title: str


COLUMNS = (
    Column("seat", "Seat"),
    Column("candidate", "Candidate"),
    Column("state", "State"),
    Column("answered", "Answered"),
    Column("time_left", "Time left"),
    Column("saved", "Last save"),
    Column("online", "Network"),
    Column("results", "Results"),
    Column("attention", "Needs attention"),
)


@dataclass(frozen=True)
class ShownRow:
    """One seat as the table shows it, made off the window's thread (`shown_row`): plain Python."""

    seat: str
    data: dict[str, Any]  # the seat's `room status --json` object
    texts: tuple[str, ...]  # one per column
    icon: tuple[str, str]  # colour, mark
    background: str  # "" or an attention colour
    tooltip: str
    sort_key: str  # attention rank, then seat name: the order of RoomView.rows()
    filter_key: str  # changes whenever a filter's answer for this seat may change


def shown_row(data: dict[str, Any], rank: int) -> ShownRow:
    """What one seat's row shows (ViewSnapshots calls it on its own thread)."""
    attention = data["attention"]
    return ShownRow(
        seat=data["seat"],
        data=data,
        texts=tuple(cell_text(data, column.key) for column in COLUMNS),
        icon=icon_key(data),
        background=ATTENTION_COLOURS[attention[0]] if attention else "",
        tooltip=tooltip_text(data),
        sort_key=f"{rank}:{data['seat']}",
        filter_key="|".join(
            (
                data["state"],
                ",".join(attention),
                str(data["submitted"]),
                str(data["collected"]),
                str(data["online"]),
                cell_text(data, "candidate"),
            )
        ),
    )


def cell_text(row: dict[str, Any], key: str) -> str:
    if key == "seat":
        return str(row["seat"])
    if key == "candidate":
        who = row.get("candidate") or {}
        name = str(who.get("name") or "")
        student = str(who.get("student_id") or "")
        return f"{name} ({student})" if name and student else name or student or "–"
    if key == "state":
        label = STATES.get(row["state"], (row["state"].capitalize(), ""))[0]
        if row["state"] == "locked" and row.get("latest_incident"):
            label += f" — {row['latest_incident']}"
        return label
    if key == "answered":
        return f"{row['answered']} of {row['questions']}" if row.get("questions") else "–"
    if key == "time_left":
        if row["submitted"]:
            return "ended"
        text = clock_text(row["time_left_s"])
        if row.get("extensions_s"):
            text += f" (+{round(row['extensions_s'] / 60)} min)"
        return text
    if key == "saved":
        age = row["last_save_age_s"]
        return "–" if age is None else ("just now" if age < 5 else f"{clock_text(age)} ago")
    if key == "online":
        return "online" if row["online"] else f"offline since {row['offline_since'] or '?'}"
    if key == "results":
        if row["collected"]:
            return f"collected ({row['receipt']})" if row.get("receipt") else "collected"
        return "NOT collected" if row["submitted"] else "–"
    if key == "attention":
        reasons = list(row["attention"])
        if row.get("errors"):
            reasons.append("; ".join(str(e) for e in row["errors"]))
        if not row.get("genuine", True):
            reasons.append("a status not signed by this session")
        return ", ".join(reasons)
    return ""


def icon_key(row: dict[str, Any]) -> tuple[str, str]:
    attention = row["attention"]
    if "locked" in attention:
        return ("#c62828", "!")
    if "offline" in attention:
        return ("#616161", "×")
    if "hand raised" in attention:
        return ("#b88600", "?")
    if "error" in attention or "not saving" in attention:
        return ("#e65100", "!")
    colour = STATES.get(row["state"], ("", "#9e9e9e"))[1]
    return (colour, "✓" if row["submitted"] else "")


def tooltip_text(row: dict[str, Any]) -> str:
    lines = [f"{row['seat']}: {STATES.get(row['state'], (row['state'], ''))[0]}"]
    if row.get("ends_at"):
        lines.append(f"ends at {time.strftime('%H:%M:%S', time.localtime(row['ends_at']))}")
    if row.get("incidents"):
        lines.append(f"{row['incidents']} incident(s), latest: {row.get('latest_incident')}")
    if row.get("flagged"):
        lines.append(f"{row['flagged']} flagged")
    return "\n".join(lines)


ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
RIGHT_ALIGNED = {i for i, column in enumerate(COLUMNS) if column.key in ("answered", "time_left", "saved")}
STATE_COLUMN = next(i for i, column in enumerate(COLUMNS) if column.key == "state")


class SeatTableModel(QStandardItemModel):
    """The room's seats, one row per seat in the order they first reported; `SeatFilter` on top
    of it sorts them by attention (SORT_ROLE) and filters them.

    The cells live in Qt (QStandardItem), so painting the table calls no Python. `show(snapshot)`
    copies what changed since the last snapshot: each changed cell emits `dataChanged` for itself
    alone (a row that moves up emits a sort-key change, which the proxy turns into a move); the
    model is never reset. `rows` is the room in attention order, as plain dicts."""

    SEAT_ROLE = Qt.ItemDataRole.UserRole + 1
    SORT_ROLE = Qt.ItemDataRole.UserRole + 2
    FILTER_ROLE = Qt.ItemDataRole.UserRole + 3

    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels([column.title for column in COLUMNS])
        self.rows: list[dict[str, Any]] = []  # attention order
        self.by_source_row: list[dict[str, Any]] = []  # this model's row order
        self._shown: dict[str, ShownRow] = {}
        self._row_of: dict[str, int] = {}
        self._icons: dict[tuple[str, str], QIcon] = {}
        self._brushes: dict[str, QBrush] = {}

    def seat_row(self, seat: str) -> dict[str, Any] | None:
        shown = self._shown.get(seat)
        return shown.data if shown else None

    def show(self, rows: list[ShownRow]) -> int:
        """Bring the table to `rows` (attention order); returns how many cells changed."""
        changed = 0
        for row in rows:
            at = self._row_of.get(row.seat)
            if at is None:
                self._add(row)
                continue
            old = self._shown[row.seat]
            if old == row:
                continue
            self._shown[row.seat] = row
            self.by_source_row[at] = row.data
            for column, text in enumerate(row.texts):
                if text != old.texts[column]:
                    self.item(at, column).setData(text, Qt.ItemDataRole.DisplayRole)
                    changed += 1
            if row.icon != old.icon:
                self.item(at, STATE_COLUMN).setData(self._icon(row.icon), Qt.ItemDataRole.DecorationRole)
                changed += 1
            for column in range(len(COLUMNS)):
                item = self.item(at, column)
                if row.background != old.background:
                    item.setData(self._brush(row.background), Qt.ItemDataRole.BackgroundRole)
                    changed += 1
                if row.tooltip != old.tooltip:
                    item.setData(row.tooltip, Qt.ItemDataRole.ToolTipRole)
            first = self.item(at, 0)
            if row.filter_key != old.filter_key:
                first.setData(row.filter_key, self.FILTER_ROLE)
            if row.sort_key != old.sort_key:
                first.setData(row.sort_key, self.SORT_ROLE)
        gone = self._shown.keys() - {row.seat for row in rows}
        for seat in sorted(gone, key=lambda s: -self._row_of[s]):  # RoomView never drops a seat
            self.removeRow(self._row_of[seat])
            del self._shown[seat]
            self.by_source_row.pop(self._row_of.pop(seat))
            self._row_of = {s: i for i, s in enumerate(r["seat"] for r in self.by_source_row)}
        self.rows = [row.data for row in rows]
        return changed

    def _add(self, row: ShownRow) -> None:
        items = []
        for column, text in enumerate(row.texts):
            item = QStandardItem(text)
            item.setEditable(False)
            item.setToolTip(row.tooltip)
            if row.background:
                item.setData(self._brush(row.background), Qt.ItemDataRole.BackgroundRole)
            if column in RIGHT_ALIGNED:
                item.setData(ALIGN_RIGHT, Qt.ItemDataRole.TextAlignmentRole)
            items.append(item)
        items[STATE_COLUMN].setData(self._icon(row.icon), Qt.ItemDataRole.DecorationRole)
        items[0].setData(row.seat, self.SEAT_ROLE)
        items[0].setData(row.sort_key, self.SORT_ROLE)
        items[0].setData(row.filter_key, self.FILTER_ROLE)
        # Before the row exists in Qt: the proxy asks the filter about it while it is inserted.
        self._row_of[row.seat] = len(self.by_source_row)
        self.by_source_row.append(row.data)
        self._shown[row.seat] = row
        self.appendRow(items)

    def _icon(self, key: tuple[str, str]) -> QIcon:
        if key not in self._icons:
            self._icons[key] = state_icon(*key)
        return self._icons[key]

    def _brush(self, colour: str) -> QBrush | None:
        if not colour:
            return None
        if colour not in self._brushes:
            self._brushes[colour] = QBrush(QColor(colour))
        return self._brushes[colour]


class SeatFilter(QSortFilterProxyModel):
    """Text (seat or candidate) and a state category; sorted in the view's attention order."""

    def __init__(self) -> None:
        super().__init__()
        self.category = FILTERS[0]
        self.text = ""
        self.setSortRole(SeatTableModel.SORT_ROLE)
        self.setFilterRole(SeatTableModel.FILTER_ROLE)  # a changed cell text asks no filter again
        self.setDynamicSortFilter(True)
        self.sort(0, Qt.SortOrder.AscendingOrder)

    def set_category(self, category: str) -> None:
        self.beginFilterChange()
        self.category = category
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self.text = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, SeatTableModel)
        row = model.by_source_row[source_row]
        if self.text:
            words = f"{row['seat']} {cell_text(row, 'candidate')}".casefold()
            if self.text not in words:
                return False
        category = self.category
        if category == "Needs attention":
            return bool(row["attention"])
        if category == "Running":
            return row["state"] in ("running", "crashed-resumed", "paused", "locked")
        if category == "Waiting":
            return row["state"] in ("preflight", "identified", "waiting")
        if category == "Submitted":
            return bool(row["submitted"])
        if category == "Not collected":
            return bool(row["submitted"]) and not row["collected"]
        if category == "Offline":
            return not row["online"]
        return True


# -------------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class ActionSpec:
    action: str
    label: str
    irreversible: bool = False
    needs: str = ""  # minutes | text | code
    shortcut: str = ""


ACTIONS = (
    ActionSpec("start", "Start…", needs="code", shortcut="Ctrl+Shift+S"),
    ActionSpec("extend", "Extend time…", needs="minutes", shortcut="Ctrl+Shift+E"),
    ActionSpec("pause", "Pause", shortcut="Ctrl+Shift+P"),
    ActionSpec("resume", "Resume", shortcut="Ctrl+Shift+R"),
    ActionSpec("unlock", "Unlock", shortcut="Ctrl+Shift+U"),
    ActionSpec("announce", "Announce…", needs="text", shortcut="Ctrl+Shift+A"),
    ActionSpec("permit-quit", "Permit quitting", irreversible=True),
    ActionSpec("end", "End exam…", irreversible=True),
)
CONSEQUENCES = {
    "end": "This ends the exam now for {n}: their answers are submitted and they cannot go back.",
    "permit-quit": "This lets {n} close the exam window; a closed window ends their exam on this seat.",
}


def candidates_text(count: int) -> str:
    return "1 candidate" if count == 1 else f"{count} candidates"


class ActionDialog(QDialog):
    """What the invigilator must give for one action: the values it needs and a reason."""

    def __init__(self, spec: ActionSpec, seats: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        targets = seats[0] if len(seats) == 1 else f"{len(seats)} seats"
        self.setWindowTitle(f"{spec.label.rstrip('…')} — {targets}")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        heading = QLabel(
            f"<b>{spec.label.rstrip('…')}</b> for {targets}: {', '.join(seats[:8])}{' …' if len(seats) > 8 else ''}"
        )
        heading.setWordWrap(True)
        layout.addWidget(heading)
        form = QFormLayout()
        self.minutes = QDoubleSpinBox(minimum=-120, maximum=600, decimals=0, value=10, suffix=" min")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("e.g. Question 3: read 'at most' for 'at least'.")
        self.text.setFixedHeight(80)
        self.code = QLineEdit(placeholderText="XXXX-XXXX-XXXX-XXXX")
        self.reason = QLineEdit(placeholderText="why — recorded at the console and at every seat")
        self.reason.setObjectName("reason")
        if spec.needs == "minutes":
            form.addRow("Extra time", self.minutes)
        elif spec.needs == "text":
            form.addRow("Announcement", self.text)
        elif spec.needs == "code":
            form.addRow("Start code", self.code)
        form.addRow("Reason", self.reason)
        layout.addLayout(form)
        self.confirm: QCheckBox | None = None
        self.consequence = QLabel("")
        if spec.irreversible:
            consequence = self.consequence
            consequence.setText(CONSEQUENCES[spec.action].format(n=candidates_text(len(seats))))
            consequence.setWordWrap(True)
            consequence.setStyleSheet("color: #8e0000;")
            layout.addWidget(consequence)
            self.confirm = QCheckBox("I understand; do it.")
            self.confirm.setObjectName("confirm")
            layout.addWidget(self.confirm)
            self.confirm.toggled.connect(self._check)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(spec.label.rstrip("…"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for signal in (self.reason.textChanged, self.text.textChanged, self.code.textChanged):
            signal.connect(self._check)
        self._check()
        self.reason.setFocus()

    def _check(self) -> None:
        ok = bool(self.reason.text().strip())
        if self.spec.needs == "text":
            ok = ok and bool(self.text.toPlainText().strip())
        if self.spec.needs == "code":
            ok = ok and bool(self.code.text().strip())
        if self.confirm is not None:
            ok = ok and self.confirm.isChecked()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {"reason": self.reason.text().strip()}
        if self.spec.needs == "minutes":
            values["minutes"] = self.minutes.value()
        elif self.spec.needs == "text":
            values["text"] = self.text.toPlainText().strip()
        elif self.spec.needs == "code":
            values["code"] = self.code.text().strip()
        return values


# -------------------------------------------------------------------------------- the clock


class ProjectorClock(QWidget):
    """The room clock, full screen, for the projector: the time, and when the exam ends."""

    closed = Signal()

    def __init__(self, title: str) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle(f"{title} — room clock")
        self.setObjectName("projector")
        self.setStyleSheet(
            "QWidget#projector { background: #10151c; } QLabel { color: #f4f6f8; }"
            "QLabel#time { font-size: 180px; font-weight: 600; } QLabel#ends { font-size: 54px; }"
            "QLabel#title { font-size: 40px; color: #b8c4d0; }"
        )
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title, self.time, self.ends = QLabel(title), QLabel(""), QLabel("")
        for name, label in (("title", self.title), ("time", self.time), ("ends", self.ends)):
            label.setObjectName(name)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addStretch(1)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self).activated.connect(self.close)

    def update_clock(self, now: float, ends_text: str) -> None:
        self.time.setText(time.strftime("%H:%M:%S", time.localtime(now)))
        self.ends.setText(ends_text)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)


def common_end(rows: list[dict[str, Any]]) -> str:
    """'The exam ends at 11:45' from the running seats' end times (extensions said apart)."""
    ends = [
        r["ends_at"]
        for r in rows
        if r["state"] in ("running", "crashed-resumed", "locked") and r.get("ends_at")
    ]
    if not ends:
        return ""
    minutes = Counter(time.strftime("%H:%M", time.localtime(e)) for e in ends)
    most, count = minutes.most_common(1)[0]
    others = len(ends) - count
    text = f"The exam ends at {most}"
    if others:
        text += f" ({others} with extra time end later)" if max(ends) > min(ends) else ""
    return text


# -------------------------------------------------------------------------------- the window


class RoomConsoleWindow(QMainWindow):
    """The invigilator's screen for one room."""

    acted = Signal(str, list)  # action, seats (after it was sent)

    def __init__(self, console: RoomConsole, *, title: str = "", wall: Any = time.time):
        super().__init__()
        self.console = console
        self.wall = wall
        self.room_title = title or console.room.name or "Exam room"
        self.setWindowTitle(f"{self.room_title} — room console")
        self.resize(1400, 860)
        self._dirty = True  # the feed, summary and buttons need a look
        self._last_entry: object = None  # the newest feed entry shown
        self.projector: ProjectorClock | None = None
        self.last_error = ""
        self.shown_version = -1  # RoomView.version of the rows shown
        console.view.listeners.append(self._on_room_change)
        # The rows are built on their own thread; this window only copies what changed.
        self.snapshots = ViewSnapshots(console.view, shown_row, min_interval_s=REFRESH_MS / 1000)

        self.model = SeatTableModel()
        self.proxy = SeatFilter()
        self.proxy.setSourceModel(self.model)

        central = QWidget()
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.addLayout(self._top_bar())
        outer.addLayout(self._filter_bar())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._table())
        splitter.addWidget(self._feed())
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1100, 300])
        outer.addWidget(splitter, 1)
        outer.addLayout(self._action_bar())
        self.message = QLabel("")
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        outer.addWidget(self.message)

        self.show_rows(self.snapshots.build(self.wall()).rows)  # the room as it is now, at once
        # Python's full garbage collection walks every object and holds the GIL meanwhile: with Qt's
        # bindings and the room loaded that was 100-270 ms without Python on this window's thread.
        # What exists now lives as long as the window; the collector no longer walks it.
        gc.freeze()
        self.snapshots.start()
        self.timer = QTimer(self, interval=TAKE_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self._seconds = QTimer(self, interval=1000)  # the clock
        self._seconds.timeout.connect(self._tick)
        self._seconds.start()
        self._tick()
        self.refresh()

    # ---------------------------------------------------------------------------- layout

    def _top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        title = QLabel(f"<b>{self.room_title}</b>")
        title.setStyleSheet("font-size: 18px;")
        bar.addWidget(title)
        self.connection = QLabel("")
        self.connection.setObjectName("connection")
        bar.addWidget(self.connection)
        bar.addSpacing(24)
        self.summary = QLabel("")
        self.summary.setObjectName("summary")
        bar.addWidget(self.summary, 1)
        bar.addWidget(QLabel("Invigilator:"))
        self.who = QLineEdit(getpass.getuser())
        self.who.setObjectName("who")
        self.who.setFixedWidth(160)
        bar.addWidget(self.who)
        self.clock = QLabel("")
        self.clock.setObjectName("clock")
        self.clock.setStyleSheet("font-size: 26px; font-weight: 600; padding: 0 12px;")
        bar.addWidget(self.clock)
        projector = QPushButton("Projector clock")
        projector.setObjectName("projector-button")
        projector.setToolTip("The room clock full screen (Esc closes it)")
        projector.clicked.connect(self.show_projector_clock)
        bar.addWidget(projector)
        return bar

    def _filter_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.search = QLineEdit(placeholderText="Find a seat or a candidate")
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        bar.addWidget(self.search, 2)
        self.category = QComboBox()
        self.category.setObjectName("category")
        self.category.addItems(FILTERS)
        self.category.currentTextChanged.connect(self.proxy.set_category)
        bar.addWidget(self.category, 1)
        bar.addStretch(2)
        return bar

    def _table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("seats")
        table.setModel(self.proxy)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setAlternatingRowColors(False)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((80, 190, 150, 80, 120, 80, 150, 150)):
            table.setColumnWidth(column, width)
        table.verticalHeader().setDefaultSectionSize(26)  # 40 seats on one screen
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table = table
        return table

    def _feed(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Room feed</b> (newest first)"))
        self.feed = QListWidget()
        self.feed.setObjectName("feed")
        self.feed.setWordWrap(True)
        layout.addWidget(self.feed)
        return box

    def _action_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.all_seats = QCheckBox("All seats")
        self.all_seats.setObjectName("all-seats")
        self.all_seats.toggled.connect(self._selection_changed)
        bar.addWidget(self.all_seats)
        self.targets = QLabel("")
        self.targets.setObjectName("targets")
        bar.addWidget(self.targets)
        bar.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        for spec in ACTIONS:
            button = QPushButton(spec.label)
            button.setObjectName(f"act-{spec.action}")
            if spec.shortcut:
                button.setToolTip(spec.shortcut)
                QShortcut(QKeySequence(spec.shortcut), self).activated.connect(button.click)
            if spec.irreversible:
                button.setStyleSheet("QPushButton:enabled { color: #8e0000; }")
            button.clicked.connect(lambda _=False, s=spec: self.act(s))
            bar.addWidget(button)
            self.buttons[spec.action] = button
        hand = QPushButton("Acknowledge hand")
        hand.setObjectName("act-hand")
        hand.clicked.connect(self.acknowledge_hands)
        bar.addWidget(hand)
        self.buttons["hand"] = hand
        return bar

    # ---------------------------------------------------------------------------- the room

    def _on_room_change(self, _seat: str) -> None:
        """On the network thread: only a flag (the feed is read on this window's thread)."""
        self._dirty = True

    def _tick(self) -> None:
        now = self.wall()
        self.clock.setText(time.strftime("%H:%M:%S", time.localtime(now)))
        if self.projector is not None:
            self.projector.update_clock(now, common_end(self.model.rows))

    def refresh(self) -> bool:
        """Show rows built since the last look, and the feed; False when nothing was new."""
        snapshot = self.snapshots.take()
        dirty, self._dirty = self._dirty, False
        if snapshot is not None:
            self.show_rows(snapshot.rows)
            self.shown_version = snapshot.version
            self._update_summary()
            self._selection_changed()
        if dirty or snapshot is not None:
            self._update_feed()
        return dirty or snapshot is not None

    def show_rows(self, rows: list[ShownRow]) -> None:
        self.model.show(rows)

    def _update_summary(self) -> None:
        rows = self.model.rows
        states = Counter(r["state"] for r in rows)
        parts = [f"{len(rows)} seats"]
        for state in ("running", "waiting", "paused", "locked", "submitted"):
            count = states[state] + (states["crashed-resumed"] if state == "running" else 0)
            count += states["exported"] if state == "submitted" else 0
            if count:
                parts.append(f"{count} {STATES[state][0].lower()}")
        offline = sum(1 for r in rows if not r["online"])
        if offline:
            parts.append(f"{offline} offline")
        hands = sum(1 for r in rows if r.get("hand"))
        if hands:
            parts.append(f"{hands} hand{'s' if hands > 1 else ''} raised")
        uncollected = sum(1 for r in rows if r["submitted"] and not r["collected"])
        if uncollected:
            parts.append(f"{uncollected} not collected")
        self.summary.setText(" · ".join(parts))
        if self.console.connected:
            self.connection.setText(f"● connected to {self.console.room.broker}")
            self.connection.setStyleSheet("color: #2e7d32;")
        else:
            self.connection.setText(f"● not connected to {self.console.room.broker} — retrying")
            self.connection.setStyleSheet("color: #c62828;")

    def _update_feed(self) -> None:
        """Add what is new to the top of the feed (the list is never rebuilt: it can be long)."""
        feed = self.console.view.feed()
        if not feed or feed[-1] is self._last_entry:
            return
        new = []
        for entry in reversed(feed):
            if entry is self._last_entry:
                break
            new.append(entry)
        self._last_entry = feed[-1]
        for entry in reversed(new[:FEED_SHOWN]):  # oldest first, each on top of the list
            stamp = time.strftime("%H:%M:%S", time.localtime(entry.at))
            text = COMMAND_NUMBER.sub("", entry.text)  # the sequence numbers are for machines
            item = QListWidgetItem(f"{stamp}  {entry.seat}  {text}")
            colour = FEED_COLOURS.get(entry.kind)
            if colour:
                item.setForeground(QBrush(QColor(colour)))
            self.feed.insertItem(0, item)
        while self.feed.count() > FEED_SHOWN:
            self.feed.takeItem(self.feed.count() - 1)

    # ---------------------------------------------------------------------------- selection

    def selected_seats(self) -> list[str]:
        if self.all_seats.isChecked():
            return [r["seat"] for r in self.model.rows]
        rows = self.table.selectionModel().selectedRows()
        return [str(self.proxy.data(index, SeatTableModel.SEAT_ROLE)) for index in rows]

    def select_seats(self, seats: list[str]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if self.proxy.data(index, SeatTableModel.SEAT_ROLE) in seats:
                selection.select(
                    index,
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )

    def _selection_changed(self, *_args: object) -> None:
        seats = self.selected_seats()
        if self.all_seats.isChecked():
            self.targets.setText(f"every seat ({len(seats)})")
        else:
            self.targets.setText(f"{len(seats)} selected" if seats else "select seats, or tick All seats")
        for button in self.buttons.values():
            button.setEnabled(bool(seats))
        with_hands = [s for s in seats if (self.model.seat_row(s) or {}).get("hand")]
        self.buttons["hand"].setEnabled(bool(with_hands))

    # ---------------------------------------------------------------------------- acting

    def act(self, spec: ActionSpec, values: dict[str, Any] | None = None) -> bool:
        """Ask for the reason (and what else the action needs), then send it; False if not sent.

        `values` given (tests, scripts): no dialog is shown."""
        seats = self.selected_seats()
        if not seats:
            self.show_error("Select the seats first (or tick All seats).")
            return False
        if values is None:
            dialog = ActionDialog(spec, seats, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            values = dialog.values()
        try:
            self.console.send(spec.action, seats, who=self.who.text(), **values)
        except KnownError as exc:
            self.show_error(str(exc))
            return False
        self.show_message(
            f"{spec.label.rstrip('…')} sent to {len(seats)} seat{'s' if len(seats) > 1 else ''}."
        )
        self.acted.emit(spec.action, seats)
        self._dirty = True
        self.snapshots.poke()
        return True

    def acknowledge_hands(self) -> None:
        seats = [s for s in self.selected_seats() if (self.model.seat_row(s) or {}).get("hand")]
        for seat in seats:
            try:
                self.console.acknowledge_hand(seat, who=self.who.text())
            except KnownError as exc:
                self.show_error(str(exc))
                return
        if seats:
            self.show_message(f"Hand acknowledged: {', '.join(seats)}.")
        self._dirty = True
        self.snapshots.poke()

    def show_error(self, text: str) -> None:
        self.last_error = text
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(text)

    def show_message(self, text: str) -> None:
        self.message.setStyleSheet("color: #1b5e20;")
        self.message.setText(text)

    # ---------------------------------------------------------------------------- projector

    def show_projector_clock(self) -> None:
        if self.projector is None:
            self.projector = ProjectorClock(self.room_title)
            self.projector.closed.connect(self._projector_closed)
        self.projector.update_clock(self.wall(), common_end(self.model.rows))
        self.projector.showFullScreen()

    def _projector_closed(self) -> None:
        self.projector = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.timer.stop()
        self._seconds.stop()
        self.snapshots.stop()
        if self._on_room_change in self.console.view.listeners:
            self.console.view.listeners.remove(self._on_room_change)
        if self.projector is not None:
            self.projector.close()
        super().closeEvent(event)


# -------------------------------------------------------------------------------- opening it


def run_console_window(console: RoomConsole, *, title: str = "") -> int:
    """Show the window for a started `console` and run Qt's loop until it is closed."""
    from exam_desktop.gui.application import qt_application

    app = qt_application()
    window = RoomConsoleWindow(console, title=title)
    window.show()
    return app.exec()


def run_demo(seats: int = 40, bank: str = "ml-engineers-test.md") -> int:
    """`room demo`: a whole room on this machine — an embedded broker, this console, and `seats`
    simulated seats (a separate `room simulate` process) taking the ML Engineers Test."""
    import secrets as tokens
    import shutil
    import signal
    import subprocess
    import tempfile
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from exam_desktop.core.bank import load_bank
    from exam_desktop.core.sealed.keys import ScryptParams
    from exam_desktop.core.sealed.package import build_package
    from exam_desktop.gui.application import qt_application
    from exam_desktop.paths import BANKS_DIR
    from exam_desktop.room.broker import EmbeddedBroker, die_with_parent
    from exam_desktop.room.config import BrokerAddress, init_room, load_console_secrets
    from exam_desktop.room.simulate import simulate_command

    app = qt_application()
    folder = Path(tempfile.mkdtemp(prefix="exam-room-demo-"))
    running = {"exec": False}

    def stop(signum: int, _frame: object) -> None:  # Ctrl+C or SIGTERM: as closing its window does
        if running["exec"]:
            QTimer.singleShot(0, app.closeAllWindows)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        else:
            raise SystemExit(128 + signum)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    wake = QTimer()  # Python runs a signal handler only when it runs: let it, five times a second
    wake.timeout.connect(lambda: None)
    wake.start(200)
    try:
        exam = load_bank(BANKS_DIR / bank)
        # A demo package: its start code is shown on screen, so its key derivation need not resist
        # guessing; a cheap one lets 40 seats unlock in a second instead of 40 x 0.4 s.
        demo_kdf = ScryptParams(n=2**12, r=8, p=1)
        built = build_package(exam, Ed25519PrivateKey.generate(), kdf=demo_kdf, extra_time_allowed=True)
        package = folder / f"{exam.id}.exam"
        package.write_bytes(built.package_bytes)
        passphrase = tokens.token_urlsafe(16)
        room = init_room(
            folder / "ROOM",
            passphrase,
            broker=BrokerAddress("127.0.0.1", _free_port()),
            exam_package=package,
            name=f"Demo room — {exam.title}",
            kdf=demo_kdf,
        )
        broker = EmbeddedBroker(room).start()
        console = RoomConsole(room, load_console_secrets(room, passphrase), collect=True)
        simulation: subprocess.Popen[bytes] | None = None
        try:
            console.start()
            console.wait_connected()
            simulation = subprocess.Popen(
                simulate_command(room.folder, package, built.start_code, seats, answer_every=15),
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(),  # the seats stop with the demo, however it ends
            )
            print(
                f"Demo room in {folder}: {seats} simulated seats join it; close the window to stop.",
                flush=True,
            )
            window = RoomConsoleWindow(console)
            window.show_message(f"{seats} simulated seats are joining. Start code: {built.start_code}")
            window.show()
            running["exec"] = True
            code = app.exec()
            window.deleteLater()  # now, while the console it shows still exists
            app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            return code
        finally:
            if simulation is not None:
                simulation.terminate()
                simulation.wait(10)
            console.stop()
            broker.stop()
    finally:
        wake.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        shutil.rmtree(folder, ignore_errors=True)  # the demo's package, keys and results


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
