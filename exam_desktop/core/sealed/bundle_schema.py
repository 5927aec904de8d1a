"""What a result bundle may contain, checked before anything else reads it.

A candidate can sign and bind a bundle of their own (the binding key is in the package they
decrypted), so a valid signature says nothing about the shape of what is inside. Every member is
parsed here with hard bounds — nesting depth, string and list lengths, number sizes and ranges,
text that is valid Unicode (no lone surrogates, no NUL) — and checked against the one shape the
seat writes. Anything else is a `ValueError` naming the place, which the reader turns into a
rejection of that one bundle; the grader's database, scoring and exports then only ever see
values they can store, compare and print.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 16  # answers are at most a list of lists (a matrix) or an object of texts
MAX_TEXT = 16 * 1024 * 1024  # one answer's text: far beyond any essay typed in an exam
MAX_SHORT_TEXT = 1000  # identification fields, ids, times, reasons
MAX_ITEMS = 10_000  # entries of one list or object (questions, rows, blanks)
MAX_JOURNAL_ENTRIES = 1_000_000
MAX_NUMBER_TOKEN = 40  # characters of one JSON number
MAX_INTEGER = 2**53  # exactly representable in a float and in SQLite's 64-bit integers
MAX_RATING = 100


def bounded_json(data: bytes, *, unique_keys: bool = False) -> Any:
    """Parse one member: UTF-8, no NaN/Infinity, no huge numbers; with `unique_keys`, no object
    repeats a key (the manifest). Nesting too deep for the parser is refused here; the shape
    checks below then refuse anything nested deeper than MAX_DEPTH, iteratively, before any
    recursive code (hashing, storing, scoring) sees the value."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    try:
        value = json.loads(
            text,
            parse_int=_integer,
            parse_float=_float,
            parse_constant=_no_constant,
            object_pairs_hook=_no_duplicates if unique_keys else None,
        )
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DEPTH} deep") from None
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _integer(token: str) -> int:
    if len(token) > MAX_NUMBER_TOKEN:
        raise ValueError(f"a number of {len(token)} digits")
    value = int(token)
    if abs(value) > MAX_INTEGER:
        raise ValueError(f"the number {token} is out of range")
    return value


def _float(token: str) -> float:
    if len(token) > MAX_NUMBER_TOKEN:
        raise ValueError(f"a number of {len(token)} characters")
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"the number {token} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


# --------------------------------------------------------------------------------------------
# Shapes


def text(value: Any, where: str, *, limit: int = MAX_SHORT_TEXT, empty: bool = True) -> str:
    """Printable Unicode text: a str, at most `limit` characters, encodable, no NUL."""
    if not isinstance(value, str):
        raise ValueError(f"{where} must be text")
    if len(value) > limit:
        raise ValueError(f"{where} is longer than {limit} characters")
    if not empty and not value:
        raise ValueError(f"{where} is empty")
    if "\x00" in value:
        raise ValueError(f"{where} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where} is not valid Unicode (a lone surrogate)") from None
    return value


def json_value(value: Any, where: str, *, text_limit: int = MAX_TEXT) -> None:
    """Any JSON value within the bounds: depth, item counts, text, number range (iterative; the
    place of a problem is spelt out only when there is one)."""
    stack: list[tuple[Any, Any, int]] = [(value, where, 0)]
    while stack:
        item, place, depth = stack.pop()
        kind = type(item)
        if kind is str:
            if len(item) > text_limit or "\x00" in item or not _encodable(item):
                text(item, _place(place), limit=text_limit)
        elif kind is int:
            if not -MAX_INTEGER <= item <= MAX_INTEGER:
                raise ValueError(f"{_place(place)} is a number out of range")
        elif kind is float:
            if not math.isfinite(item):
                raise ValueError(f"{_place(place)} is not a finite number")
        elif item is None or kind is bool:
            continue
        elif kind is list or kind is dict:
            if depth >= MAX_DEPTH:
                raise ValueError(f"{_place(place)} is nested more than {MAX_DEPTH} deep")
            if len(item) > MAX_ITEMS:
                raise ValueError(f"{_place(place)} has more than {MAX_ITEMS} entries")
            if kind is list:
                stack.extend((v, (place, i), depth + 1) for i, v in enumerate(item))
            else:
                for key, v in item.items():
                    if type(key) is not str or len(key) > MAX_SHORT_TEXT or not _encodable(key):
                        text(key, f"a key in {_place(place)}")
                    stack.append((v, (place, key), depth + 1))
        else:
            raise ValueError(f"{_place(place)} is not a JSON value")


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _place(place: Any) -> str:
    parts = []
    while isinstance(place, tuple):
        place, step = place
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return str(place) + "".join(reversed(parts))


def integer(value: Any, where: str, *, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{where} must be a whole number from {low} to {high}")
    return value


def number(value: Any, where: str, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where} must be a number")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{where} must be a number from {low:g} to {high:g}")
    return float(value)


