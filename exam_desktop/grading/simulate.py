"""Simulated sessions: signed result bundles of made-up candidates, for demos, tests and benchmarks.

Each simulated candidate has an ability (0..1): the chance of answering a question correctly.
Otherwise they answer wrongly, say "I don't know yet" (where the exam offers it) or leave it blank.
Bundles are real: written by `core.sealed.bundle.bundle_bytes` with a fresh session key per candidate,
bound to the package like the candidate window does, with a valid hash-chained journal.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.journal import GENESIS_HASH, event_hash
from exam_desktop.core.model import (
    Essay,
    Exam,
    Matching,
    Matrix,
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
)
from exam_desktop.core.numbers import format_number
from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.bundle import (
    BUNDLE_SUFFIX,
    SessionInfo,
    bundle_bytes,
    receipt_code,
)
from exam_desktop.core.sealed.package import GraderKey

ESSAY_WORDS = [
    "the",
    "generator",
    "maps",
    "noise",
    "to",
    "samples",
    "while",
    "the",
    "discriminator",
    "learns",
    "to",
    "tell",
    "real",
    "from",
    "fake",
    "both",
    "are",
    "trained",
    "in",
    "turns",
    "on",
    "a",
    "minimax",
    "objective",
    "until",
    "the",
    "samples",
    "look",
    "real",
    "gradients",
    "vanish",
    "when",
    "the",
    "discriminator",
    "wins",
    "too",
    "early",
    "so",
    "training",
    "needs",
    "care",
]


def simulated_responses(exam: Exam, rng: random.Random, ability: float) -> dict[str, Response]:
    responses = {}
    for q in exam.questions:
        roll = rng.random()
        if roll < ability:
            value = _right(q, rng)
        elif exam.allow_dont_know and roll > 0.93:
            responses[q.id] = Response(q.id, None, dont_know=True)
            continue
        elif roll > 0.97:
            continue  # left blank
        else:
            value = _wrong(q, rng)
        responses[q.id] = Response(q.id, value, rating=rng.choice([None, 3, 4, 5]))
    return responses


def _right(q: Question, rng: random.Random) -> Any:
    a = q.answer
    if isinstance(a, SingleChoice):
        return next(c.id for c in a.choices if c.correct)
    if isinstance(a, MultipleChoice):
        return [c.id for c in a.choices if c.correct]
    if isinstance(a, TrueFalse):
        return bool(a.answer)
    if isinstance(a, Numeric):
        best = max(a.answers, key=lambda x: x.weight)
        return format_number(best.value)
    if isinstance(a, Matrix):
        return [[format_number(x) for x in row] for row in a.key]
    if isinstance(a, Template):
        return {
            b.name: (_essay(rng, 4) if b.manual else (b.accepted[0] if b.accepted else "")) for b in a.blanks
        }
    if isinstance(a, ShortText):
        return a.accepted[0].replace("*", "s") if a.accepted else "answer"
    if isinstance(a, Essay):
        return _essay(rng, rng.randint(40, 120))
    if isinstance(a, Matching):
        return list(a.key)
    if isinstance(a, Ordering):
        return list(a.items)
    return None  # pragma: no cover


def _wrong(q: Question, rng: random.Random) -> Any:
    a = q.answer
    if isinstance(a, SingleChoice):
        wrong = [c.id for c in a.choices if not c.correct]
        return rng.choice(wrong) if wrong else None
    if isinstance(a, MultipleChoice):
        return [
            c.id
            for c in a.choices
            if (c.correct and rng.random() < 0.6) or (not c.correct and rng.random() < 0.3)
        ]
    if isinstance(a, TrueFalse):
        return not a.answer
    if isinstance(a, Numeric):
        value = a.answers[0].value if a.answers else 1.0
        return format_number(round(value * rng.choice([0.5, 1.5, 2]) + 1, 3))
    if isinstance(a, Matrix):
        return [[format_number(x if rng.random() < 0.5 else -x + 1) for x in row] for row in a.key]
    if isinstance(a, Template):
        return {b.name: (_essay(rng, 3) if b.manual else "?") for b in a.blanks}
    if isinstance(a, ShortText):
        return "no idea"
    if isinstance(a, Essay):
        return _essay(rng, rng.randint(10, 40))
    if isinstance(a, Matching):
        return [rng.randrange(len(a.options)) if a.options else None for _ in a.prompts]
    if isinstance(a, Ordering):
        return rng.sample(a.items, len(a.items))
    return None  # pragma: no cover


def _essay(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(ESSAY_WORDS) for _ in range(words)).capitalize() + "."


def journal(responses: dict[str, Response], start: datetime) -> list[dict[str, Any]]:
    """A hash-chained journal like the candidate window's: start, one entry per answer, submit."""
    entries: list[tuple[str, dict[str, Any]]] = [("session_started", {})]
    entries += [("answer_saved", {"question_id": qid}) for qid in responses]
    entries.append(("submitted", {}))
    events: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    for seq, (kind, data) in enumerate(entries, 1):
        at = (start + timedelta(seconds=20 * seq)).isoformat(timespec="milliseconds")
        digest = event_hash(seq, at, kind, data, prev)
        events.append(
            {
                "seq": seq,
                "at_wall": at,
                "at_mono": 20.0 * seq,
                "type": kind,
                "data": data,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    return events


def simulated_bundle(
    key: GraderKey,
    candidate: dict[str, str],
    responses: dict[str, Response],
    rng: random.Random,
    *,
    session_key: Ed25519PrivateKey | None = None,
) -> bytes:
    """The bytes of one candidate's signed bundle for the exam of `key`."""
    start = datetime(2026, 2, 9, 9, 0, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 300))
    end = start + timedelta(minutes=key.exam.duration_minutes - rng.randint(0, 10))
    session = SessionInfo(
        id=f"s-{rng.getrandbits(64):016x}",
        nonce=f"{rng.getrandbits(128):032x}",
        started_at=start.isoformat(timespec="seconds"),
        ended_at=end.isoformat(timespec="seconds"),
    )
    return bundle_bytes(
        exam_id=key.exam.id,
        package_hash=key.package_hash,
        candidate=candidate,
        session=session,
        responses=responses,
        events=journal(responses, start),
        session_key=session_key or Ed25519PrivateKey.generate(),
        binding_key=key.binding_key,
    )


def simulated_candidate(exam: Exam, number: int) -> dict[str, str]:
    values = {
        "name": f"Student {number:03d}",
        "email": f"student{number:03d}@uni.example",
        "student_id": f"S{100000 + number}",
    }
    wanted = [f.id for f in exam.candidate_fields] or ["name", "email"]
    return {fid: values.get(fid, f"{fid} {number}") for fid in wanted}


def write_simulated_session(key: GraderKey, folder: Path, candidates: int, *, seed: int = 7) -> list[Path]:
    """Write the bundles of `candidates` simulated candidates into `folder`; returns their paths."""
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, candidates + 1):
        responses = simulated_responses(key.exam, rng, ability=rng.betavariate(4, 2))
        data = simulated_bundle(key, simulated_candidate(key.exam, number), responses, rng)
        receipt = receipt_code(hashlib.sha256(data).hexdigest())
        path = folder / f"{key.exam.id}-{number:03d}-{receipt}{BUNDLE_SUFFIX}"
        path.write_bytes(data)
        paths.append(path)
    return paths
