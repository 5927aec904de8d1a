"""Recovery of a damaged answer file, for the invigilator (`exam-desktop recover`).

The damaged file is only read (through a copy), never changed; what is still readable goes into a
new answer file (core/seat/answer_file.py), whose journal ends with a "recovered" entry.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exam_desktop.core.journal import canonical_text, damaged_entries
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.storage_errors import (
    CorruptStoreError,
    NotAnAnswerFile,
    StorageError,
    StorageWriteError,
)

_TABLE_COLUMNS = {
    "responses": (
        "question_id",
        "value",
        "dont_know",
        "flagged",
        "rating",
        "updated_at",
        "revision",
    ),
    "meta": ("key", "value"),
    "events": ("seq", "at_wall", "at_mono", "type", "data", "prev_hash", "hash"),
}
_PAGE_SIZES = (4096, 1024, 2048, 8192, 16384, 32768, 65536)


@dataclass
class Recovery:
    """What `recover_answers` saved from a damaged answer file, and what it could not."""

    path: Path  # the new answer file
    responses: int
    meta: int
    events: int
    journal_intact: bool
    problems: list[str] = field(default_factory=list)
    damaged_tables: list[str] = field(default_factory=list)  # read row by row: rows may be missing
    lost_answers: list[str] = field(default_factory=list)  # rows found but unreadable
    lost_facts: list[str] = field(default_factory=list)
    broken_entries: list[int] = field(default_factory=list)  # journal positions that do not verify
    rebuilt_facts: list[str] = field(default_factory=list)  # lost, then rebuilt from the journal

    @property
    def complete(self) -> bool:
        """Nothing is known to be lost."""
        return (
            self.journal_intact
            and not self.damaged_tables
            and not self.lost_answers
            and not (set(self.lost_facts) - set(self.rebuilt_facts))
        )

    @property
    def resumable(self) -> bool:
        """The new file says whose session it is, so the exam can continue from it."""
        return "session" not in set(self.lost_facts) - set(self.rebuilt_facts)

    def lines(self) -> list[str]:
        """What was kept and what was lost, one line each, for the invigilator."""
        kept = (
            f"kept {_count(self.responses, 'answer')}, {_count(self.meta, 'session fact')} and "
            f"{_count(self.events, 'journal entry')}"
        )
        out = [kept]
        if self.lost_answers:
            out.append(f"lost (unreadable): the answers to {', '.join(self.lost_answers)}")
        for fact in self.lost_facts:
            what = FACT_MEANINGS.get(fact, fact)
            if fact in self.rebuilt_facts:
                out.append(f"rebuilt from the journal: {what} ({fact})")
            else:
                out.append(f"lost (unreadable): {what} ({fact})")
        for table in self.damaged_tables:
            out.append(f"the {table} table was read row by row: rows on damaged pages are missing")
        if self.broken_entries:
            shown = ", ".join(map(str, self.broken_entries[:10]))
            out.append(f"journal entries that do not verify: {shown} (they travel with the results)")
        elif not self.journal_intact:
            out.append("the journal chain is broken: entries were lost")
        else:
            out.append("journal chain: intact (every entry verifies)")
        if not self.resumable:
            out.append("the file cannot be resumed: it no longer says whose session it is")
        return out


FACT_MEANINGS = {
    "session": "whose session it is",
    "clock": "the time used so far",
    "heartbeat": "when time was last saved",
    "step": "how far the session got",
    "rules": "the incident rules",
    "pin": "the PIN given at launch",
    "submitted": "that the exam was submitted",
    "bundle": "where the results went",
    "invigilator": "the invigilator desk's state",
}
_TABLES = ("responses", "meta", "events")


def recover_answers(damaged: Path | str, into: Path | str | None = None) -> Recovery:
    """Copy every answer, session fact and journal entry still readable into a new answer file.

    The damaged file is only read (through a copy), never changed. A destroyed file header is
    rebuilt on the copy; rows on damaged pages are skipped and reported, as are rows whose stored
    text no longer reads (they are not copied: a bad value would only fail again later). A lost
    session identity is rebuilt from the journal's first entries when they are readable. The new
    file's journal ends with a "recovered" entry saying what was kept and what was lost; if
    entries were lost, its chain shows the gap. An empty file, or one that is not an answer file,
    recovers nothing and is refused (`NotAnAnswerFile`) without writing anything.
    """
    damaged = Path(damaged)
    target = Path(into) if into is not None else damaged.with_name(damaged.stem + ".recovered.db")
    if target.exists():
        raise StorageWriteError(
            f"{target} already exists; choose another name for the recovered file.", target
        )
    if not damaged.is_file():
        raise StorageError(f"There is no answer file at {damaged}.", damaged)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "damaged.db"
        shutil.copyfile(damaged, work)
        wal = damaged.with_name(damaged.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, work.with_name(work.name + "-wal"))
        if work.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size):
            raise NotAnAnswerFile(
                f"{damaged} is empty (0 bytes): there is nothing to recover from it. The "
                "candidate's answers may be in a result bundle (DATA/bundles) or on paper.",
                damaged,
            )
        conn = _open_readable(work, problems)
        rows: dict[str, list[dict[str, Any]]] = {}
        damaged_tables = []
        tables: set[str] = set()
        if conn:
            conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
            tables = _table_names(conn)
        if conn is not None and not {"responses", "meta"} <= tables:
            conn.close()
            raise NotAnAnswerFile(
                f"{damaged} is a database, but not an exam answer file (it has no answers, session "
                "facts or journal): nothing was recovered. Check the path.",
                damaged,
            )
        for table in _TABLE_COLUMNS:
            rows[table], intact = _readable_rows(conn, table, problems) if conn else ([], False)
            if not intact:
                damaged_tables.append(table)
        if conn:
            conn.close()
    if conn is None:
        raise CorruptStoreError(
            f"Nothing can be read from {damaged}: its table of contents is destroyed. Keep the file "
            "for the exam office; the answers may be in a result bundle (DATA/bundles) or on paper.",
            damaged,
        )

    lost_answers = [str(r.get("question_id")) for r in rows["responses"] if not _reads(r.get("value"))]
    lost_facts = [str(r.get("key")) for r in rows["meta"] if not _reads(r.get("value"))]
    rows["responses"] = [r for r in rows["responses"] if _reads(r.get("value"))]
    rows["meta"] = [r for r in rows["meta"] if _reads(r.get("value"))]
    rebuilt = _rebuild_session(rows, lost_facts)

    with AnswerStore.open(target) as store:
        conn = store._db.conn
        with store._transaction():
            for table, table_rows in rows.items():
                for row in table_rows:
                    columns = [c for c in _TABLE_COLUMNS[table] if c in row]
                    conn.execute(
                        f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
                        f"VALUES ({', '.join('?' * len(columns))})",
                        [row[c] for c in columns],
                    )
        events = store.events()
        broken = damaged_entries(events)
        journal_intact = not broken
        if broken:
            problems.append(f"journal: {len(broken)} entries do not verify, the first is entry {broken[0]}")
        recovery = Recovery(
            target,
            len(rows["responses"]),
            len(rows["meta"]),
            len(rows["events"]),
            journal_intact,
            problems,
            damaged_tables,
            lost_answers,
            lost_facts,
            broken,
            rebuilt,
        )
        store.append_event(
            "recovered",
            {
                "from": str(damaged),
                "responses": recovery.responses,
                "events": recovery.events,
                "journal_intact": journal_intact,
                "problems": problems,
                "complete": recovery.complete,
                "lost_answers": lost_answers,
                "lost_facts": lost_facts,
                "rebuilt_facts": rebuilt,
                "damaged_tables": damaged_tables,
            },
        )
    return recovery


def _reads(value: Any) -> bool:
    """A stored JSON text that still parses (what every reader of the row will do)."""
    if not isinstance(value, str):
        return False
    try:
        json.loads(value, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return False
    return True


def _refuse(name: str) -> Any:
    raise ValueError(name)


def _rebuild_session(rows: dict[str, list[dict[str, Any]]], lost_facts: list[str]) -> list[str]:
    """A lost session identity rebuilt from the journal's "session_created" entry (a new id and
    nonce: the bundle then names a new session, and its journal shows why)."""
    if "session" not in lost_facts:
        return []
    created = exam_started = None
    for event in rows["events"]:
        try:
            data = json.loads(event.get("data") or "")
        except (TypeError, ValueError):
            continue
        if event.get("type") == "session_created" and created is None:
            created = (event, data)
        elif event.get("type") == "exam_started" and exam_started is None:
            exam_started = data
    if created is None or not isinstance(created[1], dict):
        return []
    event, data = created
    if not all(isinstance(data.get(k), str) for k in ("exam_id", "package_hash")):
        return []
    session = {
        "id": uuid.uuid4().hex,
        "nonce": secrets.token_hex(16),
        "exam_id": data["exam_id"],
        "package_hash": data["package_hash"],
        "title": "",
        "candidate": data.get("candidate") if isinstance(data.get("candidate"), dict) else {},
        "duration_s": (exam_started or {}).get("duration_s", 0) if isinstance(exam_started, dict) else 0,
        "started_at": str(event.get("at_wall") or ""),
        "rebuilt_from_journal": True,
    }
    rows["meta"].append({"key": "session", "value": canonical_text(session)})
    return ["session"]


def _table_names(conn: sqlite3.Connection) -> set[str]:
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        return set(_TABLES)  # the schema table itself is damaged: try every table


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


def _open_readable(work: Path, problems: list[str]) -> sqlite3.Connection | None:
    """A connection that can read the copy's schema, rebuilding a destroyed header if need be."""
    conn = sqlite3.connect(work)
    try:
        conn.execute("SELECT name FROM sqlite_master").fetchall()
        return conn
    except sqlite3.DatabaseError as exc:
        conn.close()
        problems.append(f"file header: {exc}")
    has_wal = work.with_name(work.name + "-wal").exists()
    for page_size in _PAGE_SIZES:
        _write_header(work, page_size, wal=has_wal)
        conn = sqlite3.connect(work)
        try:
            conn.execute("SELECT name FROM sqlite_master").fetchall()
            problems.append(f"file header rebuilt (page size {page_size})")
            return conn
        except sqlite3.DatabaseError:
            conn.close()
    problems.append("the file's table of contents is unreadable: nothing could be recovered")
    return None


