"""A guard for PySide6 6.12 on Python 3.11: it hands back None, True and False without a reference.

PySide6 6.12 assumes, as Python 3.12 guarantees, that None, True and False are immortal, and returns
them without increasing their reference count. On Python 3.11 every such call from Python —
`processEvents()`, `runJavaScript()` without a callback, `QTimer.start()`, `Signal.emit()`,
`disconnect()`, ... — steals one reference, and after enough calls (or at exit) the interpreter aborts
with "none_dealloc: deallocating None" or "bool_dealloc". `make_singletons_immortal()` gives each of
them 2**40 extra references, which is what Python 3.12 does by design. Imported by
`exam_desktop.gui`, so it is in force before any GUI code runs.
"""

from __future__ import annotations

import ctypes
import sys

PADDING = 1 << 40
# What Python 3.12 makes immortal and PySide6 6.12 may hand back without a reference: None, True
# and False (seen), and the other shared constants of the same kind — the small integers, Ellipsis,
# NotImplemented and the empty tuple, string and bytes (padded too: a signal carrying an int would
# otherwise wear one of them down the same way).
IMMORTAL_IN_3_12 = (None, True, False, Ellipsis, NotImplemented, (), "", b"", *range(-5, 257))
_done = False


def make_singletons_immortal() -> None:
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in IMMORTAL_IN_3_12:
        # CPython objects start with their reference count (ob_refcnt, a Py_ssize_t).
        ctypes.c_ssize_t.from_address(id(singleton)).value += PADDING
    _done = True
