"""`exam-desktop export BANK --to FORMAT [-o FILE]`: a bank as GIFT, Moodle XML, Aiken or QTI, with a
report of what the target format cannot hold."""

from __future__ import annotations

import argparse
from pathlib import Path

from exam_desktop.core.bank import load_bank
from exam_desktop.core.errors import KnownError
from exam_desktop.core.sealed.atomic import write_atomically
from exam_desktop.interchange import export_exam

NAME = "export"
HELP = "write a bank as GIFT, Moodle XML, Aiken or a QTI 2.1 package"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bank", metavar="BANK", type=Path, help="the bank (.md) to export")
    parser.add_argument(
        "--to",
        dest="fmt",
        choices=("gift", "moodle-xml", "aiken", "qti"),
        required=True,
        help="the target format",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="where to write (default: BANK's name with .gift, .xml, .txt or .zip)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    exam = load_bank(args.bank)
    result = export_exam(exam, args.fmt)
    output: Path = args.output or args.bank.with_suffix(result.suffix)
    check_target(output, args.force)
    if not output.parent.is_dir():
        raise KnownError(f"The folder {output.parent} does not exist.")
    write_file(output, result.data)
    print(f"wrote {output} ({args.fmt}, {len(exam.questions)} questions in the bank)")
    if result.report:
        print(f"not carried over or changed ({len(result.report)}):")
        for line in result.report.lines(str(args.bank)):
            print(f"  {line}")
    return 0


def check_target(output: Path, force: bool) -> None:
    """Refuse an output that is a folder, a device or another non-file, or exists without --force."""
    if output.is_dir():
        raise KnownError(f"{output} is a folder: name the file to write with -o")
    if output.exists() and not output.is_file():
        raise KnownError(f"{output} is not a regular file: name a file to write with -o")
    if output.exists() and not force:
        raise KnownError(f"{output} exists: choose another name with -o, or add --force to overwrite it")


def write_file(output: Path, data: bytes) -> None:
    """Write `output` whole or not at all; a failure is one sentence."""
    try:
        write_atomically(output.parent, output.name, data)
    except OSError as exc:
        raise KnownError(
            f"Cannot write {output}: {exc.strerror or exc}. Choose another place with -o."
        ) from None
