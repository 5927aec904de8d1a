"""Marks import speed: three markers' signed marks files for 1,000 candidates (target ≤ 5 s).

    .venv/bin/python bench/bench_marks.py [--candidates 1000] [--dir DIR]

Imports simulated bundles of `banks/dl-exam-it.md` (not timed), hands the essay on GANs to three
markers as three packets (triple marking, blind), marks every answer in each marker's own database
and writes the three marks files (not timed), then times `grade marks import` of the three files
into the lead's database — signature checks, conflict checks, every mark stored, single marks
applied and multiple marks left for reconciliation — and the agreement report after it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.bank import load_bank
from exam_desktop.core.sealed.package import build_package, load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.importer import file_sha256, import_bundles
from exam_desktop.grading.marking import agreement, import_marks, open_packet, write_marks, write_packet
from exam_desktop.grading.simulate import write_simulated_session
from exam_desktop.paths import BANKS_DIR

TARGET_S = 5.0
BANK = BANKS_DIR / "dl-exam-it.md"
QUESTION = "gans"
MARKERS = ("ann", "bob", "cy")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
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
        lead = GraderDB.open(work / "grader.db")
        import_bundles(lead, key, file_sha256(key_path), [work / "bundles"])
        files = []
        rng = random.Random(2)
        for marker in MARKERS:
            packet = write_packet(lead, lead.exam(), [QUESTION], work / f"{marker}.packet", marker=marker)
            db = GraderDB.open(work / f"{marker}.db")
            packet_exam = open_packet(db, packet.path)
            with db.atomic():
                for c in db.candidates(packet_exam.id):
                    db.grade_by_hand(c.id, QUESTION, rng.choice([0, 0.5, 1, 1.5, 2]), rubric={"c1": 1.0})
            write_marks(db, packet_exam.id, work / f"{marker}.marks", marker=marker)
            db.close()
            files.append(work / f"{marker}.marks")
        marks = packet.answers * len(MARKERS)
        start = time.perf_counter()
        results = [import_marks(lead, path) for path in files]
        imported = time.perf_counter() - start
        start = time.perf_counter()
        report = agreement(lead, lead.exam().id)
        agreed = time.perf_counter() - start
        lead.close()
    new = sum(r.new for r in results)
    print(f"{args.candidates} candidates, {len(MARKERS)} markers, {marks} marks")
    print(f"marks import : {imported:6.3f} s ({imported / max(1, new) * 1000:.2f} ms per mark, {new} new)")
    print(f"agreement    : {agreed:6.3f} s ({len(report)} marker pairs)")
    ok = imported <= TARGET_S * args.candidates / 1000 and new == marks
    print(f"target ≤ {TARGET_S:g} s per 1,000 candidates: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
