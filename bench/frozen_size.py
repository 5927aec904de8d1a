"""Size and start time of the frozen app (dist/exam-desktop/), for docs/deploying.md.

    .venv/bin/python bench/frozen_size.py          (run by `make dist` after the build)

Prints the folder's size, its largest parts, and the median wall time of a few commands run from
the frozen folder (each run 5 times after one warm-up run).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "dist" / "exam-desktop"
EXE = DIST / ("exam-desktop.exe" if os.name == "nt" else "exam-desktop")
RUNS = 5


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def largest_parts(root: Path, count: int = 8) -> list[tuple[str, int]]:
    """The biggest files and folders two levels down (`_internal/X`, `_internal/PySide6/Qt/X`...)."""
    parts: dict[str, int] = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            relative = path.relative_to(root).parts
            depth = 4 if relative[:2] == ("_internal", "PySide6") else 2
            key = "/".join(relative[:depth])
            parts[key] = parts.get(key, 0) + path.stat().st_size
    return sorted(parts.items(), key=lambda item: -item[1])[:count]


def median_seconds(*args: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as cache:
        env["XDG_CACHE_HOME"] = cache
        times = []
        for _ in range(RUNS + 1):
            started = time.perf_counter()
            subprocess.run([str(EXE), *args], cwd=REPO, env=env, capture_output=True, check=True)
            times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def main() -> int:
    if not EXE.exists():
        print("dist/exam-desktop/ is not built: run `make dist`", file=sys.stderr)
        return 1
    total = folder_bytes(DIST)
    print(f"dist/exam-desktop/: {total / 1e6:.0f} MB")
    for name, size in largest_parts(DIST):
        print(f"  {size / 1e6:6.1f} MB  {name}")
    print(f"exam-desktop --version:     {median_seconds('--version') * 1000:.0f} ms (median of {RUNS})")
    print(f"exam-desktop check banks/:  {median_seconds('check', 'banks/') * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
