"""The crash handler: what happens when a bug (not a known error) escapes in any window.

Known errors (a full disk, a wrong code) are shown where they happen. Anything else that escapes a
Qt slot, a timer or a bridge message reaches `sys.excepthook` (PySide6 reports slot exceptions
there; `threading.excepthook` for other threads). The handler then, in this order:

1. keeps the answers safe: every registered `keep_safe` action runs (the exam window flushes what
   is not yet saved; the session journals a `crash` entry naming the report), each guarded so one
   failing action does not stop the others;
2. writes a report file with the traceback, the versions and the time (no answers, no names) to
   ``<data dir>/crash-reports/``;
3. shows one calm sentence, in the exam's language, through the window's `notify` (the exam page's
   notice in the kiosk; a message box elsewhere).

The program carries on: most bugs spoil one action, not the exam. `install_crash_handler()` is
called once by `qt_application()`; windows register their actions with `crash_handler()`.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt

from exam_desktop import __version__
from exam_desktop.core.page.strings import strings_for

log = logging.getLogger(__name__)

Action = Callable[[], object]


class CrashHandler:
    def __init__(self, reports_dir: Path | None = None):
        self._reports_dir = reports_dir
        self.keep_safe: dict[str, Action] = {}  # by name, so a window replaces its own actions
        self.notify: Callable[[str], None] | None = None
        self.language = "en"
        self.reports: list[Path] = []  # written in this process, newest last
        self._handling = False

    @property
    def reports_dir(self) -> Path:
        if self._reports_dir is None:
            from exam_desktop.paths import data_dir

            self._reports_dir = data_dir() / "crash-reports"
        return self._reports_dir

    def sentence(self) -> str:
        return strings_for(self.language)["crash_notice"]

    def handle(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> Path | None:
        """Keep the answers, write the report, tell the person; returns the report's path."""
        if self._handling:  # a bug inside the handler's own actions: the details go to the log only
            log.error("a second error while handling a crash", exc_info=(kind, error, tb))
            return None
        self._handling = True
        try:
            details = "".join(traceback.format_exception(kind, error, tb))
            log.error("bug: %s", details)
            report = self._write_report(details)
            for name, action in list(self.keep_safe.items()):
                try:
                    action()
                except Exception:
                    log.exception("keeping the answers safe (%s) failed after a crash", name)
            try:
                (self.notify or _message_box)(self.sentence())
            except Exception:
                log.exception("showing the crash notice failed")
            return report
        finally:
            self._handling = False

    def _write_report(self, details: str) -> Path | None:
        now = datetime.now(UTC)
        lines = [
            f"exam-desktop {__version__} crash report, {now.isoformat(timespec='seconds')}",
            f"Python {platform.python_version()}, PySide6 {pyside_version}, {platform.platform()}",
            "",
            details,
        ]
        try:
            self.reports_dir.mkdir(parents=True, exist_ok=True)
            path = self.reports_dir / f"crash-{now.strftime('%Y%m%d-%H%M%S-%f')}.txt"
            path.write_text("\n".join(lines), encoding="utf-8")
        except OSError:
            log.exception("the crash report could not be written")
            return None
        self.reports.append(path)
        return path

    # ---------------------------------------------------------------------------- hooks

    def _excepthook(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        self.handle(kind, error, tb)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.handle(args.exc_type, args.exc_value, args.exc_traceback)


def _message_box(text: str) -> None:
    """The notice for windows without a page of their own to show it (grader, console)."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.instance() is None:
        return
    box = QMessageBox(QMessageBox.Icon.Warning, "exam-desktop", text)
    box.setModal(False)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()


_handler: CrashHandler | None = None


def crash_handler() -> CrashHandler:
    """The process's crash handler (installed by `install_crash_handler`)."""
    global _handler
    if _handler is None:
        _handler = CrashHandler()
    return _handler


def install_crash_handler() -> CrashHandler:
    handler = crash_handler()
    sys.excepthook = handler._excepthook
    threading.excepthook = handler._thread_hook
    return handler
