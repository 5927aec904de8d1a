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
    print(f"Recovered into {recovery.path}:")
    counts = [
        (recovery.responses, "answer"),
        (recovery.meta, "session fact"),
        (recovery.events, "journal entry"),
    ]
    print("  " + ", ".join(_count(n, noun) for n, noun in counts))
    print(f"  journal chain: {'intact' if recovery.journal_intact else 'BROKEN — entries were lost'}")
    for problem in recovery.problems:
        print(f"  note: {problem}")
    print(f"The damaged file {args.damaged} was not changed; keep it with the session's records.")
    return 0 if recovery.complete else 3


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"
