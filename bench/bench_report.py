"""Report speed: `grade report --feedback DIR --stats DIR` for 1,000 simulated candidates of the
19-question seed assessment (target ≤ 15 s), and optionally PDF feedback (`--pdf`).

    .venv/bin/python bench/bench_report.py [--candidates 1000] [--pdf] [--profile] [--dir DIR]

Writes the bundles and imports them (not timed), then times, in the same run,
  read      every candidate's result from the grader database (`exam_results`);
  feedback  one HTML page per candidate (`write_feedback`);
  stats     the item statistics with their plots (`write_exam_report`);
  pdf       (with --pdf) one A4 PDF per candidate and the class summary, through QtWebEngine;
and prints each and the total against the target. `--profile` prints the 25 costliest functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.bank import load_bank
from exam_desktop.core.sealed.package import build_package, load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.feedback import write_feedback
from exam_desktop.grading.importer import file_sha256, import_bundles
from exam_desktop.grading.results import exam_results
from exam_desktop.grading.simulate import write_simulated_session
from exam_desktop.grading.stats import write_exam_report
from exam_desktop.paths import BANKS_DIR

TARGET_S = 15.0
BANK = BANKS_DIR / "dl-assessment.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--pdf", action="store_true", help="also time PDF feedback")
    parser.add_argument("--profile", action="store_true", help="profile feedback + stats")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        work = Path(tmp)
        exam = load_bank(BANK)
        built = build_package(exam, Ed25519PrivateKey.generate(), draw_figures=False)
        key_path = work / "exam.key"
        key_path.write_bytes(built.key_file_bytes)
        key = load_key_file(key_path)
        write_simulated_session(key, work / "bundles", args.candidates, seed=1)
        db = GraderDB.open(work / "grader.db")
        import_bundles(db, key, file_sha256(key_path), [work / "bundles"])
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        t0 = time.perf_counter()
        results = exam_results(db, db.exam())
        t1 = time.perf_counter()
        write_feedback(db.exam(), results, work / "feedback")
        t2 = time.perf_counter()
        write_exam_report(db.exam(), results, work / "stats")
        t3 = time.perf_counter()
        if profiler:
            profiler.disable()
        db.close()
        print(f"{len(results)} candidates of {exam.title!r} ({len(exam.questions)} questions)")
        print(f"read     : {t1 - t0:6.2f} s")
        print(f"feedback : {t2 - t1:6.2f} s ({(t2 - t1) / len(results) * 1000:.1f} ms per page)")
        print(f"stats    : {t3 - t2:6.2f} s")
        total = t3 - t0
        ok = total <= TARGET_S * len(results) / 1000
        print(f"total    : {total:6.2f} s; target ≤ {TARGET_S:g} s per 1,000: {'met' if ok else 'NOT met'}")
        if args.pdf:
            from exam_desktop.gui.pdf_report import write_pdf_reports

            t4 = time.perf_counter()
            pdfs = write_pdf_reports(work / "feedback", work / "stats", work / "pdf")
            t5 = time.perf_counter()
            print(
                f"pdf      : {t5 - t4:6.2f} s ({len(pdfs)} files, {(t5 - t4) / len(pdfs) * 1000:.0f} ms each)"
            )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
