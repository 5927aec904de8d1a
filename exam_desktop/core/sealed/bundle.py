"""Result bundles: one signed zip per candidate, written at submit or time-out, checked by graders.

A bundle holds
- `manifest.json`: exam id, package hash, candidate identification, the session (id, nonce, times,
  app version), the SHA-256 of every other file, the session's public key and a statement binding
  that key to the session, its nonce and the exam;
- `answers.json`: one response per question;
- `journal.json`: the session's full hash-chained event journal;
- `notes.json` (only when the bank says `notes-in-bundle: yes`): the candidate's private notes per
  question, never graded;
- `signature`: Ed25519 over the canonical manifest, by the session key (a new key per launch).

When the seat found its answer file damaged (core/seat/damage.py), the manifest also carries
`damage`: which journal entries do not verify, which answers the journal does not confirm, which
session facts were lost. The grader then imports the bundle marked, instead of refusing it: a
journal that breaks anywhere else than where the seat said is still a rejection.

When the package's binding key is known (it travels inside the encrypted package and in the grader
key file), the statement also carries an HMAC under it: the session key was then vouched for by
someone who had unlocked this package. docs/trust-model.md says what this does and does not prove.

Bundles are written atomically to the results folder and to a local copy, read back and verified
before `write_bundle` returns. `read_bundle` trusts nothing: archive limits, signature, hashes,
statement, expected exam, the shape and bounds of every member (core/sealed/bundle_schema.py) and
the journal chain are all checked, and the first failure becomes a `BundleRejected` whose message
says why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from exam_desktop import __version__
from exam_desktop.core.errors import KnownError
from exam_desktop.core.journal import damaged_entries
from exam_desktop.core.responses import Response
from exam_desktop.core.sealed import bundle_schema
from exam_desktop.core.sealed.archive import ArchiveLimits, ArchiveRejected, read_archive, write_archive
from exam_desktop.core.sealed.atomic import clean_partial_files, write_atomically
from exam_desktop.core.sealed.keys import (
    b64,
    canonical_json,
    digest_code,
    public_key_bytes,
    public_key_from_bytes,
    unb64,
    verify_signature,
)

BUNDLE_FORMAT = "exam-desktop result bundle"
BUNDLE_SUFFIX = ".bundle"
MANIFEST, ANSWERS, JOURNAL, SIGNATURE = "manifest.json", "answers.json", "journal.json", "signature"
NOTES = "notes.json"  # optional: the candidate's notes, when the bank lets them travel
MEMBERS = (MANIFEST, ANSWERS, JOURNAL, SIGNATURE)  # in every bundle
ALLOWED = (*MEMBERS, NOTES)
LIMITS = ArchiveLimits(
    max_archive_bytes=64 * 1024 * 1024,
    max_members=len(ALLOWED),
    max_member_bytes=32 * 1024 * 1024,
    max_total_bytes=64 * 1024 * 1024,
)


class BundleRejected(KnownError):
    """A bundle that is not genuine, complete and unaltered; the message says why."""


class ResultsNotWritten(KnownError):
    """The results folder could not be written; the local copy is safe (see `.written`)."""

    def __init__(self, message: str, written: WrittenBundle):
        super().__init__(message)
        self.written = written


class BundleNotWritten(KnownError):
    """Neither the results folder nor the local folder could hold the bundle."""


@dataclass(frozen=True)
class SessionInfo:
    """One launch of an exam on one machine, as recorded in its bundle."""

    id: str
    nonce: str
    started_at: str  # ISO 8601 wall-clock times, for people; durations come from the journal
    ended_at: str
    extensions: list[dict[str, Any]] = field(default_factory=list)  # e.g. {at, seconds, reason}
    ended_by: str = "submit"  # "submit" | "time-out" | "invigilator"
    app_version: str = __version__
    # The ids of the questions this candidate was given (a package that draws N questions per
    # candidate gives each a different set); empty when the whole exam was given.
    questions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WrittenBundle:
    path: Path | None  # in the results folder (None if it could not be written there)
    local_path: Path | None  # the local copy
    receipt: str
    sha256: str


@dataclass(frozen=True)
class Bundle:
    """A verified bundle."""

    manifest: dict[str, Any]
    responses: dict[str, Response]
    events: list[dict[str, Any]]
    receipt: str
    sha256: str
    session_public_key: Ed25519PublicKey = field(repr=False)
    bound_to_package: bool = False  # the package binding HMAC was checked
    notes: dict[str, str] = field(default_factory=dict)  # question id -> the candidate's notes

    @property
    def damage(self) -> dict[str, Any] | None:
        """What the seat found damaged in its answer file (None: nothing)."""
        return self.manifest.get("damage")

    @property
    def exam_id(self) -> str:
        return self.manifest["exam_id"]

    @property
    def package_hash(self) -> str:
        return self.manifest["package_sha256"]

    @property
    def candidate(self) -> dict[str, str]:
        return self.manifest["candidate"]

    @property
    def session(self) -> dict[str, Any]:
        return self.manifest["session"]


def receipt_code(sha256: str) -> str:
    """The short code a candidate writes on the attendance sheet, e.g. ``K7QM-2XHC``."""
    return digest_code(bytes.fromhex(sha256), 8)


def session_statement(
    public_key: Ed25519PublicKey, session_id: str, nonce: str, exam_id: str, package_hash: str
) -> str:
    return (
        f"exam-desktop session key {b64(public_key_bytes(public_key))} signs the results of "
        f"session {session_id} (nonce {nonce}) of exam {exam_id}, package {package_hash}"
    )


def local_bundle_dir(data_dir: Path) -> Path:
    """Where a lab machine keeps its own copy of every bundle it wrote."""
    return Path(data_dir) / "bundles"


# --------------------------------------------------------------------------------------------
# Writing


def bundle_bytes(
    *,
    exam_id: str,
    package_hash: str,
    candidate: dict[str, str],
    session: SessionInfo,
    responses: dict[str, Response],
    events: list[dict[str, Any]],
    session_key: Ed25519PrivateKey,
    binding_key: bytes | None = None,
    damage: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
) -> bytes:
    """The bundle file's bytes (deterministic for the same inputs); `damage` as the seat found it;
    `notes` adds notes.json."""
    answers = canonical_json({qid: dataclasses.asdict(r) for qid, r in sorted(responses.items())})
    journal = canonical_json(events)
    files = {ANSWERS: _sha256(answers), JOURNAL: _sha256(journal)}
    extra: dict[str, bytes] = {}
    if notes is not None:
        extra[NOTES] = canonical_json(dict(sorted(notes.items())))
        files[NOTES] = _sha256(extra[NOTES])
    public = session_key.public_key()
    statement = session_statement(public, session.id, session.nonce, exam_id, package_hash)
    manifest_fields = {
        "format": BUNDLE_FORMAT,
        "version": 1,
        "exam_id": exam_id,
        "package_sha256": package_hash,
        "candidate": candidate,
        "session": dataclasses.asdict(session),
        "files": files,
        "session_public_key": b64(public_key_bytes(public)),
        "statement": statement,
        "package_binding": (_binding(binding_key, statement) if binding_key is not None else None),
    }
    if damage is not None:
        manifest_fields["damage"] = damage
    manifest = canonical_json(manifest_fields)
    return write_archive(
        {
            MANIFEST: manifest,
            ANSWERS: answers,
            JOURNAL: journal,
            **extra,
            SIGNATURE: session_key.sign(manifest),
        }
    )


def write_bundle(
    results_dir: Path | None,
    local_dir: Path,
    *,
    exam_id: str,
    package_hash: str,
    candidate: dict[str, str],
    session: SessionInfo,
    responses: dict[str, Response],
    events: list[dict[str, Any]],
    session_key: Ed25519PrivateKey,
    binding_key: bytes | None = None,
    damage: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
) -> WrittenBundle:
    """Verify the bundle, write it to the local folder and the results folder, read both back.

    Raises `ResultsNotWritten` (with `.written`) when only the local copy could be written, and
    `BundleNotWritten` when neither could; when only the local copy failed, the result has
    `local_path=None`. A missing results folder is never created: it is usually a USB stick
    that is not mounted. The bundle is read back exactly as a grader would before anything is
    written, so a receipt is never given for a bundle the grader refuses.
    """
    data = bundle_bytes(
        exam_id=exam_id,
        package_hash=package_hash,
        candidate=candidate,
        session=session,
        responses=responses,
        events=events,
        session_key=session_key,
        binding_key=binding_key,
        damage=damage,
        notes=notes,
    )
    read_bundle(data, exam_id=exam_id, package_hash=package_hash, binding_key=binding_key)
    return write_bundle_bytes(results_dir, local_dir, data)


def write_bundle_bytes(results_dir: Path | None, local_dir: Path, data: bytes) -> WrittenBundle:
    """Write a bundle already made (and verified) to the local folder and the results folder.

    The same bytes always get the same name, so writing them again after a crash replaces a
    copy by itself and never adds a second bundle. As `write_bundle` for what it raises.
    """
    bundle = read_bundle(data)
    digest = bundle.sha256
    receipt = bundle.receipt
    name = bundle_name(bundle.exam_id, bundle.candidate, bundle.session["id"], receipt)
    clean_partial_files(Path(local_dir), Path(results_dir) if results_dir is not None else None)

    def write_and_check(folder: Path) -> Path:
        path = write_atomically(folder, name, data)
        if _sha256(path.read_bytes()) != digest:  # byte for byte the bundle verified above
            raise OSError(f"{path} reads back differently from what was written")
        return path

    local_path = results_path = None
    local_error = results_error = ""
    try:
        Path(local_dir).mkdir(parents=True, exist_ok=True)
        local_path = write_and_check(Path(local_dir))
    except (OSError, BundleRejected) as exc:
        local_error = _reason(exc)
    if results_dir is not None:
        try:
            if not Path(results_dir).is_dir():
                raise FileNotFoundError(f"the folder {results_dir} is missing (not connected?)")
            results_path = write_and_check(Path(results_dir))
        except (OSError, BundleRejected) as exc:
            results_error = _reason(exc)
    written = WrittenBundle(results_path, local_path, receipt, digest)
    if local_path is None and results_path is None:
        where = f" nor to {results_dir} ({results_error})" if results_dir is not None else ""
        raise BundleNotWritten(
            f"The results could not be saved to {local_dir} ({local_error}){where}. "
            "Call the invigilator: the answers are still in the session database."
        )
    if results_dir is not None and results_path is None:
        raise ResultsNotWritten(
            f"The results could not be written to {results_dir} ({results_error}). "
            f"The answers are safe in the local copy {local_path}; the invigilator can copy them "
            "later with `exam-desktop export-results`.",
            written,
        )
    return written


def bundle_name(exam_id: str, candidate: dict[str, str], session_id: str, receipt: str) -> str:
    """A file name people can sort and recognise: exam, candidate, receipt."""
    preferred = [k for k in candidate if "id" in k.lower().split("_")] + list(candidate)
    who = next((str(candidate[k]) for k in preferred if str(candidate[k]).strip()), session_id[:8])
    who = re.sub(r"[^A-Za-z0-9._-]+", "-", who).strip("-.")[:40] or session_id[:8]
    safe_exam = re.sub(r"[^A-Za-z0-9._-]+", "-", exam_id)[:60]
    return f"{safe_exam}_{who}_{receipt}{BUNDLE_SUFFIX}"


@dataclass(frozen=True)
class ExportOutcome:
    source: Path
    target: Path | None
    ok: bool
    message: str = ""
    receipt: str = ""


def find_bundles(paths: list[Path]) -> list[Path]:
    """Bundle files among `paths`, folders searched recursively (files given by name kept as is)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob(f"*{BUNDLE_SUFFIX}") if p.is_file())
        else:
            found.append(path)
    return found


