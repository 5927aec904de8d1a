"""The exam clock: time left counts down on a monotonic clock, with pauses, extensions and resume."""

from __future__ import annotations

import json
import time

import pytest

from exam_desktop.core.seat.timer import ExamClock, WallClockWatch

HOUR_45 = 105 * 60


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def mono() -> FakeMonotonic:
    return FakeMonotonic()


def test_a_new_clock_shows_the_full_time_until_started(mono):
    clock = ExamClock(HOUR_45, monotonic=mono)
    mono.advance(300)
    assert clock.remaining() == HOUR_45 and not clock.running and not clock.expired


def test_time_left_counts_down_while_running(mono):
    clock = ExamClock(HOUR_45, monotonic=mono)
    clock.start()
    mono.advance(61.5)
    assert clock.elapsed() == 61.5
    assert clock.remaining() == HOUR_45 - 61.5
    clock.start()  # starting again does not reset anything
    assert clock.elapsed() == 61.5


def test_pause_stops_the_countdown_and_resume_continues(mono):
    clock = ExamClock(HOUR_45, monotonic=mono)
    clock.start()
    mono.advance(100)
    clock.pause()
    mono.advance(900)  # a fire alarm
    assert clock.remaining() == HOUR_45 - 100 and not clock.running
    clock.pause()
    clock.resume()
    mono.advance(50)
    assert clock.elapsed() == 150


def test_an_extension_adds_time_even_after_expiry(mono):
    clock = ExamClock(600, monotonic=mono)
    clock.start()
    mono.advance(700)
    assert clock.expired and clock.remaining() == 0
    clock.extend(300)
    assert not clock.expired and clock.remaining() == 200
    assert clock.total_s == 900
    clock.extend(-300)
    assert clock.expired


def test_expiry_happens_exactly_at_zero(mono):
    clock = ExamClock(60, monotonic=mono)
    clock.start()
    mono.advance(59.999)
    assert not clock.expired
    mono.advance(0.001)
    assert clock.expired


def test_moving_the_wall_clock_changes_nothing(mono, monkeypatch):
    clock = ExamClock(HOUR_45, monotonic=mono)
    clock.start()
    mono.advance(600)
    before = clock.remaining()
    real_time = time.time
    for jump in (+3600, -3600):
        monkeypatch.setattr(time, "time", lambda jump=jump: real_time() + jump)
        assert clock.remaining() == before
    snapshot = clock.snapshot()
    assert ExamClock.restore(snapshot, monotonic=mono).remaining() == before


def test_the_default_clock_is_monotonic():
    clock = ExamClock(60)
    clock.start()
    assert 0 <= clock.elapsed() < 5


def test_a_snapshot_survives_json_and_a_restart(mono):
    clock = ExamClock(HOUR_45, extension_s=600, monotonic=mono)
    clock.start()
    mono.advance(1234.5)
    saved = json.loads(json.dumps(clock.snapshot()))

    after_reboot = FakeMonotonic(now=5.0)  # monotonic clocks restart at boot
    resumed = ExamClock.restore(saved, monotonic=after_reboot)
    assert resumed.running
    assert resumed.remaining() == HOUR_45 + 600 - 1234.5
    after_reboot.advance(10)
    assert resumed.elapsed() == 1244.5


def test_a_paused_snapshot_restores_paused(mono):
    clock = ExamClock(HOUR_45, elapsed_s=30, monotonic=mono)
    resumed = ExamClock.restore(clock.snapshot(), monotonic=mono)
    mono.advance(100)
    assert not resumed.running and resumed.elapsed() == 30


def test_a_monotonic_clock_going_backwards_never_adds_time(mono):
    clock = ExamClock(600, monotonic=mono)
    clock.start()
    mono.advance(-50)
    assert clock.remaining() == 600


@pytest.mark.parametrize(
    "kwargs", [{"duration_s": 0}, {"duration_s": float("nan")}, {"duration_s": 60, "elapsed_s": -1}]
)
def test_nonsense_durations_are_refused(kwargs):
    with pytest.raises(ValueError):
        ExamClock(**kwargs)


def test_a_malformed_snapshot_is_refused():
    with pytest.raises(ValueError, match="not a clock snapshot"):
        ExamClock.restore({"elapsed_s": 5})


class FakeWall(FakeMonotonic):
    """The computer's date and time, which people (and NTP) can move."""


def test_a_wall_clock_jump_is_noticed_once_and_the_exam_clock_ignores_it(mono):
    wall = FakeWall(now=1_780_000_000.0)
    watch = WallClockWatch(wall=wall, monotonic=mono)
    clock = ExamClock(HOUR_45, monotonic=mono)
    clock.start()

    for _ in range(3):  # time passes normally: nothing to report
        mono.advance(5)
        wall.advance(5)
        assert watch.check() is None

    mono.advance(5)
    wall.advance(5 + 3600)  # someone sets the clock one hour ahead
    assert watch.check() == pytest.approx(3600)
    assert watch.check() is None  # reported once

    mono.advance(5)
    wall.advance(5 - 7200)  # then two hours back: one hour behind the true time
    assert watch.check() == pytest.approx(-7200)
    assert clock.elapsed() == 25 and clock.remaining() == HOUR_45 - 25


def test_small_drift_is_not_a_jump(mono):
    wall = FakeWall(now=1_780_000_000.0)
    watch = WallClockWatch(wall=wall, monotonic=mono, tolerance_s=2)
    mono.advance(60)
    wall.advance(61.5)  # NTP slewing
    assert watch.check() is None
