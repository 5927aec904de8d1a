"""Importing result bundles into the grader database: verify, file, auto-grade.

Each bundle is verified against the exam's key (`core.sealed.bundle.read_bundle`: signature, hashes,
package binding, journal chain, archive limits — never extracted to disk), then recorded with its
responses and scored, all or nothing (a savepoint per bundle, a commit per batch). The outcomes:

  imported          new and genuine: the candidate's answers are graded (a bundle whose seat
                    found its answer file damaged is imported *marked*: the reason says what
                    was damaged, every answer it carries is graded)
  already-imported  the very same file (same SHA-256) was imported before: nothing changes
  quarantined       genuine, but the candidate already has a different bundle; a grader decides
                    with `accept_quarantined` / `reject_quarantined`
  rejected          not genuine, damaged or for another exam; the reason is recorded

Nothing of a rejected bundle is stored except its hash, where it came from and why it was refused.
Every bundle is hostile until verified: one that cannot be read — or that trips a fault in the
grader itself — is rejected alone with its reason, and the rest of the batch imports.

The grader key file must be signed by an office key this machine trusts (installed with
`exam-desktop keys install`, or named with `--office-key`): a key file re-signed by anyone else
would otherwise grade with a forged answer key.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import score_exam
from exam_desktop.core.sealed.archive import read_regular_file
from exam_desktop.core.sealed.bundle import LIMITS as BUNDLE_LIMITS
from exam_desktop.core.sealed.bundle import BundleRejected, find_bundles, read_bundle
from exam_desktop.core.sealed.package import GraderKey, load_key_file
from exam_desktop.grading.db import GraderDB

log = logging.getLogger(__name__)

Outcome = Literal["imported", "already-imported", "quarantined", "rejected"]
Progress = Callable[[int, int], None]
COMMIT_EVERY = 100  # bundles per database commit

# Candidate fields that identify a person, most specific first. Without any of them the whole
# identification form is the identity.
IDENTITY_FIELDS = ("student_id", "student-id", "matricola", "id_number", "id", "email")


class VerifiedBundle(Protocol):
    """What the importer needs from a verified bundle (`core.sealed.bundle.Bundle`)."""

    @property
    def manifest(self) -> dict[str, Any]: ...
    @property
    def responses(self) -> dict[str, Response]: ...
    @property
    def receipt(self) -> str: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True)
class ImportResult:
    source: str
    outcome: Outcome
    reason: str = ""
    receipt: str = ""
    candidate: str = ""  # "Candidate 7"

    def line(self) -> str:
        """One line for the person importing."""
        who = f" {self.candidate}" if self.candidate else ""
        receipt = f" [{self.receipt}]" if self.receipt else ""
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.outcome}{who}{receipt} {self.source}{reason}"


def read_bundle_file(path: Path) -> bytes:
    """The bytes of a bundle file: a regular file no larger than a bundle may be."""
    return read_regular_file(path, BUNDLE_LIMITS.max_archive_bytes, BundleRejected)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def candidate_fields(manifest: Mapping[str, Any]) -> dict[str, str]:
    raw = manifest.get("candidate") or {}
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): str(v) for k, v in raw.items()}


def candidate_identity(fields: Mapping[str, str]) -> str:
    """A stable key for a person: their ID or email, else every field of the form."""
    lowered = {k.lower(): v.strip() for k, v in fields.items()}
    for name in IDENTITY_FIELDS:
        if lowered.get(name):
            return f"{name}:{lowered[name].casefold()}"
    return "|".join(f"{k}:{' '.join(v.split()).casefold()}" for k, v in sorted(lowered.items()))


def load_grader_key(path: str | Path, office_key: Ed25519PublicKey) -> tuple[GraderKey, str]:
    """The grader key file, signed by `office_key`, and the SHA-256 that names this version of it."""
    key = load_key_file(Path(path), office_key)
    return key, file_sha256(Path(path))


def import_bundles(
    db: GraderDB,
    key: GraderKey,
    key_sha256: str,
    paths: Iterable[str | Path],
    *,
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Verify every bundle under `paths` against the exam's key and import the genuine ones."""
    exam = key.exam
    known = db.exam_ids()
    if exam.id not in known:
        db.put_exam(exam, key.package_hash, key_sha256)
    else:
        row = db.exam_row(exam.id)
        if row["package_hash"] != key.package_hash:
            raise KnownError(
                f"{db.path} grades another package of exam {exam.id}; "
                "use a separate database (--db) for this one."
            )
        if row["key_sha256"] != key_sha256:
            raise KnownError(
                f"This key differs from the one {db.path} grades with; to change the key run "
                "exam-desktop grade regrade --key NEW.key first."
            )
    files = []
    for path in map(Path, paths):
        if not path.exists():
            raise KnownError(f"{path} does not exist: name bundle files or folders that hold them.")
        files += find_bundles([path])
    results = []
    for start in range(0, len(files), COMMIT_EVERY):
        # One commit per batch; each bundle is its own savepoint inside it, so a bundle is filed
        # whole or not at all, and an interrupted import loses at most one batch (re-importing
        # is idempotent).
        with db.atomic():
            for path in files[start : start + COMMIT_EVERY]:
                results.append(import_isolated(db, key, path))
                if progress:
                    progress(len(results), len(files))
    return results


