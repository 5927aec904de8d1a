"""A seat in a fresh process: the real kiosk runs a package to its first question, then reports
what the process loaded, what the page shows and which files exist. Used by test_seat_draws_nothing."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from kiosktools import begin, on_view, press, type_into
from PySide6.QtCore import QEventLoop, QTimer

from exam_desktop.core.sealed.keys import load_public_key
from exam_desktop.core.seat.session import ExamSession, LaunchSettings
from exam_desktop.gui.application import qt_application
from exam_desktop.gui.kiosk import open_kiosk


def main() -> None:
    package, code, public, data = sys.argv[1:5]
    qt_application()
    settings = LaunchSettings(
        package=Path(package),
        data_dir=Path(data),
        office_public_key=load_public_key(Path(public)),
        pin="2468",
    )
    kiosk = open_kiosk(ExamSession(settings), full_screen=False)
    on_view(None, kiosk, "identify")
    for field in kiosk.session.candidate_fields:
        type_into(kiosk, field.id, "Seat Child")
    press(None, kiosk, "continue")
    kiosk.built = SimpleNamespace(start_code=code)
    begin(None, kiosk)
    loop = QEventLoop()
    window = kiosk.exam_window
    assert window is not None and window.has_shown, "the exam did not start"
    result: dict = {}

    def done(value: object) -> None:
        result["page"] = value
        loop.quit()

    # The page's pictures once they have loaded: their URLs and natural widths.
    window.page.runJavaScript(
        "JSON.stringify([...document.images].map(i => [i.getAttribute('src'), i.complete ? i.naturalWidth : -1]))",
        0,
        done,
    )
    QTimer.singleShot(20_000, loop.quit)
    loop.exec()
    while any(width == -1 for _, width in json.loads(result.get("page") or "[]")):
        QTimer.singleShot(50, loop.quit)
        loop.exec()
        window.page.runJavaScript(
            "JSON.stringify([...document.images].map(i => [i.getAttribute('src'), i.complete ? i.naturalWidth : -1]))",
            0,
            done,
        )
        loop.exec()
    files = sorted(str(p.relative_to(data)) for p in Path(data).rglob("*") if p.is_file())
    cache = Path(os.environ["XDG_CACHE_HOME"])
    cached = (
        sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()) if cache.exists() else []
    )
    print(
        json.dumps(
            {
                "matplotlib": sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")[:3],
                "images": json.loads(result.get("page") or "[]"),
                "files": files,
                "cache": cached,
            }
        )
    )
    kiosk.finished = True
    kiosk.close()


if __name__ == "__main__":
    main()
