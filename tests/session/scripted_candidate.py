"""A scripted candidate: launches (or resumes) a session headlessly and answers until killed.

Run as `python scripted_candidate.py PACKAGE DATA_DIR START_CODE SEED`. It drives the real core
session and answer file with an injected clock (each step advances it by 0.05–0.5 s; no real
waiting) and prints, flushed, one line per fact a candidate would see:
    t ELAPSED                   the exam clock after this step (the truth, before any save)
    saved QID REVISION JSON     an answer acknowledged as saved (printed after the commit)
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from exam_desktop.core.responses import Response
from exam_desktop.core.seat.session import ExamSession, LaunchSettings

CANDIDATE = {"name": "Scripted Candidate", "student_id": "S-0001"}
KINDS = ("single", "multiple", "truefalse", "numeric", "short", "essay")


def value_for(question, rng: random.Random):
    kind = question.kind
    if kind == "single":
        return rng.choice(question.answer.choices).id
    if kind == "multiple":
        return [c.id for c in question.answer.choices if rng.random() < 0.5]
    if kind == "truefalse":
        return rng.random() < 0.5
    return f"{rng.random():.6f}"


def main(package: str, data_dir: str, start_code: str, seed: str) -> None:
    rng = random.Random(seed)
    mono = [0.0]  # a reboot restarts the monotonic clock; the session must not care
    wall_start = time.time()
    settings = LaunchSettings(
        package=Path(package),
        data_dir=Path(data_dir),
        needed_bytes=1024 * 1024,
        monotonic=lambda: mono[0],
        wall=lambda: wall_start + mono[0],
    )
    session = ExamSession(settings)
    session.preflight()
    session.identify(None if session.resuming else CANDIDATE)
    session.unlock(start_code)
    session.enter_kiosk()
    clock = session.run()
    assert session.exam is not None
    questions = [q for q in session.exam.questions if q.kind in KINDS]
    out = sys.stdout
    while True:
        mono[0] += rng.uniform(0.05, 0.5)
        print("t", repr(clock.elapsed()), file=out, flush=True)
        session.heartbeat()
        question = rng.choice(questions)
        value = value_for(question, rng)
        revision = session.save_answer(Response(question.id, value))
        print("saved", question.id, revision, json.dumps(value), file=out, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
