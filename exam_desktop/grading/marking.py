"""Marking by several markers, offline: packets out, signed marks back, double marking reconciled.

The lead's grader database hands out **marking packets**: the answers to some questions (all
candidates, or a range of candidate numbers) that still need a grader, each candidate under a
token that only the lead's database can map back (``A01``, ``A02``, ...), no names, no other marks.
A packet is signed with the database's own signing key. The same questions can go to two markers
as two packets: each sees only the answers, never the other's marks (double marking, blind).

A marker loads the packet into a database of their own (`open_packet`), grades it in the grading
window like any exam, and returns a **marks file** (`write_marks`): every mark with its points,
rubric levels, comment, who and when, signed with the marker database's own key.

The lead imports marks files (`import_marks`) idempotently: the same mark again changes nothing;
a different mark for the same answer by the same marker is a conflict, shown and never
overwritten; a file for a packet this database did not issue, or altered, is refused. An answer
marked by one marker takes that mark at once. An answer marked by two or more waits for
`reconcile`: marks within the threshold take their mean; the others are listed for the lead to
decide (`decide`). Every mark is kept with who gave it, when and on which rubric levels.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam, Question, Section, from_dict, to_dict
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import DECIMALS, score_exam
from exam_desktop.core.sealed.keys import (
    b64,
    canonical_json,
    fingerprint,
    public_key_bytes,
    public_key_from_bytes,
    strict_json,
    unb64,
    verify_signature,
    write_private_file,
)
from exam_desktop.grading.db import GraderDB, now

PACKET_FORMAT = "exam-desktop-marking-packet"
MARKS_FORMAT = "exam-desktop-marks"
MAX_FILE_BYTES = 64 * 1024 * 1024


class MarkingRefused(KnownError):
    """A packet or marks file that cannot be used (altered, not ours, malformed)."""


def signing_key(db: GraderDB) -> Ed25519PrivateKey:
    """This database's own signing key (made on first use): it signs packets and marks files."""
    row = db.execute("SELECT value FROM settings WHERE name = 'signing_key'").fetchone()
    if row is not None:
        return Ed25519PrivateKey.from_private_bytes(unb64(row[0], 32))
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    db.execute("INSERT INTO settings (name, value) VALUES ('signing_key', ?)", (b64(raw),))
    return key


