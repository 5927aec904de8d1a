"""Writes the answer files of older schemas kept here (run once per schema step that is released).

    .venv/bin/python tests/data/make_old_answer_files.py

Each file holds a few answers (and, from step 002, journal entries) written with that schema, so
tests can check that opening it migrates without losing anything.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from exam_desktop.core.journal import GENESIS_HASH, event_hash
from exam_desktop.core.journal import canonical_text as canonical_json
from exam_desktop.core.seat.answer_file import MIGRATIONS

HERE = Path(__file__).resolve().parent
ANSWERS_V1 = [
    ("q-single", canonical_json("b"), 0, 1),
    ("q-numeric", canonical_json("3,5"), 0, 0),
    ("q-essay", canonical_json("Dropout randomly zeroes activations. È vero."), 0, 0),
    ("q-matrix", canonical_json([["1", "0"], ["-2", ""]]), 1, 0),
]


def write(name: str, stop_before: str, with_events: bool) -> None:
    path = HERE / name
    path.unlink(missing_ok=True)
    db = Database(sqlite3.connect(str(path)), execute_plugins=False)
    MIGRATIONS.apply(db, stop_before=stop_before)
    with db.atomic():
        for qid, value, dont_know, flagged in ANSWERS_V1:
            db.execute(
                "INSERT INTO responses (question_id, value, dont_know, flagged, updated_at) "
                "VALUES (?, ?, ?, ?, '2026-06-01T09:00:00.000+00:00')",
                (qid, value, dont_know, flagged),
            )
        db.execute("INSERT INTO meta VALUES ('candidate', ?)", (canonical_json({"name": "Ada"}),))
        if with_events:
            prev = GENESIS_HASH
            for seq, (type_, data) in enumerate(
                [("timer_started", {"duration_s": 6300}), ("navigated", {"to": "q-essay"})], 1
            ):
                at = f"2026-06-01T09:0{seq}:00.000+00:00"
                digest = event_hash(seq, at, type_, data, prev)
                db.execute(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, at, 100.0 * seq, type_, canonical_json(data), prev, digest),
                )
                prev = digest
    db.close()


if __name__ == "__main__":
    write("answers-schema-001.db", "002_event_journal", with_events=False)
    write("answers-schema-002.db", "003_rating_and_revision", with_events=True)
