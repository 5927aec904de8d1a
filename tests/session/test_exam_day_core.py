"""Exam day in the core, without a screen: the clock under locks and breaks, the roster, new sittings."""

from __future__ import annotations

import pytest
from sessiontools import PIN, FakeTime, build, settings

from exam_desktop.core.errors import KnownError
from exam_desktop.core.sealed.roster import RosterInvalid, parse_roster
from exam_desktop.core.seat.incidents import SessionRules
from exam_desktop.core.seat.session import ExamSession, SessionError

ROSTER = "candidate_id,extra_time,breaks,break_minutes,tools\ns-1912 ,30,2,5,magnifier\n"


def started(built, tmp_path, time, student_id="S-1912", **overrides) -> ExamSession:
    session = ExamSession(settings(built, tmp_path / "seat", time, **overrides))
    session.preflight()
    session.identify({"name": "Alan Turing", "student_id": student_id})
    session.unlock(built.start_code)
    session.enter_kiosk()
    session.run()
    return session


def kinds(session: ExamSession) -> list[str]:
    return [e["type"] for e in session.store.events()]


@pytest.mark.parametrize(
    ("policy", "stops"), [("focus-lost=lock", True), ("focus-lost=lock,lock-clock=run", False)]
)
def test_an_incident_lock_stops_the_clock_unless_the_rules_say_otherwise(tmp_path, policy, stops):
    time = FakeTime()
    session = started(build(tmp_path / "package"), tmp_path, time, rules=SessionRules.parse(policy))
    before = session.clock.remaining()
    assert session.report_incident("focus-lost") == "lock"
    time.advance(120)
    assert session.clock.remaining() == pytest.approx(before if stops else before - 120)
    assert ("clock_stopped" if stops else "clock_kept_running") in kinds(session)
    session.desk.open(PIN)
    session.desk.unlock("A. Invigilator", "false alarm")
    time.advance(60)
    assert session.clock.remaining() == pytest.approx((before if stops else before - 120) - 60)


def test_a_pause_during_a_lock_keeps_the_clock_stopped_until_both_are_over(tmp_path):
    time = FakeTime()
    session = started(
        build(tmp_path / "package"), tmp_path, time, rules=SessionRules.parse("focus-lost=lock")
    )
    session.report_incident("focus-lost")
    session.desk.open(PIN)
    session.desk.pause("A. Invigilator", "fire drill")
    session.desk.resume("A. Invigilator", "drill over")
    assert not session.clock.running, "still locked"
    session.desk.unlock("A. Invigilator", "checked")
    assert session.clock.running


def test_a_roster_profile_gives_extra_time_and_breaks_that_end_by_themselves(tmp_path):
    time = FakeTime()
    built = build(tmp_path / "package", roster=parse_roster(ROSTER))
    session = started(built, tmp_path, time, student_id="S 1912".replace(" ", "-"))
    assert session.clock.total_s == 105 * 60 + 30 * 60, "the ID matches however it is typed"
    assert session.breaks == (2, 5.0) and session.breaks_left == 2
    before = session.clock.remaining()
    session.start_break()
    time.advance(4 * 60)
    assert not session.break_over() and session.clock.remaining() == pytest.approx(before)
    time.advance(61)
    assert session.break_over() and session.clock.running
    assert session.breaks_left == 1
    time.advance(10)
    assert session.clock.remaining() == pytest.approx(before - 10)
    ended = [e["data"] for e in session.store.events() if e["type"] == "break_ended"]
    assert ended[-1]["why"] == "length"
    session.start_break()
    session.end_break()
    with pytest.raises(KnownError, match="No rest breaks are left"):
        session.start_break()


