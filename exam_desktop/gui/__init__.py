"""The app's windows (Qt). The Qt-free rooms (`exam_desktop.core`, grading, interchange, room) never
import this package; importing any module of it loads Qt."""

from exam_desktop.gui.pyside_refcounts import make_singletons_immortal

make_singletons_immortal()  # before the first PySide6 call

import PySide6.QtCore  # noqa: E402, F401  (the gui room is Qt: loaded with any of its modules)
