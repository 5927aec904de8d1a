"""The grading window: grading an essay, keyboard navigation, overriding an automatic mark."""

from __future__ import annotations

import pytest
from grading_sample import PERFECT, answers, sample_exam

from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.importer import file_verified_bundle

pytestmark = pytest.mark.gui

ESSAYS = {
    "ada@uni.it": "A generator $G(z)$ and a discriminator $D(x)$ play\n$\\min_G \\max_D V(D, G)$.",
    "bo@uni.it": "Two networks compete.",
    "cy@uni.it": "",  # no essay: nothing to grade
    "di@uni.it": "They generate images.",
}


class Verified:
    def __init__(self, email: str, responses):
        self.manifest = {"candidate": {"name": email.split("@")[0].title(), "email": email}}
        self.responses = responses
        self.receipt = email[:4].upper()
        self.sha256 = (email.encode().hex() * 8)[:64]


@pytest.fixture
def db(tmp_path):
    grader_db = GraderDB.open(tmp_path / "grader.db")
    grader_db.put_exam(sample_exam(), "package-hash", "key-1")
    for email, essay in ESSAYS.items():
        bundle = Verified(email, answers(**{**PERFECT, "gans": essay}))
        file_verified_bundle(grader_db, sample_exam(), bundle, f"{email}.bundle")
    yield grader_db
    grader_db.close()


@pytest.fixture
def window(qtbot, db):
    from PySide6.QtCore import QCoreApplication, QEvent

    from exam_desktop.gui.grader_window import GraderWindow

    win = GraderWindow(db, sample_exam(), grader="mb")
    with qtbot.waitSignal(win.answer_shown, timeout=20000):
        win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    yield win
    win.close()
    win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # page before profile


def choose_question(qtbot, win, question_id: str) -> None:
    index = [q.id for q in win.exam.questions].index(question_id)
    with qtbot.waitSignal(win.answer_shown, timeout=10000):
        win.question_box.setCurrentIndex(index)


def page_text(qtbot, win) -> str:
    texts = []
    win.view.page().toPlainText(texts.append)
    qtbot.waitUntil(lambda: bool(texts))
    return texts[0]


def test_grading_an_essay_with_the_keyboard(qtbot, window, db, tmp_path):
    from PySide6.QtCore import Qt

    choose_question(qtbot, window, "gans")
    assert window.progress.text() == "0 of 3 graded"
    assert window.candidate_label.text() == "Candidate 1  (1 of 4)"  # anonymous by default
    text = page_text(qtbot, window)
    assert "RUBRIC" in text.upper() and "generator vs discriminator" in text
    assert "Ada" not in text
    # MathJax typeset the candidate's math.
    typeset = []
    window.view.page().runJavaScript(
        "document.querySelectorAll('#view mjx-container').length", 0, typeset.append
    )
    qtbot.waitUntil(lambda: bool(typeset))
    assert typeset[0] >= 2
    window.grab().save(str(tmp_path / "grading-essay.png"))

    window.points.setValue(1.5)
    qtbot.keyClicks(window.comment, "Clear; the training loop is missing.")
    with qtbot.waitSignal(window.answer_shown, timeout=10000):
        qtbot.keyClick(window.comment, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.candidate_label.text() == "Candidate 2  (2 of 4)"
    assert window.progress.text() == "1 of 3 graded"
    assert window.statusBar().currentMessage() == "Whole exam: 1 of 7 answers graded by hand"
    ada = db.candidates(sample_exam().id)[0]
    saved = db.score(ada.id, "gans")
    assert (saved.manual_points, saved.comment, saved.grader) == (
        1.5,
        "Clear; the training loop is missing.",
        "mb",
    )

    # PgUp goes back to the graded answer, showing what was saved.
    with qtbot.waitSignal(window.answer_shown, timeout=10000):
        qtbot.keyClick(window.points, Qt.Key.Key_PageUp)
    assert window.candidate_label.text() == "Candidate 1  (1 of 4)"
    assert window.points.value() == 1.5

    # Points above what the essay is worth cannot be typed in.
    window.points.setValue(7)
    assert window.points.value() == 2.0


def test_only_ungraded_skips_blank_and_graded_answers(qtbot, window):
    choose_question(qtbot, window, "gans")
    with qtbot.waitSignal(window.answer_shown, timeout=10000):
        window.only_ungraded.setChecked(True)
    assert [c.number for c in window.visible] == [1, 2, 4]  # Candidate 3 wrote nothing


def test_overriding_an_automatic_mark_needs_a_reason(qtbot, window, db):
    choose_question(qtbot, window, "mlp")
    assert window.progress.text() == "automatic (4 candidates)"
    assert not window.points.isEnabled()
    window.override_box.setChecked(True)
    window.override_points.setValue(1.0)
    window.save_and_next()
    assert "needs a reason" in window.message.text()
    assert window.candidate_label.text() == "Candidate 1  (1 of 4)"

    window.override_reason.setText("answer written without the biases, accepted by the board")
    with qtbot.waitSignal(window.answer_shown, timeout=10000):
        window.save_and_next()
    ada = db.candidates(sample_exam().id)[0]
    score = db.score(ada.id, "mlp")
    assert (score.points, score.grader) == (1.0, "mb")
    assert score.override_reason.startswith("answer written without")
