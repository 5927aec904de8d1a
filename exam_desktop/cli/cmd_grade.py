"""`exam-desktop grade`: import result bundles, regrade, export, report; no subcommand opens the
grading window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from exam_desktop.cli.cmd_keys import add_passphrase_argument
from exam_desktop.cli.progress import ProgressBar
from exam_desktop.core.errors import KnownError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

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
        "key",
        help="make the corrected key file of a package already handed out, from a corrected bank",
    )
    p.add_argument("--bank", type=Path, required=True, help="the corrected bank (.md file or folder)")
    p.add_argument("--key", type=Path, required=True, help="the package's current key file (OLD.key)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="NEW.key", help="the key to write")
    p.add_argument(
        "--office-key",
        type=Path,
        default=None,
        metavar="PRIVATE_KEY",
        help="the office private key that built the package (default: as for build)",
    )
    add_passphrase_argument(p)
    p.add_argument("--force", action="store_true", help="replace NEW.key if it exists")

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
    p.add_argument(
        "--pdf",
        type=Path,
        metavar="DIR",
        help="one A4 PDF of feedback per candidate and class-summary.pdf (printed by QtWebEngine)",
    )
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
        "packet",
        parents=[db_option],
        help="a signed, anonymised marking packet of some questions for one marker (offline marking)",
    )
    p.add_argument(
        "--question", action="append", required=True, metavar="ID", help="a question to mark (repeat)"
    )
    p.add_argument("--candidates", metavar="FROM-TO", help="only candidates numbered FROM to TO (e.g. 1-20)")
    p.add_argument("--marker", required=True, help="who marks this packet")
    p.add_argument(
        "-o", "--output", type=Path, required=True, metavar="PACKET", help="the packet file to write"
    )

    p = sub.add_parser(
        "mark", help="marker: load a marking packet into your own database and open the grading window"
    )
    p.add_argument("packet", type=Path, metavar="PACKET")
    p.add_argument("--db", default="marking.db", help="your marking database (default: marking.db)")
    p.add_argument("--grader", default="", help="your name, kept with every mark")
    p.add_argument("--no-window", action="store_true", help="only load the packet")

    p = sub.add_parser("marks", help="marks files: a marker exports them, the lead imports them")
    marks = p.add_subparsers(dest="marks_action", metavar="ACTION", required=True)
    m = marks.add_parser("export", help="marker: the signed marks file of a packet you marked")
    m.add_argument("--db", default="marking.db", help="your marking database (default: marking.db)")
    m.add_argument("--exam", default=None, help="the packet, if the database holds several")
    m.add_argument("--grader", default="", help="your name (default: the packet's marker)")
    m.add_argument(
        "-o", "--output", type=Path, required=True, metavar="MARKS", help="the marks file to write"
    )
    m = marks.add_parser("import", parents=[db_option], help="lead: import marks files (again: no change)")
    m.add_argument("files", nargs="+", type=Path, metavar="MARKS")

    sub.add_parser(
        "agreement",
        parents=[db_option],
        help="double marking: exact agreement, mean difference and Cohen's kappa per question",
    )
    p = sub.add_parser(
        "reconcile",
        parents=[db_option],
        help="double marking: agreeing marks take their mean; list or decide the others",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="largest difference settled by the mean (default 0.5 points)",
    )
    p.add_argument(
        "--decide",
        nargs=3,
        metavar=("CANDIDATE", "QUESTION", "POINTS"),
        help="your mark for one disagreement, e.g. --decide 7 gans 1.5",
    )
    p.add_argument("--reason", default="", help="with --decide: why (kept with the decision)")

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
    if args.action == "key":
        return _key(args)
    if args.action == "mark":
        return _mark(args)
    if args.action == "marks" and args.marks_action == "export":
        return _marks_export(args)
    db = _open_existing(Path(args.db))
    try:
        return {
            "regrade": _regrade,
            "export": _export,
            "report": _report,
            "quarantine": _quarantine,
            "receipt": _receipt,
            "packet": _packet,
            "marks": _marks_import,
            "agreement": _agreement,
            "reconcile": _reconcile,
        }[args.action](db, args)
    finally:
        db.close()


def _simulate(args: argparse.Namespace) -> int:
    from exam_desktop.grading.simulate import write_simulated_session

    if args.candidates < 1:
        raise KnownError("--candidates must be at least 1")
    key, _ = _load_key(args.key, _office_key(args))
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


def _load_key(path: Path, office_key: Ed25519PublicKey):
    """The grader key file signed by `office_key`, with a warning if others may read it (it holds
    the answers)."""
    from exam_desktop.core.sealed.keys import private_file_warning
    from exam_desktop.grading.importer import load_grader_key

    warning = private_file_warning(Path(path))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return load_grader_key(path, office_key)


def _import(args: argparse.Namespace) -> int:
    from exam_desktop.grading.db import GraderDB
    from exam_desktop.grading.diagnosis import diagnose_foreign_bundles
    from exam_desktop.grading.importer import import_bundles

    key, key_sha256 = _load_key(args.key, _office_key(args))
    db = GraderDB.open(Path(args.db))
    try:
        results = import_bundles(db, key, key_sha256, args.paths, progress=ProgressBar("import", "bundle"))
    finally:
        db.close()
    diagnosis = diagnose_foreign_bundles(results, key, Path(args.key))
    explained = {id(r) for r in diagnosis.explained}
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        if (r.outcome != "imported" or r.reason) and id(r) not in explained:
            print(r.line())
    for sentence in diagnosis.sentences:
        print(sentence)
    if not results:
        print("No bundle files (*.bundle) found.")
        return 1
    order = ("imported", "already-imported", "quarantined", "rejected")
    print(", ".join(f"{counts[o]} {o.replace('-', ' ')}" for o in order if o in counts) + ".")
    if counts.get("quarantined"):
        print("Decide on quarantined bundles with: exam-desktop grade quarantine")
    return 1 if counts.get("rejected") else 0


def _key(args: argparse.Namespace) -> int:
    from exam_desktop.cli.cmd_keys import default_private_key, read_passphrase
    from exam_desktop.core.bank import load_bank
    from exam_desktop.core.sealed.keys import (
        load_office_private_key,
        private_file_warning,
        write_private_file,
    )
    from exam_desktop.grading.key_correction import correct_key

    if args.output.exists() and not args.force:
        raise KnownError(f"{args.output} already exists; choose another name or add --force.")
    if args.output.resolve() == args.key.resolve():
        raise KnownError("Write the corrected key to a new file: the old key records what was graded.")
    if not args.output.parent.is_dir():
        raise KnownError(f"The folder {args.output.parent} does not exist.")
    corrected = load_bank(args.bank)
    private_key = args.office_key or default_private_key()
    for path in (args.key, private_key):
        warning = private_file_warning(path)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    office_key = load_office_private_key(private_key, read_passphrase(args, confirm=False))
    correction = correct_key(args.key, corrected, office_key)
    try:
        write_private_file(args.output, correction.key_file_bytes)
    except OSError as exc:
        raise KnownError(f"Could not write {args.output}: {exc.strerror}.") from None
    print(f"Corrected key: {args.output} (same package as {args.key})")
    for change in correction.changes:
        print(f"  {change}")
    print(f"See what it changes with: exam-desktop grade regrade --key {args.output}")
    return 0


def _regrade(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.regrade import commit_regrade, plan_regrade

    key, key_sha256 = _load_key(args.key, _office_key(args))
    plan = plan_regrade(
        db, key.exam, key.package_hash, key_sha256, progress=ProgressBar("regrade", "candidate")
    )
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
    results = exam_results(db, exam, progress=ProgressBar("read", "candidate"))
    if args.csv:
        write_results_csv(exam, results, args.csv, scale=args.scale)
        print(f"{args.csv}: {len(results)} candidates")
    if args.moodle:
        rows, warnings = write_moodle_csv(
            exam, results, args.moodle, identifier=args.moodle_id, scale=args.moodle_scale
        )
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        left_out = len(results) - rows
        note = f"; {left_out} of {len(results)} left out, see the warnings" if left_out else ""
        print(f"{args.moodle}: Moodle gradebook import ({rows} candidates{note})")
    return 0


def _report(db: GraderDB, args: argparse.Namespace) -> int:
    import tempfile

    from exam_desktop.grading.results import exam_results

    if not args.feedback and not args.stats and not args.pdf:
        raise KnownError("Say which report: --feedback DIR, --stats DIR and/or --pdf DIR.")
    exam = db.exam(args.exam)
    results = exam_results(db, exam, progress=ProgressBar("read", "candidate"))
    with tempfile.TemporaryDirectory(prefix="exam-desktop-report-") as scratch:
        feedback = args.feedback or (Path(scratch) / "feedback" if args.pdf else None)
        stats = args.stats or (Path(scratch) / "stats" if args.pdf else None)
        if feedback:
            from exam_desktop.grading.feedback import write_feedback

            pages = write_feedback(
                exam, results, feedback, scale=args.scale, progress=ProgressBar("feedback", "page")
            )
            if args.feedback:
                print(f"{args.feedback}: {len(pages)} feedback pages (open index.html)")
        if stats:
            from exam_desktop.grading.stats import write_exam_report

            path = write_exam_report(exam, results, stats)
            if args.stats:
                print(f"{path}: exam report")
        if args.pdf and feedback:
            import os

            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # printing opens no window
            from exam_desktop.gui.pdf_report import write_pdf_reports

            pdfs = write_pdf_reports(feedback, stats, args.pdf, progress=ProgressBar("pdf", "file"))
            print(f"{args.pdf}: {len(pdfs) - 1} candidate PDF files and class-summary.pdf (A4)")
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


def _packet(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.marking import write_packet

    span = None
    if args.candidates:
        try:
            first, _, last = args.candidates.partition("-")
            span = (int(first), int(last or first))
        except ValueError:
            raise KnownError(f"--candidates takes FROM-TO, e.g. 1-20 (got {args.candidates!r}).") from None
    exam = db.exam(args.exam)
    packet = write_packet(db, exam, args.question, args.output, marker=args.marker, candidates=span)
    print(
        f"{packet.path}: packet {packet.packet_id} for {args.marker}, {packet.answers} answers of "
        f"{packet.candidates} anonymous candidates"
    )
    return 0


def _mark(args: argparse.Namespace) -> int:
    from exam_desktop.grading.db import GraderDB
    from exam_desktop.grading.marking import open_packet

    db = GraderDB.open(Path(args.db))
    try:
        exam = open_packet(db, args.packet)
        print(f"{args.db}: {exam.title}, answers of {len(db.candidates(exam.id))} anonymous candidates")
    finally:
        db.close()
    if args.no_window:
        return 0
    from exam_desktop.gui.grader_window import run_grader_window

    return run_grader_window(Path(args.db), exam_id=exam.id, grader=args.grader)


def _marks_export(args: argparse.Namespace) -> int:
    from exam_desktop.grading.marking import write_marks

    db = _open_existing(Path(args.db))
    try:
        exam_id = db.exam(args.exam).id
        count = write_marks(db, exam_id, args.output, marker=args.grader)
    finally:
        db.close()
    print(f"{args.output}: {count} marks, signed; send it to the lead")
    return 0


def _marks_import(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.marking import import_marks

    conflicts = 0
    for path in args.files:
        result = import_marks(db, path)
        print(result.line())
        for line in result.conflicts:
            print(f"  conflict: {line}")
        conflicts += len(result.conflicts)
    return 1 if conflicts else 0


def _agreement(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.marking import agreement, agreement_table

    print(agreement_table(agreement(db, db.exam(args.exam).id)))
    return 0


def _reconcile(db: GraderDB, args: argparse.Namespace) -> int:
    from exam_desktop.grading.marking import decide, reconcile

    exam_id = db.exam(args.exam).id
    if args.threshold < 0:
        raise KnownError(f"--threshold cannot be negative; got {args.threshold:g}.")
    if args.decide:
        number, question, points = args.decide
        try:
            print(
                decide(
                    db, exam_id, int(number), question, float(points), lead=args.grader, reason=args.reason
                )
            )
        except ValueError:
            raise KnownError("--decide takes CANDIDATE QUESTION POINTS, e.g. --decide 7 gans 1.5") from None
    settled, open_items = reconcile(db, exam_id, args.threshold)
    print(f"{settled} double-marked answers within {args.threshold:g} points take the markers' mean.")
    if not open_items:
        print("No disagreement is left.")
        return 0
    print(f"{len(open_items)} differ by more than {args.threshold:g} points; decide each with --decide:")
    for item in open_items:
        marks = ", ".join(f"{m} {p:g}" for m, p in sorted(item.marks.items()))
        print(f"  {item.label:<14}{item.question_id:<12}{marks}")
    return 0
