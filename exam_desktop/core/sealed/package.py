"""Exam packages: what lab machines receive (encrypted, signed) and what graders keep.

`build_package` turns an exam into
- the **candidate package** (`EXAM.exam`): questions, figures and images a candidate may see —
  never keys, explanations or rubrics — encrypted with ChaCha20-Poly1305 under a key derived by
  scrypt from a random start code, and signed by the exam office key;
- the **start code**, shown once to the exam office;
- the **grader key file** (`EXAM.key`): the full exam and the hash of the package it belongs to,
  signed by the office key.

Package file layout (all lengths big-endian):

    MAGIC | u32 header length | header (canonical JSON) | u64 ciphertext length | ciphertext
          | Ed25519 signature (64 bytes) over everything before it

The header is public (the lab machine reads it before the start code is typed: title, duration,
identification fields, options, the PIN hash) and is bound to the ciphertext as associated data.
`open_package` checks the layout and the signature before it derives any key or decrypts a byte.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from exam_desktop import __version__
from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import (
    CandidateField,
    Exam,
    exam_from_dict,
    from_dict,
    strings_in,
    to_dict,
)
from exam_desktop.core.sealed.archive import read_regular_file
from exam_desktop.core.sealed.keys import (
    CODE_ALPHABET,
    DEFAULT_SCRYPT,
    START_CODE_LENGTH,
    ScryptParams,
    b64,
    canonical_json,
    check_secret,
    fingerprint,
    hash_secret,
    new_start_code,
    normalize_code,
    public_key_bytes,
    public_key_from_bytes,
    sha256_hex,
    strict_json,
    unb64,
    verify_signature,
)
from exam_desktop.core.sealed.roster import Profile

MAGIC = b"exam-desktop package 1\n"
PACKAGE_FORMAT = 1
KEY_FILE_FORMAT = "exam-desktop grader key"
MAX_PACKAGE_BYTES = 256 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024
MAX_IMAGE_BYTES = 20 * 1024 * 1024
_SIGNATURE = 64
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


class PackageRejected(KnownError):
    """The package is damaged, altered, truncated or signed by another key: refuse it."""


class StartCodeRejected(KnownError):
    """The start code typed does not open this package."""


class KeyFileRejected(KnownError):
    """A grader key file is damaged, altered or belongs to another office key."""


class PackageNotBuilt(KnownError):
    """The exam cannot be packaged as asked (a bad option, a missing image)."""


@dataclass(frozen=True)
class PackageOptions:
    """Per-exam options fixed at build time and applied per session by the launcher."""

    shuffle_choices: bool = False  # the order is seeded per session
    draw: int | None = None  # questions drawn per candidate from the whole pool
    extra_time_allowed: bool = False  # invigilators may give one candidate extra time

    @classmethod
    def from_dict(cls, data: Any) -> PackageOptions:
        if not isinstance(data, dict):
            raise ValueError("options must be an object")
        draw = data.get("draw")
        if draw is not None and (not isinstance(draw, int) or isinstance(draw, bool) or draw < 1):
            raise ValueError("draw must be a positive number")
        return cls(bool(data.get("shuffle_choices")), draw, bool(data.get("extra_time_allowed")))


@dataclass(frozen=True)
class PackageHeader:
    """The public part of a package, readable (and signature-checked) before the start code."""

    exam_id: str
    title: str
    duration_minutes: int
    language: str
    candidate_fields: list[CandidateField]
    options: PackageOptions
    office_public_key: Ed25519PublicKey
    office_fingerprint: str
    results_dir: str | None
    created_at: str
    app_version: str
    pin: dict[str, Any] | None = field(default=None, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    lock_stops_clock: bool = True  # the bank's choice (`lock-clock:`); `--policy` may override it

    @property
    def has_pin(self) -> bool:
        return self.pin is not None

    def check_pin(self, pin: str) -> bool:
        """Whether `pin` is the invigilator PIN set at build time (False if none was set)."""
        return self.pin is not None and check_secret(pin, self.pin)


@dataclass
class OpenedPackage:
    """A package unlocked with its start code: the candidate's exam and its assets."""

    exam: Exam
    package_hash: str
    header: PackageHeader
    figures: dict[str, str]  # figure_id -> SVG text, drawn at build
    images: dict[str, bytes]  # path relative to the bank folder -> bytes
    binding_key: bytes  # shared with the grader key file; binds session keys to this package
    roster: dict[str, Profile] = field(default_factory=dict)  # normalised candidate ID -> profile

    @property
    def options(self) -> PackageOptions:
        return self.header.options


