"""Runs under Xvfb (QT_QPA_PLATFORM=xcb): a kiosk in lockdown, then another X client takes focus.

`python xvfb_focus_child.py PACKAGE DATA_DIR START_CODE` prints `GEOMETRY w h` of the kiosk and
exits 0 once the session journaled the focus loss (1 after 20 s without it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from exam_desktop.core.seat.session import ExamSession, LaunchSettings
from exam_desktop.gui.application import qt_application
from exam_desktop.gui.kiosk import open_kiosk


def main(package: str, data_dir: str, start_code: str) -> int:
    app = qt_application()
    session = ExamSession(
        LaunchSettings(package=Path(package), data_dir=Path(data_dir), needed_bytes=1 << 20)
    )
    kiosk = open_kiosk(session)
    kiosk._identify({"name": "Xvfb Candidate", "student_id": "S-42"})  # what the page would send
    kiosk._unlock(start_code)
    assert kiosk.engaged, kiosk.screens["waiting"].get("error")
    kiosk.activateWindow()
    other: list[subprocess.Popen] = []
    result = {"code": 1}

    def focus_elsewhere() -> None:
        print("GEOMETRY", kiosk.width(), kiosk.height(), flush=True)
        other.append(subprocess.Popen(["xmessage", "-name", "intruder", "another program"]))
        app.processEvents()
        for _ in range(50):
            found = subprocess.run(
                ["xdotool", "search", "--sync", "--limit", "1", "--name", "intruder"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            if found.stdout.strip():
                subprocess.run(["xdotool", "windowfocus", found.stdout.split()[0]], timeout=10)
                return

    def check() -> None:
        events = session.store.events() if session.store else []
        if any(e["type"] == "incident" and e["data"]["kind"] == "focus-lost" for e in events):
            result["code"] = 0
            app.quit()

    from PySide6.QtCore import QTimer

    QTimer.singleShot(500, focus_elsewhere)
    poll = QTimer(interval=100)
    poll.timeout.connect(check)
    poll.start()
    QTimer.singleShot(20_000, app.quit)
    app.exec()
    for process in other:
        process.kill()
    kiosk.finished = True
    kiosk.close()
    return result["code"]


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
