"""The QApplication for the app's windows, created once, after the ``exam:`` scheme is registered."""

from __future__ import annotations

import os
import sys

from PySide6.QtWidgets import QApplication

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
    webview.register_exam_scheme()
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("exam-desktop")
    app.setApplicationDisplayName("exam-desktop")
    return app
