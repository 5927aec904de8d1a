"""Questions rendered exactly as candidates see them, to PNG files, for authors checking a bank.

Runs the real exam window offscreen on a throw-away answer file; each question is shown, typeset by
MathJax, drawn, then grabbed and cropped to its content.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer, SignalInstance
from PySide6.QtGui import QImage

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam
from exam_desktop.core.seat.saving import PracticeAnswers
from exam_desktop.core.seat.timer import ExamClock
from exam_desktop.gui.application import qt_application
from exam_desktop.gui.exam_window import ExamWindow

WIDTH = 1280
# Tall enough for nearly every question, so the view is rarely resized between shots (a resized
# view takes a few frames to catch up); the picture is cropped to the content.
HEIGHT = 3200
TIMEOUT_MS = 30_000
STABLE_ROUNDS = 12


class PreviewTimeout(KnownError):
    pass


@dataclass
class PreviewedQuestion:
    question_id: str
    path: Path
    math_errors: list[str]


def wait_for(signal: SignalInstance, accept: Callable[..., bool], what: str) -> None:
    """Run the event loop until `signal` fires with arguments `accept` likes."""
    loop = QEventLoop()
    outcome: dict[str, bool] = {}

    def on_signal(*args: object) -> None:
        if accept(*args):
            outcome["ok"] = True
            loop.quit()

    signal.connect(on_signal)
    QTimer.singleShot(TIMEOUT_MS, loop.quit)
    if not outcome:
        loop.exec()
    signal.disconnect(on_signal)
    if not outcome:
        raise PreviewTimeout(f"The page did not finish {what} within {TIMEOUT_MS // 1000} s.")


def render_previews(
    exam: Exam, out: Path, question_id: str | None = None, *, file_name: str | None = None
) -> list[PreviewedQuestion]:
    """One PNG per question (or only `question_id`) in folder `out` (or `out/file_name`)."""
    if question_id is not None and question_id not in {q.id for q in exam.questions}:
        known = ", ".join(q.id for q in exam.questions)
        raise KnownError(f"The bank has no question with id {question_id!r}. Its ids: {known}.")
    qt_application()
    out.mkdir(parents=True, exist_ok=True)
    done: list[PreviewedQuestion] = []
    with tempfile.TemporaryDirectory(prefix="exam-preview-") as tmp:
        answers = PracticeAnswers.open(Path(tmp) / "answers.sqlite")
        window = ExamWindow(exam, answers, ExamClock(exam.duration_minutes * 60))
        window.resize(WIDTH, HEIGHT)
        window.show()
        try:
            wait_for(window.ready, lambda: True, "loading")
            targets = [question_id] if question_id else [q.id for q in exam.questions]
            for qid in targets:
                path = out / (file_name or f"{qid}.png")
                errors = _shoot(window, qid, path)
                done.append(PreviewedQuestion(qid, path, errors))
        finally:
            window.close()
            answers.close()
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return done


def _shoot(window: ExamWindow, question_id: str, path: Path) -> list[str]:
    def show() -> None:
        window.go_to(question_id)
        wait_for(window.shown, lambda view, qid: qid == question_id, f"typesetting {question_id}")

    show()
    height = _content_height(window)
    if height > window.view.height():
        window.resize(WIDTH, window.height() - window.view.height() + height)
        show()  # shown again at the new size, so the layout is final
    image = _stable_grab(window, question_id)
    image = image.copy(0, 0, image.width(), min(image.height(), height + 16))
    if not image.save(str(path)):
        raise KnownError(f"Cannot write {path}.")
    return list(window.last_math_errors)


def _stable_grab(window: ExamWindow, token: str) -> QImage:
    """The view's picture once two grabs after drawn frames agree (frames reach Qt with a lag)."""
    previous: QImage | None = None
    for _ in range(STABLE_ROUNDS):
        window.request_paint(token)
        wait_for(window.painted, lambda t: t == token, f"drawing {token}")
        image = window.view.grab().toImage()
        if previous is not None and image == previous:
            return image
        previous = image
    assert previous is not None
    return previous


def _content_height(window: ExamWindow) -> int:
    result: dict[str, int] = {}
    loop = QEventLoop()

    def got(value: object) -> None:
        result["height"] = int(value) if isinstance(value, (int, float)) else 0
        loop.quit()

    window.page.runJavaScript("exam.contentHeight()", 0, got)
    QTimer.singleShot(TIMEOUT_MS, loop.quit)
    if "height" not in result:
        loop.exec()
    return result.get("height", window.view.height())