def import_isolated(db: GraderDB, key: GraderKey, path: Path) -> ImportResult:
    """`import_bundle_file` in its own savepoint: a fault on one bundle rejects that bundle only.

    Known problems are rejections already; anything else escaping is a fault of the grader on a
    file it should have refused. That bundle is recorded as rejected with what happened (and the
    details go to the log), so the batch goes on.
    """
    try:
        with db.atomic():
            return import_bundle_file(db, key, path)
    except KnownError:
        raise  # the database itself (a full disk): stop, the batch is not imported
    except Exception as exc:  # a bundle the grader could not handle: it is rejected, alone
        log.exception("importing %s failed", path)
        reason = (
            f"the grader could not process this bundle ({type(exc).__name__}); it was set "
            "aside and the others were imported — keep the file and report it"
        )
        try:
            sha256 = hashlib.sha256(read_bundle_file(path)).hexdigest()
        except BundleRejected:
            return ImportResult(str(path), "rejected", reason)
        with db.atomic():
            db.execute("DELETE FROM bundles WHERE sha256 = ?", (sha256,))
            db.add_bundle(sha256, status="rejected", source=str(path), reason=reason)
        return ImportResult(str(path), "rejected", reason)


def damage_mark(damage: Mapping[str, Any] | None) -> str:
    """One sentence for a bundle whose seat found its answer file damaged ('' if none)."""
    if not damage:
        return ""
    parts = []
    entries = list(damage.get("journal_entries") or [])
    if entries:
        shown = ", ".join(map(str, entries[:5])) + (" …" if len(entries) > 5 else "")
        parts.append(f"journal entr{'y' if len(entries) == 1 else 'ies'} {shown} do not verify")
    answers = list(damage.get("answers") or [])
    if answers:
        parts.append(f"answers not confirmed by the journal: {', '.join(answers[:10])}")
    facts = list(damage.get("facts") or [])
    if facts:
        parts.append(f"session facts lost: {', '.join(facts)}")
    detail = "; ".join(parts) or str(damage.get("note") or "damage reported")
    return f"marked: the seat found its answer file damaged ({detail}); check these by hand"


def import_bundle_file(db: GraderDB, key: GraderKey, path: Path) -> ImportResult:
    """Verify one file and file it (or record why it was rejected)."""
    source = str(path)
    try:
        data = read_bundle_file(path)
    except BundleRejected as exc:
        return ImportResult(source, "rejected", str(exc))
    sha256 = hashlib.sha256(data).hexdigest()
    known = db.bundle(sha256)
    if known and known["status"] != "rejected":
        return _already(db, known, source)
    try:
        bundle = read_bundle(
            data,
            exam_id=key.exam.id,
            package_hash=key.package_hash,
            binding_key=key.binding_key,
        )
    except BundleRejected as exc:
        with db.atomic():
            db.execute("DELETE FROM bundles WHERE sha256 = ?", (sha256,))
            db.add_bundle(sha256, status="rejected", source=source, reason=str(exc))
        return ImportResult(source, "rejected", str(exc))
    return file_verified_bundle(db, key.exam, bundle, source, sha256=sha256)


def presented_questions(manifest: dict[str, Any]) -> list[str] | None:
    """The questions the candidate was given, as the session recorded them (None: the whole exam)."""
    session = manifest.get("session")
    questions = session.get("questions") if isinstance(session, dict) else None
    return list(questions) if questions else None


