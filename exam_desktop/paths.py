"""Where the app's files are, from source and from the frozen one-folder app alike.

Assets are resolved from the package's own location (never from the executable's folder):
from source `exam_desktop/..`, frozen `_internal/`.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
APP_ROOT = PACKAGE_DIR.parent
ASSETS_DIR = APP_ROOT / "assets"
WEB_DIR = ASSETS_DIR / "web"  # the pages' own files: shell, style sheets, scripts
BANKS_DIR = APP_ROOT / "banks"


def mathjax_dir() -> Path:
    """The folder holding MathJax 3's `es5/` build, shipped with the app (never a CDN)."""
    bundled = ASSETS_DIR / "mathjax"
    if (bundled / "tex-svg-full.js").exists():
        return bundled
    import mathjax  # django-static-mathjax: the MathJax 3.2.2 files as a Python package

    return Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"


def data_dir() -> Path:
    """Per-user data (answer databases, figure cache, local copies of bundles)."""
    base = os.environ.get("EXAM_DESKTOP_DATA") or os.environ.get("XDG_DATA_HOME")
    root = Path(base) if base else Path.home() / ".local" / "share"
    if not os.environ.get("EXAM_DESKTOP_DATA"):
        root = root / "exam-desktop"
    return root


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "exam-desktop"
