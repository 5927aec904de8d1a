"""The grading window: one question at a time, across all candidates, anonymised by default.

Pick a question; the page shows the question, the candidate's answer (as the exam showed it, with
math and code), and beside it the rubric and the key. On the right: the rubric's criteria with a
button per point level (Alt+1..9 step a criterion's level), points for the part graded by hand, a
comment with a reusable comment bank, notes on highlighted passages of an essay (they appear in the
candidate's feedback), and an override of the whole mark with a reason.

Every change is stored at once, as a candidate's answers are: nothing typed is lost by moving on
or closing. The window reopens where this grader stopped. Keys: Ctrl+Enter marks as graded and
moves on, PgDn / PgUp next / previous candidate, Alt+N / Alt+P next / previous answer still to
grade (across questions), Ctrl+Up / Ctrl+Down change question, Ctrl+M adds a note.

The page (`assets/web/grader.*`) is loaded once in the app's locked web view and talks to Python
through the one bridge with its closed list of messages (`bridge.GraderMessage`); each answer is
pushed in through `bridge.call_js` and typeset by MathJax.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Essay, Exam, Question
from exam_desktop.core.page.answer_view import (
    escaped,
    key_html,
    markdown,
    response_html,
    stem_html,
)
from exam_desktop.core.page.code_style import highlight_css
from exam_desktop.core.page.drawing import figure_file
from exam_desktop.core.page.figures import figure_id
from exam_desktop.grading.annotate import annotated_essay_html, notes_list_html
from exam_desktop.grading.db import Candidate, GraderDB, StoredScore
from exam_desktop.grading.rubric import rubric_criteria
from exam_desktop.gui.bridge import Bridge, GraderMessage, attach_bridge, call_js
from exam_desktop.gui.grading_panel import CommentBank, NotesPanel, RubricPanel
from exam_desktop.gui.grading_reports import ReportJob, start_report_job
from exam_desktop.gui.webview import SHELL_URL, LockedWebView
from exam_desktop.paths import WEB_DIR

log = logging.getLogger(__name__)


class GraderWindow(QMainWindow):
    """Manual grading of one exam in a grader database."""

    answer_shown = Signal()  # the page has shown (and typeset) the current answer
    selection_changed = Signal()  # the grader selected (or unselected) a passage of the essay
    saved = Signal()  # a change was stored
    painted = Signal()  # the page has drawn what it shows now (see `request_paint`)
    reports_done = Signal(str)  # the reports job ended: what it wrote, or why not

    def __init__(
        self,
        db: GraderDB,
        exam: Exam,
        *,
        show_names: bool = False,
        grader: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.db = db
        self.exam = exam
        self.show_names = show_names
        self.grader = grader
        self.candidates: list[Candidate] = db.candidates(exam.id)
        self.visible: list[Candidate] = []
        self.position = 0
        self.question: Question = exam.questions[0]
        self.selection: tuple[int, int] | None = None  # offsets in the essay's typed text
        self._essay_text = ""
        self._loading = False  # filling the fields for an answer: not a change by the grader
        self._page_ready = False
        self._pending_html: str | None = None
        self.setWindowTitle(f"Grading — {exam.title}")
        self._build()
        self._install_shortcuts()
        self._resume()

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.question_box = QComboBox()
        for q in self.exam.questions:
            self.question_box.addItem(self._question_label(q))
        self.question_box.currentIndexChanged.connect(self._select_question)
        self.only_ungraded = QCheckBox("Only ungraded")
        self.only_ungraded.toggled.connect(lambda: self._select_question(self._question_index()))
        self.progress = QLabel()
        self.progress.setObjectName("progress")
        self.progress.setStyleSheet("font-weight: 600;")
        top = QHBoxLayout()
        top.addWidget(QLabel("Question:"))
        top.addWidget(self.question_box, 1)
        top.addWidget(self.only_ungraded)
        top.addWidget(self.progress)

        self.view = LockedWebView()
        handler = self.view.scheme_handler
        # The grading page is served as the view's one allowed page, like the exam page.
        handler.add_generated("shell.html", (WEB_DIR / "grader.html").read_bytes())
        handler.add_generated("highlight.css", highlight_css().encode())
        self.bridge = Bridge(self.view, messages=GraderMessage)
        self.channel = attach_bridge(self.view.locked_page, self.bridge)
        self.bridge.set_handler(self._on_message)
        self.view.load(SHELL_URL)

        self.candidate_label = QLabel()
        self.candidate_label.setObjectName("candidate")
        self.candidate_label.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.auto_label = QLabel()
        self.auto_label.setWordWrap(True)
        self.rubric = RubricPanel()
        self.rubric.changed.connect(self._rubric_changed)
        self.points = QDoubleSpinBox()
        self.points.setDecimals(2)
        self.points.setSingleStep(0.5)
        self.points.valueChanged.connect(self._points_changed)
        self.points_of = QLabel()
        points_row = QHBoxLayout()
        points_row.addWidget(self.points)
        points_row.addWidget(self.points_of, 1)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText("Comment for the candidate (shown in their feedback)")
        self.comment.setTabChangesFocus(True)
        self.comment.setMaximumHeight(90)
        self.comment.textChanged.connect(self._comment_changed)
        self.comment_bank = CommentBank()
        self.comment_bank.insert.connect(self._insert_comment)
        self.comment_bank.add.connect(self._keep_comment)
        self.notes = NotesPanel()
        self.notes.add.connect(self.add_note)
        self.notes.remove.connect(self._remove_note)

        self.override_box = QGroupBox("Override the whole mark")
        self.override_box.setCheckable(True)
        self.override_points = QDoubleSpinBox()
        self.override_points.setDecimals(2)
        self.override_points.setSingleStep(0.5)
        self.override_reason = QLineEdit()
        self.override_reason.setPlaceholderText("Reason (required)")
        override_form = QFormLayout(self.override_box)
        override_form.addRow("Points", self.override_points)
        override_form.addRow("Reason", self.override_reason)
        self.override_box.toggled.connect(self._override_changed)
        self.override_points.valueChanged.connect(self._override_changed)
        self.override_reason.textChanged.connect(self._override_changed)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.previous_button = QPushButton("◀ Previous  (PgUp)")
        self.previous_button.clicked.connect(self.previous_candidate)
        self.save_button = QPushButton("Graded, next  (Ctrl+Enter)")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_and_next)
        self.previous_ungraded_button = QPushButton("◀ To grade  (Alt+P)")
        self.previous_ungraded_button.clicked.connect(self.previous_ungraded)
        self.next_ungraded_button = QPushButton("To grade ▶  (Alt+N)")
        self.next_ungraded_button.clicked.connect(self.next_ungraded)
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.save_button, 1)
        ungraded_buttons = QHBoxLayout()
        ungraded_buttons.addWidget(self.previous_ungraded_button)
        ungraded_buttons.addWidget(self.next_ungraded_button)

        side = QWidget()
        form = QVBoxLayout(side)
        form.addWidget(self.candidate_label)
        form.addWidget(self.auto_label)
        form.addWidget(self.rubric)
        self.points_title = QLabel("Points for the part graded by hand")
        form.addWidget(self.points_title)
        form.addLayout(points_row)
        form.addWidget(QLabel("Comment"))
        form.addWidget(self.comment)
        form.addWidget(self.comment_bank)
        form.addWidget(self.notes)
        form.addWidget(self.override_box)
        form.addWidget(self.message)
        form.addStretch(1)
        side.setMinimumWidth(400)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(430)
        panel = QWidget()  # the tools scroll; the buttons that move on stay in view
        panel_layout = QVBoxLayout(panel)
        panel_layout.setContentsMargins(0, 0, 0, 0)
        panel_layout.addWidget(scroll, 1)
        panel_layout.addLayout(ungraded_buttons)
        panel_layout.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.saved_label = QLabel()
        self.statusBar().addPermanentWidget(self.saved_label)
        self.report_progress = QProgressBar()
        self.report_progress.setMaximumWidth(220)
        self.report_progress.setFormat("reports %p%")
        self.report_progress.hide()
        self.statusBar().addPermanentWidget(self.report_progress)
        self._report_job: ReportJob | None = None
        self._report_thread: QThread | None = None
        reports = self.menuBar().addMenu("&Reports")
        write = reports.addAction("Write results, feedback and statistics…")
        write.setShortcut(QKeySequence("Ctrl+Shift+R"))
        write.triggered.connect(self._choose_report_folder)
        self.resize(1360, 860)

    def _install_shortcuts(self) -> None:
        for keys, slot in (
            ("Ctrl+Return", self.save_and_next),
            ("Ctrl+Enter", self.save_and_next),
            ("PgDown", self.next_candidate),
            ("PgUp", self.previous_candidate),
            ("Alt+N", self.next_ungraded),
            ("Alt+P", self.previous_ungraded),
            ("Ctrl+Down", lambda: self._step_question(+1)),
            ("Ctrl+Up", lambda: self._step_question(-1)),
            ("Ctrl+M", lambda: self.add_note(self.notes.note.text())),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    # -- navigation ----------------------------------------------------------------------------

    def _resume(self) -> None:
        """Open where this grader stopped, else at the first question with answers to grade."""
        ids = [q.id for q in self.exam.questions]
        place = self.db.place(self.exam.id, self.grader)
        if place is not None and place[0] in ids:
            index = ids.index(place[0])
        else:
            index = next(
                (i for i, q in enumerate(self.exam.questions) if self._count(q)[1] > self._count(q)[0]), 0
            )
        self.question_box.blockSignals(True)
        self.question_box.setCurrentIndex(index)
        self.question_box.blockSignals(False)
        self._select_question(index, candidate_id=place[1] if place else None)

    def _question_index(self) -> int:
        return max(0, self.question_box.currentIndex())

    def _step_question(self, step: int) -> None:
        index = min(max(0, self._question_index() + step), len(self.exam.questions) - 1)
        self.question_box.setCurrentIndex(index)

    def _select_question(self, index: int, candidate_id: int | None = None) -> None:
        self.question = self.exam.questions[max(0, index)]
        qid = self.question.id
        given = []  # the candidates who were given this question (a package may draw N each)
        for c in self.candidates:
            score = self.db.scores(c.id).get(qid)
            if score is not None and (score.needs_grading or not self.only_ungraded.isChecked()):
                given.append(c)
        self.visible = given
        ids = [c.id for c in given]
        self.position = ids.index(candidate_id) if candidate_id in ids else 0
        self._show_current()

    def next_candidate(self) -> None:
        if self.position + 1 < len(self.visible):
            self.position += 1
            self._show_current()

    def previous_candidate(self) -> None:
        if self.position > 0:
            self.position -= 1
            self._show_current()

    def next_ungraded(self) -> None:
        self._to_ungraded(+1)

    def previous_ungraded(self) -> None:
        self._to_ungraded(-1)

    def _to_ungraded(self, step: int) -> None:
        """The next (or previous) answer still to grade: in this question, then the next ones."""
        qids = [q.id for q in self.exam.questions]
        order = [c.id for c in self.candidates]
        waiting = {
            (qid, cid)
            for qid, cid in self.db.execute(
                "SELECT s.question_id, s.candidate_id FROM scores s JOIN candidates c "
                "ON c.id = s.candidate_id WHERE c.exam_id = ? AND s.status = 'manual-pending' "
                "AND s.manual_points IS NULL AND s.override_points IS NULL",
                (self.exam.id,),
            )
        }
        here = (qids.index(self.question.id), order.index(self.current.id) if self.current else -1)
        ranked = sorted((qids.index(q), order.index(c), q, c) for q, c in waiting if q in qids and c in order)
        after = (
            [r for r in ranked if (r[0], r[1]) > here]
            if step > 0
            else [r for r in ranked if (r[0], r[1]) < here]
        )
        if not after:
            self._say("Nothing left to grade in that direction.", ok=True)
            return
        qi, _, _, cid = after[0] if step > 0 else after[-1]
        if qi != self._question_index():
            self.question_box.blockSignals(True)
            self.question_box.setCurrentIndex(qi)
            self.question_box.blockSignals(False)
        self._select_question(qi, candidate_id=cid)

    @property
    def current(self) -> Candidate | None:
        return self.visible[self.position] if 0 <= self.position < len(self.visible) else None

    def _show_current(self) -> None:
        self._update_progress()
        candidate = self.current
        self.message.clear()
        self.selection = None
        self._loading = True
        try:
            self._fill(candidate)
        finally:
            self._loading = False

    def _fill(self, candidate: Candidate | None) -> None:
        if candidate is None:
            self.candidate_label.setText("Nobody left to grade on this question.")
            self._push_html("<p class='manual'>Every answer to this question is graded.</p>")
            for w in (self.points, self.comment, self.override_box, self.save_button, self.notes):
                w.setEnabled(False)
            self.rubric.set_criteria([], {})
            return
        self.db.remember_place(self.exam.id, self.grader, self.question.id, candidate.id)
        score = self.db.score(candidate.id, self.question.id)
        self.candidate_label.setText(f"{self._name(candidate)}  ({self.position + 1} of {len(self.visible)})")
        self.auto_label.setText(_auto_text(score))
        manual = score.status == "manual-pending"
        self.points_title.setEnabled(manual)
        self.points.setEnabled(manual)
        self.points.setRange(0.0, score.pending if manual else 0.0)
        self.points.setValue(score.manual_points or 0.0)
        self.points_of.setText(f"of {score.pending:g}" if manual else "automatic")
        criteria = rubric_criteria(getattr(self.question.answer, "rubric", "")) if manual else []
        self.rubric.set_criteria(criteria, self.db.rubric_levels(candidate.id, self.question.id))
        self.comment.setEnabled(True)
        self.comment.setPlainText(score.comment)
        self.comment_bank.set_comments(self.db.comment_bank(self.exam.id, self.question.id))
        self.override_box.setEnabled(True)
        self.override_box.setChecked(score.override_points is not None)
        self.override_points.setRange(min(0.0, self.question.points), self.question.points)
        self.override_points.setValue(
            score.override_points if score.override_points is not None else score.points
        )
        self.override_reason.setText(score.override_reason)
        self.save_button.setEnabled(True)
        essay = isinstance(self.question.answer, Essay)
        self.notes.setVisible(essay)
        self.notes.setEnabled(essay)
        self.notes.set_selection(None)
        self.notes.set_notes(self.db.annotations(candidate.id, self.question.id))
        self._push_html(self._answer_page(candidate, score))
        if manual:
            self.points.setFocus()
            self.points.selectAll()

    def _update_progress(self) -> None:
        graded, total = self._count(self.question)
        if total:
            self.progress.setText(f"{graded} of {total} graded")
        else:
            self.progress.setText(f"automatic ({len(self.candidates)} candidates)")
        self.question_box.setItemText(self._question_index(), self._question_label(self.question))
        done, needed = self._count(None)
        self.statusBar().showMessage(
            f"Whole exam: {done} of {needed} answers graded by hand"
            if needed
            else "Whole exam: nothing to grade by hand"
        )

    def _count(self, question: Question | None) -> tuple[int, int]:
        """(graded, needing a grader at all) across all candidates, for one question or all."""
        sql = (
            "SELECT COUNT(*), "
            "COALESCE(SUM(manual_points IS NOT NULL OR override_points IS NOT NULL), 0) "
            "FROM scores s JOIN candidates c ON c.id = s.candidate_id "
            "WHERE c.exam_id = ? AND s.status = 'manual-pending'"
        )
        params: tuple[str, ...] = (self.exam.id,)
        if question is not None:
            sql += " AND s.question_id = ?"
            params += (question.id,)
        needed, done = self.db.execute(sql, params).fetchone()
        return int(done), int(needed)

    def _question_label(self, q: Question) -> str:
        graded, total = self._count(q)
        state = f"{graded}/{total} graded" if total else "automatic"
        return f"{q.title}  ({q.kind}, {q.points:g} pt) — {state}"

    def _name(self, candidate: Candidate) -> str:
        if self.show_names:
            name = candidate.fields.get("name") or candidate.fields.get("email")
            if name:
                return f"{name} ({candidate.label})"
        return candidate.label

    # -- storing every change ------------------------------------------------------------------

    def _store(self, action: str, *args: Any, **kwargs: Any) -> bool:
        """Run one database change now; a refused value is said beside the fields, not lost."""
        try:
            with self.db.atomic():
                getattr(self.db, action)(*args, **kwargs)
        except KnownError as exc:
            self._say(str(exc), ok=False)
            return False
        self.saved_label.setText(f"Saved {datetime.now():%H:%M:%S}")
        if self.current is not None:
            self.auto_label.setText(_auto_text(self.db.score(self.current.id, self.question.id)))
        self._update_progress()
        self.saved.emit()
        return True

    def _hand_mark(self, points: float, rubric: dict[str, float]) -> bool:
        candidate = self.current
        if candidate is None or self.db.score(candidate.id, self.question.id).status != "manual-pending":
            return False
        return self._store(
            "grade_by_hand",
            candidate.id,
            self.question.id,
            points,
            grader=self.grader,
            comment=self.comment.toPlainText().strip(),
            rubric=rubric,
        )

    def _points_changed(self, value: float) -> None:
        if self._loading:
            return
        if self.rubric.criteria and self.rubric.chosen and value != self.rubric.points:
            self.rubric.set_criteria(self.rubric.criteria, {})  # typed over the rubric's sum
        self._hand_mark(value, dict(self.rubric.chosen))

    def _rubric_changed(self, chosen: dict[str, float]) -> None:
        if self._loading or self.current is None:
            return
        candidate = self.current
        points = min(self.rubric.points, self.points.maximum())
        self._loading = True
        try:
            self.points.setValue(points)
        finally:
            self._loading = False
        if chosen:
            self._hand_mark(points, chosen)
        else:
            self._store("clear_hand_grade", candidate.id, self.question.id)

    def _comment_changed(self) -> None:
        candidate = self.current
        if self._loading or candidate is None:
            return
        self._store("set_comment", candidate.id, self.question.id, self.comment.toPlainText().strip())

    def _override_changed(self, *_: object) -> None:
        candidate = self.current
        if self._loading or candidate is None:
            return
        score = self.db.score(candidate.id, self.question.id)
        if self.override_box.isChecked():
            if not self.override_reason.text().strip():
                self._say("An override needs a reason (it goes into the candidate's record).", ok=False)
                return
            if self._store(
                "override",
                candidate.id,
                self.question.id,
                self.override_points.value(),
                self.override_reason.text(),
                grader=self.grader,
            ):
                self.message.clear()
        elif score.override_points is not None:
            self._store("clear_override", candidate.id, self.question.id)

    def _insert_comment(self, text: str) -> None:
        current = self.comment.toPlainText().rstrip()
        self.comment.setPlainText(f"{current}\n{text}" if current else text)  # stored by textChanged

    def _keep_comment(self) -> None:
        text = self.comment.textCursor().selectedText().strip() or self.comment.toPlainText().strip()
        if not text:
            self._say("Write a comment first, then keep it in the bank.", ok=False)
            return
        if self._store("add_to_comment_bank", self.exam.id, self.question.id, text):
            self.comment_bank.set_comments(self.db.comment_bank(self.exam.id, self.question.id))

    def add_note(self, comment: str) -> None:
        """A note on the selected passage of the essay (stored, and shown highlighted)."""
        candidate = self.current
        if candidate is None or self.selection is None:
            self._say("Select a passage of the essay first.", ok=False)
            return
        start, end = self.selection
        quote = self._essay_text[start:end]
        if self._store(
            "add_annotation", candidate.id, self.question.id, start, end, quote, comment, grader=self.grader
        ):
            self.notes.note.clear()
            self._refresh_notes()

    def _remove_note(self, annotation_id: int) -> None:
        if self._store("delete_annotation", annotation_id):
            self._refresh_notes()

    def _refresh_notes(self) -> None:
        candidate = self.current
        if candidate is None:
            return
        self.selection = None
        self.notes.set_selection(None)
        self.notes.set_notes(self.db.annotations(candidate.id, self.question.id))
        self._push_html(self._answer_page(candidate, self.db.score(candidate.id, self.question.id)))

    def save(self) -> bool:
        """Mark the current answer as graded with what the fields show (points of 0 included);
        False (with a message) if the grader's input cannot be accepted."""
        candidate = self.current
        if candidate is None:
            return False
        score = self.db.score(candidate.id, self.question.id)
        if self.override_box.isChecked() and not self.override_reason.text().strip():
            self._say("An override needs a reason (it goes into the candidate's record).", ok=False)
            return False
        self._override_changed()
        if score.status == "manual-pending":
            return self._hand_mark(self.points.value(), dict(self.rubric.chosen))
        return self._store("set_comment", candidate.id, self.question.id, self.comment.toPlainText().strip())

    def save_and_next(self) -> None:
        if not self.save():
            return
        if self.position + 1 < len(self.visible):
            self.position += 1
            self._show_current()
        else:
            self._show_current()
            self._say("Saved. That was the last candidate for this question.", ok=True)

    def _say(self, text: str, *, ok: bool) -> None:
        self.message.setStyleSheet("color: #2a7d4f;" if ok else "color: #b3261e;")
        self.message.setText(text)

    # -- the page ------------------------------------------------------------------------------

    def _answer_page(self, candidate: Candidate, score: StoredScore) -> str:
        q = self.question
        for fig in q.figures:
            self.view.scheme_handler.add_generated(
                f"figure/{figure_id(fig)}.svg", figure_file(fig).read_bytes()
            )
        response = self.db.responses(candidate.bundle_sha256).get(q.id)
        rubric = getattr(q.answer, "rubric", "")
        aside = []
        if rubric.strip():
            aside += ["<h3>Rubric</h3>", markdown(q, rubric)]
        if q.kind != "essay":
            aside += ["<h3>Key</h3>", key_html(q, self.exam.language)]
        if q.explanation.strip():
            aside += ["<h3>Explanation</h3>", markdown(q, q.explanation)]
        self._essay_text = ""
        if isinstance(q.answer, Essay) and response is not None and response.answered:
            self._essay_text = str(response.value)
            notes = self.db.annotations(candidate.id, q.id)
            words = len(self._essay_text.split())
            answer = (
                f'<div class="answer-view"><div class="essay" id="essay">'
                f"{annotated_essay_html(self._essay_text, notes)}</div>"
                f'<p class="words">{words} words</p></div>{notes_list_html(notes, "Notes")}'
            )
        else:
            answer = response_html(q, response, self.exam.language)
        return (
            f'<div class="who">{escaped(self._name(candidate))} · {escaped(q.title)} · '
            f"{q.points:g} point{'' if q.points == 1 else 's'}</div>"
            f'<div class="stem">{stem_html(q)}</div>'
            f'<div class="columns"><section><h3>Answer</h3>{answer}</section>'
            f"<aside>{''.join(aside)}</aside></div>"
        )

    def _push_html(self, html: str) -> None:
        if not self._page_ready:
            self._pending_html = html
            return
        call_js(self.view.page(), "grader.show", html)

    def _choose_report_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the reports")
        if folder:
            self.write_reports(Path(folder))

    def write_reports(self, folder: Path) -> None:
        """Results CSV, feedback pages and statistics into `folder`, off the GUI thread; the
        progress bar in the status bar follows it and `reports_done` says how it ended."""
        if self._report_thread is not None and self._report_thread.isRunning():
            self._say("The reports are still being written.", ok=False)
            return
        job = ReportJob(self.db.path, self.exam.id, folder)
        job.progress.connect(self._report_progressed)
        job.finished.connect(self._report_written)  # methods of the window: run on the GUI thread
        job.failed.connect(self._report_failed)
        self._report_job = job
        self.report_progress.setRange(0, 0)
        self.report_progress.show()
        self._report_thread = start_report_job(job, self)

    def _report_progressed(self, done: int, total: int) -> None:
        self.report_progress.setRange(0, total)
        self.report_progress.setValue(done)

    def _report_written(self, text: str) -> None:
        self.report_progress.hide()
        self._say(text, ok=True)
        self.reports_done.emit(text)

    def _report_failed(self, text: str) -> None:
        self.report_progress.hide()
        self._say(text, ok=False)
        self.reports_done.emit(text)

    def request_paint(self) -> None:
        """Emit `painted` once the page has drawn what it shows now (for screenshots)."""
        call_js(self.view.page(), "grader.whenPainted")

    def _on_message(self, kind: str, data: dict[str, Any]) -> None:
        if kind == GraderMessage.READY:
            self._page_ready = True
            if self._pending_html is not None:
                html, self._pending_html = self._pending_html, None
                self._push_html(html)
        elif kind == GraderMessage.SHOWN:
            self.answer_shown.emit()
        elif kind == GraderMessage.PAINTED:
            self.painted.emit()
        elif kind == GraderMessage.SELECTION:
            start, end = data.get("start"), data.get("end")
            valid = (
                isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(self._essay_text)
            )
            self.selection = (start, end) if valid else None  # type: ignore[assignment]
            self.notes.set_selection(self._essay_text[start:end] if valid else None)  # type: ignore[misc]
            self.selection_changed.emit()
        elif kind == GraderMessage.PAGE_ERROR:
            log.warning("grading page: %s", data.get("message"))

    def closeEvent(self, event) -> None:
        self.bridge.close()
        if self._report_thread is not None:
            self._report_thread.quit()
            self._report_thread.wait()
        super().closeEvent(event)


