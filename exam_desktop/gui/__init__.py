"""The app's windows (Qt). The core (`exam_desktop.core`) never imports this package."""

from exam_desktop.gui.pyside_refcounts import make_singletons_immortal

make_singletons_immortal()
