"""The one channel between the exam page and Python.

JS -> Python: the page calls ``bridge.post(json)`` with ``{"type": ..., ...}``; the type must be one
of the page's closed list (`MessageType` for the exam page, `GraderMessage` for the grading page),
anything else is rejected and logged; messages after `close()` are dropped. `route()` sends some
kinds to a handler of their own (the kiosk's screens), the rest go to the main handler (the exam).
Python -> JS: `call_js` builds the call from a fixed function name and JSON-encoded arguments — values
are never formatted into JS source.
"""

from __future__ import annotations

import enum
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage

log = logging.getLogger(__name__)


class MessageType(enum.StrEnum):
    """Everything the page may tell Python."""

    READY = "ready"  # shell loaded, MathJax and the channel up
    SHOWN = "shown"  # a question (or review/results page) is in the page and typeset
    PREPARED = "prepared"  # {id}: a question's math is typeset ahead of its first visit
    PAINTED = "painted"  # the frame asked for by exam.whenPainted() has been drawn
    ANSWER_CHANGED = "answer_changed"  # {question_id, value}
    NAVIGATE = "navigate"  # {target: question id | "next" | "previous" | "review"}
    FLAG = "flag"  # {question_id, flagged}
    DONT_KNOW = "dont_know"  # {question_id, dont_know}
    RATING = "rating"  # {question_id, rating: 1..5 | None}
    CLEAR = "clear"  # {question_id}
    SUBMIT_REQUEST = "submit_request"  # the candidate confirmed "Submit"
    ZOOM = "zoom"  # {step: +1 | -1 | 0}
    THEME = "theme"  # {high_contrast: bool}
    PAGE_ERROR = "page_error"  # {message}: a script error in the page (a bug)
    RAISE_HAND = "raise_hand"  # the candidate asks for the invigilator (exam room)
    BREAK = "break"  # {on: bool}: the candidate starts or ends a rest break
    # candidate tools and reading aids (assets/web/tools.js)
    TOOL = "tool"  # {tool, open}: a tool opened or closed (journaled; its use is not)
    CALCULATE = "calculate"  # {request, expression, answer}: answered by examTools.calcResult
    AIDS = "aids"  # {owner, aids: {notes, struck, highlights}}: a question's (or passage's) aids
    COMFORT = "comfort"  # {theme?, font?, spacing?, timer_hidden?, line_reader?, passage_collapsed?}
    SPEAK = "speak"  # {text}: read aloud ("" stops)
    # the screens around the exam on a seat (assets/web/kiosk.js, gui/kiosk.py)
    KIOSK_ACTION = "kiosk_action"  # {screen, action, values: {field id: text}}: a button or Enter
    KIOSK_SHOWN = "kiosk_shown"  # {screen}: the screen is on view, its focus set


class GraderMessage(enum.StrEnum):
    """Everything the grading page may tell Python."""

    READY = "ready"  # page loaded, channel up
    SHOWN = "shown"  # an answer is in the page and typeset
    PAINTED = "painted"  # the frame asked for by grader.whenPainted() has been drawn
    SELECTION = "selection"  # {start, end, quote}: the passage of the essay selected ({} if none)
    PAGE_ERROR = "page_error"  # {message}: a script error in the page (a bug)


_FUNCTION_NAME = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")


def js_call(function: str, *args: Any) -> str:
    """JS source calling `function` with each argument JSON-encoded."""
    if not _FUNCTION_NAME.match(function):
        raise ValueError(f"not a JS function name: {function!r}")
    encoded = ", ".join(json.dumps(a, ensure_ascii=False, allow_nan=False) for a in args)
    return f"{function}({encoded});"


def call_js(
    page: QWebEnginePage,
    function: str,
    *args: Any,
    callback: Callable[[Any], None] | None = None,
) -> None:
    """Run `function(*args)` in the page; `callback` receives its (JSON-like) result."""
    source = js_call(function, *args)
    if callback is None:
        page.runJavaScript(source, 0)
    else:
        page.runJavaScript(source, 0, callback)


Handler = Callable[[str, dict[str, Any]], None]


class Bridge(QObject):
    """The object the page sees as ``bridge``; passes valid messages to its handler.

    Messages that arrive before a handler is set (the page may load while the exam is still being
    read) are kept and handed over by `set_handler`. `loaded` is emitted when the page says
    "ready" (`is_loaded` stays True), whoever handles that message.
    """

    loaded = Signal()

    def __init__(self, parent: QObject | None = None, messages: type[enum.StrEnum] = MessageType):
        super().__init__(parent)
        self.messages = messages
        self.closed = False
        self.is_loaded = False
        self.rejected: list[str] = []
        self._handler: Handler | None = None
        self._routes: dict[str, Handler] = {}
        self._early: list[tuple[str, dict[str, Any]]] = []

    def route(self, kinds: set[str], handler: Handler) -> None:
        """Messages of `kinds` go to `handler` from now on, not to the main handler."""
        self._routes.update(dict.fromkeys(kinds, handler))

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler
        early, self._early = self._early, []
        for kind, data in early:
            handler(kind, data)

    @Slot(str)
    def post(self, text: str) -> None:
        if self.closed:
            log.debug("dropped a message after teardown: %.200s", text)
            return
        try:
            data = json.loads(text)
            kind = self.messages(data.pop("type"))
        except (ValueError, TypeError, KeyError, AttributeError):
            self.rejected.append(text)
            log.warning("rejected a page message: %.200s", text)
            return
        if not isinstance(data, dict):
            self.rejected.append(text)
            return
        routed = self._routes.get(kind.value)
        if routed is not None:
            routed(kind.value, data)
        elif self._handler is None:
            self._early.append((kind.value, data))
        else:
            self._handler(kind.value, data)
        if kind.value == "ready" and not self.is_loaded:
            self.is_loaded = True
            self.loaded.emit()

    def close(self) -> None:
        """From now on, every message is dropped (the window is going away or submitted)."""
        self.closed = True


def attach_bridge(page: QWebEnginePage, bridge: Bridge) -> QWebChannel:
    """Publish `bridge` to the page as ``bridge`` on a web channel."""
    channel = QWebChannel(page)
    channel.registerObject("bridge", bridge)
    page.setWebChannel(channel)
    return channel
