"""The answer file keeps every saved answer: across restarts, crashes, full disks and old versions."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from exam_desktop.core.errors import KnownError
from exam_desktop.core.journal import verify_chain
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.answer_file import SCHEMA_STEPS, AnswerStore
from exam_desktop.core.seat.recovery import recover_answers
from exam_desktop.core.seat.storage_errors import (
    CorruptStoreError,
    NotAnAnswerFile,
    SchemaTooNew,
    StorageWriteError,
    StoreInUse,
)

DATA = Path(__file__).resolve().parent / "data"

ANSWERS = [
    Response("single", "b", flagged=True),
    Response("multiple", ["a", "c"]),
    Response("truefalse", False, rating=4),
    Response("numeric", "3,5"),
    Response("matrix", [["1", "-2"], ["", "0.5"]]),
    Response("template", {"loss": "cross_entropy", "opt": "adam"}),
    Response("short", "ReLU"),
    Response("essay", "Batch norm — “normalises” activations. È utile.\nSecond line."),
    Response("unsure", None, dont_know=True),
]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "session" / "answers.db"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_every_kind_of_answer_reads_back_after_reopening(store_path):
    with AnswerStore.open(store_path) as store:
        for response in ANSWERS:
            store.save_response(response)
    with AnswerStore.open(store_path) as store:
        assert store.responses() == {r.question_id: r for r in ANSWERS}


def test_a_changed_answer_replaces_the_old_one_and_counts_revisions(store_path):
    with AnswerStore.open(store_path) as store:
        assert store.save_response(Response("q1", "a")) == 1
        assert store.save_response(Response("q1", "b")) == 2
        assert store.save_response(Response("q1", None)) == 3
        assert store.responses() == {"q1": Response("q1", None)}
        assert store.revision("q1") == 3 and store.revision("never") == 0


def test_saves_are_durable_wal_with_full_sync(store_path):
    with AnswerStore.open(store_path) as store:
        store.save_response(Response("q1", "a"))
        conn = store._db.conn
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_commits_write_into_the_reserved_log_and_a_crash_keeps_them(store_path):
    """The log is given its full size at open, commits never grow it, and a crash loses nothing."""
    code = f"""
        import os
        from exam_desktop.core.seat.answer_file import AnswerStore
        from exam_desktop.core.responses import Response
        path = {str(store_path)!r}
        store = AnswerStore.open(path)
        reserved = os.path.getsize(path + "-wal")
        for i in range(300):
            store.save_response(Response(f"q{{i % 40}}", f"answer {{i}}"))
        print(reserved, os.path.getsize(path + "-wal"))
        os._exit(0)  # like a crash: no close, no checkpoint
    """
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    reserved, after = map(int, result.stdout.split())
    assert reserved >= 1000 * 4096 and after == reserved
    with AnswerStore.open(store_path) as store:
        saved = store.responses()
        assert {qid: r.value for qid, r in saved.items()} == {
            f"q{i % 40}": f"answer {i}" for i in range(260, 300)
        }
        assert store.revision("q0") == 8
        events = store.events()
        assert len(events) == 300
        verify_chain(events)
        tables = {r[0] for r in store._db.conn.execute("SELECT name FROM sqlite_master")}
        assert not any("reserve" in name for name in tables)  # the reserve never reached the file


def test_meta_holds_json_values(store_path):
    with AnswerStore.open(store_path) as store:
        assert store.get_meta("candidate") is None
        assert store.get_meta("candidate", {}) == {}
        store.set_meta("candidate", {"name": "Ada Lovelace", "seat": 12})
        store.set_meta("elapsed_s", 61.5)
        store.set_meta("elapsed_s", 62.5)
    with AnswerStore.open(store_path) as store:
        assert store.get_meta("candidate") == {"name": "Ada Lovelace", "seat": 12}
        assert store.get_meta("elapsed_s") == 62.5


@pytest.mark.slow
def test_a_killed_process_loses_no_acknowledged_answer(store_path):
    """SIGKILL at random moments while a scripted candidate answers, 20 rounds on the same file:
    every answer reported saved is there and the journal still verifies."""
    code = f"""
        import sys
        from exam_desktop.core.seat.answer_file import AnswerStore
        from exam_desktop.core.responses import Response
        store = AnswerStore.open({str(store_path)!r})
        round_ = sys.argv[1]
        for i in range(100000):
            store.save_response(Response(f"q{{i % 7}}", f"{{round_}} {{i}}"))
            print(i, flush=True)
    """
    rng = random.Random(20)
    for round_ in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), str(round_)],
            stdout=subprocess.PIPE,
            text=True,
        )
        kill_after = rng.randint(7, 60)
        acknowledged = -1
        for line in child.stdout:
            acknowledged = int(line)
            if acknowledged >= kill_after:
                break
        child.send_signal(signal.SIGKILL)  # the child keeps writing until the signal lands
        child.wait()
        child.stdout.close()
        with AnswerStore.open(store_path) as store:
            saved = store.responses()
            verify_chain(store.events())
        for i in range(acknowledged - 6, acknowledged + 1):
            # the last acknowledged save of each question, or a later one not yet reported
            saved_round, saved_i = map(int, saved[f"q{i % 7}"].value.split())
            assert saved_round == round_ and saved_i >= i


def test_a_full_disk_fails_the_save_with_a_sentence_and_keeps_earlier_answers(store_path):
    with AnswerStore.open(store_path) as store:
        store.save_response(Response("q1", "kept"))
        conn = store._db.conn
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL

        with pytest.raises(StorageWriteError) as caught:
            store.save_response(Response("q2", "x" * 200_000))
        assert isinstance(caught.value, KnownError)
        assert "disk is full" in str(caught.value) and "saved before is safe" in str(caught.value)
        assert store.responses() == {"q1": Response("q1", "kept")}

        conn.execute("PRAGMA max_page_count = 1000000")  # space freed: the retry succeeds
        store.save_response(Response("q2", "x" * 200_000))
        assert store.responses()["q2"].value == "x" * 200_000
        verify_chain(store.events())


def test_an_io_error_fails_the_save_and_the_store_stays_usable(store_path):
    """A file-size limit makes the disk refuse writes (SQLITE_IOERR), as a failing disk would."""
    result = run_python(
        f"""
        import os, resource, signal
        from exam_desktop.core.seat.answer_file import AnswerStore
        from exam_desktop.core.seat.storage_errors import StorageWriteError
        from exam_desktop.core.responses import Response
        path = {str(store_path)!r}
        store = AnswerStore.open(path)
        store.save_response(Response("q1", "kept"))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = max(os.path.getsize(path), os.path.getsize(path + "-wal")) + 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        try:  # larger than the log's reserved space, so the file must grow
            store.save_response(Response("q2", "y" * 5_000_000))
            print("saved anyway")
        except StorageWriteError as exc:
            print("refused:", exc)
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        store.save_response(Response("q3", "after"))
        print("retry saved")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "refused: Your last change could not be saved: the disk refused to write" in result.stdout
    assert "limit on the file's size" in result.stdout and "tries again" not in result.stdout
    assert "retry saved" in result.stdout
    with AnswerStore.open(store_path) as store:
        assert store.responses() == {"q1": Response("q1", "kept"), "q3": Response("q3", "after")}
        verify_chain(store.events())


