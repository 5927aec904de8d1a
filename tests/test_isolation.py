"""The candidate's process ignores its environment: Python's variables and Qt's overrides.

The installed launcher is run for real, with a PYTHONPATH holding an evil `sitecustomize.py` and
a `secrets.py` that shadows the standard library, a `secrets.py` in the current folder, and a
QTWEBENGINEPROCESS_PATH naming a fake web engine process: none of them may run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BANKS

from exam_desktop.cli.environment import clear_overrides

LAUNCHER = Path(sys.executable).parent / "exam-desktop"


def launcher() -> Path:
    if not LAUNCHER.is_file() or not LAUNCHER.read_bytes().startswith(b"#!/bin/sh"):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{LAUNCHER} is not the installed launcher (scripts/exam-desktop)")
        pytest.skip(f"{LAUNCHER} is not the installed launcher: run `make setup` again")
    return LAUNCHER


def evil_folder(tmp_path: Path) -> tuple[Path, Path]:
    evil = tmp_path / "evil"
    evil.mkdir()
    marker = tmp_path / "pwned"
    for name in ("sitecustomize.py", "usercustomize.py", "secrets.py"):
        (evil / name).write_text(f"open({str(marker)!r}, 'a').write({name!r} + '\\n')\n")
    return evil, marker


def test_the_launcher_runs_no_code_from_pythonpath_or_the_current_folder(tmp_path):
    evil, marker = evil_folder(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(evil), "PYTHONSTARTUP": str(evil / "secrets.py")}
    done = subprocess.run(
        [str(launcher()), "check", str(BANKS / "ml-engineers-test.md")],
        cwd=evil,  # a secrets.py in the current folder too
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), marker.read_text()


def test_plain_python_would_have_run_it(tmp_path):
    """The same folder does reach a plain interpreter (so the test above can fail)."""
    evil, marker = evil_folder(tmp_path)
    subprocess.run(
        [sys.executable, "-c", "import secrets"], env={**os.environ, "PYTHONPATH": str(evil)}, check=True
    )
    assert "sitecustomize.py" in marker.read_text()


def test_a_fake_web_engine_process_is_never_started(tmp_path):
    marker = tmp_path / "fake-engine-ran"
    fake = tmp_path / "QtWebEngineProcess"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    fake.chmod(0o755)
    env = {
        **os.environ,
        "QTWEBENGINEPROCESS_PATH": str(fake),
        "QTWEBENGINE_CHROMIUM_FLAGS": (
            os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "") + " --remote-debugging-port=9333"
        ).strip(),
        "QT_QPA_PLATFORM": "offscreen",
    }
    bank = tmp_path / "one.md"
    bank.write_text(
        "---\nid: one\ntitle: One\nduration: 5m\n---\n\n## Q {#q single}\nPick $x^2$.\n\n- [x] a\n- [ ] b\n"
    )
    done = subprocess.run(
        [str(launcher()), "preview", str(bank), "--png", str(tmp_path / "png")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert list((tmp_path / "png").glob("*.png")) and not marker.exists()


def test_overrides_are_cleared_and_what_the_app_needs_is_kept(monkeypatch):
    env = {
        "QTWEBENGINEPROCESS_PATH": "/tmp/x/QtWebEngineProcess",
        "QT_PLUGIN_PATH": "/tmp/plugins",
        "QTWEBENGINE_REMOTE_DEBUGGING": "9222",
        "QTWEBENGINE_CHROMIUM_FLAGS": "--remote-debugging-port=9222 --disable-gpu",
        "LD_PRELOAD": "/tmp/evil.so",
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": "/home/exam",
    }
    removed = clear_overrides(env)
    assert set(removed) == {
        "QTWEBENGINEPROCESS_PATH",
        "QT_PLUGIN_PATH",
        "QTWEBENGINE_REMOTE_DEBUGGING",
        "QTWEBENGINE_CHROMIUM_FLAGS",
        "LD_PRELOAD",
    }
    assert env == {
        "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu",
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": "/home/exam",
    }

    monkeypatch.setattr(sys, "_MEIPASS", "/opt/exam-desktop/_internal", raising=False)
    frozen = {
        "QT_PLUGIN_PATH": "/opt/exam-desktop/_internal/PySide6/Qt/plugins",
        "QML2_IMPORT_PATH": "/elsewhere/qml",
    }
    assert clear_overrides(frozen) == ["QML2_IMPORT_PATH"]
    assert frozen == {"QT_PLUGIN_PATH": "/opt/exam-desktop/_internal/PySide6/Qt/plugins"}
