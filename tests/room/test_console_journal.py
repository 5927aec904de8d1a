"""The console's journal stays one hash chain when the window and `room act` append to it in turn,
and an action on many seats does not read the whole journal once per seat."""

from __future__ import annotations

import builtins

from exam_desktop.core.journal import verify_chain
from exam_desktop.room.console import ConsoleJournal


def test_two_writers_in_turn_keep_one_chain(tmp_path):
    path = tmp_path / "console-journal.jsonl"
    window, shell = ConsoleJournal(path), ConsoleJournal(path)
    for n in range(5):
        window.append("command", {"seat": f"seat-{n:02d}", "action": "extend"})
        window.append("command", {"seat": f"seat-{n:02d}", "action": "announce"})
        shell.append("command", {"seat": f"seat-{n:02d}", "action": "pause"})
    entries = window.entries()
    verify_chain(entries)
    assert [e["seq"] for e in entries] == list(range(1, 16))
    assert [e["data"]["action"] for e in entries[:3]] == ["extend", "announce", "pause"]


def test_a_journal_moved_away_starts_a_new_chain(tmp_path):
    path = tmp_path / "console-journal.jsonl"
    journal = ConsoleJournal(path)
    journal.append("command", {"seat": "seat-01"})
    path.rename(tmp_path / "old.jsonl")
    journal.append("command", {"seat": "seat-02"})
    entries = journal.entries()
    verify_chain(entries)
    assert [e["data"]["seat"] for e in entries] == ["seat-02"]


def test_appending_alone_does_not_read_the_journal_again(tmp_path, monkeypatch):
    path = tmp_path / "console-journal.jsonl"
    journal = ConsoleJournal(path)
    for n in range(50):
        journal.append("command", {"seat": f"seat-{n:02d}"})
    read_lines = {"n": 0}
    real_open = builtins.open

    class Counting:
        def __init__(self, handle):
            self.handle = handle

        def __iter__(self):
            for line in self.handle:
                read_lines["n"] += 1
                yield line

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            self.handle.__enter__()
            return self

        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    monkeypatch.setattr(builtins, "open", lambda *a, **k: Counting(real_open(*a, **k)))
    for n in range(200):  # an action on 200 seats
        journal.append("command", {"seat": f"seat-{n:03d}", "action": "announce"})
    monkeypatch.undo()
    assert read_lines["n"] == 0
    verify_chain(journal.entries())
    assert len(journal.entries()) == 250
