"""The grading window: one question at a time, across all candidates, anonymised by default.

Pick a question; the page shows the question, the candidate's answer (as the exam showed it, with
math and code), and beside it the rubric and the key. On the right: points for the part graded by
hand, a comment, and an override of the whole mark with a reason. Keys: Ctrl+Enter saves and moves
to the next candidate, PgDn / PgUp move without saving, Ctrl+Up / Ctrl+Down change question.

The page is loaded once in the app's locked web view; each answer is pushed in through
`bridge.js_call` and typeset by MathJax; the page reports "shown" by setting its title.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam, Question
from exam_desktop.core.page.answer_view import (
    escaped,
    key_html,
    markdown,
    response_html,
    stem_html,
)
from exam_desktop.core.page.drawing import figure_file
from exam_desktop.core.page.figures import figure_id
from exam_desktop.core.page.render import highlight_css
from exam_desktop.grading.db import Candidate, GraderDB, StoredScore
from exam_desktop.gui.bridge import js_call
from exam_desktop.gui.webview import SHELL_URL, LockedWebView

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Grading</title>
<link rel="stylesheet" href="exam://app/grader.css">
<link rel="stylesheet" href="exam://app/highlight.css">
<link rel="stylesheet" href="exam://app/answers.css">
<script src="exam://app/mathjax-config.js"></script>
<script src="exam://app/mathjax/tex-svg-full.js" async></script>
<script src="exam://app/grader.js"></script>
</head><body><div id="view"></div></body></html>
"""

SCRIPT = """"use strict";
window.grader = (() => {
  let shown = 0;
  function show(html) {
    const view = document.getElementById("view");
    view.innerHTML = html;
    window.scrollTo(0, 0);
    const done = () => { shown += 1; document.title = "shown " + shown; };
    const ready = window.mathjaxReady || Promise.resolve();
    ready.then(() => MathJax.typesetPromise([view])).then(done, (error) => {
      console.error(String(error));
      done();
    });
  }
  return { show };
})();
"""

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; color: #1d2330; margin: 0; padding: 1rem 1.25rem; }
h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
h3 { font-size: .9rem; text-transform: uppercase; letter-spacing: .04em; color: #5b6472;
     margin: 1rem 0 .4rem; }