def _signed(body: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    return canonical_json({**body, "signature": b64(key.sign(canonical_json(body)))})


def _read_signed(path: Path, kind: str) -> tuple[dict[str, Any], str]:
    """A signed file's body (signature checked against the key it names) and its SHA-256."""
    try:
        if Path(path).stat().st_size > MAX_FILE_BYTES:
            raise MarkingRefused(f"{path} is too large to be a {kind}.")
        data = Path(path).read_bytes()
    except OSError as exc:
        raise MarkingRefused(f"Cannot read {path}: {exc.strerror}.") from None
    try:
        raw = strict_json(data)
        if not isinstance(raw, dict) or raw.get("format") != (
            PACKET_FORMAT if kind == "marking packet" else MARKS_FORMAT
        ):
            raise ValueError(f"not a {kind}")
        signature = unb64(raw.pop("signature"), 64)
        public = public_key_from_bytes(unb64(raw["public_key"], 32))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise MarkingRefused(f"{path} is not a readable {kind} ({exc}).") from None
    if not verify_signature(public, signature, canonical_json(raw)):
        raise MarkingRefused(f"The signature of {path} is not valid: the {kind} was altered or damaged.")
    return raw, hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# The lead: packets out


@dataclass(frozen=True)
class Packet:
    path: Path
    packet_id: str
    answers: int
    candidates: int


def write_packet(
    db: GraderDB,
    exam: Exam,
    question_ids: list[str],
    path: Path,
    *,
    marker: str,
    candidates: tuple[int, int] | None = None,
) -> Packet:
    """A signed, anonymised packet of the answers to `question_ids` for `marker`."""
    known = {q.id for q in exam.questions}
    unknown = [q for q in question_ids if q not in known]
    if unknown:
        raise KnownError(f"The exam has no question {', '.join(unknown)}; its questions: {', '.join(known)}.")
    if not marker.strip():
        raise KnownError("Name the marker the packet is for (--marker NAME).")
    questions = [exam.question(q) for q in question_ids]
    manual = [q.id for q in questions if not q.auto_graded]
    if not manual:
        raise KnownError("These questions are graded automatically: there is nothing to mark by hand.")
    packet_id = secrets.token_hex(8)
    people = [
        c for c in db.candidates(exam.id) if candidates is None or candidates[0] <= c.number <= candidates[1]
    ]
    answers = []
    tokens: list[tuple[str, int]] = []
    order = sorted(people, key=lambda c: secrets.randbelow(1 << 30))  # no import order either
    for c in order:
        scores = db.scores(c.id)
        wanted = [q for q in manual if q in scores and scores[q].status == "manual-pending"]
        if not wanted:
            continue
        token = f"A{len(tokens) + 1:03d}"
        tokens.append((token, c.id))
        responses = db.responses(c.bundle_sha256)
        for qid in wanted:
            r = responses.get(qid)
            answers.append(
                {
                    "token": token,
                    "question_id": qid,
                    "value": r.value if r else None,
                    "dont_know": bool(r.dont_know) if r else False,
                }
            )
    if not answers:
        raise KnownError("No candidate in that range has an answer to these questions to mark.")
    key = signing_key(db)
    body = {
        "format": PACKET_FORMAT,
        "version": 1,
        "packet_id": packet_id,
        "exam_id": exam.id,
        "title": exam.title,
        "language": exam.language,
        "dont_know_score": exam.dont_know_score,
        "marker": marker.strip(),
        "questions": [to_dict(exam.question(q)) for q in manual],
        "answers": answers,
        "created_at": now(),
        "public_key": b64(public_key_bytes(key.public_key())),
    }
    data = _signed(body, key)
    with db.atomic():
        db.execute(
            "INSERT INTO packets (id, exam_id, marker, questions_json, sha256, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (packet_id, exam.id, marker.strip(), json.dumps(manual), hashlib.sha256(data).hexdigest(), now()),
        )
        db.db.conn.executemany(
            "INSERT INTO packet_tokens (packet_id, token, candidate_id) VALUES (?, ?, ?)",
            [(packet_id, token, cid) for token, cid in tokens],
        )
    try:
        write_private_file(Path(path), data)
    except OSError as exc:
        raise KnownError(f"Cannot write {path}: {exc.strerror}.") from None
    return Packet(Path(path), packet_id, len(answers), len(tokens))


# --------------------------------------------------------------------------------------------
# The marker: a packet in, marks out


def open_packet(db: GraderDB, path: Path) -> Exam:
    """Load a packet into a marker's own database (again: nothing changes); returns its exam."""
    raw, sha256 = _read_signed(path, "marking packet")
    try:
        questions = [from_dict(Question, q) for q in raw["questions"]]
        exam = Exam(
            id=f"{raw['exam_id']}#{raw['packet_id']}",
            title=f"{raw['title']} — packet for {raw['marker']}",
            duration_minutes=0,
            sections=[Section("", questions)],
            language=raw["language"],
            dont_know_score=float(raw["dont_know_score"]),
        )
        answers = [
            (str(a["token"]), str(a["question_id"]), a["value"], bool(a["dont_know"])) for a in raw["answers"]
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise MarkingRefused(f"{path} has unreadable content ({exc}).") from None
    if exam.id in db.exam_ids():
        return db.exam(exam.id)
    by_token: dict[str, dict[str, Response]] = defaultdict(dict)
    for token, qid, value, dont_know in answers:
        by_token[token][qid] = Response(qid, value, dont_know)
    with db.atomic():
        db.put_exam(exam, f"packet:{raw['packet_id']}", sha256)
        db.execute(
            "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
            (
                f"packet:{exam.id}",
                json.dumps(
                    {
                        "packet_id": raw["packet_id"],
                        "sha256": sha256,
                        "exam_id": raw["exam_id"],
                        "marker": raw["marker"],
                    }
                ),
            ),
        )
        for token in sorted(by_token):
            bundle = hashlib.sha256(f"{raw['packet_id']}/{token}".encode()).hexdigest()
            db.add_bundle(
                bundle, status="imported", source=str(path), exam_id=exam.id, candidate_identity=token
            )
            db.add_responses(bundle, by_token[token])
            cid = db.add_candidate(exam.id, token, {"token": token}, bundle)
            db.write_auto_scores(cid, score_exam(exam, by_token[token], list(by_token[token])).per_question)
    return exam


def write_marks(db: GraderDB, exam_id: str, path: Path, *, marker: str) -> int:
    """The signed marks file of a marker's database for one packet; returns how many marks."""
    row = db.execute("SELECT value FROM settings WHERE name = ?", (f"packet:{exam_id}",)).fetchone()
    if row is None:
        raise KnownError(
            f"{db.path} holds no marking packet {exam_id}; open one with: exam-desktop grade mark PACKET"
        )
    packet = json.loads(row[0])
    marks = []
    for c in db.candidates(exam_id):
        for qid, s in db.scores(c.id).items():
            if s.manual_points is None and s.override_points is None:
                continue
            notes = db.annotations(c.id, qid)
            marks.append(
                {
                    "token": c.identity,
                    "question_id": qid,
                    "points": s.override_points if s.override_points is not None else s.manual_points,
                    "rubric": db.rubric_levels(c.id, qid),
                    "comment": s.comment,
                    "notes": [
                        {"start": n.start, "end": n.end, "quote": n.quote, "comment": n.comment}
                        for n in notes
                    ],
                    "marked_at": db.execute(
                        "SELECT graded_at FROM scores WHERE candidate_id = ? AND question_id = ?", (c.id, qid)
                    ).fetchone()[0],
                }
            )
    if not marks:
        raise KnownError(
            "Nothing is marked yet in this packet: grade it first (exam-desktop grade --db ...)."
        )
    key = signing_key(db)
    body = {
        "format": MARKS_FORMAT,
        "version": 1,
        "packet_id": packet["packet_id"],
        "packet_sha256": packet["sha256"],
        "exam_id": packet["exam_id"],
        "marker": marker.strip() or packet["marker"],
        "marks": marks,
        "created_at": now(),
        "public_key": b64(public_key_bytes(key.public_key())),
    }
    try:
        write_private_file(Path(path), _signed(body, key))
    except OSError as exc:
        raise KnownError(f"Cannot write {path}: {exc.strerror}.") from None
    return len(marks)


# --------------------------------------------------------------------------------------------
# The lead: marks in, agreement, reconciliation


@dataclass
class MarksImport:
    source: str
    marker: str
    new: int = 0
    unchanged: int = 0
    applied: int = 0  # single-marked answers whose mark now counts
    waiting: int = 0  # double-marked answers waiting for `reconcile`
    conflicts: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.new} new", f"{self.unchanged} already imported"]
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} in conflict (kept the earlier mark)")
        return (
            f"{self.source} ({self.marker}): "
            + ", ".join(parts)
            + (
                f"; {self.applied} now count, {self.waiting} double-marked wait for: exam-desktop grade reconcile"
                if self.waiting
                else f"; {self.applied} now count"
            )
        )


