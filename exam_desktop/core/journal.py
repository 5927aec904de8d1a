"""The event journal's hash chain: how an entry is hashed and how a chain is verified.

The seat appends entries (core/seat/answer_file.py) and the grader checks them in a bundle
(core/sealed/bundle.py); both use this module, so they cannot disagree on what "intact" means.
Each entry's hash covers its seq, wall time, type, data and the previous entry's hash, so
`verify_chain` detects any altered, removed or reordered entry.
"""

from __future__ import annotations

import hashlib
from typing import Any

from exam_desktop.core.canonical import canonical_json
from exam_desktop.core.errors import KnownError

GENESIS_HASH = "0" * 64


class JournalBroken(KnownError):
    """The event journal does not verify: an entry was altered, removed or reordered."""


def canonical_text(value: Any) -> str:
    """The one JSON text of `value` that is hashed and stored: the signed form's text."""
    return canonical_json(value).decode("utf-8")


def event_hash(seq: int, at_wall: str, type: str, data: Any, prev_hash: str) -> str:
    payload = canonical_text([seq, at_wall, type, data, prev_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def verify_chain(events: list[dict[str, Any]]) -> None:
    """Check the journal's hash chain from its first entry; raises JournalBroken where it breaks."""
    prev_hash = GENESIS_HASH
    for position, event in enumerate(events, start=1):
        seq = event.get("seq")
        if seq != position:
            raise JournalBroken(
                f"The event journal is broken: entry {position} is numbered {seq}, "
                "so an entry was removed or reordered."
            )
        if event.get("prev_hash") != prev_hash:
            raise JournalBroken(
                f"The event journal is broken at entry {seq}: it does not follow entry {seq - 1}."
            )
        try:
            expected = event_hash(seq, event["at_wall"], event["type"], event["data"], prev_hash)
        except (KeyError, TypeError, ValueError) as exc:
            raise JournalBroken(
                f"The event journal is broken at entry {seq}: the entry is incomplete ({exc})."
            ) from exc
        if event.get("hash") != expected:
            raise JournalBroken(
                f"The event journal is broken at entry {seq} ({event['type']}): "
                "its content was changed after it was written."
            )
        prev_hash = expected


def damaged_entries(events: list[dict[str, Any]]) -> list[int]:
    """The positions (1-based) of every entry that does not verify, in one pass.

    An entry is damaged when its own hash does not cover its content, when it does not follow
    the entry before it (numbering or hash), or when it cannot be read. `verify_chain` stops at
    the first; this names them all, so a journal damaged in one place is still evidence
    everywhere else: an entry lost from the middle marks only the entry after the gap.
    """
    damaged = []
    prev_hash, prev_seq = GENESIS_HASH, 0
    for position, event in enumerate(events, start=1):
        raw_seq = event.get("seq")
        numbered = type(raw_seq) is int
        seq: int = raw_seq if numbered else prev_seq + 1  # type: ignore[assignment]
        ok = numbered and seq == prev_seq + 1 and event.get("prev_hash") == prev_hash
        try:
            own = event_hash(seq, event["at_wall"], event["type"], event["data"], event["prev_hash"])
            ok = ok and event.get("hash") == own
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            damaged.append(position)
        stored = event.get("hash")
        prev_hash = stored if isinstance(stored, str) else ""
        prev_seq = seq
    return damaged
