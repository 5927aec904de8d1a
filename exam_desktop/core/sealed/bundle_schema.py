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
MAX_TEXT = 4 * 1024 * 1024  # one essay
MAX_SHORT_TEXT = 1000  # identification fields, ids, times, reasons
MAX_ITEMS = 10_000  # entries of one list or object (questions, rows, blanks)
MAX_JOURNAL_ENTRIES = 1_000_000
MAX_NUMBER_TOKEN = 40  # characters of one JSON number
MAX_INTEGER = 2**53  # exactly representable in a float and in SQLite's 64-bit integers
MAX_RATING = 100


def bounded_json(data: bytes, *, unique_keys: bool = False) -> Any:
    """Parse one member: UTF-8, no NaN/Infinity, no huge numbers, nesting under MAX_DEPTH;
    with `unique_keys`, no object repeats a key (the manifest: the signer's own bytes elsewhere)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    _check_nesting(text)
    try:
        value = json.loads(
            text,
            parse_int=_integer,
            parse_float=_float,
            parse_constant=_no_constant,
            object_pairs_hook=_no_duplicates if unique_keys else None,
        )
    except RecursionError:  # pragma: no cover - _check_nesting refuses this first
        raise ValueError("nested too deeply") from None
    return value


def _check_nesting(text: str) -> None:
    """Refuse deep nesting before the recursive parser sees it (brackets inside strings skipped)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"nested more than {MAX_DEPTH} deep")
        elif ch in "]}":
            depth -= 1


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
    """Any JSON value within the bounds: depth, item counts, text, number range (iterative)."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        item, place, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"{place} is nested more than {MAX_DEPTH} deep")
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, int):
            if abs(item) > MAX_INTEGER:
                raise ValueError(f"{place} is a number out of range")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"{place} is not a finite number")
        elif isinstance(item, str):
            text(item, place, limit=text_limit)
        elif isinstance(item, list):
            if len(item) > MAX_ITEMS:
                raise ValueError(f"{place} has more than {MAX_ITEMS} items")
            stack += [(v, f"{place}[{i}]", depth + 1) for i, v in enumerate(item)]
        elif isinstance(item, dict):
            if len(item) > MAX_ITEMS:
                raise ValueError(f"{place} has more than {MAX_ITEMS} entries")
            for key, v in item.items():
                text(key, f"a key in {place}")
                stack.append((v, f"{place}.{key}", depth + 1))
        else:
            raise ValueError(f"{place} is not a JSON value")


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


def check_journal(events: Any) -> None:
    list_of(events, "the journal", limit=MAX_JOURNAL_ENTRIES)
    for position, event in enumerate(events, start=1):
        where = f"entry {position}"
        only_keys(event, where, {"seq", "at_wall", "type", "data", "prev_hash", "hash"}, {"at_mono"})
        integer(event["seq"], f"{where} seq", low=0, high=MAX_JOURNAL_ENTRIES)
        text(event["at_wall"], f"{where} time", limit=200)
        if "at_mono" in event:
            number(event["at_mono"], f"{where} monotonic time", low=-1e15, high=1e15)
        text(event["type"], f"{where} type", limit=200)
        text(event["prev_hash"], f"{where} prev_hash", limit=64)
        text(event["hash"], f"{where} hash", limit=64)
        json_value(event["data"], f"{where} data", text_limit=MAX_SHORT_TEXT * 100)
