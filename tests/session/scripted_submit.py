"""A scripted candidate who answers (with long essays) and submits; used by submittools.py.

Run as `python scripted_submit.py PACKAGE DATA_DIR RESULTS_DIR START_CODE ESSAY_BYTES`. It
drives the real headless session and prints, flushed, one line per fact a candidate would see:
    saved QID REVISION SHA256     an answer acknowledged as saved
    submitting                    the candidate pressed Submit
    receipt CODE                  the receipt shown on screen
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from exam_desktop.core.responses import Response
from exam_desktop.core.seat.session import ExamSession, LaunchSettings

CANDIDATE = {"name": "Scripted Candidate", "student_id": "S-0002"}


def main(package: str, data_dir: str, results_dir: str, start_code: str, essay_bytes: str) -> None:
    settings = LaunchSettings(
        package=Path(package),
        data_dir=Path(data_dir),
        results_dir=Path(results_dir),
        needed_bytes=1024 * 1024,
    )
    session = ExamSession(settings)
    session.preflight()
    session.identify(CANDIDATE)
    session.unlock(start_code)
    session.enter_kiosk()
    session.run()
    assert session.exam is not None
    size = int(essay_bytes)
    for n, question in enumerate(session.exam.questions):
        # Long texts make the bundle large, so that a kill often lands while it is written.
        value = (f"{n} " + "essay text " * (size // 11 + 1))[:size] if n < 2 else f"answer {n}"
        revision = session.save_answer(Response(question.id, value))
        digest = hashlib.sha256(json.dumps(value).encode()).hexdigest()
        print("saved", question.id, revision, digest, flush=True)
    print("submitting", flush=True)
    written = session.submit()
    print("receipt", written.receipt, flush=True)
    session.close()


if __name__ == "__main__":
    main(*sys.argv[1:6])
