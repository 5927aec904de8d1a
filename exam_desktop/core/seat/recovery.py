"""Recovery of a damaged answer file, for the invigilator (`exam-desktop recover`).

The damaged file is only read (through a copy), never changed; what is still readable goes into a
new answer file (core/seat/answer_file.py), whose journal ends with a "recovered" entry.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exam_desktop.core.journal import JournalBroken, verify_chain
from exam_desktop.core.seat.answer_file import AnswerStore, StorageError, StorageWriteError

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
    """What `recover_answers` saved from a damaged answer file."""

    path: Path  # the new answer file
    responses: int
    meta: int
    events: int
    journal_intact: bool
    problems: list[str] = field(default_factory=list)
    damaged_tables: list[str] = field(default_factory=list)  # read row by row: rows may be missing

    @property
    def complete(self) -> bool:
        """Nothing is known to be lost."""
        return self.journal_intact and not self.damaged_tables


def recover_answers(damaged: Path | str, into: Path | str | None = None) -> Recovery:
    """Copy every answer, session fact and journal entry still readable into a new answer file.

    The damaged file is only read (through a copy), never changed. A destroyed file header is
    rebuilt on the copy; rows on damaged pages are skipped and reported. The new file's journal ends
    with a "recovered" entry saying what was saved; if entries were lost, its chain shows the gap.
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
        conn = _open_readable(work, problems)
        rows: dict[str, list[dict[str, Any]]] = {}
        damaged_tables = []
        for table in _TABLE_COLUMNS:
            rows[table], intact = _readable_rows(conn, table, problems) if conn else ([], False)
            if not intact:
                damaged_tables.append(table)
        if conn:
            conn.close()

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
        try:
            verify_chain(store.events())
            journal_intact = True
        except (JournalBroken, KeyError, TypeError, ValueError) as exc:
            journal_intact = False
            problems.append(f"journal: {exc}")
        recovery = Recovery(
            target,
            len(rows["responses"]),
            len(rows["meta"]),
            len(rows["events"]),
            journal_intact,
            problems,
            damaged_tables,
        )
        store.append_event(
            "recovered",
            {
                "from": str(damaged),
                "responses": recovery.responses,
                "events": recovery.events,
                "journal_intact": journal_intact,
                "problems": problems,
            },
        )
    return recovery


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
