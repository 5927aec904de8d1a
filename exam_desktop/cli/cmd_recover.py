"""`exam-desktop recover ANSWERS.db [-o NEW.db]`: save what is readable from a damaged answer file."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "recover"
HELP = "copy the answers and journal still readable in a damaged answer file into a new one"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "damaged", type=Path, metavar="ANSWERS.db", help="the damaged answer file (left unchanged)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="NEW.db",
        help="where to write the recovered file (default: next to it, NAME.recovered.db)",
    )


def run(args: argparse.Namespace) -> int:
    from exam_desktop.core.seat.recovery import recover_answers

    recovery = recover_answers(args.damaged, args.output)
    state = "complete: nothing was lost" if recovery.complete else "INCOMPLETE: something was lost"
    print(f"Recovered into {recovery.path} ({state}):")
    for line in recovery.lines():
        print(f"  {line}")
    for problem in recovery.problems:
        print(f"  note: {problem}")
    print(f"The damaged file {args.damaged} was not changed; keep it with the session's records.")
    return 0 if recovery.complete else 3
