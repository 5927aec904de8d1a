"""`exam-desktop preview BANK [--question ID] --png OUT`: questions as candidates see them, as PNGs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

NAME = "preview"
HELP = "render a bank's questions exactly as candidates see them to PNG files (offscreen)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bank", type=Path, metavar="BANK", help="the bank (.md file or folder)")
    parser.add_argument("--question", metavar="ID", help="only this question (its id)")
    parser.add_argument(
        "--png",
        type=Path,
        required=True,
        metavar="OUT",
        help="a folder for one PNG per question; with --question, OUT may also be a file ending .png",
    )


def run(args: argparse.Namespace) -> int:
    from exam_desktop.core.bank import load_bank

    exam = load_bank(args.bank)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window appears on the screen

    from exam_desktop.gui.preview import render_previews

    out: Path = args.png
    file_name = None
    if out.suffix.lower() == ".png":
        if not args.question:
            raise_known("A single .png file needs --question ID; give a folder to get every question.")
        out, file_name = out.parent, out.name
    elif out.exists() and not out.is_dir():
        raise_known(
            f"{out} is a file, not a folder: give a folder for the PNG files "
            "(or a name ending .png with --question)."
        )
    try:
        done = render_previews(exam, out, args.question, file_name=file_name)
    except OSError as exc:
        raise_known(f"Cannot write the PNG files to {out}: {exc.strerror or exc}.")
    problems = 0
    for item in done:
        print(item.path)
        for error in item.math_errors:
            problems += 1
            print(f"{args.bank}: question {item.question_id}: formula error: {error}", file=sys.stderr)
    print(
        f"{len(done)} question(s) rendered to {out}" + (f", {problems} formula error(s)" if problems else "")
    )
    return 1 if problems else 0


def raise_known(message: str) -> NoReturn:
    from exam_desktop.core.errors import KnownError

    raise KnownError(message)
