"""The candidate's answer file: responses, session facts and the event journal in one SQLite file.

Every write is a committed transaction in WAL mode with ``synchronous=FULL``, so an answer reported
as saved survives a crash or a power cut. The schema evolves through ordered migrations (sqlite-utils'
built-in `Migrations`, each step in a transaction); a file written by a newer version is refused, as
is a damaged one — never replaced by an empty exam.

The event journal is append-only (SQLite triggers abort any UPDATE or DELETE) and hash-chained:
each entry's hash covers its seq, wall time, type, data and the previous entry's hash, so
`verify_chain` detects any altered, removed or reordered entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from exam_desktop.core.journal import GENESIS_HASH, canonical_text, event_hash
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.storage_errors import (
    CorruptStoreError,
    NotAnAnswerFile,
    SchemaTooNew,
    StorageWriteError,
    StoreInUse,
)

# --------------------------------------------------------------------------------------------
# Schema. Steps are applied in order and never edited once released; add new ones at the end.

MIGRATIONS = Migrations("exam-desktop-answers")
SCHEMA_STEPS: list[str] = []


def _step(name: str) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
    SCHEMA_STEPS.append(name)
    return MIGRATIONS(name=name)


@_step("001_responses_and_meta")
def _responses_and_meta(db: Database) -> None:
    db.execute(
        """CREATE TABLE responses (
            question_id TEXT PRIMARY KEY,
            value TEXT NOT NULL DEFAULT 'null',
            dont_know INTEGER NOT NULL DEFAULT 0,
            flagged INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@_step("002_event_journal")
def _event_journal(db: Database) -> None:
    db.execute(
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            at_wall TEXT NOT NULL,
            at_mono REAL NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )"""
    )
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events
            BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END"""
        )


@_step("003_rating_and_revision")
def _rating_and_revision(db: Database) -> None:
    db.execute("ALTER TABLE responses ADD COLUMN rating INTEGER")
    db.execute("ALTER TABLE responses ADD COLUMN revision INTEGER NOT NULL DEFAULT 1")


# --------------------------------------------------------------------------------------------


def _now_iso(wall: Callable[[], float]) -> str:
    return datetime.fromtimestamp(wall(), UTC).isoformat(timespec="milliseconds")


def _reason(exc: sqlite3.Error) -> str:
    """What the disk said (StorageWriteError.reason)."""
    name = getattr(exc, "sqlite_errorname", "")
    if name == "SQLITE_FULL" or "full" in str(exc):
        return "full"
    if name.startswith("SQLITE_READONLY") or "readonly" in str(exc):
        return "read-only"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "busy"
    if name.startswith("SQLITE_IOERR") or name == "SQLITE_CANTOPEN":
        return "refused"
    return "other"


def _why(exc: sqlite3.Error) -> str:
    """What the disk said, in words (the SQLite name in brackets for the invigilator's report)."""
    name = getattr(exc, "sqlite_errorname", "")
    return {
        "full": "the disk is full",
        "read-only": "the answer file is read-only",
        "busy": "another program is using the answer file",
        "refused": f"the disk refused to write (a disk fault or a limit on the file's size; {name})",
    }.get(_reason(exc), f"the disk reported an error ({name or exc})")


def _write_failure(exc: sqlite3.Error, path: Path) -> StorageWriteError:
    return StorageWriteError(
        f"Your last change could not be saved: {_why(exc)}. Everything saved before is safe. "
        "Tell the invigilator.",
        path,
        _reason(exc),
    )


def _open_failure(exc: sqlite3.Error, path: Path) -> StorageWriteError:
    """Opening needs to write (the log, the schema): the exam cannot start, nothing was lost."""
    return StorageWriteError(
        f"The answer file {path} cannot be written ({_why(exc)}), so the exam cannot start on it. "
        "Nothing in it was changed. Invigilator: make the file and its folder writable, or choose "
        "another folder with --data-dir, and launch again.",
        path,
        _reason(exc),
    )