def only_keys(value: Any, where: str, required: set[str], optional: set[str] = frozenset()) -> dict:  # type: ignore[assignment]
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object")
    missing = sorted(required - set(value))
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")
    unknown = sorted(set(value) - required - set(optional))
    if unknown:
        raise ValueError(f"{where} has unknown fields {', '.join(map(repr, unknown[:3]))}")
    return value


def list_of(value: Any, where: str, *, limit: int = MAX_ITEMS) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list")
    if len(value) > limit:
        raise ValueError(f"{where} has more than {limit} items")
    return value


# --------------------------------------------------------------------------------------------
# The members


def check_session(session: Any) -> None:
    only_keys(
        session,
        "session",
        {"id", "nonce", "started_at", "ended_at", "extensions", "ended_by", "app_version"},
        {"questions"},
    )
    for name in ("id", "nonce", "started_at", "ended_at", "app_version"):
        text(session[name], f"session {name}", limit=200)
    if session["ended_by"] not in ("submit", "time-out", "invigilator"):
        raise ValueError("session ended_by is not submit, time-out or invigilator")
    for i, extension in enumerate(list_of(session["extensions"], "session extensions", limit=1000)):
        where = f"session extension {i + 1}"
        only_keys(extension, where, {"at", "seconds", "reason"})
        text(extension["at"], f"{where} time", limit=200)
        if extension["seconds"] is not None:
            number(extension["seconds"], f"{where} seconds", low=-7 * 86400, high=7 * 86400)
        text(extension["reason"], f"{where} reason")
    for i, question in enumerate(list_of(session.get("questions", []), "session questions")):
        text(question, f"session question {i + 1}", limit=200)


def check_candidate(candidate: Any) -> None:
    if not isinstance(candidate, dict):
        raise ValueError("candidate must map fields to text")
    if len(candidate) > 50:
        raise ValueError("candidate has more than 50 fields")
    for key, value in candidate.items():
        text(key, "a candidate field name", limit=100)
        text(value, f"candidate {key}")


def check_damage(damage: Any) -> None:
    """The seat's own account of damage found in its answer file (None: none)."""
    if damage is None:
        return
    only_keys(damage, "damage", {"journal_entries", "answers", "facts", "note"}, {"recovered"})
    for i, seq in enumerate(
        list_of(damage["journal_entries"], "damage journal_entries", limit=MAX_JOURNAL_ENTRIES)
    ):
        integer(seq, f"damage journal entry {i + 1}", low=1, high=MAX_JOURNAL_ENTRIES)
    for name in ("answers", "facts"):
        for i, item in enumerate(list_of(damage[name], f"damage {name}")):
            text(item, f"damage {name} {i + 1}", limit=200)
    text(damage["note"], "damage note", limit=10_000)
    json_value(damage.get("recovered"), "damage recovered")


def check_answers(raw: Any) -> None:
    if not isinstance(raw, dict):
        raise ValueError("expected an object")
    if len(raw) > MAX_ITEMS:
        raise ValueError(f"more than {MAX_ITEMS} answers")
    for question_id, item in raw.items():
        text(question_id, "a question id", limit=200, empty=False)
        where = f"answer {question_id!r}"
        only_keys(item, where, {"question_id", "value", "dont_know", "flagged", "rating"})
        if item["question_id"] != question_id:
            raise ValueError(f"{where} is filed under another question")
        for flag in ("dont_know", "flagged"):
            if not isinstance(item[flag], bool):
                raise ValueError(f"{where} {flag} must be true or false")
        if item["rating"] is not None:
            integer(item["rating"], f"{where} rating", low=0, high=MAX_RATING)
        json_value(item["value"], f"{where} value")


_ENTRY_KEYS = frozenset({"seq", "at_wall", "type", "data", "prev_hash", "hash"})
_ENTRY_OPTIONAL = frozenset({"at_mono"})


def check_journal(events: Any) -> None:
    list_of(events, "the journal", limit=MAX_JOURNAL_ENTRIES)
    for position, event in enumerate(events, start=1):
        where = f"entry {position}"
        if type(event) is not dict or not _ENTRY_KEYS <= event.keys() <= _ENTRY_KEYS | _ENTRY_OPTIONAL:
            only_keys(event, where, set(_ENTRY_KEYS), set(_ENTRY_OPTIONAL))
        seq = event["seq"]
        if type(seq) is not int or not 0 <= seq <= MAX_JOURNAL_ENTRIES:
            integer(seq, f"{where} seq", low=0, high=MAX_JOURNAL_ENTRIES)
        for name, limit in (("at_wall", 200), ("type", 200), ("prev_hash", 64), ("hash", 64)):
            value = event[name]
            if type(value) is not str or len(value) > limit or not value.isascii():
                text(value, f"{where} {name}", limit=limit)
        if "at_mono" in event:
            number(event["at_mono"], f"{where} monotonic time", low=-1e15, high=1e15)
        json_value(event["data"], f"{where} data", text_limit=MAX_SHORT_TEXT * 100)
