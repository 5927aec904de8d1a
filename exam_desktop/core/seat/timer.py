"""The exam clock: time left = duration + extensions − elapsed, elapsed measured on a monotonic clock.

Pure arithmetic, no threads and no wall clock: moving the computer's date or time changes nothing.
The caller persists `snapshot()` every few seconds and on every pause; after a crash,
`ExamClock.restore(snapshot)` continues from the persisted elapsed time. `WallClockWatch` tells the
session when the date/time was moved, so that it can be journaled.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

Monotonic = Callable[[], float]


class ExamClock:
    """Counts the time a candidate has had, with pauses and extensions."""

    def __init__(
        self,
        duration_s: float,
        *,
        elapsed_s: float = 0.0,
        extension_s: float = 0.0,
        monotonic: Monotonic = time.monotonic,
    ):
        for name, value in (
            ("duration_s", duration_s),
            ("elapsed_s", elapsed_s),
            ("extension_s", extension_s),
        ):
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number of seconds, not {value!r}")
        if duration_s <= 0 or elapsed_s < 0:
            raise ValueError("the duration must be positive and the elapsed time not negative")
        self.duration_s = float(duration_s)
        self.extension_s = float(extension_s)
        self._monotonic = monotonic
        self._elapsed_before = float(elapsed_s)  # counted up to the last start/resume
        self._running_since: float | None = None

    # ---------------------------------------------------------------------------- control

    def start(self) -> None:
        """Start (or continue) counting; does nothing if already running."""
        if self._running_since is None:
            self._running_since = self._monotonic()

    def pause(self) -> None:
        """Stop counting, keeping the elapsed time; does nothing if not running."""
        if self._running_since is not None:
            self._elapsed_before = self.elapsed()
            self._running_since = None

    def resume(self) -> None:
        self.start()

    def extend(self, seconds: float) -> None:
        """Give (or, negative, take back) extra time."""
        if not math.isfinite(seconds):
            raise ValueError(f"an extension must be a finite number of seconds, not {seconds!r}")
        self.extension_s += seconds

    # ---------------------------------------------------------------------------- reading

    @property
    def running(self) -> bool:
        return self._running_since is not None

    @property
    def total_s(self) -> float:
        """The time the candidate is allowed: duration plus extensions."""
        return self.duration_s + self.extension_s

    def elapsed(self) -> float:
        if self._running_since is None:
            return self._elapsed_before
        return self._elapsed_before + max(0.0, self._monotonic() - self._running_since)

    def remaining(self) -> float:
        return max(0.0, self.total_s - self.elapsed())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    # ---------------------------------------------------------------------------- persistence

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready record of the clock, to persist and later `restore`."""
        return {
            "duration_s": self.duration_s,
            "elapsed_s": self.elapsed(),
            "extension_s": self.extension_s,
            "running": self.running,
        }

    @classmethod
    def restore(cls, snapshot: dict[str, Any], *, monotonic: Monotonic = time.monotonic) -> ExamClock:
        """A clock continuing from `snapshot`; if it was running it runs again from now.

        The time between the snapshot and the restore (a crash, a reboot) is not counted: the
        session decides whether to credit that downtime or to pause until an invigilator agrees.
        """
        try:
            clock = cls(
                float(snapshot["duration_s"]),
                elapsed_s=float(snapshot["elapsed_s"]),
                extension_s=float(snapshot.get("extension_s", 0.0)),
                monotonic=monotonic,
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a clock snapshot: {snapshot!r}") from exc
        if snapshot.get("running"):
            clock.start()
        return clock


class WallClockWatch:
    """Notices when the computer's date/time moves differently from the monotonic clock.

    Call `check()` every few seconds; it returns the jump in seconds (positive: the wall clock
    moved forward, e.g. a manual change or the machine sleeping) when the wall clock drifted more
    than `tolerance_s` from the monotonic clock since the last check, else None. The exam clock is
    unaffected either way; the session journals the jump.
    """

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Monotonic = time.monotonic,
        tolerance_s: float = 2.0,
    ):
        self._wall = wall
        self._monotonic = monotonic
        self.tolerance_s = tolerance_s
        self._last = (wall(), monotonic())

    def check(self) -> float | None:
        wall, mono = self._wall(), self._monotonic()
        last_wall, last_mono = self._last
        self._last = (wall, mono)
        jump = (wall - last_wall) - (mono - last_mono)
        return jump if abs(jump) > self.tolerance_s else None
