"""`exam-desktop build BANK -o EXAM.exam`: candidate package, grader key file, start code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from exam_desktop.cli.cmd_keys import add_passphrase_argument, default_private_key, read_passphrase
from exam_desktop.cli.progress import ProgressBar
from exam_desktop.core.errors import KnownError

NAME = "build"
HELP = "build the encrypted candidate package and the grader key file from a bank"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bank", type=Path, metavar="BANK", help="the bank (.md file or folder)")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="EXAM.exam",
        help="the candidate package to write; the grader key file goes next to it as EXAM.key",
    )
    parser.add_argument(
        "--key",
        type=Path,
        default=None,
        metavar="PRIVATE_KEY",
        help=f"the office private key (default: {default_private_key()})",
    )
    add_passphrase_argument(parser)
    parser.add_argument("--shuffle", action="store_true", help="shuffle choices per candidate")
    parser.add_argument("--draw", type=int, metavar="N", help="draw N questions per candidate from the bank")
    parser.add_argument(
        "--extra-time-allowed",
        action="store_true",
        help="let invigilators give individual candidates extra time",
    )
    parser.add_argument("--pin", metavar="PIN", help="the invigilator PIN (stored only as a hash)")
    parser.add_argument(
        "--results-dir",
        metavar="DIR",
        help="where lab machines write result bundles (e.g. a USB stick)",
    )
    parser.add_argument(
        "--roster",
        type=Path,
        metavar="ROSTER.csv",
        help="accommodations per candidate ID (extra time, rest breaks, tools), signed into the package",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing package and key file")


def run(args: argparse.Namespace) -> int:
    from exam_desktop.core.bank import load_bank
    from exam_desktop.core.sealed.bundle import write_atomically
    from exam_desktop.core.sealed.keys import (
        fingerprint,
        load_office_private_key,
        private_file_warning,
        write_private_file,
    )
    from exam_desktop.core.sealed.package import build_package

    package_path: Path = args.output
    key_file_path = package_path.with_suffix(".key")
    if package_path.suffix != ".exam":
        raise KnownError(f"The package name must end in .exam (got {package_path.name}).")
    existing = [p for p in (package_path, key_file_path) if p.exists()]
    if existing and not args.force:
        raise KnownError(
            f"{existing[0]} already exists. A rebuilt package has a new start code and key file; "
            "add --force to replace it (only if the old one was never handed out)."
        )
    if not package_path.parent.is_dir():
        raise KnownError(f"The folder {package_path.parent} does not exist.")
    exam = load_bank(args.bank)
    roster = None
    if args.roster is not None:
        from exam_desktop.core.sealed.roster import read_roster

        roster = read_roster(args.roster)
    private_key = args.key or default_private_key()
    warning = private_file_warning(private_key)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    office_key = load_office_private_key(private_key, read_passphrase(args, confirm=False))
    built = build_package(
        exam,
        office_key,
        shuffle_choices=args.shuffle,
        draw=args.draw,
        extra_time_allowed=args.extra_time_allowed,
        pin=args.pin,
        results_dir=args.results_dir,
        progress=ProgressBar("drawing figures", "figure", min_items=1),
        roster=roster,
    )
    try:
        write_private_file(key_file_path, built.key_file_bytes)  # the answers: owner only
        write_atomically(package_path.parent, package_path.name, built.package_bytes)
    except OSError as exc:
        raise KnownError(f"Could not write to {package_path.parent}: {exc.strerror}.") from None
    print(f"Candidate package: {package_path} (exam {exam.id}, {len(exam.questions)} questions)")
    print(f"Grader key file:   {key_file_path} (answers: keep it away from lab machines)")
    print(f"Office key:        {fingerprint(office_key.public_key())}")
    if roster:
        print(f"Roster:            {len(roster)} candidate profile(s) signed into the package")
    print()
    print("Start code (shown only this once; write it down for the invigilators):")
    print()
    print(f"    {built.start_code}")
    print()
    return 0
