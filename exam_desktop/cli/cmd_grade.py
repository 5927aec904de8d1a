"""`exam-desktop grade`: import result bundles, regrade, export, report; no subcommand opens the
grading window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from exam_desktop.core.errors import KnownError

if TYPE_CHECKING:
    from exam_desktop.grading.db import GraderDB

NAME = "grade"
HELP = "Grade result bundles: import, regrade, export, reports; without a subcommand, the window."
DEFAULT_DB = "grader.db"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    db_option = argparse.ArgumentParser(add_help=False)
    db_option.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help=f"the grader database (default: {DEFAULT_DB} in the current folder)",
    )
    db_option.add_argument(
        "--exam", default=argparse.SUPPRESS, help="the exam id, if the database holds several"
    )
    office_option = argparse.ArgumentParser(add_help=False)
    office_option.add_argument(
        "--office-key",
        type=Path,
        default=None,
        metavar="PUB",
        help="the exam office public key the key file must be signed with "
        "(default: the one installed with `exam-desktop keys install`)",
    )
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the grader database (default: {DEFAULT_DB})")
    parser.add_argument("--exam", default=None, help="the exam id, if the database holds several")
    parser.add_argument(
        "--names", action="store_true", help="grading window: show names instead of 'Candidate 7'"
    )
    parser.add_argument("--grader", default="", help="grading window: your name, kept with grades")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")

    p = sub.add_parser(
        "import",
        parents=[db_option, office_option],
        help="verify bundles against the exam key and grade them",
    )
    p.add_argument("--key", required=True, help="the exam's grader key file (EXAM.key)")
    p.add_argument("paths", nargs="+", metavar="BUNDLE_OR_FOLDER")

    p = sub.add_parser(
        "regrade",
        parents=[db_option, office_option],
        help="score everyone again with a changed key (what-if)",
    )
    p.add_argument("--key", required=True, help="the changed grader key file")
    p.add_argument("--commit", action="store_true", help="store the new scores (default: only show)")

    p = sub.add_parser("export", parents=[db_option], help="results as CSV (full, or for Moodle)")
    p.add_argument("--csv", type=Path, help="one row per candidate: points per question, total, grade")
    p.add_argument("--moodle", type=Path, help="a CSV file a Moodle gradebook imports")
    p.add_argument("--moodle-id", default=None, help="the candidate field Moodle matches users by (email)")
    p.add_argument("--scale", type=float, default=100, help="grade scale for --csv (default 100, i.e. %%)")
    p.add_argument(
        "--moodle-scale",
        type=float,
        default=None,
        help="give Moodle the total on this scale (default: the total points)",
    )

    p = sub.add_parser("report", parents=[db_option], help="feedback pages and the exam report")
    p.add_argument("--feedback", type=Path, metavar="DIR", help="one HTML page per candidate")
    p.add_argument("--stats", type=Path, metavar="DIR", help="item statistics with plots")
    p.add_argument("--scale", type=float, default=100, help="grade scale shown (default 100)")

    p = sub.add_parser(
        "receipt",
        parents=[db_option],
        help="look a bundle up by the receipt code a candidate wrote",
    )
    p.add_argument("code", help="the receipt code, e.g. K7QM-2XHC (dashes and case do not matter)")

    p = sub.add_parser(
        "simulate",
        parents=[office_option],
        help="write signed bundles of made-up candidates, to try the grader (training, demos)",
    )
    p.add_argument("--key", required=True, help="the exam's grader key file (EXAM.key)")
    p.add_argument("--candidates", type=int, default=40, help="how many candidates (default 40)")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="folder for the bundles")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same session)")

    p = sub.add_parser(
        "quarantine", parents=[db_option], help="list second bundles of a candidate, or decide"
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--accept", metavar="RECEIPT", help="make this bundle the one that counts")
    group.add_argument("--reject", metavar="RECEIPT", help="set this bundle aside")


def run(args: argparse.Namespace) -> int:
    if args.action is None:
        from exam_desktop.gui.grader_window import run_grader_window

        return run_grader_window(Path(args.db), exam_id=args.exam, show_names=args.names, grader=args.grader)
    if args.action == "import":
        return _import(args)
    if args.action == "simulate":
        return _simulate(args)
    db = _open_existing(Path(args.db))
    try:
        return {
            "regrade": _regrade,
            "export": _export,
            "report": _report,
            "quarantine": _quarantine,
            "receipt": _receipt,
        }[args.action](db, args)
    finally:
        db.close()


def _simulate(args: argparse.Namespace) -> int:
    from exam_desktop.grading.importer import load_grader_key
    from exam_desktop.grading.simulate import write_simulated_session

    if args.candidates < 1:
        raise KnownError("--candidates must be at least 1")
    key, _ = load_grader_key(args.key, _office_key(args))
    if args.out.exists() and not args.out.is_dir():
        raise KnownError(f"{args.out} is a file, not a folder: name a folder for the bundles with -o.")
    try:
        paths = write_simulated_session(key, args.out, args.candidates, seed=args.seed)
    except OSError as exc:
        raise KnownError(f"Cannot write the bundles to {args.out}: {exc.strerror or exc}.") from None
    print(f"{len(paths)} simulated bundles of {key.exam.id} written to {args.out}")
    return 0


def _office_key(args: argparse.Namespace):
    from exam_desktop import paths
    from exam_desktop.core.sealed.keys import trusted_office_key

    return trusted_office_key(paths.data_dir(), args.office_key)


def _open_existing(path: Path) -> GraderDB:
    from exam_desktop.grading.db import GraderDB

    if not path.exists():
        raise KnownError(
            f"There is no grader database {path}; import bundles first "
            "(exam-desktop grade import --key EXAM.key BUNDLES...) or name it with --db."
        )
    return GraderDB.open(path)


def _import(args: argparse.Namespace) -> int:
    from exam_desktop.grading.db import GraderDB
    from exam_desktop.grading.importer import import_bundles, load_grader_key

    key, key_sha256 = load_grader_key(args.key, _office_key(args))
    db = GraderDB.open(Path(args.db))
    try:
        results = import_bundles(db, key, key_sha256, args.paths, progress=ProgressBar())
    finally:
        db.close()
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        if r.outcome != "imported" or r.reason:
            print(r.line())
    if not results:
        print("No bundle files (*.bundle) found.")
        return 1
    order = ("imported", "already-imported", "quarantined", "rejected")
    print(", ".join(f"{counts[o]} {o.replace('-', ' ')}" for o in order if o in counts) + ".")
    if counts.get("quarantined"):
        print("Decide on quarantined bundles with: exam-desktop grade quarantine")
    return 1 if counts.get("rejected") else 0


def _regrade(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.importer import load_grader_key
    from exam_desktop.grading.regrade import commit_regrade, plan_regrade

    key, key_sha256 = load_grader_key(args.key, _office_key(args))
    plan = plan_regrade(db, key.exam, key.package_hash, key_sha256)
    print(plan.table())
    if args.commit:
        commit_regrade(db, plan)
        print("Committed: the new key and scores are stored.")
    elif plan.changes:
        print("Nothing changed yet: run again with --commit to store these scores.")
    return 0


def _export(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.export import write_moodle_csv, write_results_csv
    from exam_desktop.grading.results import exam_results

    if not args.csv and not args.moodle:
        raise KnownError("Say what to export: --csv OUT.csv and/or --moodle OUT.csv.")
    exam = db.exam(args.exam)
    results = exam_results(db, exam)
    if args.csv:
        write_results_csv(exam, results, args.csv, scale=args.scale)
        print(f"{args.csv}: {len(results)} candidates")
    if args.moodle:
        warnings = write_moodle_csv(
            exam, results, args.moodle, identifier=args.moodle_id, scale=args.moodle_scale
        )
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(f"{args.moodle}: Moodle gradebook import ({len(results)} candidates)")
    return 0


def _report(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.results import exam_results

    if not args.feedback and not args.stats:
        raise KnownError("Say which report: --feedback DIR and/or --stats DIR.")
    exam = db.exam(args.exam)
    results = exam_results(db, exam)
    if args.feedback:
        from exam_desktop.grading.feedback import write_feedback

        pages = write_feedback(exam, results, args.feedback, scale=args.scale)
        print(f"{args.feedback}: {len(pages)} feedback pages (open index.html)")
    if args.stats:
        from exam_desktop.grading.stats import write_exam_report

        path = write_exam_report(exam, results, args.stats)
        print(f"{path}: exam report")
    return 0


def _quarantine(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.importer import accept_quarantined, reject_quarantined

    if args.accept:
        print(accept_quarantined(db, args.accept))
        return 0
    if args.reject:
        print(reject_quarantined(db, args.reject))
        return 0
    rows = db.bundles("quarantined")
    if not rows:
        print("No bundle is in quarantine.")
    for row in rows:
        print(f"{row['receipt']}  {row['source']}\n    {row['reason']}")
    return 0


def _receipt(db: GraderDB, args: argparse.Namespace) -> int:
    row = db.find_bundle(args.code)
    if row is None:
        raise KnownError(
            f"No bundle with receipt {args.code} has been imported; check the code on the "
            "attendance sheet, or import the bundles first."
        )
    candidate = None
    if row["exam_id"] and row["candidate_identity"]:
        candidate = db.candidate_by_identity(row["exam_id"], row["candidate_identity"])
    print(f"receipt   {row['receipt']}")
    print(f"status    {row['status']}{': ' + row['reason'] if row['reason'] else ''}")
    if candidate is not None:
        order = [f.id for f in db.exam(candidate.exam_id).candidate_fields]
        names = sorted(candidate.fields, key=lambda k: order.index(k) if k in order else len(order))
        fields = ", ".join(f"{k}: {candidate.fields[k]}" for k in names)
        counts = " (the bundle that counts)" if candidate.bundle_sha256 == row["sha256"] else ""
        print(f"candidate {candidate.label}{counts} — {fields}")
    print(f"file      {row['source']}")
    print(f"imported  {row['imported_at']}")
    return 0


class ProgressBar:
    """A one-line progress bar on stderr for large batches (only on a terminal)."""

    MIN_ITEMS = 20
    WIDTH = 30

    def __init__(self) -> None:
        self.shown = -1
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.MIN_ITEMS:
            return
        filled = self.WIDTH * done // total
        if filled == self.shown and done != total:
            return
        self.shown = filled
        bar = "#" * filled + "." * (self.WIDTH - filled)
        end = "\n" if done == total else ""
        print(f"\r[{bar}] {done}/{total} bundles", end=end, file=sys.stderr, flush=True)
