"""Damage in an answer file that SQLite's own checks cannot see, found before the exam resumes.

`PRAGMA quick_check` checks pages, not what is written on them: one flipped byte in a journal
entry or a stored answer passes it. `find_damage` therefore verifies, at every open and again at
submit,
- the whole journal chain (core/journal.py `damaged_entries`: every entry that does not verify);
- every stored answer against its journal entry: the "answer_saved" entry of the answer's
  revision must carry the SHA-256 of exactly the stored text and the same flags;
- the session facts (names of those that no longer read);
- what an earlier `recover` could not save (its "recovered" entries that were not complete).

Damage does not stop the exam: the invigilator is told and agrees with the PIN (journaled), the
candidate continues, and the result bundle carries the damage *as data* (its manifest's
`damage`), so the grader imports it marked with every intact answer graded, instead of refusing
a broken chain.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from exam_desktop.core.journal import damaged_entries
from exam_desktop.core.seat.answer_file import UNREADABLE, AnswerStore

ACKNOWLEDGED_EVENT = "answer_file_damage_acknowledged"


@dataclass(frozen=True)
class Damage:
    journal_entries: list[int] = field(default_factory=list)  # positions that do not verify
    unconfirmed_answers: list[str] = field(default_factory=list)  # readable, journal disagrees
    unreadable_answers: list[str] = field(default_factory=list)  # lost: the text does not parse
    facts: list[str] = field(default_factory=list)  # session facts unreadable or lost
    recovered: list[dict[str, Any]] = field(default_factory=list)  # what `recover` reported

    def __bool__(self) -> bool:
        return bool(
            self.journal_entries
            or self.unconfirmed_answers
            or self.unreadable_answers
            or self.facts
            or self.recovered
        )

    def sentence(self) -> str:
        """What is damaged, for the invigilator (one sentence)."""
        parts = []
        if self.journal_entries:
            parts.append(f"{_count(len(self.journal_entries), 'journal entry')} do not verify")
        if self.unreadable_answers:
            parts.append(f"the answers to {', '.join(self.unreadable_answers)} are unreadable (lost)")
        if self.unconfirmed_answers:
            parts.append(f"the journal does not confirm the answers to {', '.join(self.unconfirmed_answers)}")
        if self.facts:
            parts.append(f"session facts lost: {', '.join(self.facts)}")
        if self.recovered and not parts:
            parts.append("it was recovered from a damaged copy")
        return "; ".join(parts)

    def for_bundle(self) -> dict[str, Any] | None:
        """The manifest's `damage` (core/sealed/bundle.py), or None when nothing is damaged."""
        if not self:
            return None
        data: dict[str, Any] = {
            "journal_entries": list(self.journal_entries),
            "answers": sorted(set(self.unconfirmed_answers) | set(self.unreadable_answers)),
            "facts": list(self.facts),
            "note": self.sentence(),
        }
        if self.recovered:
            data["recovered"] = list(self.recovered)
        return data


def find_damage(store: AnswerStore, events: list[dict[str, Any]] | None = None) -> Damage:
    """Everything in `store` that does not verify (an empty `Damage` when all is intact)."""
    events = store.events() if events is None else events
    broken = damaged_entries(events)
    broken_positions = set(broken)
    saved: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    for position, event in enumerate(events, start=1):
        data = event.get("data")
        if event.get("type") == "answer_saved" and isinstance(data, dict):
            saved[(str(data.get("question_id")), _int(data.get("revision")))] = (position, data)
    hashed = any("value_sha256" in data for _, data in saved.values())
    unconfirmed, unreadable = [], []
    for row in store.answer_rows():
        if row.value is UNREADABLE:
            unreadable.append(row.question_id)
            continue
        if not hashed:  # written before answers were hashed into the journal: nothing to compare
            continue
        entry = saved.get((row.question_id, row.revision))
        if entry is None or entry[0] in broken_positions or not _confirms(entry[1], row):
            unconfirmed.append(row.question_id)
    facts = store.damaged_facts()
    recovered = []
    for event in events:
        data = event.get("data")
        if event.get("type") == "recovered" and isinstance(data, dict) and not data.get("complete"):
            recovered.append(data)
            facts += [f for f in data.get("lost_facts") or [] if isinstance(f, str) and f not in facts]
    return Damage(broken, unconfirmed, unreadable, facts, recovered)


def _confirms(entry: dict[str, Any], row: Any) -> bool:
    return (
        entry.get("value_sha256") == hashlib.sha256(row.text.encode("utf-8")).hexdigest()
        and bool(entry.get("dont_know")) == row.dont_know
        and bool(entry.get("flagged")) == row.flagged
        and entry.get("rating") == row.rating
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def acknowledged(store: AnswerStore, damage: Damage, events: list[dict[str, Any]] | None = None) -> bool:
    """An invigilator already agreed to continue with exactly this damage (an earlier launch)."""
    wanted = damage.for_bundle()
    for event in store.events() if events is None else events:
        data = event.get("data")
        if (
            event.get("type") == ACKNOWLEDGED_EVENT
            and isinstance(data, dict)
            and data.get("damage") == wanted
        ):
            return True
    return False


def invigilator_sentence(damage: Damage) -> str:
    return (
        f"The answer file on this machine is damaged: {damage.sentence()}. Every other answer is "
        "intact; the damage is recorded and sent with the results for the grader to check. "
        "Invigilator: open the invigilator panel and choose Continue."
    )


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"
