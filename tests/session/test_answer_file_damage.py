"""Damage SQLite's checks cannot see, injected for real: a byte flipped in the journal on disk, in a
stored answer, in a session fact; empty, foreign and unrecoverable files. The seat finds it before
the exam resumes, the invigilator is told, the bundle carries it, and the grader imports it marked
with every intact answer graded."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sessiontools import PIN, FakeTime, build, settings

from exam_desktop.cli import main
from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.bundle import read_bundle
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.resume import SessionDamaged, recover_session
from exam_desktop.core.seat.session import ExamSession, InvigilatorNeeded
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.importer import import_bundles, load_grader_key

CANDIDATE = {"name": "Ada Lovelace", "student_id": "S-1815"}
MARKER = "marker-7Q4Z"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("package"))


@pytest.fixture
def clock():
    return FakeTime()


def texts(built):
    """The single-choice questions: their answers are short texts (choice ids)."""
    return [q for q in built.exam.questions if q.kind == "single"]


def sat_exam(built, data_dir: Path, clock: FakeTime) -> ExamSession:
    """A candidate answers three text questions and the app is closed (as by a crash)."""
    session = ExamSession(settings(built, data_dir, clock))
    session.preflight()
    session.identify(CANDIDATE)
    session.unlock(built.start_code)
    session.enter_kiosk()
    session.run()
    for n, question in enumerate(texts(built)[:3]):
        session.save_answer(Response(question.id, question.answer.choices[n].id))
        clock.advance(30)
        session.heartbeat()
    session.journal("navigated", {"to": MARKER})
    session.close()  # SQLite checkpoints the log into the file
    return session


def flip_in_file(path: Path, needle: bytes) -> None:
    data = bytearray(path.read_bytes())
    assert data.count(needle) == 1, needle
    at = data.index(needle)
    data[at] ^= 0x20  # "m" -> "M": same length, still valid text, the page checksum-free
    path.write_bytes(bytes(data))


def flip_in_row(path: Path, table: str, key_column: str, key: str, at: int | None = None) -> None:
    """One byte of one stored value changed (the tables without an append-only trigger); the
    middle one by default."""
    conn = sqlite3.connect(path)
    (value,) = conn.execute(f"SELECT value FROM {table} WHERE {key_column} = ?", (key,)).fetchone()
    raw = bytearray(value.encode())
    raw[len(raw) // 2 if at is None else at] ^= 0x01
    conn.execute(f"UPDATE {table} SET value = ? WHERE {key_column} = ?", (raw.decode("latin-1"), key))
    conn.commit()
    conn.close()


def relaunched(built, data_dir, clock) -> ExamSession:
    session = ExamSession(settings(built, data_dir, clock))
    session.preflight()
    session.identify()
    session.unlock(built.start_code)
    session.enter_kiosk()
    return session


def install_office(built) -> None:
    data = Path(os.environ["EXAM_DESKTOP_DATA"])
    data.mkdir(parents=True, exist_ok=True)
    (data / "office-public.pem").write_bytes(
        built.office_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def graded(built, bundle_path: Path, tmp_path: Path):
    install_office(built)
    from exam_desktop import paths
    from exam_desktop.core.sealed.keys import trusted_office_key

    key, key_sha = load_grader_key(built.key_file, trusted_office_key(paths.data_dir()))
    db = GraderDB.open(tmp_path / "grader.db")
    try:
        (result,) = import_bundles(db, key, key_sha, [bundle_path])
        scores = db.execute("SELECT question_id FROM scores").fetchall()
        return result, {row[0] for row in scores}
    finally:
        db.close()


def test_a_flipped_journal_byte_is_found_before_resume_and_imports_marked(built, tmp_path, clock, capsys):
    sat = sat_exam(built, tmp_path / "data", clock)
    flip_in_file(sat.path, MARKER.encode())
    assert AnswerStore.open(sat.path).close() is None  # SQLite's own checks see nothing

    session = relaunched(built, tmp_path / "data", clock)
    assert session.damage.journal_entries and not session.damage.unconfirmed_answers
    assert session.needs_invigilator
    with pytest.raises(InvigilatorNeeded, match=r"journal entry do not verify|journal entries do not"):
        session.run()
    session.continue_after_downtime(PIN, "R. Invigilator", "journal damage seen, continuing")
    session.run()
    written = session.submit()
    assert written.receipt

    bundle = read_bundle(
        written.local_path,
        exam_id=built.exam.id,
        package_hash=session.package_hash,
        binding_key=session.opened.binding_key,
    )
    assert bundle.damage["journal_entries"] == session.damage.journal_entries
    acknowledged = [e for e in bundle.events if e["type"] == "answer_file_damage_acknowledged"]
    assert acknowledged and acknowledged[0]["data"]["who"] == "R. Invigilator"
    assert main(["verify", str(written.local_path)]) == 0
    assert "marked: the seat found its answer file damaged" in capsys.readouterr().out
    result, scored = graded(built, written.local_path, tmp_path)
    assert result.outcome == "imported" and result.reason.startswith("marked:")
    assert {q.id for q in texts(built)[:3]} <= scored  # every intact answer graded


def test_a_changed_answer_is_not_confirmed_by_the_journal(built, tmp_path, clock):
    sat = sat_exam(built, tmp_path / "data", clock)
    question = texts(built)[1]
    flip_in_row(sat.path, "responses", "question_id", question.id)

    session = relaunched(built, tmp_path / "data", clock)
    assert session.damage.unconfirmed_answers == [question.id]
    session.continue_after_downtime(PIN, "RI", "answer changed on disk")
    session.run()
    bundle = read_bundle(session.submit().local_path)
    assert bundle.damage["answers"] == [question.id]
    assert question.id in bundle.responses  # graded, and marked for a person to check


def test_an_unreadable_answer_is_lost_alone_and_the_candidate_can_answer_again(built, tmp_path, clock):
    sat = sat_exam(built, tmp_path / "data", clock)
    question = texts(built)[0]
    conn = sqlite3.connect(sat.path)
    conn.execute("UPDATE responses SET value = substr(value, 1, 2) WHERE question_id = ?", (question.id,))
    conn.commit()
    conn.close()

    session = relaunched(built, tmp_path / "data", clock)
    assert session.damage.unreadable_answers == [question.id]
    assert question.id not in session.store.responses()
    session.continue_after_downtime(PIN, "RI", "one answer unreadable")
    session.run()
    session.save_answer(Response(question.id, question.answer.choices[1].id))
    bundle = read_bundle(session.submit().local_path)
    assert bundle.responses[question.id].value == question.answer.choices[1].id
    assert question.id not in (bundle.damage or {}).get("answers", [])


def test_the_same_damage_is_asked_about_once(built, tmp_path, clock):
    sat = sat_exam(built, tmp_path / "data", clock)
    flip_in_file(sat.path, MARKER.encode())
    first = relaunched(built, tmp_path / "data", clock)
    first.continue_after_downtime(PIN, "RI", "seen")
    first.run()
    first.close()
    second = relaunched(built, tmp_path / "data", clock)
    assert second.damage and not second.needs_invigilator
    second.close()


def test_a_damaged_session_fact_goes_to_recovery_not_a_traceback(built, tmp_path, clock, capsys):
    sat = sat_exam(built, tmp_path / "data", clock)
    flip_in_row(sat.path, "meta", "key", "clock", at=0)
    with pytest.raises(SessionDamaged, match="clock"):
        ExamSession(settings(built, tmp_path / "data", clock))

    recovery = recover_session(sat.path)
    assert recovery.lost_facts == ["clock"] and not recovery.complete
    assert any("the time used so far" in line for line in recovery.lines())
    session = relaunched(built, tmp_path / "data", clock)
    assert session.damage.facts == ["clock"] and session.needs_invigilator
    session.continue_after_downtime(PIN, "RI", "recovered")
    session.run()
    bundle = read_bundle(session.submit().local_path)
    assert bundle.damage["facts"] == ["clock"] and len(bundle.responses) == 3


def test_a_lost_session_identity_is_rebuilt_from_the_journal(built, tmp_path, clock):
    sat = sat_exam(built, tmp_path / "data", clock)
    flip_in_row(sat.path, "meta", "key", "session", at=0)
    recovery = recover_session(sat.path)
    assert recovery.rebuilt_facts == ["session"] and recovery.resumable
    session = relaunched(built, tmp_path / "data", clock)
    assert session.candidate == CANDIDATE
    session.continue_after_downtime(PIN, "RI", "identity rebuilt")
    session.run()
    assert read_bundle(session.submit().local_path).candidate == CANDIDATE


def test_a_zero_length_answer_file_is_damage_and_recovery_refuses_it(built, tmp_path, clock, capsys):
    sat = sat_exam(built, tmp_path / "data", clock)
    sat.path.write_bytes(b"")
    with pytest.raises(SessionDamaged, match="empty"):
        ExamSession(settings(built, tmp_path / "data", clock))
    assert main(["recover", str(sat.path)]) == 1
    assert "is empty (0 bytes): there is nothing to recover" in capsys.readouterr().err
    with pytest.raises(SessionDamaged, match="Nothing was changed"):
        recover_session(sat.path)
    assert sat.path.exists() and sat.path.stat().st_size == 0


def test_recover_refuses_a_foreign_database(tmp_path, capsys):
    foreign = tmp_path / "photos.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE photos (id INTEGER, path TEXT)")
    conn.commit()
    conn.close()
    assert main(["recover", str(foreign)]) == 1
    err = capsys.readouterr().err
    assert "not an exam answer file" in err and "nothing was recovered" in err
    assert not foreign.with_name("photos.recovered.db").exists()


def test_recover_of_a_still_broken_file_says_it_cannot_resume(built, tmp_path, clock, capsys):
    sat = sat_exam(built, tmp_path / "data", clock)
    conn = sqlite3.connect(sat.path)
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DELETE FROM events")  # the journal gone too: nothing to rebuild the identity from
    conn.commit()
    conn.close()
    flip_in_row(sat.path, "meta", "key", "session", at=0)
    assert main(["recover", str(sat.path), "-o", str(tmp_path / "out.db")]) == 3
    out = capsys.readouterr().out
    assert "INCOMPLETE" in out and "whose session it is (session)" in out and "cannot be resumed" in out
    with pytest.raises(SessionDamaged, match="cannot be resumed"):
        recover_session(sat.path)


def test_without_damage_nothing_asks_for_the_invigilator(built, tmp_path, clock):
    sat_exam(built, tmp_path / "data", clock)
    session = relaunched(built, tmp_path / "data", clock)
    assert not session.damage and not session.needs_invigilator
    session.run()
    assert read_bundle(session.submit().local_path).damage is None
    assert load_key_file(built.key_file).exam.id == built.exam.id


def test_a_template_blank_on_the_seat_is_as_wide_whatever_its_key(tmp_path):
    from exam_desktop.core.bank import parse_bank
    from exam_desktop.core.page.question_data import template_parts

    def widths(key: str) -> list[int]:
        bank = (
            "---\nid: w\ntitle: W\nduration: 10m\n---\n\n## Shape {#shape template}\nFill in.\n\n"
            "```template\nout [[shape]] and [[free]]\n```\n\n"
            f"blank shape: {key}\nblank free: manual\n"
        )
        exam = parse_bank(bank, "w.md").candidate_copy()
        template = exam.questions[0].answer
        return [p["width"] for p in template_parts(template) if "blank" in p]

    assert widths("ab") == widths("(None, 128, 256, 16) with a very long accepted answer")
