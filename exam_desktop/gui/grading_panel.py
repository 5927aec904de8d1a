"""The marking tools beside an answer in the grading window: rubric level buttons, the comment bank
and the list of notes on highlighted passages. Each tool reports what the grader did by a signal;
the window stores it at once."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exam_desktop.grading.db import Annotation
from exam_desktop.grading.rubric import Criterion, rubric_points


class RubricPanel(QGroupBox):
    """One row per criterion, one button per point level; Alt+N steps criterion N's level up
    (and back to none after the top level)."""

    changed = Signal(dict)  # {criterion id: level} as the grader chose

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Rubric", parent)
        self.criteria: list[Criterion] = []
        self.chosen: dict[str, float] = {}
        self.buttons: dict[str, list[QPushButton]] = {}
        self._grid = QGridLayout(self)
        self._grid.setColumnStretch(0, 1)
        self.setStyleSheet(
            "QPushButton:checked { background: #1f6fc5; color: white; font-weight: 600;"
            " border: 1px solid #174f8c; border-radius: 3px; }"
        )
        self._shortcuts: list[QShortcut] = []

    def set_criteria(self, criteria: list[Criterion], chosen: dict[str, float]) -> None:
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._shortcuts = []
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        self.criteria = criteria
        self.chosen = {k: v for k, v in chosen.items() if any(c.id == k for c in criteria)}
        self.buttons = {}
        self.setVisible(bool(criteria))
        for row, criterion in enumerate(criteria):
            number = row + 1
            label = QLabel(f"<b>Alt+{number}</b> · {criterion.text}" if number <= 9 else criterion.text)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            self._grid.addWidget(label, row, 0)
            group = QButtonGroup(self)
            group.setExclusive(False)
            buttons = []
            levels = QHBoxLayout()
            for level in criterion.levels:
                button = QPushButton(f"{level:g}")
                button.setCheckable(True)
                button.setObjectName(f"rubric-{criterion.id}-{level:g}")
                button.setFixedWidth(44)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                button.clicked.connect(lambda _=False, c=criterion, v=level: self.choose(c.id, v))
                group.addButton(button)
                levels.addWidget(button)
                buttons.append(button)
            holder = QWidget()
            holder.setLayout(levels)
            levels.setContentsMargins(0, 0, 0, 0)
            self._grid.addWidget(holder, row, 1)
            self.buttons[criterion.id] = buttons
            if number <= 9:
                shortcut = QShortcut(QKeySequence(f"Alt+{number}"), self.window())
                shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(lambda c=criterion: self.step(c.id))
                self._shortcuts.append(shortcut)
        self._show_chosen()

    def choose(self, criterion_id: str, level: float | None) -> None:
        """Choose a level (None: none); a click on the chosen level takes it back."""
        if level is None or self.chosen.get(criterion_id) == level:
            self.chosen.pop(criterion_id, None)
        else:
            self.chosen[criterion_id] = level
        self._show_chosen()
        self.changed.emit(dict(self.chosen))

    def step(self, criterion_id: str) -> None:
        criterion = next(c for c in self.criteria if c.id == criterion_id)
        current = self.chosen.get(criterion_id)
        if current is None:
            self.choose(criterion_id, criterion.levels[0])
        elif current == criterion.levels[-1]:
            self.choose(criterion_id, None)
        else:
            self.choose(criterion_id, criterion.levels[criterion.levels.index(current) + 1])

    @property
    def points(self) -> float:
        return rubric_points(self.criteria, self.chosen)

    @property
    def complete(self) -> bool:
        return bool(self.criteria) and all(c.id in self.chosen for c in self.criteria)

    def _show_chosen(self) -> None:
        for criterion in self.criteria:
            for level, button in zip(criterion.levels, self.buttons[criterion.id]):
                button.setChecked(self.chosen.get(criterion.id) == level)


class CommentBank(QGroupBox):
    """Reusable comments for this question: double-click (or Insert) adds one to the comment."""

    insert = Signal(str)
    add = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Comment bank", parent)
        self.list = QListWidget()
        self.list.setMaximumHeight(72)
        self.list.itemActivated.connect(lambda item: self.insert.emit(item.text()))
        insert = QPushButton("Insert")
        insert.clicked.connect(self._insert_current)
        add = QPushButton("Keep my comment in the bank")
        add.clicked.connect(self.add.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(insert)
        buttons.addWidget(add, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

    def set_comments(self, comments: list[str]) -> None:
        self.list.clear()
        for text in comments:
            QListWidgetItem(text, self.list)

    def _insert_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.insert.emit(item.text())


class NotesPanel(QGroupBox):
    """Highlight a passage of the essay, write a note, add it (Ctrl+M); notes can be removed."""

    add = Signal(str)
    remove = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Notes on the essay", parent)
        self.selected = QLabel("Select a passage of the essay to comment on it.")
        self.selected.setWordWrap(True)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note on the selected passage (appears in the feedback)")
        self.note.returnPressed.connect(self._add)
        self.add_button = QPushButton("Add note  (Ctrl+M)")
        self.add_button.clicked.connect(self._add)
        self.list = QListWidget()
        self.list.setMaximumHeight(64)
        remove = QPushButton("Remove note")
        remove.clicked.connect(self._remove)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.selected)
        layout.addLayout(row)
        layout.addWidget(self.list)
        layout.addWidget(remove)

    def set_selection(self, quote: str | None) -> None:
        if quote:
            short = quote if len(quote) <= 80 else quote[:77] + "…"
            self.selected.setText(f"Selected: “{short}”")
        else:
            self.selected.setText("Select a passage of the essay to comment on it.")
        self.add_button.setEnabled(bool(quote))

    def set_notes(self, notes: list[Annotation]) -> None:
        self.list.clear()
        for number, note in enumerate(notes, start=1):
            item = QListWidgetItem(f"{number}. “{note.quote}” — {note.comment}", self.list)
            item.setData(Qt.ItemDataRole.UserRole, note.id)

    def _add(self) -> None:
        self.add.emit(self.note.text())

    def _remove(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.remove.emit(int(item.data(Qt.ItemDataRole.UserRole)))
