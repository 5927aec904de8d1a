"""The grader's database: exams (from key files), candidates, bundles, responses, scores, regrades.

One SQLite file per grading team (`grader.db` by default), opened with `GraderDB.open`. The schema
is versioned with sqlite-utils migrations; a database written by a newer version of the app is
refused rather than misread.

A candidate's points for a question are, in order of precedence: an override by a grader (with a
reason), else the automatic points plus the points a grader awarded by hand for the manual part
(essays, manual template blanks).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam, exam_from_dict, exam_to_dict
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import DECIMALS, QuestionScore

MIGRATIONS = Migrations("exam-desktop-grader")


class GraderDatabaseError(KnownError):
    """The grader database cannot be used (newer version, not a database, no such exam)."""


@MIGRATIONS()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE exams (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            package_hash TEXT NOT NULL,
            key_sha256 TEXT NOT NULL,
            exam_json TEXT NOT NULL,
            added_at TEXT NOT NULL
        );
        CREATE TABLE candidates (
            id INTEGER PRIMARY KEY,
            exam_id TEXT NOT NULL REFERENCES exams(id),
            number INTEGER NOT NULL,
            identity TEXT NOT NULL,
            fields_json TEXT NOT NULL,
            bundle_sha256 TEXT NOT NULL,
            UNIQUE (exam_id, identity),
            UNIQUE (exam_id, number)
        );
        CREATE TABLE bundles (
            sha256 TEXT PRIMARY KEY,
            exam_id TEXT,
            candidate_identity TEXT,
            receipt TEXT,
            status TEXT NOT NULL
                CHECK (status IN ('imported', 'quarantined', 'rejected', 'superseded')),
            reason TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            manifest_json TEXT,
            imported_at TEXT NOT NULL
        );
        CREATE INDEX bundles_receipt ON bundles(receipt);
        CREATE TABLE responses (
            bundle_sha256 TEXT NOT NULL REFERENCES bundles(sha256),
            question_id TEXT NOT NULL,
            value_json TEXT NOT NULL,
            dont_know INTEGER NOT NULL DEFAULT 0,
            flagged INTEGER NOT NULL DEFAULT 0,
            rating INTEGER,
            PRIMARY KEY (bundle_sha256, question_id)
        );
        CREATE TABLE scores (
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            question_id TEXT NOT NULL,
            auto_points REAL NOT NULL,
            max_points REAL NOT NULL,
            status TEXT NOT NULL,
            pending REAL NOT NULL DEFAULT 0,
            blanks_json TEXT NOT NULL DEFAULT '{}',
            manual_points REAL,
            override_points REAL,
            override_reason TEXT NOT NULL DEFAULT '',
            grader TEXT NOT NULL DEFAULT '',
            comment TEXT NOT NULL DEFAULT '',
            graded_at TEXT,
            PRIMARY KEY (candidate_id, question_id)
        );
        CREATE TABLE regrades (
            id INTEGER PRIMARY KEY,
            exam_id TEXT NOT NULL REFERENCES exams(id),
            at TEXT NOT NULL,
            old_key_sha256 TEXT NOT NULL,
            new_key_sha256 TEXT NOT NULL,
            changes_json TEXT NOT NULL
        );
        """
    )


@MIGRATIONS()
def m002_marking(db: sqlite_utils.Database) -> None:
    """Rubric levels with every hand mark, annotations on essays, the comment bank, where each
    grader stopped, and marks returned by other markers."""
    db.executescript(
        """
        ALTER TABLE scores ADD COLUMN rubric_json TEXT NOT NULL DEFAULT '{}';
        CREATE TABLE annotations (
            id INTEGER PRIMARY KEY,
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            question_id TEXT NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            quote TEXT NOT NULL,
            comment TEXT NOT NULL,
            grader TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        CREATE INDEX annotations_answer ON annotations(candidate_id, question_id);
        CREATE TABLE comment_bank (
            exam_id TEXT NOT NULL REFERENCES exams(id),
            question_id TEXT NOT NULL,
            text TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (exam_id, question_id, text)
        );
        CREATE TABLE places (
            exam_id TEXT NOT NULL REFERENCES exams(id),
            grader TEXT NOT NULL,
            question_id TEXT NOT NULL,
            candidate_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (exam_id, grader)
        );
        """
    )