@dataclass
class GraderKey:
    """The grader key file: the full exam (keys, explanations, rubrics) for one package."""

    exam: Exam
    package_hash: str
    options: PackageOptions
    binding_key: bytes
    office_fingerprint: str
    created_at: str


class BuiltPackage(NamedTuple):
    package_bytes: bytes
    start_code: str
    key_file_bytes: bytes


# --------------------------------------------------------------------------------------------
# Building


def build_package(
    exam: Exam,
    office_key: Ed25519PrivateKey,
    *,
    shuffle_choices: bool = False,
    draw: int | None = None,
    extra_time_allowed: bool = False,
    pin: str | None = None,
    results_dir: str | None = None,
    kdf: ScryptParams = DEFAULT_SCRYPT,
    start_code: str | None = None,
    draw_figures: bool = True,
    progress: Callable[[int, int], None] | None = None,
    roster: dict[str, Profile] | None = None,
) -> BuiltPackage:
    """Build the candidate package, its start code and the grader key file for `exam`;
    `progress(done, total)` follows the figures drawn (the slow part)."""
    if draw is not None and not 1 <= draw <= len(exam.questions):
        raise PackageNotBuilt(
            f"Cannot draw {draw} questions: the bank has {len(exam.questions)}. "
            f"Choose a number from 1 to {len(exam.questions)}."
        )
    if pin is not None and not pin.strip():
        raise PackageNotBuilt("The invigilator PIN is empty. Give a PIN or leave the option out.")
    code = start_code or new_start_code()
    if not _well_formed(normalize_code(code)):
        raise PackageNotBuilt(f"{code!r} is not a start code (16 symbols from {CODE_ALPHABET}).")
    options = PackageOptions(shuffle_choices, draw, extra_time_allowed)
    candidate_exam = exam.candidate_copy()
    binding_key = os.urandom(32)
    content = canonical_json(
        {
            "exam": to_dict(candidate_exam),
            "figures": _draw_figures(candidate_exam, progress) if draw_figures else {},
            "images": {k: b64(v) for k, v in _bank_images(exam, candidate_exam).items()},
            "binding_key": b64(binding_key),  # random, so the content hash cannot be guessed
            **({"roster": {k: p.to_dict() for k, p in roster.items()}} if roster else {}),
        }
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    public = office_key.public_key()
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    header = {
        "format": PACKAGE_FORMAT,
        "exam_id": exam.id,
        "title": exam.title,
        "duration_minutes": exam.duration_minutes,
        "language": exam.language,
        "candidate_fields": to_dict(exam.candidate_fields),
        "options": dataclasses.asdict(options),
        "kdf": kdf.to_dict(),
        "salt": b64(salt),
        "cipher": "chacha20-poly1305",
        "nonce": b64(nonce),
        "office_public_key": b64(public_key_bytes(public)),
        "office_fingerprint": fingerprint(public),
        "content_sha256": sha256_hex(content),
        "pin": hash_secret(pin, kdf) if pin is not None else None,
        "results_dir": results_dir,
        **({"lock_stops_clock": False} if not exam.lock_stops_clock else {}),
        "created_at": created_at,
        "app_version": __version__,
    }
    header_bytes = canonical_json(header)
    key = kdf.derive(normalize_code(code).encode("ascii"), salt)
    ciphertext = ChaCha20Poly1305(key).encrypt(nonce, zlib.compress(content, 9), header_bytes)
    body = (
        MAGIC
        + struct.pack(">I", len(header_bytes))
        + header_bytes
        + struct.pack(">Q", len(ciphertext))
        + ciphertext
    )
    package = body + office_key.sign(body)
    key_file = _key_file_bytes(exam, options, sha256_hex(package), binding_key, office_key, created_at)
    return BuiltPackage(package, code, key_file)


def _draw_figures(exam: Exam, progress: Callable[[int, int], None] | None = None) -> dict[str, str]:
    """Every figure drawn once, here: the seat serves these and never draws (figure_id -> SVG)."""
    from exam_desktop.core.page.drawing import render_svg
    from exam_desktop.core.page.figures import figure_id

    figures = [f for q in exam.questions for f in q.figures]
    drawn = {}
    for done, f in enumerate(figures, start=1):
        drawn[figure_id(f)] = render_svg(f)
        if progress:
            progress(done, len(figures))
    return drawn


def _bank_images(exam: Exam, candidate_exam: Exam) -> dict[str, bytes]:
    """Images the candidate-visible text refers to, read from the bank's folder."""
    data = to_dict(candidate_exam)
    for question in (q for section in data["sections"] for q in section["questions"]):
        question.pop("figures")  # captions are drawn as text, never as Markdown
    references = sorted({ref for text in strings_in(data) for ref in _IMAGE_RE.findall(text)})
    references = [r for r in references if not re.match(r"^[a-z][a-z0-9+.-]*:", r, re.I)]
    if not references:
        return {}
    if not exam.source:
        raise PackageNotBuilt(
            f"The exam refers to images ({', '.join(references)}) but has no bank folder to "
            "read them from. Build it from the bank file."
        )
    folder = Path(exam.source).resolve().parent
    images = {}
    for reference in references:
        path = (folder / reference).resolve()
        if not path.is_relative_to(folder):
            raise PackageNotBuilt(
                f"The image {reference} is outside the bank's folder {folder}; keep images next to the bank."
            )
        try:
            data = path.read_bytes()
        except OSError:
            raise PackageNotBuilt(f"The image {reference} (in {folder}) cannot be read.") from None
        if len(data) > MAX_IMAGE_BYTES:
            raise PackageNotBuilt(f"The image {reference} is larger than 20 MB; shrink it.")
        images[reference] = data
    return images


def _key_file_bytes(
    exam: Exam,
    options: PackageOptions,
    package_hash: str,
    binding_key: bytes,
    office_key: Ed25519PrivateKey,
    created_at: str,
) -> bytes:
    public = office_key.public_key()
    body = {
        "format": KEY_FILE_FORMAT,
        "version": 1,
        "exam_id": exam.id,
        "package_sha256": package_hash,
        "exam": to_dict(exam),
        "options": dataclasses.asdict(options),
        "binding_key": b64(binding_key),
        "office_public_key": b64(public_key_bytes(public)),
        "office_fingerprint": fingerprint(public),
        "created_at": created_at,
    }
    signed = {**body, "signature": b64(office_key.sign(canonical_json(body)))}
    return canonical_json(signed)


# --------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class _SignedPackage:
    header: PackageHeader
    header_bytes: bytes
    ciphertext: bytes
    package_hash: str


def read_package_header(
    source: Path | bytes, office_public_key: Ed25519PublicKey | None = None
) -> PackageHeader:
    """The package's public header, after checking layout and signature (no start code needed)."""
    return _read_signed(source, office_public_key).header


def open_package(
    source: Path | bytes,
    start_code: str,
    office_public_key: Ed25519PublicKey | None = None,
) -> OpenedPackage:
    """Check the package's signature, then unlock it with the start code.

    Raises `PackageRejected` (damaged, altered, signed by another key than `office_public_key`)
    before any decryption, and `StartCodeRejected` for a code that does not open it.
    """
    signed = _read_signed(source, office_public_key)
    return _unpack_content(_decrypt(signed, start_code), signed)


def package_content(
    source: Path | bytes, start_code: str, office_public_key: Ed25519PublicKey | None = None
) -> bytes:
    """The decrypted content (JSON) exactly as a lab machine holds it: for audits and tests."""
    return _decrypt(_read_signed(source, office_public_key), start_code)


def _well_formed(code: str) -> bool:
    return len(code) == START_CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def _decrypt(signed: _SignedPackage, start_code: str) -> bytes:
    code = normalize_code(start_code)
    if not _well_formed(code):
        raise StartCodeRejected(
            "That is not a start code: it has 16 letters and digits in 4 groups, like "
            "ABCD-EFGH-JKMN-PQRS. Check what was typed."
        )
    raw = signed.header.raw
    params = ScryptParams.from_dict(raw["kdf"])
    key = params.derive(code.encode("ascii"), unb64(raw["salt"]))
    try:
        compressed = ChaCha20Poly1305(key).decrypt(
            unb64(raw["nonce"], 12), signed.ciphertext, signed.header_bytes
        )
    except InvalidTag:
        raise StartCodeRejected(
            "This start code does not open the exam. Check it with the invigilator and type it again."
        ) from None
    try:
        # Signed by the office and authenticated by the cipher: damage here is a bug at build time.
        return zlib.decompress(compressed)
    except zlib.error as exc:
        raise PackageRejected(f"The package content is unreadable ({exc}).") from None


def _read_signed(source: Path | bytes, expected_key: Ed25519PublicKey | None) -> _SignedPackage:
    data = _read_bytes(source)
    if not data.startswith(MAGIC):
        raise PackageRejected("This file is not an exam package (wrong file or damaged start).")
    try:
        position = len(MAGIC)
        (header_length,) = struct.unpack_from(">I", data, position)
        position += 4
        if header_length > MAX_HEADER_BYTES or position + header_length > len(data):
            raise ValueError("header length out of range")
        header_bytes = data[position : position + header_length]
        position += header_length
        (cipher_length,) = struct.unpack_from(">Q", data, position)
        position += 8
        if position + cipher_length + _SIGNATURE != len(data):
            raise ValueError("lengths do not add up")
    except (struct.error, ValueError):
        raise PackageRejected(
            "The package is truncated or damaged; copy it again from the exam office."
        ) from None
    ciphertext = data[position : position + cipher_length]
    body, signature = data[:-_SIGNATURE], data[-_SIGNATURE:]
    try:
        raw = strict_json(header_bytes)
        header = _parse_header(raw)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise PackageRejected(
            f"The package header is damaged ({_problem(exc)}); get a fresh copy from the exam office."
        ) from None
    if not verify_signature(header.office_public_key, signature, body):
        raise PackageRejected(
            "The package's signature is not valid: it was altered or damaged after it was built. "
            "Do not use it; get a fresh copy from the exam office."
        )
    if expected_key is not None and public_key_bytes(expected_key) != public_key_bytes(
        header.office_public_key
    ):
        raise PackageRejected(
            f"The package is signed by another key (fingerprint {header.office_fingerprint}, "
            f"expected {fingerprint(expected_key)}). Do not use it."
        )
    return _SignedPackage(header, header_bytes, ciphertext, hashlib.sha256(data).hexdigest())


def _problem(exc: Exception) -> str:
    """A parsing failure in words: a missing field is named as such, not as a bare key."""
    if isinstance(exc, KeyError) and exc.args:
        return f"the field {exc.args[0]!r} is missing"
    if isinstance(exc, TypeError):
        return f"a field has the wrong type ({exc})"
    return str(exc)


def _read_bytes(source: Path | bytes) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    path = Path(source)
    try:
        return read_regular_file(path, MAX_PACKAGE_BYTES, ValueError)
    except ValueError as exc:
        if str(exc) == "no such file":
            raise PackageRejected(f"The package {path} does not exist.") from None
        raise PackageRejected(f"The package {path} cannot be used: {exc}.") from None


def _parse_header(raw: Any) -> PackageHeader:
    if not isinstance(raw, dict) or raw.get("format") != PACKAGE_FORMAT:
        raise ValueError("unknown package format")
    for name in ("exam_id", "title", "language", "office_fingerprint", "created_at", "app_version"):
        if not isinstance(raw[name], str):
            raise ValueError(f"{name} must be text")
    if not isinstance(raw["duration_minutes"], int):
        raise ValueError("duration_minutes must be a number")
    if raw["cipher"] != "chacha20-poly1305":
        raise ValueError("unknown cipher")
    ScryptParams.from_dict(raw["kdf"])
    unb64(raw["salt"])
    unb64(raw["nonce"], 12)
    pin = raw["pin"]
    if pin is not None:
        ScryptParams.from_dict(pin["kdf"])
        unb64(pin["salt"])
        unb64(pin["hash"])
    results_dir = raw["results_dir"]
    if results_dir is not None and not isinstance(results_dir, str):
        raise ValueError("results_dir must be text")
    office_public_key = public_key_from_bytes(unb64(raw["office_public_key"], 32))
    if raw["office_fingerprint"] != fingerprint(office_public_key):
        raise ValueError("the office fingerprint does not match the office key")
    return PackageHeader(
        exam_id=raw["exam_id"],
        title=raw["title"],
        duration_minutes=raw["duration_minutes"],
        language=raw["language"],
        candidate_fields=from_dict(list[CandidateField], raw["candidate_fields"]),
        options=PackageOptions.from_dict(raw["options"]),
        office_public_key=office_public_key,
        office_fingerprint=raw["office_fingerprint"],
        results_dir=results_dir,
        created_at=raw["created_at"],
        app_version=raw["app_version"],
        pin=pin,
        raw=raw,
        lock_stops_clock=raw.get("lock_stops_clock", True) is not False,
    )


def _unpack_content(content_bytes: bytes, signed: _SignedPackage) -> OpenedPackage:
    try:
        if sha256_hex(content_bytes) != signed.header.raw["content_sha256"]:
            raise ValueError("content hash does not match the header")
        content = strict_json(content_bytes)
        exam = exam_from_dict(content["exam"])
        images = {name: base64.b64decode(data) for name, data in content["images"].items()}
        binding_key = unb64(content["binding_key"], 32)
        roster = {str(k): Profile.from_dict(v) for k, v in (content.get("roster") or {}).items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise PackageRejected(f"The package content is unreadable ({exc}).") from None
    if exam.id != signed.header.exam_id:
        raise PackageRejected("The package content belongs to another exam than its header says.")
    return OpenedPackage(
        exam, signed.package_hash, signed.header, dict(content["figures"]), images, binding_key, roster
    )


def load_key_file(path: Path, office_public_key: Ed25519PublicKey | None = None) -> GraderKey:
    """Load and check a grader key file (signature, and the office key when given)."""
    path = Path(path)
    try:
        data = read_regular_file(path, MAX_PACKAGE_BYTES, ValueError)
    except ValueError as exc:
        if str(exc) == "no such file":
            raise KeyFileRejected(f"The key file {path} does not exist.") from None
        raise KeyFileRejected(f"The key file {path} cannot be used: {exc}.") from None
    try:
        raw = strict_json(data)
        if not isinstance(raw, dict) or raw.get("format") != KEY_FILE_FORMAT:
            raise ValueError("not a grader key file")
        signature = unb64(raw.pop("signature"), 64)
        public = public_key_from_bytes(unb64(raw["office_public_key"], 32))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise KeyFileRejected(f"{path} is not a readable grader key file ({_problem(exc)}).") from None
    if not verify_signature(public, signature, canonical_json(raw)):
        raise KeyFileRejected(
            f"The signature of {path} is not valid: the key file was altered or damaged. "
            "Get a fresh copy from the exam office."
        )
    if office_public_key is not None and public_key_bytes(office_public_key) != public_key_bytes(public):
        raise KeyFileRejected(
            f"{path} is signed by another key (fingerprint {fingerprint(public)}, "
            f"expected {fingerprint(office_public_key)})."
        )
    try:
        return GraderKey(
            exam=exam_from_dict(raw["exam"]),
            package_hash=raw["package_sha256"],
            options=PackageOptions.from_dict(raw["options"]),
            binding_key=unb64(raw["binding_key"], 32),
            office_fingerprint=raw["office_fingerprint"],
            created_at=raw["created_at"],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileRejected(f"{path} has unreadable content ({_problem(exc)}).") from None
