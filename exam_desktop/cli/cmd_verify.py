"""`exam-desktop verify BUNDLE...`: is each result bundle genuine, complete and unaltered?"""

from __future__ import annotations

import argparse
from pathlib import Path

from exam_desktop.core.errors import KnownError

NAME = "verify"
HELP = "verify result bundles (signature, hashes, journal, exam); one line per file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "bundles", nargs="+", type=Path, metavar="BUNDLE", help="bundle files or folders of bundles"
    )
    parser.add_argument(
        "--key",
        type=Path,
        metavar="EXAM.key",
        help="the grader key file: also reject bundles of another exam or package",
    )
    parser.add_argument(
        "--office-key",
        type=Path,
        default=None,
        metavar="PUB",
        help="with --key: the exam office public key the key file must be signed with "
        "(default: the one installed with `exam-desktop keys install`)",
    )
    parser.add_argument("--exam-id", metavar="ID", help="reject bundles of another exam")


def run(args: argparse.Namespace) -> int:
    from exam_desktop import paths as app_paths
    from exam_desktop.core.sealed.bundle import BundleRejected, find_bundles, read_bundle
    from exam_desktop.core.sealed.keys import trusted_office_key
    from exam_desktop.core.sealed.package import load_key_file
    from exam_desktop.grading.importer import damage_mark

    expected: dict = {"exam_id": args.exam_id}
    if args.key is not None:
        key = load_key_file(args.key, trusted_office_key(app_paths.data_dir(), args.office_key))
        expected = {
            "exam_id": key.exam.id,
            "package_hash": key.package_hash,
            "binding_key": key.binding_key,
        }
    paths = find_bundles(args.bundles)
    if not paths:
        raise KnownError(f"No result bundles (*.bundle) in {', '.join(map(str, args.bundles))}.")
    invalid = 0
    for path in paths:
        try:
            bundle = read_bundle(path, **expected)
        except BundleRejected as exc:
            invalid += 1
            print(f"INVALID  {path}: {exc}")
        else:
            who = ", ".join(v for v in bundle.candidate.values() if v) or "(no identification)"
            mark = f" — {damage_mark(bundle.damage)}" if bundle.damage else ""
            print(f"valid    {path}: {who}, exam {bundle.exam_id}, receipt {bundle.receipt}{mark}")
    return 1 if invalid else 0
