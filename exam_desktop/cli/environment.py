"""The candidate's process does not take orders from its environment.

Qt and QtWebEngine read variables that replace the code they run or open it to others: another
`QtWebEngineProcess` (QTWEBENGINEPROCESS_PATH), other plugins and resources (QT_PLUGIN_PATH,
QTWEBENGINE_RESOURCES_PATH, ...), Chromium switches such as a remote-debugging port
(QTWEBENGINE_CHROMIUM_FLAGS, QTWEBENGINE_REMOTE_DEBUGGING), a library preloaded into the page's
processes (LD_PRELOAD). `clear_overrides` removes them before anything imports Qt, from source, the
installed launcher and the frozen app alike (each starts in `exam_desktop.cli.main`). What the
app itself needs survives: in the frozen app the paths PyInstaller set to its own folder, and as
root the Chromium switch that lets QtWebEngine run at all (`--no-sandbox`).

Python's own variables (PYTHONPATH, PYTHONHOME, ...) act before any of this code runs; the
installed launcher (scripts/exam-desktop) therefore starts Python in isolated mode (`-I`), and the
frozen app's bootloader ignores them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

OVERRIDES = (
    "QTWEBENGINEPROCESS_PATH",
    "QTWEBENGINE_RESOURCES_PATH",
    "QTWEBENGINE_LOCALES_PATH",
    "QTWEBENGINE_DICTIONARIES_PATH",
    "QTWEBENGINE_REMOTE_DEBUGGING",
    "QTWEBENGINE_DISABLE_SANDBOX",
    "QTWEBENGINE_CHROMIUM_FLAGS",
    "QTWEBENGINE_DEVTOOLS",
    "QT_PLUGIN_PATH",
    "QT_QPA_PLATFORM_PLUGIN_PATH",
    "QML2_IMPORT_PATH",
    "QML_IMPORT_PATH",
    "QT_STYLE_OVERRIDE",
    "QT_DEBUG_PLUGINS",
    "LD_PRELOAD",
)
# Chromium switches kept from QTWEBENGINE_CHROMIUM_FLAGS; --no-sandbox only for root, where
# QtWebEngine refuses to start without it.
HARMLESS_SWITCHES = ("--disable-gpu", "--disable-gpu-compositing")


def clear_overrides(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Remove the override variables (keeping what the app itself set); returns what was removed."""
    removed = []
    own_folder = getattr(sys, "_MEIPASS", None)  # the frozen app's folder
    for name in OVERRIDES:
        value = environ.get(name)
        if value is None:
            continue
        if own_folder and name != "LD_PRELOAD" and _inside(value, own_folder):
            continue  # set by the frozen app's own start-up code to its own files
        if name == "QTWEBENGINE_CHROMIUM_FLAGS":
            kept = [s for s in value.split() if s in HARMLESS_SWITCHES or (s == "--no-sandbox" and _root())]
            if kept:
                environ[name] = " ".join(kept)
                if kept != value.split():
                    removed.append(name)
                continue
        if name == "QTWEBENGINE_DISABLE_SANDBOX" and _root():
            continue
        del environ[name]
        removed.append(name)
    return removed


def _inside(value: str, folder: str) -> bool:
    root = os.path.realpath(folder)
    parts = [p for p in value.split(os.pathsep) if p]
    return bool(parts) and all(os.path.realpath(p).startswith(root + os.sep) for p in parts)


def _root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