@MIGRATIONS()
def m003_several_markers(db: sqlite_utils.Database) -> None:
    """Marking packets handed out, the marks returned by each marker, the lead's decisions."""
    db.executescript(
        """
        CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE packets (
            id TEXT PRIMARY KEY,
            exam_id TEXT NOT NULL REFERENCES exams(id),
            marker TEXT NOT NULL,
            questions_json TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            marker_key TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE packet_tokens (
            packet_id TEXT NOT NULL REFERENCES packets(id),
            token TEXT NOT NULL,
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            PRIMARY KEY (packet_id, token)
        );
        CREATE TABLE marks (
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            question_id TEXT NOT NULL,
            marker TEXT NOT NULL,
            marker_key TEXT NOT NULL,
            packet_id TEXT NOT NULL REFERENCES packets(id),
            points REAL NOT NULL,
            rubric_json TEXT NOT NULL,
            comment TEXT NOT NULL,
            notes_json TEXT NOT NULL,
            marked_at TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            PRIMARY KEY (candidate_id, question_id, marker)
        );
        CREATE TABLE decisions (
            candidate_id INTEGER NOT NULL REFERENCES candidates(id),
            question_id TEXT NOT NULL,
            points REAL NOT NULL,
            lead TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (candidate_id, question_id)
        );
        """
    )


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def hand_points(status: str, pending: float, manual_points: float | None) -> float:
    """The hand-awarded points that count: only while part of the question is graded by hand,
    and never more than that part is worth (a regrade may have shrunk it)."""
    if status != "manual-pending" or manual_points is None:
        return 0.0
    return min(manual_points, pending)


@dataclass(frozen=True)
class Candidate:
    id: int
    exam_id: str
    number: int
    identity: str
    fields: dict[str, str]
    bundle_sha256: str

    @property
    def label(self) -> str:
        """The anonymous name graders see by default (in a marking packet, the packet's token)."""
        if "token" in self.fields:
            return f"Candidate {self.fields['token']}"
        return f"Candidate {self.number}"


@dataclass(frozen=True)
class Annotation:
    """A highlighted passage of an essay, `text[start:end]`, with the grader's comment on it."""

    id: int
    start: int
    end: int
    quote: str
    comment: str
    grader: str = ""


@dataclass(frozen=True)
class StoredScore:
    """One question of one candidate: automatic result, hand-awarded points and override."""

    candidate_id: int
    question_id: str
    auto_points: float
    max_points: float
    status: str
    pending: float
    blanks: dict[str, bool | None]
    manual_points: float | None
    override_points: float | None
    override_reason: str
    grader: str
    comment: str

    @property
    def points(self) -> float:
        if self.override_points is not None:
            return self.override_points
        return round(self.auto_points + hand_points(self.status, self.pending, self.manual_points), DECIMALS)

    @property
    def needs_grading(self) -> bool:
        return self.status == "manual-pending" and self.manual_points is None and self.override_points is None


