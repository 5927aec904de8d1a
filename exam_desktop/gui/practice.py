"""Practice mode: a bank taken in a normal window, with the key, ending with the results page."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from exam_desktop.gui.application import qt_application
from exam_desktop.gui.exam_page import ExamPage

if TYPE_CHECKING:
    from exam_desktop.core.model import Exam
    from exam_desktop.core.seat.saving import PracticeAnswers
    from exam_desktop.gui.exam_window import ExamWindow


def open_practice(bank: Path) -> tuple[ExamWindow, PracticeAnswers]:
    """Read `bank` and show it as a practice exam; raises BankError (a KnownError) for a bad bank.

    Returns the window and its answer file (the caller closes that after the window).

    The page starts loading first: QtWebEngine starts its processes and parses MathJax while the
    bank is read on a worker thread; then the window is built. The run's new answer file is made
    on a worker thread once the first question is on screen (nothing is saved in it before).
    """
    app = qt_application()
    page = ExamPage()
    exam = page.load_while(lambda: _read_bank(bank))
    from exam_desktop.core.seat.saving import PracticeAnswers
    from exam_desktop.core.seat.timer import ExamClock
    from exam_desktop.gui.exam_window import ExamWindow
    from exam_desktop.paths import data_dir

    app.processEvents()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    answers = PracticeAnswers.new(data_dir() / "practice" / f"{exam.id}-{stamp}.sqlite")
    window = ExamWindow(exam, answers, ExamClock(exam.duration_minutes * 60), practice=True, page=page)
    window.ready.connect(answers.open_in_background)
    window.show()
    return window, answers


def _read_bank(bank: Path) -> Exam:
    """The bank, read off the GUI thread; with it the Qt-free modules the window needs are loaded
    there too (Markdown for the page takes the longest)."""
    import exam_desktop.core.page.question_data
    import exam_desktop.core.seat.saving  # noqa: F401
    from exam_desktop.core.bank import load_bank

    return load_bank(bank)
