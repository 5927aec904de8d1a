"""The room console window under load: N simulated seats in their own process, the real window here.

    .venv/bin/python bench/bench_console.py [--seats 200] [--status-every 2] [--duration 60]

A room on a free port with its embedded Mosquitto; `room simulate` runs N seats (real sessions, real
TLS connections, statuses every `--status-every` s) in a second process, as seats run on other
machines; this process runs the console window (`gui/room_console.py`), offscreen. Measured:

- **seat change → console row updated**: for every status that changes a row, the time from the
  seat sending it (its clock: the same machine) to the window's table showing it (target p95 ≤ 1 s);
- **the window's thread never blocks**: a 10 ms timer on the window's thread records how late each
  tick fires; the longest stall is reported (target ≤ 100 ms).

Run it on a quiet machine: seats, console and broker share its cores.
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--status-every", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured, once every seat runs")
    args = parser.parse_args()

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from PySide6.QtCore import QElapsedTimer, QTimer

    from exam_desktop.core.bank import load_bank
    from exam_desktop.core.sealed.keys import ScryptParams
    from exam_desktop.core.sealed.package import build_package
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.room_console import RoomConsoleWindow
    from exam_desktop.room.broker import EmbeddedBroker
    from exam_desktop.room.config import BrokerAddress, init_room, load_console_secrets
    from exam_desktop.room.console import RoomConsole
    from exam_desktop.room.simulate import simulate_command

    app = qt_application()
    folder = Path(tempfile.mkdtemp(prefix="bench-console-"))
    cheap = ScryptParams(n=2**10, r=8, p=1)  # N seats unlock at once: the start code's KDF is not measured
    built = build_package(
        load_bank(ROOT / "banks" / "ml-engineers-test.md"), Ed25519PrivateKey.generate(), kdf=cheap
    )
    package = folder / "ml.exam"
    package.write_bytes(built.package_bytes)
    passphrase = secrets.token_urlsafe(12)
    room = init_room(folder / "ROOM", passphrase, broker=BrokerAddress("127.0.0.1", free_port()), kdf=cheap)
    broker = EmbeddedBroker(room).start()
    console = RoomConsole(room, load_console_secrets(room, passphrase), collect=True)
    console.start()
    console.wait_connected()
    seats = subprocess.Popen(
        simulate_command(
            room.folder,
            package,
            built.start_code,
            args.seats,
            answer_every=10,
            status_every=args.status_every,
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    window = RoomConsoleWindow(console)
    window.resize(1600, 1000)
    window.show()

    latencies: list[float] = []
    stalls: list[float] = []
    seen: dict[str, float] = {}
    measuring = {"from": None}
    original_refresh, original_show = window.refresh, window.show_rows

    refresh_ms: list[float] = []

    def refresh() -> bool:
        started = time.perf_counter()
        did = original_refresh()
        if did:
            refresh_ms.append((time.perf_counter() - started) * 1000)
        return did

    def show_rows(rows: list) -> None:
        original_show(rows)
        if measuring["from"] is None:
            return
        now = time.time()
        for row in rows:
            sent = row.data["status_sent_at"]
            if sent is not None and seen.get(row.seat) != sent:
                seen[row.seat] = sent
                latencies.append(now - sent)

    window.show_rows = show_rows  # type: ignore[method-assign]
    window.timer.timeout.disconnect()
    window.timer.timeout.connect(refresh)
    clock = QElapsedTimer()
    clock.start()
    last = {"at": clock.elapsed(), "cpu": time.thread_time()}
    stall_cpu: list[tuple[float, float]] = []  # (stall ms, the window thread's own CPU ms meanwhile)

    def tick() -> None:
        now, cpu = clock.elapsed(), time.thread_time()
        if measuring["from"] is not None:
            stalls.append(now - last["at"] - 10)
            stall_cpu.append((stalls[-1], (cpu - last["cpu"]) * 1000))
        last["at"], last["cpu"] = now, cpu

    heartbeat = QTimer(interval=10)
    heartbeat.timeout.connect(tick)
    heartbeat.start()

    gc_ms: list[tuple[float, int]] = []  # Python's collector stops every thread of this process
    gc_started = {"at": 0.0}

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_started["at"] = time.perf_counter()
        elif measuring["from"] is not None:
            gc_ms.append(((time.perf_counter() - gc_started["at"]) * 1000, info["generation"]))

    gc.callbacks.append(on_gc)

    def check() -> None:
        running = sum(1 for r in console.view.rows() if r.state == "running")
        if measuring["from"] is None and running >= args.seats:
            measuring["from"] = time.monotonic()
            for row in console.view.rows():
                seen[row.seat] = row.status_at or 0.0
        if measuring["from"] is not None and time.monotonic() - measuring["from"] >= args.duration:
            app.quit()

    checker = QTimer(interval=500)
    checker.timeout.connect(check)
    checker.start()
    QTimer.singleShot(int((args.duration + 240) * 1000), app.quit)  # a room that never fills up
    try:
        app.exec()
    finally:
        seats.terminate()
        seats.wait(30)
        console.stop()
        broker.stop()
    if not latencies:
        print(f"the {args.seats} seats did not all run in time; nothing measured")
        return 1
    print(
        f"{args.seats} seats, status every {args.status_every} s, {args.duration:.0f} s measured: "
        f"seat change -> console row updated p50 {percentile(latencies, 50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
        f"over {len(latencies)} changes (target p95 <= 1000 ms)"
    )
    print(
        f"  the window's thread: longest stall {max(stalls):.0f} ms, p99 {percentile(stalls, 99):.0f} ms, "
        f"median {statistics.median(stalls):.0f} ms over {len(stalls)} ticks (target <= 100 ms)"
    )
    print(
        f"  of which the table and feed refresh: longest {max(refresh_ms):.0f} ms, "
        f"p99 {percentile(refresh_ms, 99):.0f} ms over {len(refresh_ms)} refreshes"
    )
    longest = sorted(stall_cpu, reverse=True)[:5]
    print(
        "  the longest stalls and the window thread's own CPU time in them (the rest it waited for "
        "a core or for the GIL): " + ", ".join(f"{wall:.0f} ms ({cpu:.0f} ms CPU)" for wall, cpu in longest)
    )
    if gc_ms:
        longest_gc = max(gc_ms)
        print(
            f"  Python's garbage collector: {len(gc_ms)} runs, longest {longest_gc[0]:.1f} ms "
            f"(generation {longest_gc[1]}; {sum(1 for _, g in gc_ms if g == 2)} full collections)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
