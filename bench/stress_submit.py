"""Crash at submit under stress: SIGKILL while a candidate's large bundle is signed and written.

    .venv/bin/python bench/stress_submit.py [--rounds 100] [--export-rounds 50] [--seed 1]
                                           [--essay-bytes 2000000] [--dir DIR]

Each round seats a new scripted candidate on the ML engineers test, who answers two questions
with long essays (a bundle of about 4 MB) and submits; the process is killed with SIGKILL at a
random moment within the time an uninterrupted submit takes here. A relaunch then finishes the
submit as the kiosk does. Then `exam-desktop export-results` is killed while it copies every
bundle of those rounds to a fresh folder, and run again. The counts that must be 0: lost
answers, partial (temporary) files left after the relaunch or rerun, second bundles of one
session. The harness is the test suite's (tests/session/submittools.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests" / "session"), str(REPO / "tests")]

from sessiontools import build  # noqa: E402
from submittools import export_rounds, submit_rounds  # noqa: E402

from exam_desktop.core.sealed.bundle import local_bundle_dir  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--export-rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--essay-bytes", type=int, default=2_000_000)
    parser.add_argument("--dir", type=Path, default=None, help="where the seats' folders live")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        root = Path(scratch)
        built = build(root / "package")
        started = time.perf_counter()
        report = submit_rounds(
            built.package,
            root / "submit",
            built.start_code,
            args.rounds,
            seed=args.seed,
            essay_bytes=args.essay_bytes,
        )
        export_data = local_bundle_dir(root / "export-data")
        export_data.mkdir(parents=True)
        for bundle in sorted((root / "submit").glob("seat-*/bundles/*.bundle")):
            shutil.copy(bundle, export_data / bundle.name)
        exported = len(list(export_data.iterdir()))
        exports = export_rounds(root / "export-data", root / "export", args.export_rounds, seed=args.seed)
        seconds = time.perf_counter() - started
    print(f"submit rounds killed:          {report.rounds} (in {seconds:.0f} s with the export rounds)")
    print(f"answers acknowledged:          {report.answers_acknowledged}")
    print(f"lost answers:                  {report.lost_answers}")
    print(f"partial files left:            {report.partial_files + exports.partial_files}")
    print(f"second bundles:                {report.second_bundles + exports.second_bundles}")
    print(f"temporary files the kills left, removed at relaunch: {report.temporary_files_cleaned}")
    print(f"kills after the bundle was signed (the same bytes reused): {report.pending_reused}")
    print(f"kills after the receipt was shown: {report.receipts_shown}")
    print(
        f"export-results rounds killed:  {exports.export_rounds} ({exported} bundles each); "
        f"temporary files left by the kills, removed by the rerun: {exports.temporary_files_cleaned}"
    )
    problems = report.problems + exports.problems
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