def export_bundles(data_dir: Path, to_dir: Path) -> list[ExportOutcome]:
    """Copy every bundle kept under `data_dir` to `to_dir`, verifying each before and after."""
    to_dir = Path(to_dir)
    if not to_dir.is_dir():
        raise KnownError(f"The results folder {to_dir} does not exist (is the stick connected?).")
    clean_partial_files(to_dir)  # an export killed half-way left its temporary file
    outcomes = []
    for source in find_bundles([Path(data_dir)]):
        if source.parent.resolve() == to_dir.resolve():
            continue
        try:
            bundle = read_bundle(source)
            data = source.read_bytes()
            if _sha256(data) != bundle.sha256:
                raise OSError(f"{source} changed while it was being copied")
            target = to_dir / source.name
            if not (target.is_file() and target.read_bytes() == data):
                write_atomically(to_dir, source.name, data)
            if read_bundle(target).sha256 != bundle.sha256:
                raise OSError(f"{target} reads back differently")
            outcomes.append(ExportOutcome(source, target, True, receipt=bundle.receipt))
        except BundleRejected as exc:
            outcomes.append(ExportOutcome(source, None, False, f"not copied: {exc}"))
        except OSError as exc:
            outcomes.append(ExportOutcome(source, None, False, f"not copied: {_reason(exc)}"))
    return outcomes


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.errno else str(exc)
    return str(exc)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _binding(binding_key: bytes, statement: str) -> str:
    return b64(hmac.new(binding_key, statement.encode("utf-8"), hashlib.sha256).digest())


