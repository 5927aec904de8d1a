"""Window commands on a machine without a screen: one clear sentence, not a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_without_a_screen_says_so_and_points_to_preview():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, "-m", "exam_desktop", "demo"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "there is no screen to show the window on" in result.stderr
    assert "exam-desktop preview" in result.stderr
    assert "Traceback" not in result.stderr
