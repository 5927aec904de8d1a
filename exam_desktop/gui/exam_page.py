"""The exam page, started early: the locked web view with its bridge, loading the page shell.

QtWebEngine needs a few hundred milliseconds to start its processes and load MathJax. Creating an
`ExamPage` starts that at once, so it runs while the caller reads the bank and opens the answer file;
`ExamWindow(..., page=...)` then takes it over (messages the page sent meanwhile are kept).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QMetaObject, Qt, QTimer

from exam_desktop.core.page.code_style import highlight_css
from exam_desktop.gui.bridge import Bridge, attach_bridge
from exam_desktop.gui.webview import LockedWebView

LAST_SCRIPT = "/shell.js"  # the shell's last <script>: the page has asked for all its files
T = TypeVar("T")


class ExamPage:
    def __init__(self) -> None:
        self.view = LockedWebView()
        self.bridge = Bridge(self.view)
        self.channel = attach_bridge(self.view.locked_page, self.bridge)
        self.view.load_shell()
        # The page asks for this stylesheet only after this constructor has returned.
        self.view.scheme_handler.add_generated("highlight.css", highlight_css().encode())

    def load_while(self, work: Callable[[], T], timeout_ms: int = 3000) -> T:
        """Run `work` on a worker thread while this thread serves the loading page; its result.

        The page's requests (the shell, MathJax) and its channel are answered on this thread, so
        they are not kept waiting while Python reads a bank or loads modules: `work` does that
        meanwhile, and QtWebEngine parses MathJax in its own process. `work` must touch no Qt
        object. Returns once `work` is done and the page has asked for all its scripts (or
        `timeout_ms` has passed); an exception `work` raised is raised here.
        """
        outcome: dict[str, Any] = {}
        waiting = {"work", "scripts"}  # what the loading still waits for
        lock = threading.Lock()
        loop = QEventLoop()

        def done(what: str) -> None:
            # Called on either thread; the loop is stopped by a queued call, so this thread runs
            # no Python until then: Chromium's own work on it never waits for the interpreter,
            # which the worker holds while it runs.
            with lock:
                waiting.discard(what)
                if not waiting:
                    QMetaObject.invokeMethod(loop, "quit", Qt.ConnectionType.QueuedConnection)

        def run() -> None:
            try:
                outcome["value"] = work()
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc
            finally:
                done("work")

        def served(path: str) -> None:
            if path == LAST_SCRIPT:
                done("scripts")

        handler = self.view.scheme_handler
        handler.file_served.connect(served)
        if LAST_SCRIPT in handler.served:
            done("scripts")
        deadline = QTimer(loop, singleShot=True, interval=timeout_ms)  # the page stopped asking
        deadline.timeout.connect(lambda: done("scripts"))
        deadline.start()
        threading.Thread(target=run, name="exam-page-load", daemon=True).start()
        loop.exec()
        deadline.stop()
        handler.file_served.disconnect(served)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]
