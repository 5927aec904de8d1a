"""The proctored session, headless: steps, start code back-off, resume, clock jumps, invigilator."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from dataclasses import replace

import pytest
from sessiontools import PIN, FakeTime, build, settings

from exam_desktop.core.journal import JournalBroken, verify_chain
from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.bundle import read_bundle
from exam_desktop.core.sealed.package import PackageOptions, StartCodeRejected
from exam_desktop.core.seat.incidents import RulesInvalid, SessionRules
from exam_desktop.core.seat.invigilator import InvigilatorError, PinRejected
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.resume import SessionDamaged, SessionMismatch, recover_session
from exam_desktop.core.seat.session import (
    ExamSession,
    InvigilatorNeeded,
    SessionError,
    SessionFinished,
    TryAgainLater,
    exam_for_session,
)

CANDIDATE = {"name": "Ada Lovelace", "student_id": "S-1815"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("package"))


@pytest.fixture
def clock():
    return FakeTime()


class RecordingLockdown:
    def __init__(self):
        self.calls: list[str] = []

    def engage(self) -> None:
        self.calls.append("engage")

    def release(self) -> None:
        self.calls.append("release")


def started(built, data_dir, clock, **overrides) -> ExamSession:
    session = ExamSession(settings(built, data_dir, clock, **overrides))
    session.preflight()
    session.identify(CANDIDATE)
    session.unlock(built.start_code)
    session.enter_kiosk()
    session.run()
    return session


def relaunch(built, data_dir, clock, **overrides) -> ExamSession:
    session = ExamSession(settings(built, data_dir, clock, **overrides))
    session.preflight()
    session.identify()
    session.unlock(built.start_code)
    session.enter_kiosk()
    return session


def types(session: ExamSession) -> list[str]:
    assert session.store is not None
    return [e["type"] for e in session.store.events()]


def test_a_whole_session_ends_with_a_verified_bundle(built, tmp_path, clock):
    lockdown = RecordingLockdown()
    session = ExamSession(settings(built, tmp_path / "data", clock, results_dir=tmp_path))
    assert [c.name for c in session.preflight()] == [
        "local-disk",
        "test-write",
        "free-space",
        "clock",
    ]
    assert session.identify(CANDIDATE) == CANDIDATE
    session.unlock(built.start_code)
    session.enter_kiosk(lockdown)
    session.run()
    first = built.exam.questions[0]
    session.save_answer(Response(first.id, first.answer.choices[1].id))
    clock.advance(600)
    written = session.submit()

    bundle = read_bundle(written.path, exam_id=built.exam.id, package_hash=session.package_hash)
    assert bundle.candidate == CANDIDATE
    assert bundle.responses[first.id].value == first.answer.choices[1].id
    # the questions this candidate was given, signed with the rest, for the grader
    assert bundle.session["questions"] == [q.id for q in session.exam.questions]
    assert lockdown.calls == ["engage"]
    assert types(session)[:4] == [
        "session_created",
        "package_unlocked",
        "kiosk_entered",
        "exam_started",
    ]
    assert {"answer_saved", "submitted", "bundle_written"} <= set(types(session))
    verify_chain(session.store.events())
    session.close()
    with pytest.raises(SessionFinished, match="already submitted"):
        ExamSession(settings(built, tmp_path / "data", clock))


def test_identification_needs_every_required_field(built, tmp_path, clock):
    session = ExamSession(settings(built, tmp_path, clock))
    with pytest.raises(SessionError, match="Student ID"):
        session.identify({"name": "Ada"})
    assert session.store is None


def test_wrong_start_codes_wait_longer_and_longer(built, tmp_path, clock):
    session = ExamSession(settings(built, tmp_path, clock))
    session.identify(CANDIDATE)
    wrong = "AAAA-AAAA-AAAA-AAAA"
    waits = []
    for _ in range(2):
        with pytest.raises(StartCodeRejected, match="does not open"):
            session.unlock(wrong)
    for _ in range(3):
        with pytest.raises(TryAgainLater) as refused:
            session.unlock(wrong)
        waits.append(refused.value.wait_s)
        # Even the right code is not tried while the wait runs.
        with pytest.raises(TryAgainLater, match="wait"):
            session.unlock(built.start_code)
        clock.advance(refused.value.wait_s)
    assert waits == [5, 10, 20]
    # Closing the app at the waiting screen and launching it again does not reset the waits.
    session.close()
    session = ExamSession(settings(built, tmp_path, clock))
    with pytest.raises(TryAgainLater) as refused:
        session.unlock(built.start_code)
    assert refused.value.wait_s == 20
    clock.advance(20)
    session.unlock(built.start_code)
    assert session.exam is not None and session.exam.id == built.exam.id
    assert types(session).count("start_code_rejected") == 5


def test_abort_unwinds_the_steps(built, tmp_path, clock):
    lockdown = RecordingLockdown()
    session = ExamSession(settings(built, tmp_path, clock))
    session.preflight()
    session.identify(CANDIDATE)
    session.unlock(built.start_code)
    session.enter_kiosk(lockdown)
    session.abort()
    assert lockdown.calls == ["engage", "release"]
    assert session.exam is None and session.store is None
    assert not session.path.exists(), "a session with no answers leaves nothing behind"


def test_resume_restores_candidate_answers_and_time(built, tmp_path, clock):
    session = started(built, tmp_path, clock)
    question = built.exam.questions[2]
    session.save_answer(Response(question.id, True))
    session.store.set_meta(Meta.POSITION, question.id)
    clock.advance(300.4)
    session.heartbeat()
    # The process dies here: nothing is closed. Two minutes later it is launched again.
    clock.advance(120)
    again = relaunch(built, tmp_path, clock)
    assert again.resuming and again.candidate == CANDIDATE
    assert not again.needs_invigilator
    again.run()
    total = built.exam.duration_minutes * 60
    assert again.clock.remaining() == pytest.approx(total - 300.4, abs=1.0)
    assert again.store.responses()[question.id].value is True
    assert again.store.get_meta(Meta.POSITION) == question.id
    resumed = [e for e in again.store.events() if e["type"] == "resumed"]
    assert resumed and resumed[0]["data"]["downtime_s"] == pytest.approx(120, abs=1)
    verify_chain(again.store.events())


def test_a_long_interruption_needs_the_invigilator(built, tmp_path, clock):
    session = started(built, tmp_path, clock)
    clock.advance(60)
    session.heartbeat()
    clock.advance(20 * 60)  # twenty minutes down, grace is five
    again = relaunch(built, tmp_path, clock)
    assert again.needs_invigilator
    with pytest.raises(InvigilatorNeeded, match="20 minutes"):
        again.run()
    with pytest.raises(PinRejected):
        again.continue_after_downtime("000000", "J. Smith", "power cut")
    again.continue_after_downtime(PIN, "J. Smith", "power cut in room 2")
    again.run()
    total = built.exam.duration_minutes * 60
    assert again.clock.remaining() == pytest.approx(total - 60, abs=1.0)
    actions = [e["data"] for e in again.store.events() if e["type"] == "invigilator"]
    assert actions[-1]["action"] == "continue" and actions[-1]["who"] == "J. Smith"


def test_the_grace_comes_from_the_exam_rules(built, tmp_path, clock):
    rules = SessionRules.parse("grace=30")
    session = started(built, tmp_path, clock, rules=rules)
    session.heartbeat(force=True)
    clock.advance(20 * 60)
    again = relaunch(built, tmp_path, clock)  # no rules given: the saved ones apply
    assert not again.needs_invigilator


@pytest.mark.parametrize("jump", [3600, -3600])
def test_moving_the_wall_clock_changes_nothing_but_is_journaled(built, tmp_path, clock, jump):
    session = started(built, tmp_path, clock)
    total = session.clock.total_s
    clock.advance(10)
    session.heartbeat()
    clock.move_wall(jump)
    clock.advance(5)
    session.heartbeat()
    assert session.clock.remaining() == pytest.approx(total - 15)
    jumps = [
        e["data"]
        for e in session.store.events()
        if e["type"] == "incident" and e["data"]["kind"] == "clock-jump"
    ]
    assert len(jumps) == 1 and jumps[0]["jump_s"] == pytest.approx(jump, abs=1)
    # After a crash the time left still comes from the monotonic count. (No preflight here: a
    # clock set before the package was built, a minute ago, would stop it.)
    again = ExamSession(settings(built, tmp_path, clock))
    again.identify()
    again.unlock(built.start_code)
    again.run()
    assert again.clock.remaining() == pytest.approx(total - 15, abs=1.0)


def test_every_invigilator_action_is_journaled_and_chained(built, tmp_path, clock):
    session = started(built, tmp_path, clock)
    desk = session.desk
    with pytest.raises(InvigilatorError, match="PIN first"):
        desk.extend(600, "J. Smith", "dyslexia plan")
    with pytest.raises(PinRejected):
        desk.open("123")
    desk.open(PIN)
    with pytest.raises(InvigilatorError, match="reason"):
        desk.extend(600, "J. Smith", "  ")
    total = session.clock.total_s
    desk.extend(600, "J. Smith", "dyslexia plan")
    desk.pause("J. Smith", "fire alarm")
    clock.advance(300)
    desk.resume("J. Smith", "back in the room")
    session.report_incident("focus-lost")
    desk.lock("focus-lost")
    desk.unlock("J. Smith", "talked to the candidate")
    desk.permit_quit("J. Smith", "candidate feels ill")
    desk.end("J. Smith", "candidate feels ill")
    assert session.clock.total_s == total + 600
    assert session.clock.elapsed() == pytest.approx(0), "the paused time is not counted"

    events = session.store.events()
    actions = [e["data"]["action"] for e in events if e["type"] == "invigilator"]
    assert actions == ["extend", "pause", "resume", "unlock", "permit-quit", "end"]
    assert all(
        e["data"]["who"] == "J. Smith" and e["data"]["reason"] and e["at_wall"]
        for e in events
        if e["type"] == "invigilator"
    )
    assert "invigilator_pin_rejected" in types(session)
    verify_chain(events)
    for index in range(len(events)):
        altered = [dict(e) for e in events]
        altered[index]["data"] = {**altered[index]["data"], "reason": "nothing happened"}
        with pytest.raises(JournalBroken):
            verify_chain(altered)

    # Altering the file itself (bypassing the append-only guard) is caught as well.
    session.close()
    db = sqlite3.connect(session.path)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET data = replace(data, 'dyslexia plan', 'none') WHERE type = 'invigilator'")
    db.commit()
    db.close()
    again = ExamSession(settings(built, tmp_path, clock))
    with pytest.raises(JournalBroken, match="changed after it was written"):
        verify_chain(again.store.events())


def test_invigilator_state_survives_a_relaunch(built, tmp_path, clock):
    rules = SessionRules.parse("focus-lost=lock")
    session = started(built, tmp_path, clock, rules=rules)
    assert session.report_incident("focus-lost", {"to": "xmessage"}) == "lock"
    assert session.desk.state.locked
    again = relaunch(built, tmp_path, clock)
    assert again.desk.state.locked, "killing the app must not unlock the screen"
    assert again.desk.state.lock_reason == "focus-lost"


def test_incidents_before_identification_are_journaled_after(built, tmp_path, clock):
    session = ExamSession(settings(built, tmp_path, clock))
    assert session.report_incident("focus-lost") == "warn"
    session.identify(CANDIDATE)
    incidents = [e["data"] for e in session.store.events() if e["type"] == "incident"]
    assert incidents == [{"kind": "focus-lost", "action": "warn"}]


def test_rules_are_checked():
    assert SessionRules.parse('{"incidents": {"resized": "lock"}}').action_for("resized") == "lock"
    with pytest.raises(RulesInvalid, match="not an incident kind"):
        SessionRules.parse("alt-tab=lock")
    with pytest.raises(RulesInvalid, match="log, warn or lock"):
        SessionRules.parse("focus-lost=explode")


def test_a_package_of_another_exam_is_refused_when_resuming(built, tmp_path, clock):
    first = started(built, tmp_path, clock)
    first.close()
    other = build(tmp_path / "other", exam=replace(built.exam, id="another-exam"))
    other_path = ExamSession(settings(other, tmp_path, clock)).path
    shutil.copy(first.path, other_path)  # e.g. a data folder copied between machines
    with pytest.raises(SessionMismatch, match="is for exam 'ml-engineers-test'"):
        ExamSession(settings(other, tmp_path, clock))


def test_a_damaged_session_is_never_replaced_by_an_empty_exam(built, tmp_path, clock):
    session = started(built, tmp_path, clock)
    question = built.exam.questions[0]
    session.save_answer(Response(question.id, question.answer.choices[0].id))
    clock.advance(100)
    session.close()
    data = bytearray(session.path.read_bytes())
    data[:16] = b"garbage garbage!"
    session.path.write_bytes(bytes(data))
    with pytest.raises(SessionDamaged, match="--recover"):
        ExamSession(settings(built, tmp_path, clock))
    assert session.path.exists()

    recovery = recover_session(session.path)
    assert recovery.responses == 1
    again = relaunch(built, tmp_path, clock)
    again.run()
    assert again.store.responses()[question.id].value == question.answer.choices[0].id
    assert again.clock.elapsed() == pytest.approx(100, abs=1)


def test_the_pin_is_stored_only_as_a_hash(built, tmp_path, clock):
    session = started(built, tmp_path, clock)
    session.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PIN.encode() not in path.read_bytes(), path


def test_draw_and_shuffle_are_per_candidate(built):
    options = PackageOptions(shuffle_choices=True, draw=5)
    one = exam_for_session(built.exam, options, "session-1")
    assert len(one.questions) == 5
    assert exam_for_session(built.exam, options, "session-1") == one
    others = [exam_for_session(built.exam, options, f"session-{i}") for i in range(2, 8)]
    assert any([q.id for q in o.questions] != [q.id for q in one.questions] for o in others)
    single = next(q for q in built.exam.questions if q.kind == "single")
    orders = {
        tuple(
            c.id
            for c in exam_for_session(built.exam, PackageOptions(True), s).question(single.id).answer.choices
        )
        for s in map(str, range(10))
    }
    assert len(orders) > 1


def test_no_secret_reaches_the_seat_during_a_whole_session(tmp_path, clock):
    """Keys, explanations, rubrics and the PIN: in no byte the session writes on the machine."""
    from test_package import CANARY_BANK, COMMENTS, KEYED

    from exam_desktop.core.bank import parse_bank

    exam = parse_bank(CANARY_BANK, "canary.md")
    exam.question("q-single").answer.choices[0].feedback = "FEEDBACK-CANARY"
    canary = build(tmp_path / "office", exam=exam)
    seat = tmp_path / "seat"
    pin = "PIN-CANARY-3307"  # letters: a run of digits could occur by chance in binary data
    session = ExamSession(settings(canary, seat, clock, results_dir=tmp_path / "results", pin=pin))
    (tmp_path / "results").mkdir()
    session.preflight()
    session.identify({"name": "Ada", "student_id": "S-1"})
    session.unlock(canary.start_code)
    session.enter_kiosk()
    session.run()
    for question in session.exam.questions:
        session.save_answer(Response(question.id, "an answer"))
    session.submit()
    session.close()
    files = [p for p in [*seat.rglob("*"), *(tmp_path / "results").rglob("*")] if p.is_file()]
    assert any(p.suffix == ".bundle" for p in files) and any(p.suffix == ".sqlite" for p in files)
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".bundle":  # a zip: search its members as stored and unpacked
            with zipfile.ZipFile(path) as archive:
                data += b"".join(archive.read(name) for name in archive.namelist())
        for secret in [*KEYED, *COMMENTS, pin]:
            assert secret.encode() not in data, f"{secret} in {path}"


def test_a_crash_between_submit_and_bundle_still_delivers_the_results(built, tmp_path, clock):
    session = started(built, tmp_path / "seat", clock, results_dir=tmp_path)
    question = built.exam.questions[0]
    session.save_answer(Response(question.id, question.answer.choices[2].id))
    session.store.set_meta(Meta.SUBMITTED, {"reason": "time"})  # as the exam window does at zero
    # The process dies before the bundle is written.
    again = ExamSession(settings(built, tmp_path / "seat", clock, results_dir=tmp_path))
    assert again.plan.submitted
    again.identify()
    again.unlock(built.start_code)
    written = again.submit()
    bundle = read_bundle(written.path, exam_id=built.exam.id)
    assert bundle.session["ended_by"] == "time-out"
    assert bundle.responses[question.id].value == question.answer.choices[2].id


def test_a_pause_survives_a_relaunch(built, tmp_path, clock):
    session = started(built, tmp_path, clock)
    clock.advance(120)
    session.desk.open(PIN)
    session.desk.pause("J. Smith", "fire alarm")
    clock.advance(600)  # everyone is outside; the machine is switched off and on again
    again = relaunch(built, tmp_path, clock)
    again.run()
    assert not again.clock.running and again.desk.state.paused
    clock.advance(300)
    assert again.clock.elapsed() == pytest.approx(120)
    again.desk.open(PIN)
    again.desk.resume("J. Smith", "back in the room")
    clock.advance(60)
    assert again.clock.elapsed() == pytest.approx(180)