def import_marks(db: GraderDB, path: Path) -> MarksImport:
    """File a marks file's marks; idempotent; conflicts are reported, never overwritten."""
    raw, _ = _read_signed(path, "marks file")
    packet = db.execute(
        "SELECT id, exam_id, marker, sha256, marker_key FROM packets WHERE id = ?", (raw.get("packet_id"),)
    ).fetchone()
    if packet is None:
        raise MarkingRefused(f"{path} answers a packet this database did not make ({raw.get('packet_id')}).")
    packet_id, _exam_id, marker, packet_sha, marker_key = packet
    if raw.get("packet_sha256") != packet_sha:
        raise MarkingRefused(f"{path} was marked on another version of packet {packet_id}.")
    this_key = fingerprint(public_key_from_bytes(unb64(raw["public_key"], 32)))
    if marker_key and marker_key != this_key:
        raise MarkingRefused(
            f"Packet {packet_id} was returned before by the marker key {marker_key}; {path} is signed by "
            f"{this_key}. Ask the marker which file is theirs."
        )
    tokens = dict(
        db.execute(
            "SELECT token, candidate_id FROM packet_tokens WHERE packet_id = ?", (packet_id,)
        ).fetchall()
    )
    questions = set(
        json.loads(db.execute("SELECT questions_json FROM packets WHERE id = ?", (packet_id,)).fetchone()[0])
    )
    result = MarksImport(str(path), marker)
    touched = set()
    with db.atomic():
        db.execute("UPDATE packets SET marker_key = ? WHERE id = ?", (this_key, packet_id))
        for mark in raw["marks"]:
            cid = tokens.get(mark.get("token"))
            qid = mark.get("question_id")
            points = mark.get("points")
            if cid is None or qid not in questions or not isinstance(points, (int, float)):
                raise MarkingRefused(f"{path} has a mark for an answer that is not in packet {packet_id}.")
            old = db.execute(
                "SELECT points, rubric_json, comment FROM marks WHERE candidate_id = ? AND question_id = ? AND marker = ?",
                (cid, qid, marker),
            ).fetchone()
            rubric = json.dumps(mark.get("rubric") or {}, sort_keys=True)
            if old is not None:
                if (old[0], old[1], old[2]) == (
                    round(float(points), DECIMALS),
                    rubric,
                    mark.get("comment", ""),
                ):
                    result.unchanged += 1
                else:
                    result.conflicts.append(
                        f"{_label(db, cid)} {qid}: {marker} gave {old[0]:g} before and {float(points):g} now"
                    )
                continue
            db.execute(
                "INSERT INTO marks (candidate_id, question_id, marker, marker_key, packet_id, points, "
                "rubric_json, comment, notes_json, marked_at, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    cid,
                    qid,
                    marker,
                    this_key,
                    packet_id,
                    round(float(points), DECIMALS),
                    rubric,
                    str(mark.get("comment", "")),
                    json.dumps(mark.get("notes") or []),
                    str(mark.get("marked_at") or ""),
                    now(),
                ),
            )
            result.new += 1
            touched.add((cid, qid))
        for cid, qid in sorted(touched):
            rows = _marks_of(db, cid, qid)
            if len(rows) == 1:
                score = db.score(cid, qid)
                graded_here = score.manual_points is not None or score.override_points is not None
                if graded_here and score.grader != marker:
                    result.conflicts.append(
                        f"{_label(db, cid)} {qid}: graded here by {score.grader or 'someone'} "
                        f"({score.points:g}); {marker}'s {rows[0]['points']:g} is kept beside it"
                    )
                    continue
                _apply(db, cid, qid, rows[0]["points"], rows, grader=rows[0]["marker"])
                result.applied += 1
            else:
                db.clear_hand_grade(cid, qid)  # no single marker's word counts any more
                result.waiting += 1
    return result