def test_a_candidate_without_a_profile_gets_the_plain_exam(tmp_path):
    built = build(tmp_path / "package", roster=parse_roster(ROSTER))
    session = started(built, tmp_path, FakeTime(), student_id="S-0001")
    assert session.profile is None and session.clock.total_s == 105 * 60 and session.breaks_left == 0
    with pytest.raises(KnownError, match="No rest breaks"):
        session.start_break()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("candidate_id,extra_time\nS-1,lots\n", "roster.csv:2: extra_time 'lots' is neither minutes"),
        (
            "candidate_id,breaks,break_minutes\nS-1,2,\n",
            "roster.csv:2: 2 break(s) but break_minutes is empty",
        ),
        ("candidate_id,extra\nS-1,5\n", "roster.csv:1: the columns must be"),
        ("candidate_id\nS-1\ns-1\n", "roster.csv:3: candidate s-1 is already in the roster"),
    ],
)
def test_a_bad_roster_row_is_refused_at_its_line(text, said):
    with pytest.raises(RosterInvalid) as refused:
        parse_roster(text, "roster.csv")
    assert said in str(refused.value)


def test_the_build_command_signs_the_roster_into_the_package(tmp_path, capsys, monkeypatch):
    from sessiontools import ML_BANK

    from exam_desktop.cli import main
    from exam_desktop.core.sealed.keys import load_public_key
    from exam_desktop.core.sealed.package import open_package

    monkeypatch.setenv("EXAM_DESKTOP_PASSPHRASE", "a long office passphrase")
    assert main(["keys", "init", "--dir", str(tmp_path / "office")]) == 0
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    package = tmp_path / "ml.exam"
    args = [
        "build",
        str(ML_BANK),
        "-o",
        str(package),
        "--key",
        str(tmp_path / "office" / "office-private.pem"),
    ]
    assert main([*args, "--roster", str(tmp_path / "roster.csv")]) == 0
    out = capsys.readouterr().out
    assert "1 candidate profile(s) signed into the package" in out
    code = next(line.strip() for line in out.splitlines() if line.startswith("    ") and line.count("-") == 3)
    opened = open_package(package, code, load_public_key(tmp_path / "office" / "office-public.pem"))
    assert opened.roster["s-1912"].extra_minutes == 30 and opened.roster["s-1912"].tools == ["magnifier"]
    (tmp_path / "bad.csv").write_text("candidate_id,extra_time\nS-1,lots\n", encoding="utf-8")
    assert main([*args, "--force", "--roster", str(tmp_path / "bad.csv")]) == 1
    assert f"{tmp_path / 'bad.csv'}:2:" in capsys.readouterr().err + capsys.readouterr().out


def test_new_sittings_archive_the_previous_session_and_never_overwrite(tmp_path):
    time = FakeTime()
    built = build(tmp_path / "package")
    session = started(built, tmp_path, time)
    with pytest.raises(SessionError, match="not submitted"):
        session.seat_next_candidate()
    session.submit()
    first = session.seat_next_candidate()
    assert not session.path.exists() and (first / session.path.name).exists()
    session.identify({"name": "Grace Hopper", "student_id": "S-1906"})
    session.unlock(built.start_code)
    session.enter_kiosk()
    session.run()
    session.submit()
    second = session.seat_next_candidate()  # the same second of the wall clock: a new folder still
    assert second != first and first.exists() and second.exists()


def test_the_bank_may_keep_the_clock_running_under_a_lock_and_the_journal_says_so(tmp_path):
    import dataclasses

    from sessiontools import ML_BANK

    from exam_desktop.core.bank import load_bank, parse_bank
    from exam_desktop.core.bank.writer import write_bank

    exam = dataclasses.replace(load_bank(ML_BANK), lock_stops_clock=False)
    assert parse_bank(write_bank(exam), "again.md").lock_stops_clock is False
    time = FakeTime()
    session = started(build(tmp_path / "package", exam=exam), tmp_path, time)
    assert session.header.lock_stops_clock is False and session.rules.lock_stops_clock is False
    session.rules = SessionRules(
        actions={**session.rules.actions, "focus-lost": "lock"}, lock_stops_clock=False
    )
    session.report_incident("focus-lost")
    assert session.clock.running and "clock_kept_running" in kinds(session)
