"""`exam-desktop import FILE [-o BANK.md] [--from FORMAT]`: a GIFT, Moodle XML, Aiken or QTI file
as a Markdown bank, with a report of everything that could not be carried over."""

from __future__ import annotations

import argparse
from pathlib import Path

from exam_desktop.cli.cmd_export import check_target, write_file
from exam_desktop.core.bank import parse_bank, summarize, write_bank
from exam_desktop.core.errors import BankError, KnownError
from exam_desktop.interchange import FORMATS, import_file

NAME = "import"
HELP = "turn a GIFT, Moodle XML, Aiken, QTI or text2qti file into a Markdown bank"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", type=Path, help="the file to import")
    parser.add_argument(
        "-o",
        "--output",
        metavar="BANK.md",
        type=Path,
        help="where to write the bank (default: FILE's name with .md, next to it)",
    )
    parser.add_argument(
        "--from", dest="fmt", choices=FORMATS, help="the file's format (default: told from its content)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing bank")


def run(args: argparse.Namespace) -> int:
    output: Path = args.output or args.file.with_suffix(".md")
    if output.resolve() == args.file.resolve():
        raise KnownError(f"{output} is the file being imported: name the bank with -o")
    check_target(output, args.force)
    result = import_file(args.file, args.fmt)
    text = write_bank(result.exam)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        for relative, data in result.files.items():
            target = output.parent / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, data)
    except OSError as exc:
        raise KnownError(
            f"Cannot write {output}: {exc.strerror or exc}. Choose another place with -o."
        ) from None
    write_file(output, text.encode("utf-8"))
    try:
        exam = parse_bank(text, str(output))
    except BankError as exc:
        raise KnownError(
            f"wrote {output}, but it does not pass the bank check; fix it by hand:\n{exc}"
        ) from None
    print(f"wrote {output}: {summarize(exam)}")
    if result.files:
        print(f"saved {len(result.files)} embedded file(s) under {output.parent / 'images'}")
    if result.report:
        print(f"not carried over or changed ({len(result.report)}):")
        for line in result.report.lines(str(args.file)):
            print(f"  {line}")
    return 0