def file_verified_bundle(
    db: GraderDB,
    exam: Exam,
    bundle: VerifiedBundle,
    source: str,
    *,
    sha256: str | None = None,
) -> ImportResult:
    """Record a verified bundle: a new candidate, a duplicate, or a second bundle to quarantine."""
    sha256 = sha256 or bundle.sha256
    known = db.bundle(sha256)
    if known and known["status"] != "rejected":
        return _already(db, known, source)
    fields = candidate_fields(bundle.manifest)
    identity = candidate_identity(fields)
    mark = damage_mark(bundle.manifest.get("damage"))
    question_ids = {q.id for q in exam.questions}
    responses = {qid: r for qid, r in bundle.responses.items() if qid in question_ids}
    with db.atomic():
        db.execute("DELETE FROM bundles WHERE sha256 = ?", (sha256,))
        existing = db.candidate_by_identity(exam.id, identity)
        if existing is not None:
            previous = db.bundle(existing.bundle_sha256) or {}
            reason = (
                f"{existing.label} already has another bundle (receipt "
                f"{previous.get('receipt') or existing.bundle_sha256[:12]}); "
                "decide which one counts with: exam-desktop grade quarantine"
            )
            db.add_bundle(
                sha256,
                status="quarantined",
                source=source,
                exam_id=exam.id,
                candidate_identity=identity,
                receipt=bundle.receipt,
                reason=reason,
                manifest=bundle.manifest,
            )
            db.add_responses(sha256, responses)
            return ImportResult(source, "quarantined", reason, bundle.receipt, existing.label)
        db.add_bundle(
            sha256,
            status="imported",
            source=source,
            exam_id=exam.id,
            candidate_identity=identity,
            receipt=bundle.receipt,
            reason=mark,
            manifest=bundle.manifest,
        )
        db.add_responses(sha256, responses)
        candidate_id = db.add_candidate(exam.id, identity, fields, sha256)
        db.write_auto_scores(
            candidate_id, score_exam(exam, responses, presented_questions(bundle.manifest)).per_question
        )
        number = db.execute("SELECT number FROM candidates WHERE id = ?", (candidate_id,)).fetchone()[0]
    return ImportResult(source, "imported", mark, bundle.receipt, f"Candidate {number}")


def accept_quarantined(db: GraderDB, receipt_or_sha: str) -> str:
    """Make a quarantined bundle the one that counts for its candidate; returns a summary.

    The candidate's previous bundle is kept as "superseded". Hand grades stay on the questions
    whose answer is the same in both bundles and are cleared where the answer changed.
    """
    row = _quarantined(db, receipt_or_sha)
    exam = db.exam(row["exam_id"])
    candidate = db.candidate_by_identity(row["exam_id"], row["candidate_identity"])
    if candidate is None:  # pragma: no cover - a quarantined bundle always has a candidate
        raise KnownError("The candidate of this bundle is no longer in the database.")
    old = db.responses(candidate.bundle_sha256)
    new = db.responses(row["sha256"])
    changed = [q.id for q in exam.questions if _value(old.get(q.id)) != _value(new.get(q.id))]
    with db.atomic():
        db.set_bundle_status(candidate.bundle_sha256, "superseded", f"replaced by {row['sha256']}")
        db.set_bundle_status(row["sha256"], "imported")
        db.execute("UPDATE candidates SET bundle_sha256 = ? WHERE id = ?", (row["sha256"], candidate.id))
        db.clear_hand_grades(candidate.id, changed)
        stored = db.bundle(row["sha256"])
        manifest = json.loads((stored or {}).get("manifest_json") or "{}")
        scores = score_exam(exam, new, presented_questions(manifest)).per_question
        db.execute(  # questions this bundle's session did not give the candidate
            "DELETE FROM scores WHERE candidate_id = ? AND question_id NOT IN "
            f"({', '.join('?' * len(scores))})",
            (candidate.id, *scores),
        )
        db.write_auto_scores(candidate.id, scores)
    return f"{candidate.label}: now graded from bundle {row['receipt'] or row['sha256'][:12]}"


def reject_quarantined(db: GraderDB, receipt_or_sha: str, reason: str = "") -> str:
    row = _quarantined(db, receipt_or_sha)
    with db.atomic():
        db.execute("DELETE FROM responses WHERE bundle_sha256 = ?", (row["sha256"],))
        db.set_bundle_status(row["sha256"], "rejected", reason or "set aside by a grader")
    return f"bundle {row['receipt'] or row['sha256'][:12]} set aside"


def _quarantined(db: GraderDB, receipt_or_sha: str) -> dict[str, Any]:
    row = db.find_bundle(receipt_or_sha)
    if row is None or row["status"] != "quarantined":
        raise KnownError(
            f"No quarantined bundle has receipt or hash {receipt_or_sha!r}; "
            "list them with: exam-desktop grade quarantine"
        )
    return row


def _already(db: GraderDB, known: dict[str, Any], source: str) -> ImportResult:
    label = ""
    if known["status"] in ("imported", "quarantined", "superseded"):
        c = db.candidate_by_identity(known["exam_id"], known["candidate_identity"] or "")
        label = c.label if c else ""
    note = "" if known["status"] == "imported" else f"already filed as {known['status']}"
    return ImportResult(source, "already-imported", note, known["receipt"] or "", label)


def _value(response: Response | None) -> Any:
    return None if response is None else (response.value, response.dont_know)