def _label(db: GraderDB, candidate_id: int) -> str:
    return (
        f"Candidate {db.execute('SELECT number FROM candidates WHERE id = ?', (candidate_id,)).fetchone()[0]}"
    )


def _marks_of(db: GraderDB, candidate_id: int, question_id: str) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT marker, points, rubric_json, comment, notes_json, marked_at FROM marks "
        "WHERE candidate_id = ? AND question_id = ? ORDER BY marker",
        (candidate_id, question_id),
    )
    return [
        {"marker": m, "points": p, "rubric": json.loads(r), "comment": c, "notes": json.loads(n), "at": a}
        for m, p, r, c, n, a in cursor.fetchall()
    ]


def _apply(
    db: GraderDB, cid: int, qid: str, points: float, rows: list[dict[str, Any]], *, grader: str
) -> None:
    """Make `points` the hand mark of the answer, with the markers' comments and notes."""
    score = db.score(cid, qid)
    comments = [r["comment"] for r in rows if r["comment"].strip()]
    rubric = rows[0]["rubric"] if len(rows) == 1 else {}
    db.grade_by_hand(
        cid, qid, min(points, score.pending), grader=grader, comment="\n".join(comments), rubric=rubric
    )
    for r in rows:
        for n in r["notes"]:
            db.add_annotation(
                cid,
                qid,
                int(n["start"]),
                int(n["end"]),
                str(n["quote"]),
                str(n["comment"]),
                grader=r["marker"],
            )


# -- agreement -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    question_id: str
    markers: tuple[str, str]
    pairs: int
    exact: float  # share of answers both gave the same points
    mean_difference: float  # first marker minus second, on average
    mean_absolute_difference: float
    kappa: float | None  # Cohen's kappa over the point values as categories


