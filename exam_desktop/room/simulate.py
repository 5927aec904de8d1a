"""Simulated seats: N headless seats running the real seat code, with scripted candidates.

Each `SimulatedSeat` is a real `ExamSession` (answer file, journal, bundle) in its own data folder,
joined to the room by a real `SeatLink`, and a scripted candidate who identifies, starts with the
code (or waits for the room's start command), answers a question every `answer_every_s` and submits
after `submit_after_s`. `SimulatedRoom.run()` drives every seat from one loop on one thread (the
thread that owns the sessions); each seat's network runs on its own paho thread. For rehearsals,
demos, load tests (bench/bench_room.py) and the room's own tests.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Question
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.session import ExamSession, LaunchSettings
from exam_desktop.room.config import RoomConfig
from exam_desktop.room.seat import Applied, LinkSettings, RoomSeat, SeatLink

log = logging.getLogger(__name__)

ANSWERABLE = ("single", "multiple", "truefalse", "numeric", "short", "essay")


@dataclass
class SimulationSettings:
    package: Path
    code: str
    seats: int
    data_dir: Path
    answer_every_s: float = 20.0
    submit_after_s: float | None = None  # None: when the time is up (or the room ends the exam)
    status_every_s: float = 3.0
    wait_for_start: bool = False  # wait for the room's start command instead of typing the code
    seat_prefix: str = "sim"
    tick_s: float = 0.2
    seed: int = 1


class SimulatedSeat:
    """One headless seat and its scripted candidate (also the `SeatOwner` of its RoomSeat)."""

    def __init__(self, room: RoomConfig, settings: SimulationSettings, index: int):
        self.settings = settings
        self.index = index
        self.name = f"{settings.seat_prefix}-{index:03d}"
        self.rng = random.Random(f"{settings.seed}-{index}")
        self.session = ExamSession(
            LaunchSettings(
                package=settings.package,
                data_dir=settings.data_dir / self.name,
                needed_bytes=1024 * 1024,
            )
        )
        link = SeatLink(
            room,
            self.name,
            self.session.session_key,
            settings=LinkSettings(status_every_s=settings.status_every_s),
        )
        self.seat = RoomSeat(self.session, link, self)
        self.started_at: float | None = None
        self._next_answer = 0.0
        self.applied: list[Applied] = []
        self.answers_saved = 0

    # ---------------------------------------------------------------------------- SeatOwner

    def start_with_code(self, code: str) -> None:
        self.session.unlock(code)
        self.session.enter_kiosk(None)
        self.session.run()
        self.started_at = time.monotonic()
        self._next_answer = self.started_at + self.rng.uniform(0, self.settings.answer_every_s)

    def end_exam(self) -> None:
        self.submit("invigilator")

    def command_applied(self, applied: Applied) -> None:
        self.applied.append(applied)

    # ---------------------------------------------------------------------------- the script

    def begin(self) -> None:
        session = self.session
        session.preflight()
        session.identify(
            None
            if session.resuming
            else {"name": f"Simulated Candidate {self.index}", "student_id": f"SIM-{self.index:04d}"}
        )
        self.seat.start()
        if not self.settings.wait_for_start or session.resuming:
            self.start_with_code(self.settings.code)

    def step(self, now: float) -> None:
        session = self.session
        self.seat.tick()
        clock = session.clock
        if clock is None or self.submitted:
            return
        session.heartbeat()
        if clock.expired:
            self.submit("time")
            return
        after = self.settings.submit_after_s
        if after is not None and self.started_at is not None and now - self.started_at >= after:
            self.submit("candidate")
            return
        desk = session.desk
        if now >= self._next_answer and clock.running and desk is not None and not desk.state.locked:
            self._answer()
            self._next_answer = now + self.settings.answer_every_s * self.rng.uniform(0.5, 1.5)

    def _answer(self) -> None:
        exam = self.session.exam
        assert exam is not None
        questions = [q for q in exam.questions if q.kind in ANSWERABLE]
        if not questions:
            return
        question = self.rng.choice(questions)
        try:
            self.session.save_answer(Response(question.id, answer_for(question, self.rng)))
            self.answers_saved += 1
        except KnownError as exc:
            self.seat.report_error(str(exc))

    def submit(self, reason: str) -> None:
        if self.session.written is not None:
            return
        try:
            self.session.submit(reason)
        except KnownError as exc:
            self.seat.report_error(str(exc))
        self.seat.tick()

    @property
    def submitted(self) -> bool:
        return self.session.written is not None

    @property
    def collected(self) -> bool:
        return self.session.collected_by_room

    def close(self) -> None:
        self.seat.stop()
        self.session.close()


def answer_for(question: Question, rng: random.Random) -> Any:
    kind = question.kind
    answer: Any = question.answer
    if kind == "single":
        return rng.choice(answer.choices).id
    if kind == "multiple":
        return [c.id for c in answer.choices if rng.random() < 0.5]
    if kind == "truefalse":
        return rng.random() < 0.5
    if kind == "numeric":
        return f"{rng.uniform(0, 10):.2f}"
    return f"Simulated answer {rng.random():.6f}"


class SimulatedRoom:
    """N simulated seats, driven from one loop (the sessions' thread)."""

    def __init__(self, room: RoomConfig, settings: SimulationSettings):
        self.room = room
        self.settings = settings
        self.seats: list[SimulatedSeat] = []
        self.stopping = False

    def begin(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        for index in range(1, self.settings.seats + 1):
            seat = SimulatedSeat(self.room, self.settings, index)
            seat.begin()
            self.seats.append(seat)

    def step(self) -> None:
        now = time.monotonic()
        for seat in self.seats:
            seat.step(now)

    def run(
        self,
        *,
        until: Callable[[SimulatedRoom], bool] | None = None,
        collect_wait_s: float = 60.0,
        report: Callable[[str], None] | None = None,
    ) -> None:
        """Step every seat until `until(room)`, or until every seat submitted and was collected
        (or `collect_wait_s` passed after the last submit without collection), or `stop()`."""
        all_submitted_at: float | None = None
        last_report = 0.0
        while not self.stopping:
            self.step()
            now = time.monotonic()
            if until is not None and until(self):
                break
            if all(s.submitted for s in self.seats):
                all_submitted_at = all_submitted_at or now
                if all(s.collected for s in self.seats) or now - all_submitted_at > collect_wait_s:
                    break
            if report is not None and now - last_report >= 10:
                last_report = now
                report(self.summary())
            time.sleep(self.settings.tick_s)
        if report is not None:
            report(self.summary())

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for seat in self.seats:
            state = seat.seat.state()
            counts[state] = counts.get(state, 0) + 1
        online = sum(1 for s in self.seats if s.seat.link.connected)
        collected = sum(1 for s in self.seats if s.collected)
        states = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        return f"{len(self.seats)} seats: {states}; {online} online; {collected} collected"

    def stop(self) -> None:
        self.stopping = True

    def close(self) -> None:
        """Every seat leaves the room (in parallel: a link waiting to reconnect takes a moment),
        then every session is closed here, on the sessions' thread."""
        leaving = [threading.Thread(target=seat.seat.stop, daemon=True) for seat in self.seats]
        for thread in leaving:
            thread.start()
        for thread in leaving:
            thread.join(10)
        for seat in self.seats:
            try:
                seat.session.close()
            except Exception:  # closing one seat must not stop the others
                log.exception("closing %s failed", seat.name)


def simulate_command(
    room_folder: Path, package: Path, start_code: str, seats: int, **flags: object
) -> list[str]:
    """The `exam-desktop room simulate` command line, for seats run by another process (the room
    demo, the benches): `flags` by name, e.g. answer_every=10 for `--answer-every 10`."""
    command = [sys.executable, "-m", "exam_desktop", "room", "simulate", str(room_folder), str(package)]
    command += ["--code", start_code, "--seats", str(seats)]
    for name, value in flags.items():
        command += ["--" + name.replace("_", "-"), str(value)]
    return command
