"""The exam page, started early: the locked web view with its bridge, loading the page shell.

QtWebEngine needs a few hundred milliseconds to start its processes and load MathJax. Creating an
`ExamPage` starts that at once, so it runs while the caller reads the bank and opens the answer file;
`ExamWindow(..., page=...)` then takes it over (messages the page sent meanwhile are kept).
"""

from __future__ import annotations

from PySide6.QtCore import QDeadlineTimer, QEventLoop, QTimer

from exam_desktop.core.page.code_style import highlight_css
from exam_desktop.gui.bridge import Bridge, attach_bridge
from exam_desktop.gui.webview import LockedWebView

LAST_SCRIPT = "/shell.js"  # the shell's last <script>


class ExamPage:
    def __init__(self) -> None:
        self.view = LockedWebView()
        self.bridge = Bridge(self.view)
        self.channel = attach_bridge(self.view.locked_page, self.bridge)
        self.view.load_shell()
        # The page asks for this stylesheet only after this constructor has returned.
        self.view.scheme_handler.add_generated("highlight.css", highlight_css().encode())

    def start_loading(self, timeout_ms: int = 3000) -> None:
        """Run the event loop until the page has asked for all its scripts.

        The requests for the shell and MathJax are answered on this thread; once they are out,
        QtWebEngine parses MathJax in its own process while this one carries on.
        """
        loop = QEventLoop()
        deadline = QDeadlineTimer(timeout_ms)
        served = self.view.scheme_handler.served

        def check() -> None:
            if LAST_SCRIPT in served or deadline.hasExpired():
                loop.quit()
            else:
                QTimer.singleShot(2, check)

        QTimer.singleShot(0, check)
        loop.exec()
