"""A corrected grader key for a package already handed out: from a corrected bank, signed again.

After an exam, a wrong key (an answer marked correct that is not, a tolerance too tight, a question
worth too much) is fixed in the bank and a new key file made for the *same* package, so that the
candidates' bundles still verify and `grade regrade --key NEW.key` scores them again.

A key can change what was never on the candidates' screens: correct options, accepted answers,
tolerances, scoring rules, points, explanations, rubrics, tags. It cannot change what they saw —
the questions, their text and options, the exam's form — because their answers were given to that;
such a bank is refused, naming the first difference.

The new key keeps everything that binds it to the package (package hash, binding key, options,
creation time) and records which key it corrects; it is signed by the same office key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam, to_dict
from exam_desktop.core.sealed.keys import b64, canonical_json, public_key_bytes, strict_json, unb64
from exam_desktop.core.sealed.package import GraderKey, load_key_file

# Parts of the candidate's copy that a key may still change: where a question sits in its bank,
# its worth, and how wide a blank is drawn (derived from the accepted answers unless set).
_MAY_CHANGE = frozenset({"line", "points", "source", "width", "manual"})


class KeyCorrectionRefused(KnownError):
    """The corrected bank changes what candidates saw, or is not for this key's exam."""


@dataclass(frozen=True)
class KeyCorrection:
    key_file_bytes: bytes
    changes: list[str]  # "mlp: answer", "gans: points 2 → 3"


def correct_key(old_key_path: Path, corrected: Exam, office_key: Ed25519PrivateKey) -> KeyCorrection:
    """The key file for `old_key_path`'s package with the answers of `corrected`."""
    old_key_path = Path(old_key_path)
    old = load_key_file(old_key_path)
    raw = strict_json(old_key_path.read_bytes())
    if public_key_bytes(office_key.public_key()) != unb64(raw["office_public_key"], 32):
        raise KeyCorrectionRefused(
            f"{old_key_path} was signed by another office key (fingerprint {old.office_fingerprint}); "
            "sign the corrected key with the office key that built the package."
        )
    changes = check_correction(old, corrected)
    if not changes:
        raise KeyCorrectionRefused(
            f"The corrected bank gives the same key as {old_key_path}: there is nothing to correct."
        )
    body = {k: v for k, v in raw.items() if k != "signature"}
    body["exam"] = to_dict(_without_source(corrected))
    body["corrects_key_sha256"] = hashlib.sha256(old_key_path.read_bytes()).hexdigest()
    body["corrected_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    signed = {**body, "signature": b64(office_key.sign(canonical_json(body)))}
    return KeyCorrection(canonical_json(signed), changes)


def check_correction(old: GraderKey, corrected: Exam) -> list[str]:
    """What the correction changes, one entry per question; refused if candidates saw a change."""
    before, after = old.exam, corrected
    if after.id != before.id:
        raise KeyCorrectionRefused(f"The corrected bank is exam {after.id}; the key is for exam {before.id}.")
    old_ids, new_ids = [q.id for q in before.questions], [q.id for q in after.questions]
    if old_ids != new_ids:
        gone = [q for q in old_ids if q not in new_ids]
        added = [q for q in new_ids if q not in old_ids]
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(gone)}" if gone else "",
                f"new {', '.join(added)}" if added else "",
                "in another order" if not gone and not added else "",
            )
            if part
        )
        raise KeyCorrectionRefused(
            f"The corrected bank has other questions than the package ({detail}); a key can change "
            "answers and points, not which questions candidates were given."
        )
    where = _first_difference(_seen(before.candidate_copy()), _seen(after.candidate_copy()))
    if where:
        raise KeyCorrectionRefused(
            f"The corrected bank changes what candidates saw ({where}); a key can change answers, "
            "points, scoring, explanations and rubrics, not the questions they answered."
        )
    changes = []
    for q_old, q_new in zip(before.questions, after.questions):
        parts = []
        if q_old.points != q_new.points:
            parts.append(f"points {q_old.points:g} → {q_new.points:g}")
        a, b = to_dict(q_old), to_dict(q_new)
        parts += [name for name in ("answer", "explanation", "tags") if a[name] != b[name]]
        if parts:
            changes.append(f"{q_new.id}: {', '.join(parts)}")
    return changes


def _without_source(exam: Exam) -> Exam:
    return replace(exam, source="")


def _seen(exam: Exam) -> Any:
    """The candidate's copy as data, without what a key may change."""

    def strip(data: Any) -> Any:
        if isinstance(data, dict):
            return {k: strip(v) for k, v in data.items() if k not in _MAY_CHANGE}
        if isinstance(data, list):
            return [strip(x) for x in data]
        return data

    return strip(to_dict(exam))


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    """A readable path to the first place `a` and `b` differ ("question gans, stem"), or ''."""
    if type(a) is not type(b):
        return path or "the exam"
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            here = path if key in ("sections", "questions") else _join(path, key)
            if key not in a or key not in b:
                return here
            found = _first_difference(a[key], b[key], here)
            if found:
                return found
        return ""
    if isinstance(a, list):
        if len(a) != len(b):
            return path
        for x, y in zip(a, b):
            found = _first_difference(x, y, _join(path, _item_label(x)))
            if found:
                return found
        return ""
    return "" if a == b else path


def _item_label(item: Any) -> str:
    if isinstance(item, dict) and "stem" in item:
        return f"question {item.get('id')}"
    if isinstance(item, dict) and "id" in item and "questions" not in item:
        return f"option {item['id']}"
    return ""


def _join(path: str, part: str) -> str:
    if not part:
        return path
    return f"{path}, {part}" if path else part