.who { color: #5b6472; font-size: .9rem; }
.columns { display: grid; grid-template-columns: 3fr 2fr; gap: 1.25rem; }
aside { background: #f6f7f9; border-radius: .5rem; padding: .25rem 1rem .75rem; }
.stem { border-bottom: 1px solid #d5d9e0; padding-bottom: .5rem; }
.answer-view .essay { border: 1px solid #ece3c4; }  /* the text being graded stands out */
.auto { font-size: .9rem; }
img.figure { max-width: 100%; }
"""


class GraderWindow(QMainWindow):
    """Manual grading of one exam in a grader database."""

    answer_shown = Signal()  # the page has shown (and typeset) the current answer

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
        self._page_ready = False
        self._pending_html: str | None = None
        self.setWindowTitle(f"Grading — {exam.title}")
        self._build()
        self._install_shortcuts()
        first = next((i for i, q in enumerate(exam.questions) if self._count(q)[1] > self._count(q)[0]), 0)
        self.question_box.setCurrentIndex(first)
        self._select_question(first)

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
        handler.add_generated("shell.html", PAGE.encode())
        handler.add_generated("grader.js", SCRIPT.encode())
        handler.add_generated("grader.css", STYLE.encode())
        handler.add_generated("highlight.css", highlight_css().encode())
        self.view.loadFinished.connect(self._page_loaded)
        self.view.titleChanged.connect(self._title_changed)
        self.view.load(SHELL_URL)

        self.candidate_label = QLabel()
        self.candidate_label.setObjectName("candidate")
        self.candidate_label.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.auto_label = QLabel()
        self.auto_label.setWordWrap(True)
        self.points = QDoubleSpinBox()
        self.points.setDecimals(2)
        self.points.setSingleStep(0.5)
        self.points_of = QLabel()
        points_row = QHBoxLayout()
        points_row.addWidget(self.points)
        points_row.addWidget(self.points_of)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText("Comment for the candidate (shown in their feedback)")
        self.comment.setTabChangesFocus(True)
        self.comment.setMaximumHeight(140)

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

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.previous_button = QPushButton("◀ Previous  (PgUp)")
        self.previous_button.clicked.connect(self.previous_candidate)
        self.save_button = QPushButton("Save && next  (Ctrl+Enter)")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_and_next)
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.save_button, 1)

        side = QWidget()
        form = QVBoxLayout(side)
        form.addWidget(self.candidate_label)
        form.addWidget(self.auto_label)
        self.points_title = QLabel("Points for the part graded by hand")
        form.addWidget(self.points_title)
        form.addLayout(points_row)
        form.addWidget(QLabel("Comment"))
        form.addWidget(self.comment)
        form.addWidget(self.override_box)
        form.addWidget(self.message)
        form.addStretch(1)
        form.addLayout(buttons)
        side.setMinimumWidth(360)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self.resize(1280, 800)

    def _install_shortcuts(self) -> None:
        for keys, slot in (
            ("Ctrl+Return", self.save_and_next),
            ("Ctrl+Enter", self.save_and_next),
            ("PgDown", self.next_candidate),
            ("PgUp", self.previous_candidate),
            ("Ctrl+Down", lambda: self._step_question(+1)),
            ("Ctrl+Up", lambda: self._step_question(-1)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    # -- navigation ----------------------------------------------------------------------------

    def _question_index(self) -> int:
        return max(0, self.question_box.currentIndex())

    def _step_question(self, step: int) -> None:
        index = min(max(0, self._question_index() + step), len(self.exam.questions) - 1)
        self.question_box.setCurrentIndex(index)

    def _select_question(self, index: int) -> None:
        self.question = self.exam.questions[max(0, index)]
        qid = self.question.id
        given = []  # the candidates who were given this question (a package may draw N each)
        for c in self.candidates:
            score = self.db.scores(c.id).get(qid)
            if score is not None and (score.needs_grading or not self.only_ungraded.isChecked()):
                given.append(c)
        self.visible = given
        self.position = 0
        self._show_current()

    def next_candidate(self) -> None:
        if self.position + 1 < len(self.visible):
            self.position += 1
            self._show_current()

    def previous_candidate(self) -> None:
        if self.position > 0:
            self.position -= 1
            self._show_current()

    @property
    def current(self) -> Candidate | None:
        return self.visible[self.position] if 0 <= self.position < len(self.visible) else None

    def _show_current(self) -> None:
        self._update_progress()
        candidate = self.current
        self.message.clear()
        if candidate is None:
            self.candidate_label.setText("Nobody left to grade on this question.")
            self._push_html("<p class='manual'>Every answer to this question is graded.</p>")
            for w in (self.points, self.comment, self.override_box, self.save_button):
                w.setEnabled(False)
            return
        score = self.db.score(candidate.id, self.question.id)
        self.candidate_label.setText(f"{self._name(candidate)}  ({self.position + 1} of {len(self.visible)})")
        self.auto_label.setText(_auto_text(score))
        manual = score.status == "manual-pending"
        self.points_title.setEnabled(manual)
        self.points.setEnabled(manual)
        self.points.setRange(0.0, score.pending if manual else 0.0)
        self.points.setValue(score.manual_points or 0.0)
        self.points_of.setText(f"of {score.pending:g}" if manual else "automatic")
        self.comment.setEnabled(True)
        self.comment.setPlainText(score.comment)
        self.override_box.setEnabled(True)
        self.override_box.setChecked(score.override_points is not None)
        self.override_points.setRange(min(0.0, self.question.points), self.question.points)
        self.override_points.setValue(
            score.override_points if score.override_points is not None else score.points
        )
        self.override_reason.setText(score.override_reason)
        self.save_button.setEnabled(True)
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

    # -- saving --------------------------------------------------------------------------------

    def save(self) -> bool:
        """Store points, comment and override for the current answer; False (with a message)
        if the grader's input cannot be accepted."""
        candidate = self.current
        if candidate is None:
            return False
        qid = self.question.id
        score = self.db.score(candidate.id, qid)
        try:
            with self.db.atomic():
                if self.override_box.isChecked():
                    self.db.override(
                        candidate.id,
                        qid,
                        self.override_points.value(),
                        self.override_reason.text(),
                        grader=self.grader,
                    )
                elif score.override_points is not None:
                    self.db.clear_override(candidate.id, qid)
                if score.status == "manual-pending":
                    self.db.grade_by_hand(
                        candidate.id,
                        qid,
                        self.points.value(),
                        grader=self.grader,
                        comment=self.comment.toPlainText().strip(),
                    )
                else:
                    self.db.set_comment(candidate.id, qid, self.comment.toPlainText().strip())
        except KnownError as exc:
            self.message.setStyleSheet("color: #b3261e;")
            self.message.setText(str(exc))
            return False
        self._update_progress()
        return True

    def save_and_next(self) -> None:
        if not self.save():
            return
        if self.position + 1 < len(self.visible):
            self.position += 1
            self._show_current()
        else:
            self._show_current()
            self.message.setStyleSheet("color: #2a7d4f;")
            self.message.setText("Saved. That was the last candidate for this question.")

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
        return (
            f'<div class="who">{escaped(self._name(candidate))} · {escaped(q.title)} · '
            f"{q.points:g} point{'' if q.points == 1 else 's'}</div>"
            f'<div class="stem">{stem_html(q)}</div>'
            f'<div class="columns"><section><h3>Answer</h3>'
            f"{response_html(q, response, self.exam.language)}</section>"
            f"<aside>{''.join(aside)}</aside></div>"
        )

    def _push_html(self, html: str) -> None:
        if not self._page_ready:
            self._pending_html = html
            return
        self.view.page().runJavaScript(js_call("grader.show", html))

    def _page_loaded(self, ok: bool) -> None:
        self._page_ready = ok
        if ok and self._pending_html is not None:
            html, self._pending_html = self._pending_html, None
            self._push_html(html)

    def _title_changed(self, title: str) -> None:
        if title.startswith("shown "):
            self.answer_shown.emit()


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