def _auto_text(score: StoredScore) -> str:
    """What the mark is now and where it comes from, in one line."""
    now = f"Mark now: {score.points:g} of {score.max_points:g}"
    if score.override_points is not None:
        return f"{now} · set by a grader: {score.override_reason}"
    if score.status == "manual-pending":
        hand = "not graded yet" if score.manual_points is None else f"{score.manual_points:g} given by hand"
        by_hand = f"up to {score.pending:g} by hand ({hand})"
        return f"{now} · {score.auto_points:g} automatic + {by_hand}"
    return f"{now} · " + {
        "dont-know": "“I don’t know yet”",
        "unanswered": "no answer",
    }.get(score.status, "graded automatically")


def run_grader_window(
    db_path: Path, *, exam_id: str | None = None, show_names: bool = False, grader: str = ""
) -> int:
    """Open the grading window on a grader database; returns the exit code."""
    from exam_desktop.gui.application import qt_application

    if not Path(db_path).exists():
        raise KnownError(
            f"There is no grader database {db_path}; import bundles first "
            "(exam-desktop grade import --key EXAM.key BUNDLES...) or name it with --db."
        )
    db = GraderDB.open(db_path)
    try:
        exam = db.exam(exam_id)
        if not db.candidates(exam.id):
            raise KnownError(f"{db_path} holds no candidates yet: import their bundles first.")
        app = qt_application()
        window = GraderWindow(db, exam, show_names=show_names, grader=grader)
        window.show()
        return app.exec()
    finally:
        db.close()
