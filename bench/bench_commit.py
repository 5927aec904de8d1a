"""Answer change → durable commit: latency of `AnswerStore.save_response` (WAL, synchronous=FULL).

    .venv/bin/python bench/bench_commit.py [--saves 2000] [--dir DIR]

Each save is one committed transaction (the answer row plus its journal entry), as the candidate
window does on every change. Prints p50/p95/p99 in milliseconds; the target is p99 ≤ 5 ms.
Run it on the local disk the answer files live on (default: the system's temporary folder).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from exam_desktop.core.journal import verify_chain
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.answer_file import AnswerStore

TARGET_P99_MS = 5.0


def realistic_changes(count: int, rng: random.Random) -> list[Response]:
    """A mix like a real exam: clicks on choices, typed numbers, growing essays."""
    essay = ""
    changes = []
    for i in range(count):
        qid = f"q{rng.randrange(30)}"
        kind = rng.choice(["single", "multiple", "numeric", "matrix", "essay"])
        if kind == "single":
            value: object = rng.choice("abcd")
        elif kind == "multiple":
            value = sorted(rng.sample("abcde", rng.randint(1, 3)))
        elif kind == "numeric":
            value = f"{rng.uniform(-100, 100):.3f}"
        elif kind == "matrix":
            value = [[str(rng.randint(-9, 9)) for _ in range(3)] for _ in range(3)]
        else:
            essay += rng.choice(["Dropout ", "reduces ", "overfitting ", "by ", "noise. "])
            qid, value = "essay", essay
        changes.append(Response(qid, value, flagged=i % 17 == 0))
    return changes


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None, help="folder for the answer file")
    args = parser.parse_args(argv)

    changes = realistic_changes(args.saves, random.Random(7))
    with (
        tempfile.TemporaryDirectory(dir=args.dir) as folder,
        AnswerStore.open(Path(folder) / "answers.db") as store,
    ):
        for warmup in changes[:20]:
            store.save_response(warmup)
        timings = []
        for change in changes:
            started = time.perf_counter()
            store.save_response(change)
            timings.append((time.perf_counter() - started) * 1000)
        verify_chain(store.events())

    timings.sort()
    p50, p95, p99 = (percentile(timings, f) for f in (0.50, 0.95, 0.99))
    print(f"answer change -> durable commit, {len(timings)} saves (WAL, synchronous=FULL)")
    print(f"  p50 {p50:.2f} ms   p95 {p95:.2f} ms   p99 {p99:.2f} ms   max {timings[-1]:.2f} ms")
    print(
        f"  mean {statistics.fmean(timings):.2f} ms; target p99 <= {TARGET_P99_MS} ms: "
        f"{'met' if p99 <= TARGET_P99_MS else 'NOT met'}"
    )
    return 0 if p99 <= TARGET_P99_MS else 1


if __name__ == "__main__":
    sys.exit(main())
