"""SIGKILL rounds against the scripted candidate; used by the test suite and bench/stress_kill.py."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exam_desktop.core.journal import verify_chain
from exam_desktop.core.seat.session import ExamSession, LaunchSettings

SCRIPT = Path(__file__).with_name("scripted_candidate.py")


@dataclass
class KillReport:
    rounds: int = 0
    answers_acknowledged: int = 0
    worst_time_error_s: float = 0.0
    problems: list[str] = field(default_factory=list)


def kill_rounds(package: Path, data_dir: Path, start_code: str, rounds: int, seed: int = 0) -> KillReport:
    """Launch, let the candidate answer a random while, SIGKILL, check what a relaunch finds."""
    rng = random.Random(seed)
    acknowledged: dict[str, tuple[int, Any]] = {}
    truth = 0.0
    report = KillReport()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for round_number in range(rounds):
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(package), str(data_dir), start_code, f"{seed}-{round_number}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert process.stdout is not None
        lines = []
        for _ in range(rng.randint(0, 60)):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
        process.send_signal(signal.SIGKILL)
        # Through the same file objects: readline() may have buffered more than it returned,
        # which communicate() (reading the raw pipes) would lose.
        rest = process.stdout.read()
        errors = process.stderr.read() if process.stderr else ""
        process.wait()
        process.stdout.close()
        if process.stderr:
            process.stderr.close()
        if process.returncode != -signal.SIGKILL:
            report.problems.append(f"round {round_number}: exited {process.returncode}: {errors[-2000:]}")
            continue
        for line in lines + rest.splitlines(keepends=True):
            if not line.endswith("\n"):
                continue  # cut off by the kill: never shown as saved
            word, *parts = line.split(" ", 3)
            if word == "t":
                truth = float(parts[0])
            elif word == "saved":
                question_id, revision, value = parts
                acknowledged[question_id] = (int(revision), json.loads(value))
        report.answers_acknowledged = sum(r for r, _ in acknowledged.values())
        _check_relaunch(package, data_dir, acknowledged, truth, round_number, report)
        report.rounds += 1
    return report


def _check_relaunch(
    package: Path,
    data_dir: Path,
    acknowledged: dict[str, tuple[int, Any]],
    truth: float,
    round_number: int,
    report: KillReport,
) -> None:
    session = ExamSession(LaunchSettings(package=package, data_dir=data_dir))
    try:
        if session.plan is None:
            if acknowledged or truth:
                report.problems.append(f"round {round_number}: the session was not found")
            return
        stored = session.store.responses()
        for question_id, (revision, value) in acknowledged.items():
            have = session.store.revision(question_id)
            if have < revision or (have == revision and stored[question_id].value != value):
                report.problems.append(
                    f"round {round_number}: {question_id} revision {revision} was acknowledged, "
                    f"the file has revision {have}"
                )
        total = session.plan.duration_s + session.plan.extension_s
        error = abs(session.plan.remaining_s - (total - truth))
        report.worst_time_error_s = max(report.worst_time_error_s, error)
        if error > 2.0:
            report.problems.append(
                f"round {round_number}: {session.plan.remaining_s:.1f} s left after relaunch, "
                f"the truth is {total - truth:.1f} s"
            )
        verify_chain(session.store.events())
    finally:
        session.close()
