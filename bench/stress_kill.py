"""Crash resume under stress: SIGKILL a scripted candidate many times, check every relaunch.

    .venv/bin/python bench/stress_kill.py [--rounds 200] [--seed 1] [--dir DIR]

Each round launches (or resumes) the real headless session on the ML engineers test, lets the
scripted candidate answer for a random while with an injected clock, kills it with SIGKILL and
checks what a relaunch finds: every answer acknowledged as saved is in the answer file, the time
left is within 2 s of the truth, and the journal's hash chain verifies. The normal suite runs 20
rounds (tests/session/test_kill_resume.py); this runs as many as you like.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests" / "session"), str(REPO / "tests")]

from killtools import kill_rounds  # noqa: E402  (the harness the test suite uses)
from sessiontools import build  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="where the answer file lives")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        built = build(Path(scratch) / "package")
        started = time.perf_counter()
        report = kill_rounds(built.package, Path(scratch) / "data", built.start_code, args.rounds, args.seed)
        seconds = time.perf_counter() - started
    print(f"rounds:                {report.rounds} in {seconds:.1f} s")
    print(f"answers acknowledged:  {report.answers_acknowledged}")
    print(f"worst time error:      {report.worst_time_error_s:.2f} s (limit 2 s)")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    print("OK" if not report.problems else f"{len(report.problems)} problem(s)")
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
