"""The exam page as a Linux screen reader gets it: the accessibility tree read over AT-SPI.

A virtual screen (Xvfb), a private session D-Bus and the AT-SPI bus (at-spi2-core) are started
here; the real exam window runs in a child process with Qt's AT-SPI bridge and Chromium's
accessibility on, and a reader on the system Python (python3-pyatspi, what Orca uses) walks the
window's tree and listens for announcements. Needs the packages scripts/system-deps.sh installs;
without them the tests skip, except under CI=true where they fail.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BANKS, REPO

from exam_desktop.core.bank import load_bank
from exam_desktop.core.model import GridFigure, MatrixFigure
from exam_desktop.core.page.strings import strings_for

pytestmark = pytest.mark.gui
HERE = Path(__file__).resolve().parent
BANK = BANKS / "dl-assessment.md"
SYSTEM_PYTHON = "/usr/bin/python3"
LAUNCHERS = ("/usr/libexec/at-spi-bus-launcher", "/usr/lib/at-spi2-core/at-spi-bus-launcher")
APP = "exam-desktop"
WAIT_S = 30


def _missing() -> list[str]:
    missing = [tool for tool in ("Xvfb", "dbus-daemon") if shutil.which(tool) is None]
    if not any(Path(p).exists() for p in LAUNCHERS):
        missing.append("at-spi2-core")
    probe = [SYSTEM_PYTHON, "-c", "import pyatspi"]
    if not Path(SYSTEM_PYTHON).exists() or subprocess.run(probe, capture_output=True).returncode:
        missing.append("python3-pyatspi")
    return missing


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _next_line(process: subprocess.Popen, what: str) -> str:
    """The process's next stdout line; fails after WAIT_S s of silence (the child waits on Qt's signals)."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(WAIT_S):
            pytest.fail(f"no answer within {WAIT_S} s while {what}")
    line = process.stdout.readline()
    if not line:
        pytest.fail(f"the process ended while {what} (exit {process.wait(10)})")
    return line.rstrip("\n")