class AnswerStore:
    """One candidate's answer file. Open with `AnswerStore.open(path)`; every method commits."""

    def __init__(
        self,
        db: Database,
        path: Path,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._db = db
        self.path = path
        self._wall = wall
        self._monotonic = monotonic

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        any_thread: bool = False,
    ) -> AnswerStore:
        """Open (or create) the answer file at `path`, migrating an older schema.

        Raises CorruptStoreError for a damaged file, SchemaTooNew for a newer one, NotAnAnswerFile
        for a foreign database and StorageWriteError when it cannot be created or migrated.
        `any_thread`: the file will be used from another thread than this one (one at a time).
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageWriteError(
                f"The folder for the answer file {path.parent} cannot be created ({exc.strerror}). "
                "Tell the invigilator.",
                path,
            ) from exc
        if _empty_file(path):  # SQLite would take it for a new database and start an empty exam
            raise _corrupt(path, "the file is empty: 0 bytes")
        new = not path.exists()
        try:
            db = Database(sqlite3.connect(str(path), check_same_thread=not any_thread), execute_plugins=False)
        except sqlite3.Error as exc:
            _remove_if_new(new, path)
            raise StorageWriteError(f"The answer file {path} cannot be opened ({exc}).", path) from exc
        try:
            db.execute("PRAGMA busy_timeout=250")  # ride out a reader's checkpoint, no longer
            _check_integrity(db, path)
            try:
                with db.ensure_autocommit_on():
                    db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA fullfsync=ON")  # macOS: FULL only flushes the drive cache with this
                _migrate(db, path)
                _reserve_wal(db, path)
            except StorageWriteError as exc:
                cause = exc.__cause__
                raise (_open_failure(cause, path) if isinstance(cause, sqlite3.Error) else exc) from cause
            except sqlite3.OperationalError as exc:
                raise _open_failure(exc, path) from exc
        except BaseException:
            db.close()
            _remove_if_new(new, path)
            raise
        return cls(db, path, wall=wall, monotonic=monotonic)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> AnswerStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One committed write; on failure nothing of it remains and the store stays usable."""
        conn = self._db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _write_failure(exc, self.path) from exc

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read; damage found only now (a bad page) is reported like damage found at open."""
        try:
            yield self._db.conn
        except sqlite3.DatabaseError as exc:
            raise _corrupt(self.path, str(exc)) from exc

    # ---------------------------------------------------------------------------- responses

    def save_response(self, response: Response) -> int:
        """Write one question's answer durably and journal the change; returns its revision.

        The journal entry ("answer_saved") carries a hash of the value rather than the value, so
        that a long essay saved every second does not swell the journal.
        """
        value = canonical_text(response.value)
        now = _now_iso(self._wall)
        with self._transaction() as conn:
            (revision,) = conn.execute(
                """INSERT INTO responses (question_id, value, dont_know, flagged, rating, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (question_id) DO UPDATE SET
                    value = excluded.value, dont_know = excluded.dont_know,
                    flagged = excluded.flagged, rating = excluded.rating,
                    updated_at = excluded.updated_at, revision = responses.revision + 1
                RETURNING revision""",
                (
                    response.question_id,
                    value,
                    int(response.dont_know),
                    int(response.flagged),
                    response.rating,
                    now,
                ),
            ).fetchone()
            self._append(
                conn,
                "answer_saved",
                {
                    "question_id": response.question_id,
                    "revision": revision,
                    "value_sha256": hashlib.sha256(value.encode("utf-8")).hexdigest(),
                    "dont_know": response.dont_know,
                    "flagged": response.flagged,
                    "rating": response.rating,
                },
                now,
            )
        return revision

    def responses(self) -> dict[str, Response]:
        """Every answer that can be read; damaged ones are left out (see `answer_rows`)."""
        out = {}
        for row in self.answer_rows():
            if row.value is not _UNREADABLE:
                out[row.question_id] = Response(
                    row.question_id, row.value, row.dont_know, row.flagged, row.rating
                )
        return out

    def answer_rows(self) -> list[AnswerRow]:
        """The stored answers as written, with the text that was hashed into the journal; a value
        that no longer reads as JSON (a damaged page) is `UNREADABLE`, never an exception."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT CAST(question_id AS BLOB), CAST(value AS BLOB), dont_know, flagged, rating, "
                "revision FROM responses ORDER BY rowid"
            ).fetchall()
        out = []
        for qid, raw, dont_know, flagged, rating, revision in rows:
            text = _text(raw)
            out.append(
                AnswerRow(
                    _text(qid),
                    text,
                    _json_or_unreadable(text),
                    bool(dont_know),
                    bool(flagged),
                    rating if isinstance(rating, int) or rating is None else None,
                    revision if isinstance(revision, int) else 0,
                )
            )
        return out

    def revision(self, question_id: str) -> int:
        """How many times this question's answer was saved (0 if never)."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT revision FROM responses WHERE question_id = ?", (question_id,)
            ).fetchone()
        return row[0] if row else 0

    # ---------------------------------------------------------------------------- meta

    def get_meta(self, key: Meta, default: Any = None) -> Any:
        """A session fact; a damaged one is `CorruptStoreError` naming it (never a JSON error)."""
        with self._reading() as conn:
            row = conn.execute("SELECT CAST(value AS BLOB) FROM meta WHERE key = ?", (str(key),)).fetchone()
        if row is None:
            return default
        value = _json_or_unreadable(_text(row[0]))
        if value is _UNREADABLE:
            raise _corrupt(self.path, f"the session fact {str(key)!r} is unreadable")
        return value

    def damaged_facts(self) -> list[str]:
        """The names of the session facts that no longer read (empty when all are intact)."""
        with self._reading() as conn:
            rows = conn.execute("SELECT CAST(key AS BLOB), CAST(value AS BLOB) FROM meta").fetchall()
        return [_text(k) for k, v in rows if _json_or_unreadable(_text(v)) is _UNREADABLE]

    def set_meta(self, key: Meta, value: Any) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(key), canonical_text(value)),
            )

    # ---------------------------------------------------------------------------- journal

    def append_event(self, type: str, data: dict[str, Any]) -> dict[str, Any]:
        """Append one entry to the hash-chained journal (committed) and return it."""
        with self._transaction() as conn:
            return self._append(conn, type, data, _now_iso(self._wall))

    def _append(
        self, conn: sqlite3.Connection, type: str, data: dict[str, Any], at_wall: str
    ) -> dict[str, Any]:
        last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        data = json.loads(canonical_text(data))  # exactly what a reader will get back
        event = {
            "seq": seq,
            "at_wall": at_wall,
            "at_mono": self._monotonic(),
            "type": type,
            "data": data,
            "prev_hash": prev_hash,
            "hash": event_hash(seq, at_wall, type, data, prev_hash),
        }
        conn.execute(
            "INSERT INTO events (seq, at_wall, at_mono, type, data, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at_wall, event["at_mono"], type, canonical_text(data), prev_hash, event["hash"]),
        )
        return event

    def events(self, after_seq: int = 0) -> list[dict[str, Any]]:
        """The journal as stored, or only its entries after `after_seq` (for readers that follow
        it). A damaged entry is returned as it reads (text with replacement characters, data that
        no longer parses as `{"unreadable": text}`): its hash then fails, which is how the damage
        is found (core/journal.py `damaged_entries`)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT seq, CAST(at_wall AS BLOB), at_mono, CAST(type AS BLOB), CAST(data AS BLOB), "
                "CAST(prev_hash AS BLOB), CAST(hash AS BLOB) FROM events WHERE seq > ? ORDER BY seq",
                (after_seq,),
            ).fetchall()
        events = []
        for seq, at_wall, at_mono, type_, data, prev_hash, hash_ in rows:
            text = _text(data)
            value = _json_or_unreadable(text)
            events.append(
                {
                    "seq": seq,
                    "at_wall": _text(at_wall),
                    "at_mono": at_mono if isinstance(at_mono, (int, float)) else 0.0,
                    "type": _text(type_),
                    "data": {"unreadable": text[:10_000]} if value is _UNREADABLE else value,
                    "prev_hash": _text(prev_hash),
                    "hash": _text(hash_),
                }
            )
        return events


