"""The grading window's tools: rubric buttons and their keys, every change stored at once, resuming
where the grader stopped, next/previous answer to grade, the comment bank, notes on passages."""

from __future__ import annotations

from pathlib import Path

import pytest
from grading_sample import PERFECT, answers, sample_exam

from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.feedback import feedback_page
from exam_desktop.grading.importer import file_verified_bundle
from exam_desktop.grading.results import exam_results

pytestmark = pytest.mark.gui

OUT = Path(__file__).resolve().parents[2] / "out"
ESSAYS = {
    "ada@uni.it": "A generator $G(z)$ and a discriminator $D(x)$ play a minimax game.\nThey alternate.",
    "bo@uni.it": "Two networks compete.",
    "cy@uni.it": "",  # nothing to grade
    "di@uni.it": "They generate images.",
}


class Verified:
    def __init__(self, email: str, responses):
        self.manifest = {"candidate": {"name": email.split("@")[0].title(), "email": email}}
        self.responses = responses
        self.receipt = email[:4].upper()
        self.sha256 = (email.encode().hex() * 8)[:64]


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "grader.db"
    db = GraderDB.open(path)
    db.put_exam(sample_exam(), "package-hash", "key-1")
    for email, essay in ESSAYS.items():
        file_verified_bundle(db, sample_exam(), Verified(email, answers(**{**PERFECT, "gans": essay})), email)
    db.close()
    return path


def open_window(qtbot, db, grader="mb"):
    from exam_desktop.gui.grader_window import GraderWindow

    win = GraderWindow(db, sample_exam(), grader=grader)
    with qtbot.waitSignal(win.answer_shown, timeout=20000):
        win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    return win


def close_window(win):
    from PySide6.QtCore import QCoreApplication, QEvent

    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # page before profile


def choose_question(qtbot, win, question_id: str) -> None:
    index = [q.id for q in win.exam.questions].index(question_id)
    with qtbot.waitSignal(win.answer_shown, timeout=10000):
        win.question_box.setCurrentIndex(index)


def screenshot(qtbot, win, name: str) -> None:
    """The window as a grader sees it, once the page has delivered its newest frame (a few
    round trips to the page process) — for looking at, not for asserting."""
    for _ in range(5):
        with qtbot.waitSignal(win.painted, timeout=10000):
            win.request_paint()
    OUT.mkdir(exist_ok=True)
    win.grab().save(str(OUT / name))


def run_js(qtbot, win, source: str):
    result = []
    win.view.page().runJavaScript(source, 0, lambda value: result.append(value))
    qtbot.waitUntil(lambda: bool(result))
    return result[0]