def _write_header(path: Path, page_size: int, *, wal: bool) -> None:
    """SQLite's 100-byte file header for our files; the page count is taken from the file size."""
    header = bytearray(100)
    header[0:16] = b"SQLite format 3\x00"
    header[16:18] = (1 if page_size == 65536 else page_size).to_bytes(2, "big")
    header[18] = header[19] = 2 if wal else 1
    header[21:24] = bytes([64, 32, 32])
    header[24:28] = (1).to_bytes(4, "big")  # change counter != version-valid-for: size from file
    header[40:44] = (1).to_bytes(4, "big")  # schema cookie
    header[44:48] = (4).to_bytes(4, "big")  # schema format
    header[56:60] = (1).to_bytes(4, "big")  # UTF-8
    major, minor, patch = sqlite3.sqlite_version_info
    header[96:100] = (major * 1_000_000 + minor * 1000 + patch).to_bytes(4, "big")
    with path.open("r+b") as f:
        f.write(header)


def _readable_rows(
    conn: sqlite3.Connection, table: str, problems: list[str]
) -> tuple[list[dict[str, Any]], bool]:
    """Every row of `table` that can be read, and whether the table read without damage."""
    conn.row_factory = sqlite3.Row
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        names = {table}
    if table not in names:
        return [], True  # an older schema without this table
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")], True
    except sqlite3.DatabaseError as exc:
        problems.append(f"{table}: {exc}; reading row by row")
    rows, misses, rowid = [], 0, 0
    while misses < 1000:
        rowid += 1
        try:
            row = conn.execute(f"SELECT * FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None:
            misses += 1
            continue
        misses = 0
        rows.append(dict(row))
    return rows, False
