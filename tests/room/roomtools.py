"""Shared by the room tests: a cheap package, a room on a free port, a real Mosquitto, waiting."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.bank import load_bank
from exam_desktop.core.sealed.keys import ScryptParams
from exam_desktop.core.sealed.package import build_package
from exam_desktop.room.broker import EmbeddedBroker
from exam_desktop.room.config import BrokerAddress, RoomConfig, init_room, load_console_secrets

CHEAP = ScryptParams(n=2**10, r=8, p=1)
PASSPHRASE = "room-passphrase-1"
BANK = Path(__file__).resolve().parents[2] / "banks" / "sample-every-kind.md"


@dataclass
class Built:
    package: Path
    start_code: str
    exam_id: str


def build(folder: Path, **options: object) -> Built:
    exam = load_bank(BANK)
    options.setdefault("extra_time_allowed", True)
    built = build_package(exam, Ed25519PrivateKey.generate(), kdf=CHEAP, draw_figures=False, **options)  # type: ignore[arg-type]
    folder.mkdir(parents=True, exist_ok=True)
    package = folder / f"{exam.id}.exam"
    package.write_bytes(built.package_bytes)
    return Built(package, built.start_code, exam.id)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_room(folder: Path, package: Path | None) -> RoomConfig:
    return init_room(
        folder, PASSPHRASE, broker=BrokerAddress("127.0.0.1", free_port()), exam_package=package, kdf=CHEAP
    )


def need_mosquitto() -> None:
    if shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("mosquitto is not installed: scripts/system-deps.sh installs it for CI")
    pytest.skip("mosquitto is not installed (Debian package mosquitto; scripts/system-deps.sh)")


def wait_for(
    condition: Callable[[], object],
    timeout_s: float = 10.0,
    *,
    step: Callable[[], object] | None = None,
    what: str = "",
) -> None:
    """Poll `condition` (running `step` between polls, e.g. the simulated seats' loop)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if step is not None:
            step()
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout_s} s: {what or condition}")


# --------------------------------------------------------------------------------------------
# Fixtures (imported by each test module: a conftest here would shadow the suite's own)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("package"))


@pytest.fixture
def room(tmp_path, built):
    return make_room(tmp_path / "ROOM", built.package)


@pytest.fixture
def secrets(room):
    return load_console_secrets(room, PASSPHRASE)


@pytest.fixture
def broker(room):
    need_mosquitto()
    running = EmbeddedBroker(room).start()
    yield running
    running.stop()


def simulated(room: RoomConfig, built: Built, data_dir: Path, seats: int, **overrides: object):
    """A room of in-process simulated seats with short intervals; the test drives `.step()`."""
    from exam_desktop.room.simulate import SimulatedRoom, SimulationSettings

    values: dict = {
        "package": built.package,
        "code": built.start_code,
        "seats": seats,
        "data_dir": data_dir,
        "answer_every_s": 0.3,
        "status_every_s": 0.5,
        "tick_s": 0.02,
    }
    values.update(overrides)
    simulation = SimulatedRoom(room, SimulationSettings(**values))
    simulation.begin()
    return simulation


def rows_ready(console, count: int, state: str = "running") -> bool:
    rows = console.view.rows()
    return len(rows) == count and all(r.state == state and r.online(time.time()) for r in rows)


@pytest.fixture
def console(room, secrets, broker):
    from exam_desktop.room.console import RoomConsole

    running = RoomConsole(room, secrets, collect=True)
    running.start()
    running.wait_connected()
    yield running
    running.stop()


@pytest.fixture
def seats(room, built, broker, tmp_path):
    simulation = simulated(room, built, tmp_path / "seats", 3)
    yield simulation
    simulation.close()