def double_marked(db: GraderDB, exam_id: str) -> dict[str, dict[int, dict[str, float]]]:
    """question id -> candidate id -> marker -> points, for answers with two or more marks."""
    cursor = db.execute(
        "SELECT m.question_id, m.candidate_id, m.marker, m.points FROM marks m "
        "JOIN candidates c ON c.id = m.candidate_id WHERE c.exam_id = ?",
        (exam_id,),
    )
    out: dict[str, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for qid, cid, marker, points in cursor.fetchall():
        out[qid][cid][marker] = points
    return {q: {c: m for c, m in by_c.items() if len(m) >= 2} for q, by_c in out.items()}


def agreement(db: GraderDB, exam_id: str) -> list[Agreement]:
    """Per question (and pair of markers), how well two markers of the same answers agree."""
    report = []
    for qid, by_candidate in sorted(double_marked(db, exam_id).items()):
        pairs: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
        for marks in by_candidate.values():
            names = sorted(marks)
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    pairs[(a, b)].append((marks[a], marks[b]))
        for (a, b), values in sorted(pairs.items()):
            n = len(values)
            diffs = [x - y for x, y in values]
            report.append(
                Agreement(
                    qid,
                    (a, b),
                    n,
                    sum(1 for d in diffs if abs(d) < 1e-9) / n,
                    sum(diffs) / n,
                    sum(abs(d) for d in diffs) / n,
                    cohen_kappa(values),
                )
            )
    return report


def cohen_kappa(pairs: list[tuple[float, float]]) -> float | None:
    """Cohen's kappa of two raters over categories (the point values); None when undefined."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    if math.isclose(expected, 1.0):
        return None  # both gave one and the same value to everything: agreement by construction
    return (observed - expected) / (1 - expected)


def agreement_table(report: list[Agreement]) -> str:
    if not report:
        return "No answer has been marked by two markers yet."
    lines = [
        f"{'question':<14}{'markers':<22}{'answers':>8}{'exact':>8}{'mean diff':>11}{'mean |diff|':>13}{'kappa':>8}"
    ]
    for r in report:
        kappa = "–" if r.kappa is None else f"{r.kappa:.2f}"
        lines.append(
            f"{r.question_id:<14}{' / '.join(r.markers):<22}{r.pairs:>8}{r.exact:>8.0%}"
            f"{r.mean_difference:>+11.2f}{r.mean_absolute_difference:>13.2f}{kappa:>8}"
        )
    return "\n".join(lines)


# -- reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    candidate_id: int
    label: str
    question_id: str
    marks: dict[str, float]

    @property
    def spread(self) -> float:
        return max(self.marks.values()) - min(self.marks.values())


def reconcile(db: GraderDB, exam_id: str, threshold: float) -> tuple[int, list[Disagreement]]:
    """Double-marked answers within `threshold` points take the markers' mean (stored now);
    returns how many, and the answers that differ by more, for the lead to decide."""
    settled = 0
    open_items = []
    with db.atomic():
        for qid, by_candidate in sorted(double_marked(db, exam_id).items()):
            for cid, marks in sorted(by_candidate.items()):
                decided = db.execute(
                    "SELECT 1 FROM decisions WHERE candidate_id = ? AND question_id = ?", (cid, qid)
                ).fetchone()
                if decided:
                    continue
                spread = max(marks.values()) - min(marks.values())
                if spread <= threshold + 1e-9:
                    mean = round(sum(marks.values()) / len(marks), DECIMALS)
                    rows = _marks_of(db, cid, qid)
                    _replace_notes(db, cid, qid)
                    _apply(db, cid, qid, mean, rows, grader=" + ".join(sorted(marks)) + " (mean)")
                    settled += 1
                else:
                    open_items.append(Disagreement(cid, _label(db, cid), qid, dict(marks)))
    return settled, open_items


def decide(
    db: GraderDB, exam_id: str, number: int, question_id: str, points: float, *, lead: str, reason: str = ""
) -> str:
    """The lead's mark for a double-marked answer the markers disagree on."""
    row = db.execute(
        "SELECT id FROM candidates WHERE exam_id = ? AND number = ?", (exam_id, number)
    ).fetchone()
    if row is None:
        raise KnownError(f"There is no Candidate {number}.")
    cid = row[0]
    rows = _marks_of(db, cid, question_id)
    if len(rows) < 2:
        raise KnownError(f"Candidate {number}'s answer to {question_id} is not double-marked.")
    limit = db.score(cid, question_id).pending
    if not 0 <= points <= limit:
        raise KnownError(
            f"Points for {question_id} must be between 0 and {limit:g} (its maximum); got {points:g}."
        )
    with db.atomic():
        _replace_notes(db, cid, question_id)
        _apply(db, cid, question_id, points, rows, grader=f"{lead or 'lead'} (reconciled)")
        db.execute(
            "INSERT OR REPLACE INTO decisions (candidate_id, question_id, points, lead, reason, at) VALUES (?,?,?,?,?,?)",
            (cid, question_id, points, lead, reason, now()),
        )
    marks = ", ".join(f"{r['marker']} {r['points']:g}" for r in rows)
    return f"Candidate {number} {question_id}: {points:g} (marks were {marks})"


def _replace_notes(db: GraderDB, cid: int, qid: str) -> None:
    db.execute("DELETE FROM annotations WHERE candidate_id = ? AND question_id = ?", (cid, qid))


def marks_history(db: GraderDB, candidate_id: int, question_id: str) -> list[dict[str, Any]]:
    """Every mark given to an answer: marker, points, rubric levels, comment, when."""
    return _marks_of(db, candidate_id, question_id)