_UNREADABLE: Any = type("Unreadable", (), {"__repr__": lambda self: "UNREADABLE"})()
UNREADABLE = _UNREADABLE  # the value of an answer whose stored text no longer parses


@dataclass(frozen=True)
class AnswerRow:
    """One stored answer as written: `text` is what the journal's value hash covers."""

    question_id: str
    text: str
    value: Any  # the parsed value, or UNREADABLE
    dont_know: bool
    flagged: bool
    rating: int | None
    revision: int


def _text(raw: Any) -> str:
    """Stored text read as bytes, so that a damaged byte becomes U+FFFD instead of an error."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return "" if raw is None else str(raw)


def _json_or_unreadable(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return _UNREADABLE


def _no_constant(name: str) -> Any:
    raise ValueError(name)


WAL_RESERVE_PAGES = 1000  # SQLite checkpoints at 1000 pages, so the log never needs more


def _reserve_wal(db: Database, path: Path) -> None:
    """Give the write-ahead log its full size now, so that a commit never has to grow the file.

    A commit that grows the log changes the file's size, and syncing that is one more disk write
    and wait per commit. SQLite writes the pages of a transaction larger than its page cache to the
    log before it commits; rolling such a transaction back leaves the log that long (the pages are
    never committed, so neither the data nor a reader ever sees them), and later commits write over
    that space. The log is then synced once, so the space is allocated before the first answer.
    Done on every open, since SQLite deletes the log when the file is closed.
    """
    wal = Path(f"{path}-wal")
    (page_size,) = db.conn.execute("PRAGMA page_size").fetchone()
    wanted = WAL_RESERVE_PAGES * page_size
    if wal.exists() and wal.stat().st_size >= wanted:
        return
    conn = db.conn
    (cache_size,) = conn.execute("PRAGMA cache_size").fetchone()
    conn.execute("PRAGMA cache_size=8")  # a few pages: the rest goes to the log
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE _wal_reserve (space BLOB)")
            conn.execute("INSERT INTO _wal_reserve VALUES (zeroblob(?))", (wanted,))
        finally:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", "") != "SQLITE_FULL":
            raise _write_failure(exc, path) from exc
        return  # a nearly full disk: commits grow the log as they go, as without the reserve
    finally:
        conn.execute(f"PRAGMA cache_size={int(cache_size)}")
    # SQLite holds no lock on the log file itself, so this short-lived descriptor releases none.
    # Only a head start: if the system refuses, the first commit's own sync does the same.
    with contextlib.suppress(OSError):
        fd = os.open(wal, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _empty_file(path: Path) -> bool:
    """An answer file that exists but holds nothing, in the file or its write-ahead log."""
    try:
        if path.stat().st_size:
            return False
    except FileNotFoundError:
        return False
    wal = Path(f"{path}-wal")
    return not (wal.exists() and wal.stat().st_size)


class _ReadOnly(sqlite3.OperationalError):
    sqlite_errorname = "SQLITE_READONLY"


def _read_only(path: Path) -> bool:
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        pass
    return not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)


def _remove_if_new(new: bool, path: Path) -> None:
    """A file this open created and could not finish making is removed (it holds nothing): left,
    it would be an empty file that the next launch must call damaged."""
    if not new:
        return
    for made in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            made.unlink(missing_ok=True)


def _check_integrity(db: Database, path: Path) -> None:
    try:
        result = db.conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "")
        if name.startswith("SQLITE_CANTOPEN") or name.startswith("SQLITE_READONLY"):
            # The log beside the file cannot be created: a read-only file, folder or disk.
            raise _open_failure(_ReadOnly() if _read_only(path) else exc, path) from exc
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            raise StoreInUse(
                f"The answer file {path} is in use by another program (is the exam already open "
                "in another window?). Close it and try again.",
                path,
            ) from exc
        raise _corrupt(path, str(exc)) from exc
    if result != [("ok",)]:
        raise _corrupt(path, "; ".join(str(r[0]) for r in result[:3]))


def _corrupt(path: Path, detail: str) -> CorruptStoreError:
    return CorruptStoreError(
        f"The answer file {path} is damaged ({detail}). Do not delete it and do not start over: "
        f"call the invigilator, who can save the answers with `exam-desktop recover {path}`.",
        path,
    )


def _migrate(db: Database, path: Path) -> None:
    tables = set(db.table_names())
    if tables and Migrations.migrations_table not in tables:
        raise NotAnAnswerFile(f"{path} is a database, but not an exam answer file. Check the path.", path)
    known = set(SCHEMA_STEPS)
    unknown = [m.name for m in MIGRATIONS.applied(db) if m.name not in known]
    if unknown:
        raise SchemaTooNew(
            f"The answer file {path} was written by a newer version of exam-desktop "
            f"(unknown schema steps: {', '.join(unknown)}). Open it with that version or a newer one.",
            path,
        )
    try:
        MIGRATIONS.apply(db)
    except sqlite3.Error as exc:
        raise _write_failure(exc, path) from exc
