"""Progress bars on long command-line steps: drawn on a terminal, absent in pipes and scripts."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import sys
import termios

from grading_sample import write_key

from exam_desktop.cli import main
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.simulate import write_simulated_session


def run_on_a_terminal(*argv: str) -> tuple[int, str]:
    pid, fd = pty.fork()
    if pid == 0:  # a terminal of 100 columns (a new pty has none)
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execv(sys.executable, [sys.executable, "-m", "exam_desktop", *argv])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode()


def test_import_and_report_show_a_bar_on_a_terminal_only(tmp_path, capsys):
    key_path = write_key(tmp_path)
    write_simulated_session(load_key_file(key_path), tmp_path / "usb", 25, seed=2)
    db = str(tmp_path / "grader.db")
    code, text = run_on_a_terminal(
        "grade", "import", "--key", str(key_path), str(tmp_path / "usb"), "--db", db
    )
    assert code == 0 and "25 imported." in text
    assert "import" in text and "25/25" in text and "bundles/s" in text  # rate, from tqdm
    code, text = run_on_a_terminal("grade", "report", "--feedback", str(tmp_path / "fb"), "--db", db)
    assert code == 0 and "pages/s" in text

    # Not a terminal (a script, a pipe): no bar at all.
    assert main(["grade", "report", "--feedback", str(tmp_path / "fb2"), "--db", db]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "/s" not in out