class GraderDB:
    """The grader's SQLite database; use `GraderDB.open(path)`, then `close()`."""

    def __init__(self, db: sqlite_utils.Database, path: Path):
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> GraderDB:
        path = Path(path)
        try:
            if not path.exists():  # it holds the answer key: readable by its owner only
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError:
            pass  # connecting says what is wrong with the place
        try:
            conn = sqlite3.connect(str(path), isolation_level=None)
            db = sqlite_utils.Database(conn)
            tables = set(db.table_names())
            if tables and "_sqlite_migrations" not in tables:  # another program's database
                conn.close()
                raise GraderDatabaseError(
                    f"{path} is a database, but not a grader database: nothing was changed in it. "
                    "Choose another file with --db."
                )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            known = {m.name for m in MIGRATIONS._migrations}
            applied = {m.name for m in MIGRATIONS.applied(db)}
            if applied - known:
                conn.close()
                raise GraderDatabaseError(
                    f"{path} was written by a newer version of exam-desktop; "
                    "open it with that version (or newer)."
                )
            MIGRATIONS.apply(db)
        except sqlite3.DatabaseError as exc:
            raise GraderDatabaseError(
                f"{path} is not a grader database ({exc}); choose another file with --db."
            ) from exc
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self.db.atomic():
            yield

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, params)

    # -- exams ---------------------------------------------------------------------------------

    def put_exam(self, exam: Exam, package_hash: str, key_sha256: str) -> None:
        """Add an exam from its key file, or replace its key (after `regrade --commit`)."""
        self.execute(
            "INSERT INTO exams (id, title, package_hash, key_sha256, exam_json, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title=excluded.title, "
            "key_sha256=excluded.key_sha256, exam_json=excluded.exam_json",
            (exam.id, exam.title, package_hash, key_sha256, json.dumps(exam_to_dict(exam)), now()),
        )

    def exam_ids(self) -> list[str]:
        return [r[0] for r in self.execute("SELECT id FROM exams ORDER BY added_at, id")]

    def exam_row(self, exam_id: str | None = None) -> dict[str, Any]:
        """The exam named, or the only exam of the database."""
        ids = self.exam_ids()
        if exam_id is None:
            if not ids:
                raise GraderDatabaseError(
                    f"{self.path} holds no exam yet: import bundles first "
                    "(exam-desktop grade import --key EXAM.key BUNDLES...)."
                )
            if len(ids) > 1:
                raise GraderDatabaseError(
                    f"{self.path} holds several exams ({', '.join(ids)}): choose one with --exam."
                )
            exam_id = ids[0]
        elif exam_id not in ids:
            raise GraderDatabaseError(f"{self.path} holds no exam {exam_id!r}.")
        cursor = self.execute("SELECT * FROM exams WHERE id = ?", (exam_id,))
        return _row_dict(cursor, cursor.fetchone())

    def exam(self, exam_id: str | None = None) -> Exam:
        return exam_from_dict(json.loads(self.exam_row(exam_id)["exam_json"]))

    # -- candidates and bundles ----------------------------------------------------------------

    def bundle(self, sha256: str) -> dict[str, Any] | None:
        cursor = self.execute("SELECT * FROM bundles WHERE sha256 = ?", (sha256,))
        row = cursor.fetchone()
        return _row_dict(cursor, row) if row else None

    def bundles(self, status: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM bundles" + (" WHERE status = ?" if status else "") + " ORDER BY rowid"
        cursor = self.execute(sql, (status,) if status else ())
        return [_row_dict(cursor, r) for r in cursor.fetchall()]

    def find_bundle(self, receipt_or_sha: str) -> dict[str, Any] | None:
        """A bundle by its receipt code (as written on the attendance sheet) or its SHA-256."""
        wanted = receipt_or_sha.strip()
        normalised = "".join(ch for ch in wanted.upper() if ch.isalnum())
        for row in self.bundles():
            receipt = "".join(ch for ch in (row["receipt"] or "").upper() if ch.isalnum())
            if row["sha256"] == wanted.lower() or (receipt and receipt == normalised):
                return row
        return None

    def candidates(self, exam_id: str) -> list[Candidate]:
        cursor = self.execute(
            "SELECT id, exam_id, number, identity, fields_json, bundle_sha256 FROM candidates "
            "WHERE exam_id = ? ORDER BY number",
            (exam_id,),
        )
        return [Candidate(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in cursor.fetchall()]

    def candidate_by_identity(self, exam_id: str, identity: str) -> Candidate | None:
        row = self.execute(
            "SELECT id, exam_id, number, identity, fields_json, bundle_sha256 FROM candidates "
            "WHERE exam_id = ? AND identity = ?",
            (exam_id, identity),
        ).fetchone()
        if row is None:
            return None
        return Candidate(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])

    def add_candidate(self, exam_id: str, identity: str, fields: dict[str, str], bundle_sha256: str) -> int:
        number = self.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM candidates WHERE exam_id = ?", (exam_id,)
        ).fetchone()[0]
        cursor = self.execute(
            "INSERT INTO candidates (exam_id, number, identity, fields_json, bundle_sha256) "
            "VALUES (?, ?, ?, ?, ?)",
            (exam_id, number, identity, json.dumps(fields), bundle_sha256),
        )
        return int(cursor.lastrowid or 0)

    def add_bundle(
        self,
        sha256: str,
        *,
        status: str,
        source: str,
        exam_id: str | None = None,
        candidate_identity: str | None = None,
        receipt: str | None = None,
        reason: str = "",
        manifest: dict[str, Any] | None = None,
    ) -> None:
        self.execute(
            "INSERT INTO bundles (sha256, exam_id, candidate_identity, receipt, status, reason, "
            "source, manifest_json, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sha256,
                exam_id,
                candidate_identity,
                receipt,
                status,
                reason,
                source,
                json.dumps(manifest) if manifest is not None else None,
                now(),
            ),
        )

    def set_bundle_status(self, sha256: str, status: str, reason: str = "") -> None:
        self.execute("UPDATE bundles SET status = ?, reason = ? WHERE sha256 = ?", (status, reason, sha256))

    def add_responses(self, bundle_sha256: str, responses: dict[str, Response]) -> None:
        self.db.conn.executemany(
            "INSERT INTO responses (bundle_sha256, question_id, value_json, dont_know, flagged, "
            "rating) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    bundle_sha256,
                    qid,
                    json.dumps(r.value),
                    int(r.dont_know),
                    int(r.flagged),
                    r.rating,
                )
                for qid, r in responses.items()
            ],
        )

    def responses(self, bundle_sha256: str) -> dict[str, Response]:
        cursor = self.execute(
            "SELECT question_id, value_json, dont_know, flagged, rating FROM responses "
            "WHERE bundle_sha256 = ?",
            (bundle_sha256,),
        )
        return {
            qid: Response(qid, json.loads(value), bool(dont_know), bool(flagged), rating)
            for qid, value, dont_know, flagged, rating in cursor.fetchall()
        }

    # -- scores --------------------------------------------------------------------------------

    def write_auto_scores(self, candidate_id: int, scores: dict[str, QuestionScore]) -> None:
        """Store automatic results; hand-awarded points, overrides and comments are kept."""
        self.db.conn.executemany(
            "INSERT INTO scores (candidate_id, question_id, auto_points, max_points, status, "
            "pending, blanks_json) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(candidate_id, question_id) DO UPDATE SET "
            "auto_points=excluded.auto_points, max_points=excluded.max_points, "
            "status=excluded.status, pending=excluded.pending, blanks_json=excluded.blanks_json",
            [
                (
                    candidate_id,
                    qid,
                    s.points,
                    s.max_points,
                    s.status,
                    s.pending,
                    json.dumps(dict(s.blanks)),
                )
                for qid, s in scores.items()
            ],
        )

    def clear_hand_grades(self, candidate_id: int, question_ids: list[str]) -> None:
        self.db.conn.executemany(
            "UPDATE scores SET manual_points = NULL, override_points = NULL, rubric_json = '{}', "
            "override_reason = '', grader = '', comment = '', graded_at = NULL "
            "WHERE candidate_id = ? AND question_id = ?",
            [(candidate_id, qid) for qid in question_ids],
        )
        self.db.conn.executemany(  # passages of an answer that is no longer the one graded
            "DELETE FROM annotations WHERE candidate_id = ? AND question_id = ?",
            [(candidate_id, qid) for qid in question_ids],
        )

    def scores(self, candidate_id: int) -> dict[str, StoredScore]:
        cursor = self.execute(
            "SELECT candidate_id, question_id, auto_points, max_points, status, pending, "
            "blanks_json, manual_points, override_points, override_reason, grader, comment "
            "FROM scores WHERE candidate_id = ?",
            (candidate_id,),
        )
        return {
            r[1]: StoredScore(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), *r[7:])
            for r in cursor.fetchall()
        }

    def score(self, candidate_id: int, question_id: str) -> StoredScore:
        return self.scores(candidate_id)[question_id]

    def grade_by_hand(
        self,
        candidate_id: int,
        question_id: str,
        points: float,
        *,
        grader: str = "",
        comment: str = "",
        rubric: dict[str, float] | None = None,
    ) -> None:
        """Award points for the part graded by hand (an essay, the manual blanks of a template),
        with the rubric level chosen per criterion when the points come from a rubric."""
        current = self.score(candidate_id, question_id)
        limit = current.pending if current.status == "manual-pending" else 0.0
        if not 0 <= points <= limit:
            raise KnownError(
                f"Points for the part graded by hand must be between 0 and {limit:g}; got {points:g}."
            )
        self.execute(
            "UPDATE scores SET manual_points = ?, grader = ?, comment = ?, graded_at = ?, "
            "rubric_json = ? WHERE candidate_id = ? AND question_id = ?",
            (
                round(points, DECIMALS),
                grader,
                comment,
                now(),
                json.dumps(rubric or {}, sort_keys=True),
                candidate_id,
                question_id,
            ),
        )

    def rubric_levels(self, candidate_id: int, question_id: str) -> dict[str, float]:
        """The rubric level chosen per criterion for this answer ({} if graded without one)."""
        row = self.execute(
            "SELECT rubric_json FROM scores WHERE candidate_id = ? AND question_id = ?",
            (candidate_id, question_id),
        ).fetchone()
        return json.loads(row[0]) if row else {}

    def clear_hand_grade(self, candidate_id: int, question_id: str) -> None:
        """Back to "not graded yet" (the grader cleared the points); the comment stays."""
        self.execute(
            "UPDATE scores SET manual_points = NULL, rubric_json = '{}', graded_at = ? "
            "WHERE candidate_id = ? AND question_id = ?",
            (now(), candidate_id, question_id),
        )

    # -- annotations, comment bank, where a grader stopped --------------------------------------

    def annotations(self, candidate_id: int, question_id: str) -> list[Annotation]:
        cursor = self.execute(
            "SELECT id, start, end, quote, comment, grader FROM annotations "
            "WHERE candidate_id = ? AND question_id = ? ORDER BY start, id",
            (candidate_id, question_id),
        )
        return [Annotation(*row) for row in cursor.fetchall()]

    def all_annotations(self, candidate_id: int) -> dict[str, list[Annotation]]:
        cursor = self.execute(
            "SELECT question_id, id, start, end, quote, comment, grader FROM annotations "
            "WHERE candidate_id = ? ORDER BY question_id, start, id",
            (candidate_id,),
        )
        out: dict[str, list[Annotation]] = {}
        for qid, *rest in cursor.fetchall():
            out.setdefault(qid, []).append(Annotation(*rest))
        return out

    def add_annotation(
        self,
        candidate_id: int,
        question_id: str,
        start: int,
        end: int,
        quote: str,
        comment: str,
        *,
        grader: str = "",
    ) -> int:
        if not comment.strip():
            raise KnownError("Write the comment for the highlighted passage first.")
        if not 0 <= start < end:
            raise KnownError("Select a passage of the answer to comment on.")
        cursor = self.execute(
            "INSERT INTO annotations (candidate_id, question_id, start, end, quote, comment, grader, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (candidate_id, question_id, start, end, quote, comment.strip(), grader, now()),
        )
        return int(cursor.lastrowid or 0)

    def delete_annotation(self, annotation_id: int) -> None:
        self.execute("DELETE FROM annotations WHERE id = ?", (annotation_id,))

    def comment_bank(self, exam_id: str, question_id: str) -> list[str]:
        """Reusable comments for a question (and those for every question, saved with '')."""
        cursor = self.execute(
            "SELECT text FROM comment_bank WHERE exam_id = ? AND question_id IN (?, '') "
            "ORDER BY question_id DESC, added_at, text",
            (exam_id, question_id),
        )
        return [r[0] for r in cursor.fetchall()]

    def add_to_comment_bank(self, exam_id: str, question_id: str, text: str) -> None:
        if text.strip():
            self.execute(
                "INSERT OR IGNORE INTO comment_bank (exam_id, question_id, text, added_at) "
                "VALUES (?, ?, ?, ?)",
                (exam_id, question_id, text.strip(), now()),
            )

    def remember_place(self, exam_id: str, grader: str, question_id: str, candidate_id: int) -> None:
        self.execute(
            "INSERT INTO places (exam_id, grader, question_id, candidate_id, at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(exam_id, grader) DO UPDATE SET question_id = excluded.question_id, "
            "candidate_id = excluded.candidate_id, at = excluded.at",
            (exam_id, grader, question_id, candidate_id, now()),
        )

    def place(self, exam_id: str, grader: str) -> tuple[str, int] | None:
        """Where `grader` stopped last time: (question id, candidate id)."""
        row = self.execute(
            "SELECT question_id, candidate_id FROM places WHERE exam_id = ? AND grader = ?",
            (exam_id, grader),
        ).fetchone()
        return (row[0], int(row[1])) if row else None

    def override(
        self,
        candidate_id: int,
        question_id: str,
        points: float,
        reason: str,
        *,
        grader: str = "",
    ) -> None:
        """Replace a question's points (automatic or not) by a grader's decision, with a reason."""
        current = self.score(candidate_id, question_id)
        if not reason.strip():
            raise KnownError("An override needs a reason (it goes into the candidate's record).")
        if not min(0.0, current.max_points) <= points <= current.max_points:
            raise KnownError(f"Points must be between 0 and {current.max_points:g}; got {points:g}.")
        self.execute(
            "UPDATE scores SET override_points = ?, override_reason = ?, grader = ?, "
            "graded_at = ? WHERE candidate_id = ? AND question_id = ?",
            (round(points, DECIMALS), reason.strip(), grader, now(), candidate_id, question_id),
        )

    def clear_override(self, candidate_id: int, question_id: str) -> None:
        self.execute(
            "UPDATE scores SET override_points = NULL, override_reason = '' "
            "WHERE candidate_id = ? AND question_id = ?",
            (candidate_id, question_id),
        )

    def set_comment(self, candidate_id: int, question_id: str, comment: str) -> None:
        self.execute(
            "UPDATE scores SET comment = ? WHERE candidate_id = ? AND question_id = ?",
            (comment, candidate_id, question_id),
        )

    # -- regrades ------------------------------------------------------------------------------

    def add_regrade(self, exam_id: str, old_key: str, new_key: str, changes: list[dict[str, Any]]) -> None:
        self.execute(
            "INSERT INTO regrades (exam_id, at, old_key_sha256, new_key_sha256, changes_json) "
            "VALUES (?, ?, ?, ?, ?)",
            (exam_id, now(), old_key, new_key, json.dumps(changes)),
        )

    def regrades(self, exam_id: str) -> list[dict[str, Any]]:
        cursor = self.execute("SELECT * FROM regrades WHERE exam_id = ? ORDER BY id", (exam_id,))
        return [_row_dict(cursor, r) for r in cursor.fetchall()]


def _row_dict(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {d[0]: v for d, v in zip(cursor.description, row)}
