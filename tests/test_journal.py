"""The event journal: append-only in SQLite, hash-chained, and any alteration is detected."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path

import pytest

from exam_desktop.core.errors import KnownError
from exam_desktop.core.journal import JournalBroken, verify_chain
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.answer_file import AnswerStore

EVENTS = [
    ("timer_started", {"duration_s": 6300}),
    ("navigated", {"from": "q1", "to": "q2"}),
    ("incident", {"kind": "focus_lost", "action": "log"}),
    (
        "invigilator",
        {"action": "extend", "seconds": 600, "who": "M. Rossi", "why": "fire alarm — 10′"},
    ),
    ("timer_paused", {"elapsed_s": 1234.5}),
]


@pytest.fixture
def journal(tmp_path: Path) -> tuple[Path, list[dict]]:
    path = tmp_path / "answers.db"
    clock = iter(range(1_780_000_000, 1_780_001_000, 7))
    with AnswerStore.open(path, wall=lambda: float(next(clock)), monotonic=lambda: 42.0) as store:
        for type_, data in EVENTS:
            store.append_event(type_, data)
        return path, store.events()


def test_events_come_back_in_order_with_their_data(journal):
    _, events = journal
    assert [(e["seq"], e["type"], e["data"]) for e in events] == [
        (i, t, d) for i, (t, d) in enumerate(EVENTS, start=1)
    ]
    assert events[0]["at_wall"] == "2026-05-28T20:26:40.000+00:00"
    assert events[1]["at_wall"] == "2026-05-28T20:26:47.000+00:00"
    assert all(e["at_mono"] == 42.0 for e in events)
    verify_chain(events)


def test_append_returns_the_entry_as_stored(tmp_path):
    with AnswerStore.open(tmp_path / "a.db") as store:
        first = store.append_event("timer_started", {"duration_s": 60, "nested": [1, {"x": None}]})
        second = store.append_event("timer_paused", {})
        assert store.events() == [first, second]
        assert second["prev_hash"] == first["hash"]


def test_the_chain_continues_across_reopening(journal):
    path, events = journal
    with AnswerStore.open(path) as store:
        store.append_event("resumed", {"downtime_s": 30})
        everything = store.events()
    assert everything[: len(events)] == events
    assert everything[-1]["prev_hash"] == events[-1]["hash"]
    verify_chain(everything)


def test_saving_an_answer_is_journaled_without_its_text(tmp_path):
    with AnswerStore.open(tmp_path / "a.db") as store:
        store.save_response(Response("essay", "my secret essay text"))
        store.save_response(Response("essay", "my secret essay text, longer", flagged=True))
        events = store.events()
    assert [(e["type"], e["data"]["question_id"], e["data"]["revision"]) for e in events] == [
        ("answer_saved", "essay", 1),
        ("answer_saved", "essay", 2),
    ]
    assert events[1]["data"]["flagged"] is True
    assert events[0]["data"]["value_sha256"] != events[1]["data"]["value_sha256"]
    assert "secret" not in json.dumps(events)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET data = '{\"duration_s\":99999}' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 3",
        "DELETE FROM events",
    ],
)
def test_the_database_refuses_to_change_or_remove_entries(journal, statement):
    path, events = journal
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute(statement)
    conn.close()
    with AnswerStore.open(path) as store:
        assert store.events() == events


def tamper(path: Path, *statements: str) -> list[dict]:
    """What someone with write access to the file could do: drop the guards and edit rows."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    with AnswerStore.open(path) as store:
        return store.events()


def test_editing_an_entry_in_the_file_breaks_the_chain_there(journal):
    path, _ = journal
    events = tamper(path, "UPDATE events SET data = '{\"seconds\":6000}' WHERE seq = 4")
    with pytest.raises(JournalBroken, match=r"entry 4 .*changed") as caught:
        verify_chain(events)
    assert isinstance(caught.value, KnownError)


def test_removing_an_entry_from_the_file_breaks_the_chain(journal):
    path, _ = journal
    with pytest.raises(JournalBroken, match="removed"):
        verify_chain(tamper(path, "DELETE FROM events WHERE seq = 3"))


def test_removing_the_last_entries_and_rehashing_nothing_still_verifies_the_rest(journal):
    """Truncation at the end cannot be seen from the chain alone (the bundle's signature covers it)."""
    path, _ = journal
    verify_chain(tamper(path, "DELETE FROM events WHERE seq = 5"))


@pytest.mark.parametrize("field", ["at_wall", "type", "data", "prev_hash", "hash", "seq"])
def test_altering_any_field_of_any_entry_is_detected(journal, field):
    _, events = journal
    for position in range(len(events)):
        altered = copy.deepcopy(events)
        entry = altered[position]
        entry[field] = {
            "at_wall": "2026-05-28T21:00:00.000+00:00",
            "type": "forged",
            "data": {"forged": True},
            "prev_hash": "f" * 64,
            "hash": "0" * 64,
            "seq": entry["seq"] + 1,
        }[field]
        with pytest.raises(JournalBroken):
            verify_chain(altered)


def test_reordering_entries_is_detected(journal):
    _, events = journal
    with pytest.raises(JournalBroken):
        verify_chain([events[0], events[2], events[1], *events[3:]])


def test_a_forged_entry_inserted_with_a_recomputed_hash_breaks_the_next_link(journal):
    from exam_desktop.core.journal import event_hash

    _, events = journal
    forged = dict(events[1], type="invigilator", data={"action": "extend", "seconds": 3600})
    forged["hash"] = event_hash(2, forged["at_wall"], forged["type"], forged["data"], forged["prev_hash"])
    with pytest.raises(JournalBroken, match=r"entry 3.*does not follow"):
        verify_chain([events[0], forged, *events[2:]])


def test_an_empty_journal_verifies(tmp_path):
    with AnswerStore.open(tmp_path / "a.db") as store:
        verify_chain(store.events())


def test_an_entry_with_a_field_missing_is_reported_as_broken(journal):
    _, events = journal
    damaged = copy.deepcopy(events)
    del damaged[2]["data"]
    with pytest.raises(JournalBroken, match=r"entry 3.*incomplete"):
        verify_chain(damaged)
