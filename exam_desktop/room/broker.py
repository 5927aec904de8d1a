"""The room's broker: Mosquitto, started by the console (embedded) or run by IT (external).

`room serve` and `room console` start `mosquitto -c ROOM/broker/mosquitto.conf` as a child process
and stop it with them (`EmbeddedBroker`). The pure-Python broker amqtt was evaluated for this role
and not taken (docs/room.md, "Why Mosquitto"): amqtt 0.12.1 never enforces the keep-alive, so a
seat that hangs or loses its network without closing the connection never gets its last will; it
keeps no retained state across a restart without extra plugins; its ACL plugin has no per-client
patterns; and its password check blocks its event loop (200 seats took minutes to connect with
default hashes). Mosquitto 2.0.11 passed TLS with the room's CA, password file, per-seat ACL
patterns, retained messages across kill -9 (with a short autosave), last wills on kill and on
keep-alive timeout, and 200 seats, at a seventh of the CPU. The Mosquitto binary comes from the system (Debian `mosquitto`, the Windows and
macOS installers) or from `bin/` next to the frozen app.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from exam_desktop.core.errors import KnownError
from exam_desktop.room.config import BROKER_DIR, RoomConfig, write_broker_config


class BrokerProblem(KnownError):
    """The broker cannot be started or reached; the message says why and what to do."""


def find_mosquitto() -> Path:
    """The mosquitto binary: next to the frozen app, on PATH, or in /usr/sbin."""
    candidates = []
    if getattr(sys, "frozen", False):
        candidates.append(Path(sys.executable).parent / "bin" / "mosquitto")
    which = shutil.which("mosquitto")
    if which:
        candidates.append(Path(which))
    candidates += [Path("/usr/sbin/mosquitto"), Path("/usr/local/sbin/mosquitto")]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise BrokerProblem(
        "The Mosquitto broker is not installed on this machine (Debian: `apt-get install mosquitto`; "
        "see docs/room.md), or use an external broker with `room serve --no-broker`."
    )


class EmbeddedBroker:
    """A Mosquitto child process for one room, with its log in ROOM/broker/mosquitto.log."""

    def __init__(self, room: RoomConfig, *, bind: str | None = None):
        self.room = room
        self.bind = bind
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = room.folder / BROKER_DIR / "mosquitto.log"

    def start(self, timeout_s: float = 10.0) -> EmbeddedBroker:
        binary = find_mosquitto()
        conf = write_broker_config(self.room, bind=self.bind)
        port = self.room.broker.port
        if _port_open("127.0.0.1", port):
            raise BrokerProblem(
                f"Port {port} is already in use on this machine: another broker runs (stop it, or "
                "use it with `room serve --no-broker`)."
            )
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(binary), "-c", str(conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent(),
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerProblem(
                    f"The broker stopped at once (exit {self.process.returncode}); its log says: "
                    f"{self.log_tail()}"
                )
            if _port_open("127.0.0.1", port):
                return self
            time.sleep(0.05)
        self.stop()
        raise BrokerProblem(f"The broker did not open port {port} within {timeout_s:g} s.")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the broker; it saves retained messages to ROOM/broker/data/ first."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def die_with_parent() -> Callable[[], None] | None:
    """Linux: the broker stops when the console dies, even killed (so a new console can start).
    The C function is looked up before the fork; the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


def _port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 0.2).close()
        return True
    except OSError:
        return False
