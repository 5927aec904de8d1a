"""The room under load: N simulated seats (real sessions, real TLS connections) and one console.

    .venv/bin/python bench/bench_room.py [--seats 200] [--status-every 2] [--duration 60]
                                         [--broker both|embedded|external] [--rounds 2]

For each broker deployment, in one run: N seats join a fresh room, report every `--status-every`
seconds and answer questions, while the bench, every 0.2 s, picks a seat that
- raises a hand (a seat change): the time until the console's `RoomView` row shows it;
- and is sent a signed command (an announcement): the time until the seat applied it and the
  console received its acknowledgement.
Prints p50/p95/max in milliseconds per deployment; targets p95 ≤ 1000 ms for both. "embedded" is
the Mosquitto child `room serve` starts; "external" is a Mosquitto started separately from the
room's `broker/mosquitto.conf`, as IT runs it (the same Mosquitto with the same configuration:
only who starts it differs).

The deployments are measured in turns, `--rounds` times, the order swapped every round
(embedded, external, external, embedded, ...), so that a change in the machine's load does not
favour one of them; each run prints the load average and how many seats reconnected meanwhile.

All N seats run on this process's one thread, which a lab never does (one seat a machine, its
room tick every 0.25 s). So that the figures measure the room and not this loop, the probed seats
(a hand up, a command on its way) are ticked on their own 0.25 s cadence between slices of the
others' steps, as their own machine would; every other seat is stepped as fast as the loop
goes ("seat loop" in the output). A hand raised just after a tick still waits up to 0.25 s, as
at a real seat. Run it on a quiet machine: seats, console and broker share its cores.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.bank import load_bank
from exam_desktop.core.sealed.keys import ScryptParams
from exam_desktop.core.sealed.package import build_package
from exam_desktop.room.broker import EmbeddedBroker, find_mosquitto
from exam_desktop.room.config import BrokerAddress, init_room, load_console_secrets
from exam_desktop.room.console import RoomConsole
from exam_desktop.room.protocol import Command
from exam_desktop.room.simulate import SimulatedRoom, SimulationSettings

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "banks" / "sample-every-kind.md"
TARGET_P95_MS = 1000.0
SEAT_TICK_S = 0.25  # the kiosk's room tick (gui/kiosk.py ROOM_TICK_MS)
SLICE = 20  # seats stepped between two looks at the probed seats
CHEAP = ScryptParams(n=2**10, r=8, p=1)
PASSPHRASE = "bench passphrase"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_room(folder: Path, deployment: str, seats: int, status_every: float, duration: float) -> dict:
    exam = load_bank(BANK)
    built = build_package(exam, Ed25519PrivateKey.generate(), kdf=CHEAP, draw_figures=False)
    package = folder / "bench.exam"
    package.write_bytes(built.package_bytes)
    room = init_room(
        folder / "ROOM",
        PASSPHRASE,
        broker=BrokerAddress("127.0.0.1", free_port()),
        exam_package=package,
        kdf=CHEAP,
    )
    secrets = load_console_secrets(room, PASSPHRASE)
    external = embedded = None
    if deployment == "embedded":
        embedded = EmbeddedBroker(room).start()
    else:
        conf = room.folder / "broker" / "mosquitto.conf"
        external = subprocess.Popen([str(find_mosquitto()), "-c", str(conf)], stdout=subprocess.DEVNULL)
        time.sleep(0.5)
    console = RoomConsole(room, secrets, collect=True)
    console.start()
    console.wait_connected()
    simulation = SimulatedRoom(
        room,
        SimulationSettings(
            package=package,
            code=built.start_code,
            seats=seats,
            data_dir=folder / "seats",
            answer_every_s=10.0,
            status_every_s=status_every,
            tick_s=0.1,
        ),
    )
    started = time.monotonic()
    simulation.begin()
    joined_s = time.monotonic() - started
    hand_wait: dict[str, tuple[int, float]] = {}
    hand_ms: list[float] = []
    lock = threading.Lock()

    def on_change(seat: str) -> None:
        with lock:
            waiting = hand_wait.get(seat)
        row = console.view.row(seat)
        hand = row.status.get("hand") if row else None
        if waiting and isinstance(hand, dict) and hand.get("id") == waiting[0]:
            with lock:
                hand_wait.pop(seat, None)
            hand_ms.append((time.monotonic() - waiting[1]) * 1000)

    console.view.listeners.append(on_change)
    deadline = time.monotonic() + 180  # a loaded machine joins 200 seats slowly
    while len(console.view.rows()) < seats and time.monotonic() < deadline:
        simulation.step()
        time.sleep(0.1)
    by_name = {s.name: s for s in simulation.seats}
    rng = random.Random(1)
    commands: dict[int, tuple[Command, float]] = {}
    command_ms: list[float] = []
    probed: dict[str, float] = {}  # seat -> when its own machine ticks it next
    loop_s: list[float] = []
    connections = sum(s.seat.link.connections for s in simulation.seats)
    load = os.getloadavg()[0]
    next_probe = time.monotonic()
    end = time.monotonic() + duration

    def look_at_probes() -> None:
        nonlocal next_probe
        now = time.monotonic()
        for name, due in list(probed.items()):
            if now >= due:
                by_name[name].step(now)
                probed[name] = now + SEAT_TICK_S
        if now >= next_probe:
            next_probe = now + 0.2
            seat = rng.choice([s for s in simulation.seats if console.view.row(s.name) is not None])
            seat.seat.hand = None  # the bench lowers it itself: every raise is a new change
            seat.seat.raise_hand()
            assert seat.seat.hand is not None
            with lock:
                hand_wait[seat.name] = (seat.seat.hand["id"], time.monotonic())
            for command in console.send("announce", [seat.name], who="bench", reason="probe", text="probe"):
                commands[command.seq] = (command, time.monotonic())
            probed.setdefault(seat.name, time.monotonic() + rng.uniform(0, SEAT_TICK_S))
        for seq, ack in console.wait_acks([c for c, _ in commands.values()], 0).items():
            if ack is not None:
                command_ms.append((ack.received_at - commands.pop(seq)[1]) * 1000)
        with lock:
            waiting = set(hand_wait)
        pending = waiting | {c.seat for c, _ in commands.values()}
        for name in set(probed) - pending:
            del probed[name]

    while time.monotonic() < end:
        started_loop = time.monotonic()
        for first in range(0, len(simulation.seats), SLICE):
            now = time.monotonic()
            for seat in simulation.seats[first : first + SLICE]:
                if seat.name not in probed:
                    seat.step(now)
            look_at_probes()
        loop_s.append(time.monotonic() - started_loop)
        pause = time.monotonic() + 0.1
        while time.monotonic() < pause:
            look_at_probes()
            time.sleep(0.02)
    reconnections = sum(s.seat.link.connections for s in simulation.seats) - connections
    load = max(load, os.getloadavg()[0])
    simulation.close()
    console.stop()
    if embedded is not None:
        embedded.stop()
    if external is not None:
        external.terminate()
        external.wait(10)
    return {
        "deployment": deployment,
        "seats": seats,
        "joined_s": joined_s,
        "hand_ms": hand_ms,
        "command_ms": command_ms,
        "unanswered": len(commands),
        "loop_ms": (statistics.median(loop_s) * 1000, max(loop_s) * 1000) if loop_s else (0.0, 0.0),
        "reconnections": reconnections,
        "load": load,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--status-every", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--broker", choices=("both", "embedded", "external"), default="both")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="each deployment this many times, in turns (order swapped each round)",
    )
    args = parser.parse_args()
    deployments = ["embedded", "external"] if args.broker == "both" else [args.broker]
    results = []
    for round_no in range(args.rounds):
        for deployment in deployments if round_no % 2 == 0 else deployments[::-1]:
            with tempfile.TemporaryDirectory() as folder:
                result = run_room(Path(folder), deployment, args.seats, args.status_every, args.duration)
            result["round"] = round_no + 1
            results.append(result)
    ok = True
    print(
        f"{'round':>5} {'deployment':<10} {'seats':>5} {'join s':>7} {'load':>5} {'seat loop ms':>13} {'reconn':>6}  "
        f"{'measure':<26} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    )
    rows = [*results]
    if args.rounds > 1:  # every round of a deployment together
        for deployment in deployments:
            mine = [r for r in results if r["deployment"] == deployment]
            rows.append(
                {
                    "round": "all",
                    "deployment": deployment,
                    "seats": args.seats,
                    "joined_s": max(r["joined_s"] for r in mine),
                    "load": max(r["load"] for r in mine),
                    "loop_ms": (
                        statistics.median(r["loop_ms"][0] for r in mine),
                        max(r["loop_ms"][1] for r in mine),
                    ),
                    "reconnections": sum(r["reconnections"] for r in mine),
                    "hand_ms": [v for r in mine for v in r["hand_ms"]],
                    "command_ms": [v for r in mine for v in r["command_ms"]],
                    "unanswered": sum(r["unanswered"] for r in mine),
                }
            )
    for r in rows:
        loop = f"{r['loop_ms'][0]:.0f}/{r['loop_ms'][1]:.0f}"
        for name, values in (
            ("seat change -> row", r["hand_ms"]),
            ("command -> applied+acked", r["command_ms"]),
        ):
            p95 = percentile(values, 0.95)
            if r["round"] == "all" or args.rounds == 1:
                ok = ok and p95 <= TARGET_P95_MS
            print(
                f"{r['round']:>5} {r['deployment']:<10} {r['seats']:>5} {r['joined_s']:>7.1f} {r['load']:>5.2f} "
                f"{loop:>13} {r['reconnections']:>6}  {name:<26} {len(values):>5} "
                f"{statistics.median(values) if values else float('nan'):>8.1f} {p95:>8.1f} "
                f"{max(values) if values else float('nan'):>8.1f}"
            )
        if r["unanswered"]:
            print(f"  {r['unanswered']} commands not acknowledged by the end of the run")
    print(
        "load: the 1-minute load average (the higher of start and end); seat loop: p50/max of one step of every seat"
    )
    print(f"target: p95 ≤ {TARGET_P95_MS:.0f} ms for both measures: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
