"""The QApplication for the app's windows, created once, after the ``exam:`` scheme is registered."""

from __future__ import annotations

import os
import sys
import threading

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
    from exam_desktop.gui.crash import install_crash_handler

    install_crash_handler()  # a bug in any window: answers kept, a report written, one sentence
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


DISPLAY_CRITICAL_NICE = -8  # the nice value Chromium gives its compositor, GPU and IO threads


def match_display_thread_priority() -> bool:
    """Give the calling (GUI) thread the priority of QtWebEngine's display threads, where allowed.

    Chromium raises its compositor, GPU and IO threads to nice -8 when the system lets it (as root,
    or with CAP_SYS_NICE or an RLIMIT_NICE allowance) and leaves them at 0 otherwise. The GUI
    thread is the one that commits every answer; left at 0 beside them, its commit waits for the
    page's redraw after each click (software rendering keeps both cores of a lab machine busy for a
    few milliseconds). Raising it to the same level keeps the two equal wherever Chromium's are
    raised, and changes nothing where they cannot be. The exam window calls it once its first
    question is on screen: the page's processes do not inherit it, and the first typesetting does
    not compete with it. Returns whether the priority was raised.
    """
    if not sys.platform.startswith("linux"):
        return False
    thread = threading.get_native_id()  # on Linux the nice value belongs to each thread
    try:
        if os.getpriority(os.PRIO_PROCESS, thread) <= DISPLAY_CRITICAL_NICE:
            return False
        os.setpriority(os.PRIO_PROCESS, thread, DISPLAY_CRITICAL_NICE)
    except OSError:  # not permitted: Chromium's threads stayed at normal priority too
        return False
    return True
