"""The room under load: N simulated seats (real sessions, real TLS connections) and one console.

    .venv/bin/python bench/bench_room.py [--seats 200] [--status-every 2] [--duration 60]
                                         [--broker both|embedded|external] [--rounds 2]
                                         [--probe-seats 10] [--seats-per-process 50]

For each broker deployment: N seats join a fresh room and report every `--status-every` seconds
and answer questions, while the bench, every 0.2 s, picks one of the probe seats that
- raises a hand (a seat change): the time until the console's `RoomView` row shows it;
- and is sent a signed command (an announcement): the time until the seat applied it and the
  console received its acknowledgement.
Prints p50/p95/max in milliseconds per deployment; targets p95 ≤ 1000 ms for both. "embedded" is
the Mosquitto child `room serve` starts; "external" is a Mosquitto started separately from the
room's `broker/mosquitto.conf`, as IT runs it (the same Mosquitto with the same configuration:
only who starts it differs).

The deployments are measured in turns, `--rounds` times, the order swapped every round
(embedded, external, external, embedded, ...), so that a change of the machine's load does not
favour one of them; each run prints the load average.

Seats as in a lab: the console and the `--probe-seats` seats run in this process, each probe seat
ticked on its own 0.25 s room tick as the kiosk does (a hand raised just after a tick waits up to
0.25 s, as at a real seat); the other seats run as `room simulate` processes of
`--seats-per-process` seats, standing for the other machines (all still share this machine's
cores). Run it on a quiet machine: seats, console and broker share its cores.

This bench has no window: the figure "the console's UI thread never blocks > 100 ms" is
measured by bench/bench_console.py, with the real window and N seats.
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
from exam_desktop.room.broker import EmbeddedBroker, die_with_parent, find_mosquitto
from exam_desktop.room.config import BrokerAddress, init_room, load_console_secrets
from exam_desktop.room.console import RoomConsole
from exam_desktop.room.protocol import Command
from exam_desktop.room.simulate import SimulatedRoom, SimulationSettings, simulate_command

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "banks" / "sample-every-kind.md"
TARGET_P95_MS = 1000.0
SEAT_TICK_S = 0.25  # the kiosk's room tick (gui/kiosk.py ROOM_TICK_MS)
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


def run_room(
    folder: Path,
    deployment: str,
    seats: int,
    status_every: float,
    duration: float,
    probe_seats: int,
    per_process: int,
) -> dict:
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
        external = subprocess.Popen(
            [str(find_mosquitto()), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(0.5)
    console = RoomConsole(room, secrets, collect=True)
    console.start()
    console.wait_connected()
    probes = min(probe_seats, seats)
    started = time.monotonic()
    load_seats = []  # the other seats: `room simulate` processes, as other machines
    for number, first in enumerate(range(0, seats - probes, per_process), start=1):
        load_seats.append(
            subprocess.Popen(
                simulate_command(
                    room.folder,
                    package,
                    built.start_code,
                    min(per_process, seats - probes - first),
                    answer_every=10,
                    status_every=status_every,
                    seat_prefix=f"load{number}",
                    data_dir=folder / f"load{number}",
                ),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=die_with_parent(),
            )
        )
    simulation = SimulatedRoom(
        room,
        SimulationSettings(
            package=package,
            code=built.start_code,
            seats=probes,
            data_dir=folder / "seats",
            answer_every_s=10.0,
            status_every_s=status_every,
            seat_prefix="probe",
        ),
    )
    simulation.begin()
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
    rng = random.Random(1)
    due = {s.name: time.monotonic() + rng.uniform(0, SEAT_TICK_S) for s in simulation.seats}

    def step_due_seats() -> None:  # each probe seat on its own machine's tick
        now = time.monotonic()
        for seat in simulation.seats:
            if now >= due[seat.name]:
                seat.step(now)
                due[seat.name] = max(due[seat.name] + SEAT_TICK_S, now)

    deadline = time.monotonic() + 180  # a loaded machine joins 200 seats slowly
    while len(console.view.rows()) < seats and time.monotonic() < deadline:
        step_due_seats()
        time.sleep(0.02)
    joined_s = time.monotonic() - started
    joined = len(console.view.rows())
    commands: dict[int, tuple[Command, float]] = {}
    command_ms: list[float] = []
    connections = sum(s.seat.link.connections for s in simulation.seats)
    load = os.getloadavg()[0]
    next_probe = time.monotonic()
    end = time.monotonic() + duration
    while time.monotonic() < end:
        step_due_seats()
        now = time.monotonic()
        if now >= next_probe:
            next_probe = now + 0.2
            with lock:
                pending = set(hand_wait) | {c.seat for c, _ in commands.values()}
            free = [s for s in simulation.seats if s.name not in pending]
            if free:
                seat = rng.choice(free)
                seat.seat.hand = None  # the bench lowers it itself: every raise is a new change
                seat.seat.raise_hand()
                assert seat.seat.hand is not None
                with lock:
                    hand_wait[seat.name] = (seat.seat.hand["id"], time.monotonic())
                for command in console.send(
                    "announce", [seat.name], who="bench", reason="probe", text="probe"
                ):
                    commands[command.seq] = (command, time.monotonic())
        for seq, ack in console.wait_acks([c for c, _ in commands.values()], 0).items():
            if ack is not None:
                command_ms.append((ack.received_at - commands.pop(seq)[1]) * 1000)
        time.sleep(0.01)
    reconnections = sum(s.seat.link.connections for s in simulation.seats) - connections
    load = max(load, os.getloadavg()[0])
    for process in load_seats:
        process.terminate()
    simulation.close()
    for process in load_seats:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    console.stop()
    if embedded is not None:
        embedded.stop()
    if external is not None:
        external.terminate()
        external.wait(10)
    return {
        "deployment": deployment,
        "seats": seats,
        "joined": joined,
        "joined_s": joined_s,
        "hand_ms": hand_ms,
        "command_ms": command_ms,
        "unanswered": len(commands),
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
    parser.add_argument(
        "--probe-seats", type=int, default=10, help="seats in this process that the probes go to (default 10)"
    )
    parser.add_argument(
        "--seats-per-process",
        type=int,
        default=50,
        help="the other seats: `room simulate` processes of this many",
    )
    args = parser.parse_args()
    deployments = ["embedded", "external"] if args.broker == "both" else [args.broker]
    results = []
    for round_no in range(args.rounds):
        for deployment in deployments if round_no % 2 == 0 else deployments[::-1]:
            with tempfile.TemporaryDirectory() as folder:
                result = run_room(
                    Path(folder),
                    deployment,
                    args.seats,
                    args.status_every,
                    args.duration,
                    args.probe_seats,
                    args.seats_per_process,
                )
            result["round"] = round_no + 1
            results.append(result)
    ok = True
    print(
        f"{'round':>5} {'deployment':<10} {'seats':>5} {'join s':>7} {'load':>5} {'reconn':>6}  "
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
                    "joined": min(r["joined"] for r in mine),
                    "joined_s": max(r["joined_s"] for r in mine),
                    "load": max(r["load"] for r in mine),
                    "reconnections": sum(r["reconnections"] for r in mine),
                    "hand_ms": [v for r in mine for v in r["hand_ms"]],
                    "command_ms": [v for r in mine for v in r["command_ms"]],
                    "unanswered": sum(r["unanswered"] for r in mine),
                }
            )
    for r in rows:
        for name, values in (
            ("seat change -> row", r["hand_ms"]),
            ("command -> applied+acked", r["command_ms"]),
        ):
            p95 = percentile(values, 0.95)
            if r["round"] == "all" or args.rounds == 1:
                ok = ok and p95 <= TARGET_P95_MS
            print(
                f"{r['round']:>5} {r['deployment']:<10} {r['seats']:>5} {r['joined_s']:>7.1f} {r['load']:>5.2f} "
                f"{r['reconnections']:>6}  {name:<26} {len(values):>5} "
                f"{statistics.median(values) if values else float('nan'):>8.1f} {p95:>8.1f} "
                f"{max(values) if values else float('nan'):>8.1f}"
            )
        if r["joined"] < r["seats"]:
            print(f"  only {r['joined']} of {r['seats']} seats had reported when the measuring began")
        if r["unanswered"]:
            print(f"  {r['unanswered']} commands not acknowledged by the end of the run")
    print(
        "load: the 1-minute load average (the higher of start and end); reconn: reconnections of the "
        "probe seats while measuring"
    )
    print(f"target: p95 ≤ {TARGET_P95_MS:.0f} ms for both measures: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
