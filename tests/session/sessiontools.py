"""Shared by the session tests: packages built with a cheap KDF, injectable clocks, settings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import BANKS
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.bank import load_bank
from exam_desktop.core.model import Exam
from exam_desktop.core.sealed.keys import ScryptParams
from exam_desktop.core.sealed.package import build_package
from exam_desktop.core.seat.session import LaunchSettings

CHEAP = ScryptParams(n=2**10, r=8, p=1)
PIN = "pin-739146"  # letters too: a bare run of digits can occur by chance in binary data
ML_BANK = BANKS / "ml-engineers-test.md"


@dataclass
class FakeTime:
    """A monotonic clock and a wall clock the test moves by hand (no real waiting)."""

    mono: float = 1000.0
    wall_offset: float = 0.0
    # A little ahead of the real clock: a package built after this clock was made (in the next
    # second) must not look newer than the seat's clock to the preflight.
    wall_start: float = field(default_factory=lambda: time.time() + 2.0)

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> float:
        return self.wall_start + (self.mono - 1000.0) + self.wall_offset

    def advance(self, seconds: float) -> None:
        self.mono += seconds

    def move_wall(self, seconds: float) -> None:
        """Someone changes the computer's date/time; the monotonic clock does not move."""
        self.wall_offset += seconds


@dataclass
class Built:
    package: Path
    start_code: str
    key_file: Path
    office_key: Ed25519PrivateKey
    exam: Exam


def build(folder: Path, bank: Path = ML_BANK, *, exam: Exam | None = None, **options: Any) -> Built:
    """Build `bank` (or `exam`) into folder/<id>.exam with a cheap KDF (unless `kdf` is given)."""
    exam = exam or load_bank(bank)
    office_key = Ed25519PrivateKey.generate()
    options.setdefault("extra_time_allowed", True)
    options.setdefault("kdf", CHEAP)
    built = build_package(exam, office_key, draw_figures=False, **options)
    folder.mkdir(parents=True, exist_ok=True)
    package = folder / f"{exam.id}.exam"
    package.write_bytes(built.package_bytes)
    key_file = package.with_suffix(".key")
    key_file.write_bytes(built.key_file_bytes)
    return Built(package, built.start_code, key_file, office_key, exam)


def settings(built: Built, data_dir: Path, clock: FakeTime | None = None, **overrides: Any) -> LaunchSettings:
    values: dict[str, Any] = {
        "package": built.package,
        "data_dir": data_dir,
        "office_public_key": built.office_key.public_key(),
        "pin": PIN,
        "pin_kdf": CHEAP,
        "needed_bytes": 1024 * 1024,
    }
    if clock is not None:
        values.update(wall=clock.wall, monotonic=clock.monotonic)
    values.update(overrides)
    return LaunchSettings(**values)


def screenshot(qtbot: Any, widget: Any, path: Path, exam_window: Any = None) -> Path:
    """Save what `widget` shows; with an exam window or a kiosk screen in it, once two grabs after
    drawn frames agree (QtWebEngine's frames reach Qt with a lag)."""
    image = widget.grab().toImage()
    kiosk_screen = exam_window is None and getattr(widget, "current", "") not in ("", "exam", "invigilator")
    for round_number in range(10):
        if kiosk_screen:  # a kiosk screen in the page: drawn again, on view two frames later
            widget.redraw()
            drawn = widget.sent
            qtbot.waitUntil(lambda: widget.seen >= drawn, timeout=20_000)  # noqa: B023 (waited on here)
        elif exam_window is None:
            break
        else:
            with qtbot.waitSignal(exam_window.painted, timeout=20_000):
                exam_window.request_paint(f"{path.stem}-{round_number}")
        previous, image = image, widget.grab().toImage()
        if round_number and image == previous:
            break
    assert image.save(str(path)), path
    return path
