"""`exam-desktop export-results --to DIR`: copy this machine's bundles to a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from exam_desktop import paths
from exam_desktop.core.errors import KnownError

NAME = "export-results"
HELP = "copy the result bundles kept on this machine to a results folder (verifying each)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"the app's data folder on this machine (default: {paths.data_dir()})",
    )
    parser.add_argument("--to", type=Path, required=True, metavar="DIR", help="the results folder")


def run(args: argparse.Namespace) -> int:
    from exam_desktop.core.sealed.bundle import export_bundles

    outcomes = export_bundles(args.data_dir or paths.data_dir(), args.to)
    if not outcomes:
        raise KnownError(f"No result bundles found in {args.data_dir or paths.data_dir()}.")
    failed = 0
    for outcome in outcomes:
        if outcome.ok:
            print(f"copied   {outcome.source} -> {outcome.target} (receipt {outcome.receipt})")
        else:
            failed += 1
            print(f"FAILED   {outcome.source}: {outcome.message}")
    return 1 if failed else 0
