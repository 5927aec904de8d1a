"""SIGKILL during submit and during export-results; used by the test suite and bench/stress_submit.py.

Each submit round seats a new candidate (a fresh data folder) who answers with long essays and
submits; the process is killed with SIGKILL at a random moment of the submit. A relaunch then does
what the kiosk does after a crash at submit (resume, type the code, finish submitting) and the
round checks, for real files:
- lost answers: every answer acknowledged as saved is in the bundle, byte for byte;
- partial files: no temporary file left in the data, local bundles or results folders;
- second bundles: exactly one bundle of the session in the local folder and one in the results
  folder, the same bytes, with the receipt the candidate saw (if the kill came after it).
Export rounds kill `exam-desktop export-results` while it copies and check the same after a rerun.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from exam_desktop.core.sealed.bundle import BUNDLE_SUFFIX, local_bundle_dir, read_bundle
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.session import ExamSession, LaunchSettings, SessionFinished

SCRIPT = Path(__file__).with_name("scripted_submit.py")
REPO = Path(__file__).resolve().parents[2]


@dataclass
class SubmitReport:
    rounds: int = 0
    answers_acknowledged: int = 0
    lost_answers: int = 0
    partial_files: int = 0  # left after the relaunch (must be 0)
    second_bundles: int = 0
    temporary_files_cleaned: int = 0  # left by the kill, removed by the relaunch
    pending_reused: int = 0  # the kill came after the bundle was signed: the same bytes reused
    receipts_shown: int = 0
    export_rounds: int = 0
    problems: list[str] = field(default_factory=list)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def temporary_files(*folders: Path) -> list[Path]:
    return [p for folder in folders if folder.exists() for p in folder.rglob("*.tmp")]


def submit_rounds(
    package: Path, root: Path, start_code: str, rounds: int, *, seed: int = 0, essay_bytes: int = 2_000_000
) -> SubmitReport:
    rng = random.Random(seed)
    report = SubmitReport()
    submit_s = _clean_submit_time(package, root / "calibration", start_code, essay_bytes)
    for number in range(rounds):
        data, results = root / f"seat-{number}", root / f"results-{number}"
        results.mkdir(parents=True)
        process = subprocess.Popen(
            [
                sys.executable,
                str(SCRIPT),
                str(package),
                str(data),
                str(results),
                start_code,
                str(essay_bytes),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        assert process.stdout is not None and process.stderr is not None
        saved: dict[str, str] = {}
        receipt = ""
        for line in process.stdout:
            word, *parts = line.split()
            if word == "saved":
                saved[parts[0]] = parts[2]
            elif word == "submitting":
                time.sleep(rng.uniform(0, submit_s * 1.2))
                process.send_signal(signal.SIGKILL)
                break
        rest = process.stdout.read()
        errors = process.stderr.read()
        process.wait()
        process.stdout.close()
        process.stderr.close()
        for line in rest.splitlines():
            if line.startswith("receipt "):
                receipt = line.split()[1]
                report.receipts_shown += 1
        if process.returncode not in (-signal.SIGKILL, 0):
            report.problems.append(f"round {number}: exited {process.returncode}: {errors[-1500:]}")
            continue
        report.temporary_files_cleaned += len(temporary_files(data, results))
        report.answers_acknowledged += len(saved)
        _relaunch_and_check(package, data, results, start_code, saved, receipt, number, report)
        report.rounds += 1
    return report


def _clean_submit_time(package: Path, root: Path, start_code: str, essay_bytes: int) -> float:
    """How long an uninterrupted submit takes here (kills are spread over that time)."""
    (root / "results").mkdir(parents=True)
    process = subprocess.Popen(
        [
            sys.executable,
            str(SCRIPT),
            str(package),
            str(root / "data"),
            str(root / "results"),
            start_code,
            str(essay_bytes),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert process.stdout is not None
    started = 0.0
    for line in process.stdout:
        if line.startswith("submitting"):
            started = time.perf_counter()
        elif line.startswith("receipt"):
            break
    elapsed = time.perf_counter() - started
    process.wait()
    process.stdout.close()
    return max(elapsed, 0.05)


def _relaunch_and_check(
    package: Path,
    data: Path,
    results: Path,
    start_code: str,
    saved: dict[str, str],
    receipt_shown: str,
    number: int,
    report: SubmitReport,
) -> None:
    settings = LaunchSettings(package=package, data_dir=data, results_dir=results, needed_bytes=1024 * 1024)
    try:
        session = ExamSession(settings)
    except SessionFinished:
        session = None  # the kill came after everything was recorded
    if session is not None:
        try:
            if session.plan is None:  # killed before the candidate was even seated: nothing saved
                if saved:
                    report.problems.append(f"round {number}: the session was not found")
                return
            session.preflight()
            session.identify()
            session.unlock(start_code)
            pending = session.store.get_meta(Meta.PENDING_BUNDLE) if session.store else None
            if isinstance(pending, dict) and "data" in pending:
                report.pending_reused += 1
            session.submit()
        finally:
            session.close()
    report.partial_files += len(temporary_files(data, results))
    local = sorted(local_bundle_dir(data).glob(f"*{BUNDLE_SUFFIX}"))
    shared = sorted(results.glob(f"*{BUNDLE_SUFFIX}"))
    if len(local) != 1 or len(shared) != 1 or local[0].read_bytes() != shared[0].read_bytes():
        report.second_bundles += max(len(local), len(shared), 1) - 1 or 1
        report.problems.append(
            f"round {number}: {len(local)} local and {len(shared)} shared bundles ({[p.name for p in local + shared]})"
        )
        return
    bundle = read_bundle(shared[0])
    if receipt_shown and bundle.receipt != receipt_shown:
        report.second_bundles += 1
        report.problems.append(
            f"round {number}: receipt {receipt_shown} was shown, the bundle is {bundle.receipt}"
        )
    for question_id, digest in saved.items():
        response = bundle.responses.get(question_id)
        have = hashlib.sha256(json.dumps(response.value).encode()).hexdigest() if response else ""
        if have != digest:
            report.lost_answers += 1
            report.problems.append(
                f"round {number}: the acknowledged answer to {question_id} is not in the bundle"
            )


def export_rounds(data: Path, root: Path, rounds: int, *, seed: int = 0) -> SubmitReport:
    """Kill `exam-desktop export-results` while it copies the bundles under `data`; rerun; check."""
    rng = random.Random(seed)
    report = SubmitReport()
    sources = sorted(local_bundle_dir(data).glob(f"*{BUNDLE_SUFFIX}"))
    command = [sys.executable, "-m", "exam_desktop", "export-results", "--data-dir", str(data)]
    started = time.perf_counter()
    subprocess.run(
        [*command, "--to", str(_fresh(root / "calibration"))], env=_env(), capture_output=True, check=True
    )
    export_s = time.perf_counter() - started
    for number in range(rounds):
        target = _fresh(root / f"stick-{number}")
        process = subprocess.Popen(
            [*command, "--to", str(target)], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(rng.uniform(0, export_s))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.stderr is not None
        process.stderr.close()
        report.temporary_files_cleaned += len(temporary_files(target))
        rerun = subprocess.run([*command, "--to", str(target)], env=_env(), capture_output=True, text=True)
        if rerun.returncode != 0:
            report.problems.append(f"export round {number}: the rerun failed: {rerun.stderr[-1000:]}")
        report.partial_files += len(temporary_files(target))
        copied = sorted(target.glob(f"*{BUNDLE_SUFFIX}"))
        if [p.name for p in copied] != [p.name for p in sources]:
            report.second_bundles += abs(len(copied) - len(sources))
            report.problems.append(f"export round {number}: {len(copied)} bundles copied of {len(sources)}")
        for path in copied:
            if path.read_bytes() != (local_bundle_dir(data) / path.name).read_bytes():
                report.problems.append(f"export round {number}: {path.name} differs from its source")
        report.export_rounds += 1
    return report


def _fresh(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return folder