# --------------------------------------------------------------------------------------------
# Reading


def read_bundle(
    source: Path | bytes,
    *,
    exam_id: str | None = None,
    package_hash: str | None = None,
    binding_key: bytes | None = None,
) -> Bundle:
    """Read and verify a bundle; raises `BundleRejected` saying why it is not valid.

    `exam_id` / `package_hash` (from the grader key file) reject bundles of another exam;
    `binding_key` additionally requires the session key to be vouched for by the package.
    """
    try:
        members = read_archive(source, ALLOWED, limits=LIMITS, required=MEMBERS, canonical=True)
    except ArchiveRejected as exc:
        raise BundleRejected(str(exc)) from None
    data = bytes(source) if isinstance(source, (bytes, bytearray)) else None
    manifest_bytes = members[MANIFEST]
    try:
        manifest = bundle_schema.bounded_json(manifest_bytes, unique_keys=True)
        public = _check_manifest(manifest)
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleRejected(f"malformed archive: manifest.json is not valid ({exc})") from None
    if not verify_signature(public, members[SIGNATURE], manifest_bytes):
        raise BundleRejected("bad signature")
    if (NOTES in members) != (NOTES in manifest["files"]):
        raise BundleRejected("notes.json and the manifest disagree")
    for name in manifest["files"]:
        if _sha256(members[name]) != manifest["files"][name]:
            raise BundleRejected(f"hash mismatch for {name}")
    session = manifest["session"]
    statement = session_statement(
        public, session["id"], session["nonce"], manifest["exam_id"], manifest["package_sha256"]
    )
    if manifest["statement"] != statement:
        raise BundleRejected("bad signature (the session statement does not match the manifest)")
    if exam_id is not None and manifest["exam_id"] != exam_id:
        raise BundleRejected(f"wrong exam (expected {exam_id}, got {manifest['exam_id']})")
    if package_hash is not None and manifest["package_sha256"] != package_hash:
        raise BundleRejected(
            f"wrong package (expected {package_hash[:12]}…, got {manifest['package_sha256'][:12]}…)"
        )
    if binding_key is not None:
        binding = manifest["package_binding"]
        if not isinstance(binding, str) or not hmac.compare_digest(binding, _binding(binding_key, statement)):
            raise BundleRejected("session key not vouched for by the exam package (bad binding)")
    responses = _parse_answers(members[ANSWERS])
    events = _parse_journal(members[JOURNAL], manifest.get("damage"))
    notes = _parse_notes(members[NOTES]) if NOTES in members else {}
    if data is None:
        data = write_archive(members)  # canonical, so the same bytes as the file
    digest = _sha256(data)
    return Bundle(
        manifest, responses, events, receipt_code(digest), digest, public, binding_key is not None, notes
    )


