"""The QApplication for the app's windows, created once, after the ``exam:`` scheme is registered."""

from __future__ import annotations

import os
import sys

from PySide6.QtWidgets import QApplication

from exam_desktop.core.errors import KnownError
from exam_desktop.gui import webview  # registers the exam: scheme before any QApplication exists


def qt_application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one set up for QtWebEngine."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # No dev tools: remote debugging would open the exam page to any local browser.
    os.environ.pop("QTWEBENGINE_REMOTE_DEBUGGING", None)
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "remote-debugging" in flags:
        kept = [f for f in flags.split() if "remote-debugging" not in f]
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(kept)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to run its sandbox as root (containers, CI); lab machines run as a user.
        flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags:
            os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
    require_screen()
    webview.register_exam_scheme()
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("exam-desktop")
    app.setApplicationDisplayName("exam-desktop")
    return app


def require_screen() -> None:
    """Refuse, with a sentence, to open windows where there is no screen (instead of Qt aborting)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise KnownError(
            "there is no screen to show the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            "Run it in a desktop session; to see the questions without a screen, render them to PNG "
            "files with `exam-desktop preview BANK --png out/`."
        )
