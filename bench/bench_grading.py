"""Grader import speed: verify + file + auto-grade 1,000 bundles of the 19-question seed assessment.

    .venv/bin/python bench/bench_grading.py [--bundles 1000] [--dir DIR]

Writes the bundles of simulated candidates for `banks/dl-assessment.md` (not timed), then times
  raw     reading each file, opening the archive, parsing its JSON and verifying its Ed25519
          signature — the floor any import must pay;
  import  `grade import` itself: all checks of `read_bundle` (hashes, statement, package binding,
          journal chain), the grader database (one committed transaction per bundle, WAL,
          synchronous=FULL) and auto-grading every question;
in the same run, and prints both and their ratio. The target is import ≤ 5 s for 1,000 bundles.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.bank import load_bank
from exam_desktop.core.sealed.archive import read_archive
from exam_desktop.core.sealed.bundle import LIMITS, MEMBERS, find_bundles
from exam_desktop.core.sealed.keys import (
    public_key_from_bytes,
    strict_json,
    unb64,
    verify_signature,
)
from exam_desktop.core.sealed.package import build_package, load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.importer import file_sha256, import_bundles
from exam_desktop.grading.simulate import write_simulated_session
from exam_desktop.paths import BANKS_DIR

TARGET_S = 5.0
BANK = BANKS_DIR / "dl-assessment.md"


def raw_verify(paths: list[Path]) -> float:
    """Seconds to read, unpack, parse and signature-check every bundle (no other checks)."""
    start = time.perf_counter()
    for path in paths:
        members = read_archive(path, MEMBERS, limits=LIMITS, required=MEMBERS)
        manifest = strict_json(members["manifest.json"])
        strict_json(members["answers.json"])
        strict_json(members["journal.json"])
        public = public_key_from_bytes(unb64(manifest["session_public_key"], 32))
        if not verify_signature(public, members["signature"], members["manifest.json"]):
            raise SystemExit(f"{path}: bad signature in the benchmark's own bundles")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        work = Path(tmp)
        exam = load_bank(BANK)
        built = build_package(exam, Ed25519PrivateKey.generate(), draw_figures=False)
        key_path = work / "exam.key"
        key_path.write_bytes(built.key_file_bytes)
        key = load_key_file(key_path)
        t = time.perf_counter()
        write_simulated_session(key, work / "bundles", args.bundles, seed=1)
        written = time.perf_counter() - t
        paths = find_bundles([work / "bundles"])
        size = sum(p.stat().st_size for p in paths) / len(paths)
        print(
            f"{len(paths)} bundles of {exam.title!r} ({len(exam.questions)} questions), "
            f"{size / 1024:.1f} KiB each, written in {written:.2f} s"
        )

        raw = raw_verify(paths)
        db = GraderDB.open(work / "grader.db")
        try:
            start = time.perf_counter()
            results = import_bundles(db, key, file_sha256(key_path), [work / "bundles"])
            full = time.perf_counter() - start
            scored = db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        finally:
            db.close()

    imported = sum(r.outcome == "imported" for r in results)
    print(f"raw verify + parse : {raw:6.3f} s ({raw / len(paths) * 1000:.2f} ms per bundle)")
    print(
        f"grade import       : {full:6.3f} s ({full / len(paths) * 1000:.2f} ms per bundle; "
        f"{imported} imported, {scored} question scores)"
    )
    print(f"ratio import / raw : {full / raw:6.2f}")
    ok = full <= TARGET_S * len(paths) / 1000 and imported == len(paths)
    print(f"target ≤ {TARGET_S:g} s per 1,000 bundles: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
