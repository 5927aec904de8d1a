"""The exam page, started early: the locked web view with its bridge, loading the page shell.

QtWebEngine needs a few hundred milliseconds to start its processes and load MathJax. Creating an
`ExamPage` starts that at once, so it runs while the caller reads the bank and opens the answer file;
`ExamWindow(..., page=...)` then takes it over (messages the page sent meanwhile are kept).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QDeadlineTimer, QEventLoop, QTimer

from exam_desktop.core.page.code_style import highlight_css
from exam_desktop.gui.bridge import Bridge, attach_bridge
from exam_desktop.gui.webview import LockedWebView

LAST_SCRIPT = "/shell.js"  # the shell's last <script>: the page has asked for all its files
POLL_MS = 5  # how often loading is checked
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
        finished = threading.Event()

        def run() -> None:
            try:
                outcome["value"] = work()
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc
            finally:
                finished.set()

        threading.Thread(target=run, name="exam-page-load", daemon=True).start()
        loop = QEventLoop()
        deadline = QDeadlineTimer(timeout_ms)
        served = self.view.scheme_handler.served

        def check() -> None:
            if finished.is_set() and (LAST_SCRIPT in served or deadline.hasExpired()):
                loop.quit()
            else:
                QTimer.singleShot(POLL_MS, check)

        QTimer.singleShot(0, check)
        loop.exec()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]
