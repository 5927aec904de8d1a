"""`exam-desktop demo [BANK]`: a bank in practice mode, in a normal window, with results at the end."""

from __future__ import annotations

import argparse
from pathlib import Path

from exam_desktop.core.errors import KnownError
from exam_desktop.paths import BANKS_DIR

NAME = "demo"
HELP = "take a bank as a practice exam in a normal window (default: the Machine Learning Engineers Test)"
DEFAULT_BANK = BANKS_DIR / "ml-engineers-test.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "bank",
        type=Path,
        nargs="?",
        default=DEFAULT_BANK,
        metavar="BANK",
        help=f"the bank (.md file or folder); default: {DEFAULT_BANK.name}",
    )


def run(args: argparse.Namespace) -> int:
    if not args.bank.exists():
        raise KnownError(f"{args.bank}: no such file")
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.practice import open_practice

    app = qt_application()
    _window, answers = open_practice(args.bank)  # a bad bank: BankError before any window is shown
    print(f"Practice answers will be saved in {answers.path}")
    try:
        return app.exec()
    finally:
        answers.close()