class Desktop:
    """The running exam window and a screen reader's view of it."""

    def __init__(self, env: dict[str, str], child: subprocess.Popen):
        self.env = env
        self.child = child

    def tell(self, command: str, answer: str) -> None:
        self.child.stdin.write(command + "\n")
        self.child.stdin.flush()
        line = _next_line(self.child, command)
        assert line == answer, line

    def tree(self) -> list[dict]:
        """Every node of the exam window as AT-SPI gives it, in reading order."""
        reader = [SYSTEM_PYTHON, str(HERE / "atspi_reader.py"), "tree", APP]
        done = subprocess.run(reader, env=self.env, capture_output=True, text=True, timeout=WAIT_S)
        lines = done.stdout.splitlines()
        assert done.returncode == 0 and lines[-1:] == ["END"], done.stdout[-2000:] + done.stderr[-2000:]
        return [json.loads(line) for line in lines[:-1]]

    def listener(self) -> subprocess.Popen:
        reader = [SYSTEM_PYTHON, str(HERE / "atspi_reader.py"), "listen", APP]
        listening = subprocess.Popen(
            reader, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert _next_line(listening, "subscribing to AT-SPI events") == "LISTENING"
        return listening


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    missing = _missing()
    if missing:
        _skip_or_fail(f"{', '.join(missing)} not installed (scripts/system-deps.sh installs them)")
    root = tmp_path_factory.mktemp("atspi")
    started: list[subprocess.Popen] = []
    bus_pid = None
    try:
        for number in range(110, 130):
            if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
                break
        display = f":{number}"
        screen = ["Xvfb", display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"]
        started.append(subprocess.Popen(screen, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if started[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Xvfb did not start on {display}")
            time.sleep(0.05)  # waiting for another process's socket, not for our own code
        runtime = root / "run"
        runtime.mkdir(mode=0o700)
        bus = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            capture_output=True,
            text=True,
            timeout=WAIT_S,
            check=True,
        ).stdout.split()
        address, bus_pid = bus[0], int(bus[1])
        env = {
            **os.environ,
            "DISPLAY": display,
            "DBUS_SESSION_BUS_ADDRESS": address,
            "XDG_RUNTIME_DIR": str(runtime),
        }
        launcher = next(p for p in LAUNCHERS if Path(p).exists())
        started.append(
            subprocess.Popen([launcher, "--launch-immediately"], env=env, stderr=subprocess.DEVNULL)
        )
        app_env = {
            **env,
            "QT_QPA_PLATFORM": "xcb",
            "QT_ACCESSIBILITY": "1",
            "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
            "QTWEBENGINE_CHROMIUM_FLAGS": (
                os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "") + " --force-renderer-accessibility"
            ).strip(),
            "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE)]),
        }
        with (root / "child.log").open("w") as log:
            child = subprocess.Popen(
                [sys.executable, str(HERE / "atspi_child.py"), str(BANK), str(root / "answers.db")],
                env=app_env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        started.append(child)
        line = _next_line(child, "opening the exam window")
        if line != "READY":
            log = (root / "child.log").read_text()
            if "Could not load the Qt platform plugin" in log:
                _skip_or_fail("Qt's xcb platform cannot load (see scripts/system-deps.sh)")
            pytest.fail(f"the exam window did not open: {line}\n{log[-3000:]}")
        yield Desktop(env, child)
        child.stdin.close()
        child.stdin = None
        assert child.wait(timeout=WAIT_S) == 0, (root / "child.log").read_text()[-3000:]
    finally:
        for process in reversed(started):
            _stop(process)
        if bus_pid is not None:
            os.kill(bus_pid, 15)


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+(?:\.\d+)?", text)


def test_every_figure_is_read_with_its_numbers(desktop):
    exam = load_bank(BANK)
    with_figures = [q for q in exam.questions if q.figures]
    assert len(with_figures) >= 2  # the IoU and the max-pooling questions
    for question in with_figures:
        desktop.tell(f"go {question.id}", f"SHOWN {question.id}")
        images = [n for n in desktop.tree() if n["role"] == "image" and n["name"].startswith("Figure ")]
        assert len(images) == len(question.figures), (question.id, images)
        for index, (figure, image) in enumerate(zip(question.figures, images, strict=True)):
            said = image["name"] + " " + image["description"]
            assert said.startswith(f"Figure {index + 1}. "), said
            if isinstance(figure, (GridFigure, MatrixFigure)):
                expected = [cell for row in figure.cells for cell in row]
                assert "Row 1: " + ", ".join(figure.cells[0]) + "." in said
            else:
                expected = [f"{v:g}" for b in figure.boxes for v in (b.x, b.y, b.x + b.width, b.y + b.height)]
                assert "overlap" in said
            assert all(n in _numbers(said) for n in expected), (question.id, said)


def test_the_gradient_is_read_as_a_fraction(desktop):
    desktop.tell("go gradient-interpretation", "SHOWN gradient-interpretation")
    formulas = [n["name"] for n in desktop.tree() if n["role"] == "image"]
    # ∂L/∂x as MathJax's speech text, not the flat "∂ L ∂ x" of its MathML
    assert any(
        "fraction" in name
        and "numerator partial differential script L" in name
        and "denominator partial differential x" in name
        for name in formulas
    ), formulas


def test_saved_is_announced(desktop):
    saved = strings_for(load_bank(BANK).language)["saved"]
    desktop.tell("go iou", "SHOWN iou")
    listening = desktop.listener()
    try:
        desktop.tell("click #opt-1", "SAVED")
        heard = json.loads(_next_line(listening, "waiting for the announcement"))
        while heard["event"] != "object:announcement":
            heard = json.loads(_next_line(listening, "waiting for the announcement"))
    finally:
        listening.stdin.close()
        listening.wait(timeout=WAIT_S)
        listening.stdout.close()
    assert heard["text"] == saved
    assert heard["politeness"] == 1  # polite: after what the reader is saying


def test_a_time_warning_is_announced_at_once(desktop):
    warning = "5 minutes left."
    listening = desktop.listener()
    try:
        desktop.tell(f"notice {warning}", "NOTICED")
        heard = json.loads(_next_line(listening, "waiting for the announcement"))
        while heard["event"] != "object:announcement" or heard["text"] != warning:
            heard = json.loads(_next_line(listening, "waiting for the announcement"))
    finally:
        listening.stdin.close()
        listening.wait(timeout=WAIT_S)
        listening.stdout.close()
    assert heard["politeness"] == 2  # assertive: interrupts what the reader is saying
