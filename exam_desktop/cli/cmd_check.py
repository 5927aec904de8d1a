"""`exam-desktop check PATH...`: validate banks, one summary line each, every problem with its line
(images the bank refers to but does not have next to it included)."""

from __future__ import annotations

import argparse
import sys

from exam_desktop.core.bank import find_banks, load_bank, missing_images, summarize
from exam_desktop.core.errors import BankError, KnownError

NAME = "check"
HELP = "validate question banks (files or folders) and summarise each"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="bank files or folders of banks")
    parser.add_argument(
        "--scoring",
        action="store_true",
        help="also show what the scoring rules give a candidate who guesses, says “I don’t know yet”, "
        "or knows half the answers, and the chance of passing by guessing",
    )
    parser.add_argument(
        "--pass",
        dest="pass_mark",
        default=None,
        metavar="MARK",
        help="with --scoring: the pass mark, as a share (60%%, the default) or in points",
    )


def run(args: argparse.Namespace) -> int:
    if args.pass_mark is not None and not args.scoring:
        raise KnownError("--pass needs --scoring: the pass mark is used only by the scoring table")
    banks = find_banks(args.paths)
    if not banks:
        raise KnownError(f"no banks (.md files) found in {', '.join(args.paths)}")
    failed = 0
    for path in banks:
        try:
            exam = load_bank(path)
            missing = missing_images(exam, path.parent)
            if missing:  # the bank reads, but a candidate would see a broken image
                raise BankError(missing)
        except BankError as exc:
            failed += 1
            count = len(exc.problems)
            print(f"{path}: INVALID — {count} problem{'s' if count != 1 else ''}")
            for problem in exc.problems:
                print(f"  {problem}")
        except KnownError as exc:
            failed += 1
            print(f"{path}: INVALID — {exc}")
        else:
            print(f"{path}: valid — {summarize(exam)}")
            if args.scoring:
                from exam_desktop.grading.guessing import chances_table, exam_chances

                print(chances_table(exam_chances(exam, args.pass_mark or "60%")))
    print(
        f"{len(banks) - failed} of {len(banks)} bank{'s' if len(banks) != 1 else ''} valid", file=sys.stderr
    )
    return 1 if failed else 0