def _parse_notes(data: bytes) -> dict[str, str]:
    try:
        raw = bundle_schema.bounded_json(data, unique_keys=True)
        if not isinstance(raw, dict):
            raise ValueError("expected question ids mapped to text")
        for question_id, note in bundle_schema.list_of(list(raw.items()), "notes"):
            bundle_schema.text(question_id, "a question id in notes")
            bundle_schema.text(note, f"the notes on {question_id}", limit=bundle_schema.MAX_TEXT)
        return dict(raw)
    except (ValueError, TypeError) as exc:
        raise BundleRejected(f"malformed archive: notes.json is not valid ({exc})") from None


_MANIFEST_FIELDS = {
    "format",
    "version",
    "exam_id",
    "package_sha256",
    "candidate",
    "session",
    "files",
    "session_public_key",
    "statement",
    "package_binding",
}


def _check_manifest(manifest: Any) -> Ed25519PublicKey:
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise ValueError("not a result bundle manifest")
    if manifest.get("version") != 1:
        raise ValueError(f"unknown version {manifest.get('version')!r}")
    bundle_schema.only_keys(manifest, "the manifest", _MANIFEST_FIELDS, {"damage"})
    bundle_schema.text(manifest["exam_id"], "exam_id", limit=200, empty=False)
    bundle_schema.text(manifest["package_sha256"], "package_sha256", limit=64)
    bundle_schema.text(manifest["statement"], "statement", limit=2000)
    bundle_schema.check_candidate(manifest["candidate"])
    bundle_schema.check_session(manifest["session"])
    files = manifest["files"]
    if not isinstance(files, dict) or set(files) - {NOTES} != {ANSWERS, JOURNAL}:
        raise ValueError("files must list answers.json and journal.json (and notes.json, if any)")
    for name, value in files.items():
        bundle_schema.text(value, f"the hash of {name}", limit=64)
    binding = manifest["package_binding"]
    if binding is not None:
        bundle_schema.text(binding, "package_binding", limit=100)
    bundle_schema.check_damage(manifest.get("damage"))
    return public_key_from_bytes(unb64(manifest["session_public_key"], 32))


def _parse_answers(data: bytes) -> dict[str, Response]:
    try:
        raw = bundle_schema.bounded_json(data)
        bundle_schema.check_answers(raw)
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleRejected(f"malformed archive: answers.json is not valid ({exc})") from None
    return {
        question_id: Response(
            question_id,
            item["value"],
            dont_know=item["dont_know"],
            flagged=item["flagged"],
            rating=item["rating"],
        )
        for question_id, item in raw.items()
    }


def _parse_journal(data: bytes, damage: dict[str, Any] | None) -> list[dict[str, Any]]:
    try:
        events = bundle_schema.bounded_json(data)
        bundle_schema.check_journal(events)
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleRejected(f"malformed archive: journal.json is not valid ({exc})") from None
    damaged = damaged_entries(events)
    declared = list(damage["journal_entries"]) if damage else []
    if damaged != declared:
        undeclared = [seq for seq in damaged if seq not in declared]
        if undeclared:
            raise BundleRejected(f"broken journal chain at entry {undeclared[0]}")
        raise BundleRejected(
            f"the seat reported damage at journal entry {declared[0]}, but that entry verifies"
            if declared and declared[0] not in damaged
            else "the damage the seat reported does not match its journal"
        )
    return events
