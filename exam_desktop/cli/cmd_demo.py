"""`exam-desktop demo [BANK]`: a bank in practice mode, in a normal window, with results at the end."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from exam_desktop.paths import BANKS_DIR, data_dir

NAME = "demo"
HELP = "take a bank as a practice exam in a normal window (default: the Machine Learning Engineers Test)"
DEFAULT_BANK = BANKS_DIR / "ml-engineers-test.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "bank", type=Path, nargs="?", default=DEFAULT_BANK, metavar="BANK",
        help=f"the bank (.md file or folder); default: {DEFAULT_BANK.name}",
    )


def run(args: argparse.Namespace) -> int:
    from exam_desktop.core.bank import load_bank

    exam = load_bank(args.bank)  # a bad bank is reported before any window opens

    from exam_desktop.core.storage import AnswerStore
    from exam_desktop.core.timer import ExamClock
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.exam_window import ExamWindow

    app = qt_application()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    store = AnswerStore.open(data_dir() / "practice" / f"{exam.id}-{stamp}.sqlite")
    window = ExamWindow(exam, store, ExamClock(exam.duration_minutes * 60), practice=True)
    window.show()
    print(f"Practice answers are saved in {store.path}")
    try:
        return app.exec()
    finally:
        store.close()