def test_a_damaged_header_is_reported_and_the_file_left_alone(store_path):
    with AnswerStore.open(store_path) as store:
        store.save_response(Response("q1", "precious"))
    with store_path.open("r+b") as f:
        f.write(b"\x00garbage" * 8)
    before = store_path.read_bytes()
    with pytest.raises(CorruptStoreError) as caught:
        AnswerStore.open(store_path)
    message = str(caught.value)
    assert "damaged" in message and "invigilator" in message and str(store_path) in message
    assert store_path.read_bytes() == before


def test_damaged_pages_are_reported_not_read_as_an_empty_exam(store_path):
    with AnswerStore.open(store_path) as store:
        for i in range(60):
            store.save_response(Response(f"q{i}", "answer text " * 30))
        store._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = store_path.stat().st_size
    with store_path.open("r+b") as f:
        f.seek(size // 2)
        f.write(b"\xff" * (size // 2))
    with pytest.raises(CorruptStoreError):
        AnswerStore.open(store_path)


def test_a_file_from_a_newer_version_is_refused(store_path):
    with AnswerStore.open(store_path) as store:
        store.save_response(Response("q1", "a"))
        store._db.conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('exam-desktop-answers', '999_from_the_future', '2030-01-01')"
        )
        store._db.conn.commit()
    with pytest.raises(SchemaTooNew, match=r"newer version.*999_from_the_future"):
        AnswerStore.open(store_path)


def test_a_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(NotAnAnswerFile, match="not an exam answer file"):
        AnswerStore.open(path)


def test_an_unwritable_location_is_a_sentence_not_a_traceback(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StorageWriteError, match="cannot be created"):
        AnswerStore.open(blocker / "answers.db")


@pytest.mark.parametrize("name", ["answers-schema-001.db", "answers-schema-002.db"])
def test_answer_files_of_older_schemas_open_with_every_answer(tmp_path, name):
    path = tmp_path / name
    shutil.copy(DATA / name, path)
    with AnswerStore.open(path) as store:
        answers = store.responses()
        assert answers["q-single"] == Response("q-single", "b", flagged=True)
        assert answers["q-numeric"].value == "3,5"
        assert answers["q-essay"].value == "Dropout randomly zeroes activations. È vero."
        assert answers["q-matrix"] == Response("q-matrix", [["1", "0"], ["-2", ""]], dont_know=True)
        assert store.get_meta("candidate") == {"name": "Ada"}
        assert store.revision("q-single") == 1

        assert store.save_response(Response("q-single", "c", rating=5)) == 2
        assert store.responses()["q-single"].rating == 5
        verify_chain(store.events())
    applied = sqlite3.connect(path).execute("SELECT name FROM _sqlite_migrations ORDER BY id")
    assert [row[0] for row in applied] == SCHEMA_STEPS


def test_the_old_journal_survives_migration_and_the_chain_continues(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(DATA / "answers-schema-002.db", path)
    with AnswerStore.open(path) as store:
        store.append_event("resumed", {"downtime_s": 12})
        events = store.events()
    assert [e["type"] for e in events] == ["timer_started", "navigated", "resumed"]
    verify_chain(events)


def test_the_invigilator_recovers_every_answer_from_a_file_with_a_destroyed_header(store_path):
    with AnswerStore.open(store_path) as store:
        for response in ANSWERS:
            store.save_response(response)
        store.set_meta("candidate", {"name": "Ada"})
        store.append_event("navigated", {"to": "essay"})
    with store_path.open("r+b") as f:
        f.write(b"\x00" * 100)
    damaged_bytes = store_path.read_bytes()
    with pytest.raises(CorruptStoreError, match="exam-desktop recover"):
        AnswerStore.open(store_path)

    recovery = recover_answers(store_path)
    assert recovery.complete and recovery.responses == len(ANSWERS)
    assert store_path.read_bytes() == damaged_bytes  # the evidence is left as it was
    with AnswerStore.open(recovery.path) as store:
        assert store.responses() == {r.question_id: r for r in ANSWERS}
        assert store.get_meta("candidate") == {"name": "Ada"}
        events = store.events()
    verify_chain(events)
    assert events[-2]["type"] == "navigated"
    assert events[-1]["type"] == "recovered" and events[-1]["data"]["journal_intact"] is True


def test_recovery_after_a_crash_reads_answers_still_in_the_write_ahead_log(store_path):
    """The app died (no checkpoint), then the header was damaged: the -wal file is used too."""
    code = f"""
        import os
        from exam_desktop.core.seat.answer_file import AnswerStore
        from exam_desktop.core.responses import Response
        store = AnswerStore.open({str(store_path)!r})
        for i in range(30):
            store.save_response(Response(f"q{{i}}", f"answer {{i}}"))
        os._exit(0)  # like a crash: no close, no checkpoint
    """
    assert run_python(code).returncode == 0
    with store_path.open("r+b") as f:
        f.write(b"\xff" * 100)
    recovery = recover_answers(store_path, store_path.with_name("saved.db"))
    with AnswerStore.open(recovery.path) as store:
        assert {qid: r.value for qid, r in store.responses().items()} == {
            f"q{i}": f"answer {i}" for i in range(30)
        }


def test_recovery_from_damaged_pages_says_what_may_be_lost(store_path):
    with AnswerStore.open(store_path) as store:
        for i in range(60):
            store.save_response(Response(f"q{i}", f"answer {i} " + "text " * 60))
        store._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with store_path.open("r+b") as f:
        f.seek(store_path.stat().st_size - 3 * 4096)
        f.write(b"\xff" * 4096)

    recovery = recover_answers(store_path)
    assert not recovery.complete and recovery.damaged_tables and recovery.problems
    with AnswerStore.open(recovery.path) as store:
        saved = store.responses()
        assert 0 < len(saved) + len(store.events()) - 1 < 120
        for qid, response in saved.items():  # whatever is recovered is exactly what was saved
            assert response.value.startswith(f"answer {qid[1:]} ")
        assert store.events()[-1]["data"]["journal_intact"] == recovery.journal_intact


def test_recover_never_overwrites_an_existing_file(store_path, tmp_path):
    with AnswerStore.open(store_path) as store:
        store.save_response(Response("q1", "a"))
    existing = tmp_path / "existing.db"
    existing.write_text("keep me")
    with pytest.raises(StorageWriteError, match="already exists"):
        recover_answers(store_path, existing)
    assert existing.read_text() == "keep me"


def test_recover_command_reports_what_it_saved(store_path, capsys):
    from exam_desktop.cli import main

    with AnswerStore.open(store_path) as store:
        store.save_response(Response("q1", "a"))
    with store_path.open("r+b") as f:
        f.write(b"\x00" * 100)
    assert main(["recover", str(store_path), "-o", str(store_path.with_name("new.db"))]) == 0
    out = capsys.readouterr().out
    assert (
        "kept 1 answer, 0 session facts and 1 journal entry" in out
        and "journal chain: intact" in out
        and "complete: nothing was lost" in out
        and "was not changed" in out
    )


def test_a_file_held_by_another_program_is_called_in_use_not_damaged(store_path):
    AnswerStore.open(store_path).close()
    other = sqlite3.connect(store_path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreInUse, match="in use by another program"):
            AnswerStore.open(store_path)
    finally:
        other.close()
    with AnswerStore.open(store_path) as store:
        store.save_response(Response("q1", "a"))
