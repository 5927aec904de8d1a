"""The exam page, started early: the locked web view with its bridge, loading the page shell.

QtWebEngine needs a few hundred milliseconds to start its processes and load MathJax. Creating an
`ExamPage` starts that at once, so it runs while the caller reads the bank and opens the answer file;
`ExamWindow(..., page=...)` then takes it over (messages the page sent meanwhile are kept).
"""

from __future__ import annotations

from exam_desktop.core.render import highlight_css
from exam_desktop.gui.bridge import Bridge, attach_bridge
from exam_desktop.gui.webview import LockedWebView


class ExamPage:
    def __init__(self) -> None:
        self.view = LockedWebView()
        self.view.scheme_handler.add_generated("highlight.css", highlight_css().encode())
        self.bridge = Bridge(self.view)
        self.channel = attach_bridge(self.view.locked_page, self.bridge)
        self.view.load_shell()