def test_rubric_levels_by_button_and_key_are_stored_at_once(qtbot, db_path):
    from PySide6.QtCore import Qt

    db = GraderDB.open(db_path)
    win = open_window(qtbot, db)
    try:
        choose_question(qtbot, win, "gans")
        ada = db.candidates(sample_exam().id)[0]
        assert [c.levels for c in win.rubric.criteria] == [(0, 0.5, 1), (0, 0.5, 1)]
        with qtbot.waitSignal(win.saved):
            qtbot.mouseClick(win.rubric.buttons["c1"][2], Qt.MouseButton.LeftButton)  # 1 point
        assert (db.score(ada.id, "gans").manual_points, db.rubric_levels(ada.id, "gans")) == (
            1.0,
            {"c1": 1.0},
        )
        for _ in range(2):  # Alt+2 twice: criterion 2 to 0, then to 0.5
            with qtbot.waitSignal(win.saved):
                qtbot.keyClick(win, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
        assert win.points.value() == 1.5
        assert db.rubric_levels(ada.id, "gans") == {"c1": 1.0, "c2": 0.5}
        assert db.score(ada.id, "gans").manual_points == 1.5
        assert win.rubric.buttons["c2"][1].isChecked() and not win.rubric.buttons["c2"][2].isChecked()
        screenshot(qtbot, win, "grading-rubric.png")
    finally:
        close_window(win)
        db.close()


def test_a_typed_mark_survives_closing_and_the_window_resumes_there(qtbot, db_path):
    from PySide6.QtCore import Qt

    db = GraderDB.open(db_path)
    win = open_window(qtbot, db)
    try:
        choose_question(qtbot, win, "gans")
        with qtbot.waitSignal(win.answer_shown):
            qtbot.keyClick(win.points, Qt.Key.Key_PageDown)  # to Candidate 2
        win.points.setValue(0.5)
        qtbot.keyClicks(win.comment, "Too short")
    finally:
        close_window(win)  # no "save" pressed
    bo = db.candidates(sample_exam().id)[1]
    assert (db.score(bo.id, "gans").manual_points, db.score(bo.id, "gans").comment) == (0.5, "Too short")
    win = open_window(qtbot, db)
    try:
        assert win.question.id == "gans"
        assert win.candidate_label.text() == "Candidate 2  (2 of 4)"
        assert (win.points.value(), win.comment.toPlainText()) == (0.5, "Too short")
        # Another grader starts at the first answer to grade, not where "mb" stopped.
        other = open_window(qtbot, db, grader="lb")
        assert other.candidate_label.text().startswith("Candidate 1")
        close_window(other)
    finally:
        close_window(win)
        db.close()


def test_next_and_previous_answer_to_grade(qtbot, db_path):
    from PySide6.QtCore import Qt

    db = GraderDB.open(db_path)
    ada, bo, _cy, di = db.candidates(sample_exam().id)
    db.grade_by_hand(bo.id, "gans", 1)
    win = open_window(qtbot, db)
    try:
        choose_question(qtbot, win, "gans")
        assert win.current.id == ada.id
        with qtbot.waitSignal(win.answer_shown):
            qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
        assert win.current.id == di.id  # Bo graded, Cy wrote nothing
        qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
        assert win.message.text() == "Nothing left to grade in that direction."  # gans is the last
        with qtbot.waitSignal(win.answer_shown):
            qtbot.keyClick(win, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
        assert (win.question.id, win.current.id) == ("gans", ada.id)
        with qtbot.waitSignal(win.answer_shown):
            qtbot.keyClick(win, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
        assert (win.question.id, win.current.id) == ("summary", di.id)  # back to the question before
    finally:
        close_window(win)
        db.close()


def test_comment_bank_is_reused_across_candidates(qtbot, db_path):
    db = GraderDB.open(db_path)
    win = open_window(qtbot, db)
    try:
        choose_question(qtbot, win, "gans")
        qtbot.keyClicks(win.comment, "Name the two networks.")
        win.comment_bank.add.emit()
        assert db.comment_bank(sample_exam().id, "gans") == ["Name the two networks."]
        with qtbot.waitSignal(win.answer_shown):
            win.next_candidate()
        assert win.comment.toPlainText() == ""
        item = win.comment_bank.list.item(0)
        win.comment_bank.list.setCurrentItem(item)
        win.comment_bank.list.itemActivated.emit(item)
        bo = db.candidates(sample_exam().id)[1]
        assert db.score(bo.id, "gans").comment == "Name the two networks."
    finally:
        close_window(win)
        db.close()


def test_a_note_on_a_highlighted_passage_reaches_the_feedback(qtbot, db_path):
    db = GraderDB.open(db_path)
    win = open_window(qtbot, db)
    try:
        choose_question(qtbot, win, "gans")
        essay = ESSAYS["ada@uni.it"]
        start = essay.index("a minimax game")
        with qtbot.waitSignal(win.selection_changed, timeout=10000):
            assert run_js(qtbot, win, f"grader.selectText({start}, {start + len('a minimax game')})")
        assert win.selection == (start, start + len("a minimax game"))
        assert "a minimax game" in win.notes.selected.text()
        # A selection that starts inside a formula takes the whole formula.
        with qtbot.waitSignal(win.selection_changed, timeout=10000):
            run_js(
                qtbot,
                win,
                "(() => { const r = document.createRange();"
                " const m = document.querySelector('#essay mjx-container');"
                " r.setStart(m, 0); const t = m.closest('[data-at]').nextElementSibling;"
                " r.setEnd(t.firstChild, 2); const s = getSelection(); s.removeAllRanges(); s.addRange(r);"
                " return true; })()",
            )
        assert win.selection is not None and essay[win.selection[0] : win.selection[1]] == "$G(z)$ a"
        with qtbot.waitSignal(win.selection_changed, timeout=10000):
            run_js(qtbot, win, f"grader.selectText({start}, {start + len('a minimax game')})")
        win.notes.note.setText("Which objective? Write it down.")
        with qtbot.waitSignal(win.answer_shown, timeout=10000):
            win.add_note(win.notes.note.text())
        ada = db.candidates(sample_exam().id)[0]
        (note,) = db.annotations(ada.id, "gans")
        assert (note.quote, note.comment, note.grader) == (
            "a minimax game",
            "Which objective? Write it down.",
            "mb",
        )
        marked = run_js(qtbot, win, "document.querySelector('#essay mark.note').textContent")
        assert marked == "a minimax game"
        assert run_js(qtbot, win, "document.querySelectorAll('#essay mjx-container').length") == 2
        win.points.setValue(1.5)
        screenshot(qtbot, win, "grading-annotation.png")
    finally:
        close_window(win)
    result = exam_results(db, db.exam())[0]
    page = feedback_page(db.exam(), result)
    assert '<mark class="note" data-notes="1"><span data-at="' in page
    assert "Notes on your answer" in page and "Which objective? Write it down." in page
    db.close()


def test_a_marker_grades_a_packet_in_the_grading_window(qtbot, db_path, tmp_path):
    from PySide6.QtCore import Qt

    from exam_desktop.grading.marking import open_packet, write_marks, write_packet

    lead = GraderDB.open(db_path)
    write_packet(lead, sample_exam(), ["gans"], tmp_path / "ann.packet", marker="ann")
    lead.close()
    marker = GraderDB.open(tmp_path / "ann.db")
    exam = open_packet(marker, tmp_path / "ann.packet")
    from exam_desktop.gui.grader_window import GraderWindow

    win = GraderWindow(marker, exam, grader="ann")
    with qtbot.waitSignal(win.answer_shown, timeout=20000):
        win.show()
    try:
        assert [q.id for q in win.exam.questions] == ["gans"]  # only what the packet holds
        assert win.candidate_label.text().startswith("Candidate A0")  # anonymous tokens, no names
        with qtbot.waitSignal(win.saved):
            qtbot.mouseClick(win.rubric.buttons["c1"][2], Qt.MouseButton.LeftButton)
        screenshot(qtbot, win, "grading-packet.png")
    finally:
        close_window(win)
    assert write_marks(marker, exam.id, tmp_path / "ann.marks", marker="ann") == 1
    marker.close()


def test_reports_are_written_off_the_gui_thread_with_progress(qtbot, db_path, tmp_path):
    import threading

    db = GraderDB.open(db_path)
    win = open_window(qtbot, db)
    try:
        win.write_reports(tmp_path / "reports")
        assert win.report_progress.isVisible()
        with qtbot.waitSignal(win.reports_done, timeout=30000) as done:
            pass
        assert done.args[0].startswith(f"Reports written to {tmp_path / 'reports'}")
        assert win._report_job.thread_id not in (None, threading.get_ident())
        assert not win.report_progress.isVisible()
        assert (tmp_path / "reports" / "results.csv").exists()
        assert len(list((tmp_path / "reports" / "feedback").glob("candidate-*.html"))) == 4
        assert (tmp_path / "reports" / "stats" / "exam-report.html").exists()
        # Meanwhile the window kept working: grading goes on as before.
        choose_question(qtbot, win, "gans")
        win.points.setValue(1.0)
        assert db.score(db.candidates(sample_exam().id)[0].id, "gans").manual_points == 1.0
    finally:
        close_window(win)
        db.close()


def test_the_grading_page_speaks_only_its_own_closed_list_of_messages(qtbot, db_path):
    db = GraderDB.open(db_path)
    win = open_window(qtbot, db)
    try:
        # A name from the exam page's list, and one from nowhere: both refused, neither handled.
        for name in ("answer_changed", "delete_everything"):
            run_js(
                qtbot,
                win,
                "new Promise((done) => new QWebChannel(qt.webChannelTransport, (ch) => {"
                f" ch.objects.bridge.post(JSON.stringify({{type: '{name}'}})); done(true); }}))",
            )
        qtbot.waitUntil(lambda: len(win.bridge.rejected) == 2)
        assert ['"answer_changed"' in r or "answer_changed" in r for r in win.bridge.rejected] == [
            True,
            False,
        ]
        # Python reaches the page only through the one call helper: grader.show with JSON data.
        with qtbot.waitSignal(win.answer_shown, timeout=10000):
            win._push_html("<p id='probe'>&lt;script&gt; stays text</p>")
        assert run_js(qtbot, win, "document.getElementById('probe').textContent") == "<script> stays text"
    finally:
        close_window(win)
        db.close()
