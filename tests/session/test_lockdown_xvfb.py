"""Lockdown on a real (virtual) X screen: the kiosk fills it, and losing focus is journaled.

Needs Xvfb, xdotool and xmessage (scripts/system-deps.sh installs them for `make test`); without
them the test skips, except under CI=true where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sessiontools import build

from exam_desktop.core.seat.answer_file import AnswerStore

pytestmark = pytest.mark.gui
CHILD = Path(__file__).with_name("xvfb_focus_child.py")
TOOLS = ("Xvfb", "xdotool", "xmessage")


@pytest.fixture
def virtual_screen():
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (scripts/system-deps.sh installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    for number in range(90, 110):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    display = f":{number}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"Xvfb did not start on {display}")
        time.sleep(0.05)  # waiting for another process's socket, not for our own code
    yield display
    server.terminate()
    server.wait(timeout=10)


def test_focus_loss_under_xvfb_is_journaled(virtual_screen, tmp_path):
    built = build(tmp_path / "package")
    env = {
        **os.environ,
        "DISPLAY": virtual_screen,
        "QT_QPA_PLATFORM": "xcb",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    child = subprocess.run(
        [sys.executable, str(CHILD), str(built.package), str(tmp_path / "data"), built.start_code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "Could not load the Qt platform plugin" in child.stderr:
        message = "Qt's xcb platform cannot load (libxcb-cursor0 missing? see scripts/system-deps.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    assert child.returncode == 0, child.stderr[-3000:]
    assert "GEOMETRY 1280 800" in child.stdout, "the kiosk fills the screen"
    [session_file] = (tmp_path / "data" / "sessions").glob("*.sqlite")
    with AnswerStore.open(session_file) as store:
        incidents = [e for e in store.events() if e["type"] == "incident"]
    assert incidents[0]["data"]["kind"] == "focus-lost"
    assert incidents[0]["data"]["action"] == "warn"
    assert incidents[0]["at_wall"]
