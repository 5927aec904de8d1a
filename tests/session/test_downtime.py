"""How long a session was interrupted: the boot clock within one boot, the wall clock only after a
restart — and the sentence says which. The time given back after a kill stays within a heartbeat."""

from __future__ import annotations

import pytest
from sessiontools import PIN, FakeTime, build, settings

from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.session import HEARTBEAT_S, HEARTBEAT_SLACK_S, ExamSession, InvigilatorNeeded

CANDIDATE = {"name": "Ada Lovelace", "student_id": "S-1815"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("package"))


class BootClock:
    def __init__(self, boot_id: str = "boot-1", seconds: float = 500.0):
        self.boot_id, self.seconds = boot_id, seconds

    def __call__(self) -> tuple[str, float]:
        return self.boot_id, self.seconds


def crashed_session(built, data_dir, clock: FakeTime, boot: BootClock) -> None:
    session = ExamSession(settings(built, data_dir, clock, boot=boot))
    session.preflight()
    session.identify(CANDIDATE)
    session.unlock(built.start_code)
    session.enter_kiosk()
    session.run()
    clock.advance(60)
    session.heartbeat()
    session.store.close()  # killed: no goodbye


def relaunched(built, data_dir, clock, boot) -> ExamSession:
    session = ExamSession(settings(built, data_dir, clock, boot=boot))
    session.preflight()
    session.identify()
    session.unlock(built.start_code)
    session.enter_kiosk()
    return session


def test_a_clock_corrected_after_a_crash_does_not_count_as_downtime(built, tmp_path):
    clock, boot = FakeTime(), BootClock()
    crashed_session(built, tmp_path, clock, boot)
    clock.move_wall(3600)  # the clock was an hour behind; the network time fixed it meanwhile
    boot.seconds += 60  # one real minute passed
    session = relaunched(built, tmp_path, clock, boot)
    assert session.plan.downtime_measured_by == "boot"
    assert session.plan.downtime_s == pytest.approx(60)
    assert not session.needs_invigilator
    session.run()


def test_after_a_restart_the_wall_clock_is_named_as_the_only_witness(built, tmp_path):
    clock, boot = FakeTime(), BootClock()
    crashed_session(built, tmp_path, clock, boot)
    clock.move_wall(61 * 60)
    restarted = BootClock("boot-2", 30.0)
    session = relaunched(built, tmp_path, clock, restarted)
    assert session.plan.downtime_measured_by == "wall"
    with pytest.raises(InvigilatorNeeded) as caught:
        session.run()
    text = str(caught.value)
    assert "By this computer's clock, this exam was interrupted for about 61 minutes" in text
    assert "if the clock was set or corrected meanwhile, the real interruption differs" in text
    session.continue_after_downtime(PIN, "RI", "restart")
    session.run()


def test_a_long_real_interruption_in_one_boot_still_needs_the_invigilator(built, tmp_path):
    clock, boot = FakeTime(), BootClock()
    crashed_session(built, tmp_path, clock, boot)
    boot.seconds += 20 * 60
    session = relaunched(built, tmp_path, clock, boot)
    with pytest.raises(InvigilatorNeeded, match=r"^This exam was interrupted for 20 minutes"):
        session.run()


def test_a_tick_a_little_early_still_persists_the_time(built, tmp_path):
    """The kiosk ticks every 0.9 s; a tick 0.86 s after the last save must save again."""
    clock = FakeTime()
    session = ExamSession(settings(built, tmp_path, clock))
    session.preflight()
    session.identify(CANDIDATE)
    session.unlock(built.start_code)
    session.enter_kiosk()
    session.run()
    for _ in range(20):
        clock.advance(HEARTBEAT_S - HEARTBEAT_SLACK_S + 0.01)  # a tick slightly early
        session.heartbeat()
        persisted = session.store.get_meta(Meta.HEARTBEAT)["elapsed_s"]
        assert persisted == pytest.approx(session.clock.elapsed())  # saved at this very tick
    session.close()
