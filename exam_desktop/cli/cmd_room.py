"""`exam-desktop room init|serve|status|act|simulate`: run an exam room from one machine (docs/room.md)."""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from exam_desktop.cli.cmd_keys import PASSPHRASE_ENV, read_passphrase
from exam_desktop.core.errors import KnownError

if TYPE_CHECKING:
    from exam_desktop.room.config import ConsoleSecrets, RoomConfig
    from exam_desktop.room.console import RoomConsole

NAME = "room"
HELP = "the exam room over the network: make a room, serve it, watch and command every seat"
ACT_ACTIONS = ("start", "extend", "pause", "resume", "unlock", "end", "permit-quit", "announce")


def _passphrase_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help=f"read the room console's passphrase from FILE (first line) instead of asking; "
        f"the environment variable {PASSPHRASE_ENV} works too",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    init = actions.add_parser(
        "init", help="make a room: room.json for the seats, the console's keys, broker files"
    )
    init.add_argument(
        "-o", "--output", type=Path, required=True, metavar="ROOM", help="the room folder to create"
    )
    init.add_argument(
        "--broker",
        metavar="HOST:PORT",
        help="the broker address the seats connect to (default: this machine's name, port 8883)",
    )
    init.add_argument("--exam", type=Path, metavar="EXAM.exam", help="bind the room to this exam package")
    init.add_argument("--name", default="", help="a name for the room shown on the console")
    _passphrase_argument(init)

    serve = actions.add_parser("serve", help="run the room headless: broker and collector, until stopped")
    serve.add_argument("room", type=Path, metavar="ROOM")
    serve.add_argument(
        "--no-broker",
        action="store_true",
        help="do not start the embedded broker: the room uses an external Mosquitto at its address",
    )
    _passphrase_argument(serve)

    status = actions.add_parser("status", help="the room's table: every seat, attention first")
    status.add_argument("room", type=Path, metavar="ROOM")
    status.add_argument("--json", action="store_true", help="one JSON object per seat, in a list")
    _passphrase_argument(status)

    act = actions.add_parser("act", help="a signed command to some or all seats, with a reason")
    act.add_argument("room", type=Path, metavar="ROOM")
    act.add_argument("command", choices=ACT_ACTIONS, metavar="|".join(ACT_ACTIONS))
    which = act.add_mutually_exclusive_group(required=True)
    which.add_argument("--seat", nargs="+", metavar="S", help="the seats")
    which.add_argument("--all", action="store_true", help="every seat that has reported")
    act.add_argument(
        "--minutes", type=float, metavar="M", help="extend: minutes to add (negative: take back)"
    )
    act.add_argument("--text", metavar="T", help="announce: the text shown to candidates")
    act.add_argument("--code", metavar="CODE", help="start: the start code the seats unlock with")
    act.add_argument("--reason", required=True, metavar="R", help="why (journaled here and at each seat)")
    act.add_argument("--who", default=None, help="who takes the action (default: your user name)")
    act.add_argument(
        "--wait",
        type=float,
        default=15.0,
        metavar="S",
        help="seconds to wait for the seats' acknowledgements",
    )
    _passphrase_argument(act)

    console = actions.add_parser(
        "console", help="the room console window: every seat on one screen, actions, the room clock"
    )
    console.add_argument("room", type=Path, metavar="ROOM")
    console.add_argument(
        "--no-broker",
        action="store_true",
        help="do not start the embedded broker: the room uses an external Mosquitto at its address",
    )
    _passphrase_argument(console)

    demo = actions.add_parser(
        "demo", help="a whole room on this machine: broker, console window and simulated seats"
    )
    demo.add_argument("--seats", type=int, default=40, metavar="N", help="simulated seats (default 40)")

    simulate = actions.add_parser("simulate", help="N headless seats with scripted candidates join the room")
    simulate.add_argument("room", type=Path, metavar="ROOM")
    simulate.add_argument("package", type=Path, metavar="EXAM.exam")
    simulate.add_argument("--code", required=True, help="the package's start code")
    simulate.add_argument("--seats", type=int, required=True, metavar="N")
    simulate.add_argument(
        "--answer-every", type=float, default=20.0, metavar="S", help="seconds between answers"
    )
    simulate.add_argument(
        "--submit-after", type=float, default=None, metavar="S", help="submit S seconds after the start"
    )
    simulate.add_argument(
        "--status-every", type=float, default=3.0, metavar="S", help="seconds between status reports"
    )
    simulate.add_argument(
        "--wait-for-start", action="store_true", help="wait for `room act start` instead of typing the code"
    )
    simulate.add_argument(
        "--data-dir", type=Path, metavar="DIR", help="the seats' data (default: ROOM/simulated/)"
    )
    simulate.add_argument(
        "--seat-prefix", default="sim", metavar="P", help="seats are named P-001, P-002, ..."
    )


def run(args: argparse.Namespace) -> int:
    return {
        "init": run_init,
        "serve": run_serve,
        "status": run_status,
        "act": run_act,
        "simulate": run_simulate,
        "console": run_console,
        "demo": run_demo,
    }[args.action](args)


def run_console(args: argparse.Namespace) -> int:
    from exam_desktop.gui.room_console import run_console_window
    from exam_desktop.room.broker import EmbeddedBroker
    from exam_desktop.room.config import load_room
    from exam_desktop.room.console import RoomConsole

    room = load_room(args.room)
    secrets = _secrets(args, room)
    broker = None if args.no_broker else EmbeddedBroker(room).start()
    console = RoomConsole(room, secrets, collect=True)
    try:
        console.start()
        return run_console_window(console)
    finally:
        console.stop()
        if broker is not None:
            broker.stop()


def run_demo(args: argparse.Namespace) -> int:
    from exam_desktop.gui.room_console import run_demo as demo

    if args.seats < 1:
        raise KnownError("--seats must be at least 1.")
    return demo(args.seats)


def _secrets(args: argparse.Namespace, room: RoomConfig) -> ConsoleSecrets:
    from exam_desktop.room.config import load_console_secrets

    return load_console_secrets(
        room, read_passphrase(args, confirm=False, prompt="Room console passphrase: ")
    )


def run_init(args: argparse.Namespace) -> int:
    from exam_desktop.room.config import BrokerAddress, init_room

    broker = BrokerAddress.parse(args.broker) if args.broker else None
    if args.exam is not None:  # a wrong package is said before the passphrase is asked
        from exam_desktop.core.sealed.package import read_package_header

        try:
            read_package_header(args.exam)
        except KnownError as exc:
            raise KnownError(f"--exam {args.exam}: {exc}") from None
    passphrase = read_passphrase(args, confirm=True, prompt="Room console passphrase: ")
    room = init_room(args.output, passphrase, broker=broker, exam_package=args.exam, name=args.name)
    print(f"Room {room.name} made in {room.folder}.")
    print(f"Seats join with: exam-desktop launch EXAM.exam --room {room.path}  (copy room.json to each seat)")
    print(f"Broker address: {room.broker}; console key fingerprint: {room.console_fingerprint}")
    print(f"Keep {room.folder / 'console.key'} and its passphrase on the console machine only.")
    return 0


def _console(args: argparse.Namespace, *, collect: bool) -> RoomConsole:
    from exam_desktop.room.config import load_room
    from exam_desktop.room.console import RoomConsole
    from exam_desktop.room.seat import broker_problem

    room = load_room(args.room)
    secrets = _secrets(args, room)
    problem = broker_problem(room)
    if problem:
        raise KnownError(f"{problem} Is `room serve` running?")
    console = RoomConsole(room, secrets, collect=collect)
    console.start()
    return console


def run_serve(args: argparse.Namespace) -> int:
    from exam_desktop.room.broker import EmbeddedBroker
    from exam_desktop.room.config import load_room
    from exam_desktop.room.console import RoomConsole

    room = load_room(args.room)
    secrets = _secrets(args, room)
    broker = None if args.no_broker else EmbeddedBroker(room).start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    console = RoomConsole(room, secrets, collect=True)
    try:
        console.start()
        where = "embedded broker" if broker else "external broker"
        print(
            f"Room {room.name} served on {room.broker} ({where}); results go to {console.results_dir}.",
            flush=True,
        )
        print("Stop with Ctrl+C.", flush=True)
        shown = 0
        while not stop.wait(0.5):
            shown = _print_feed(console, shown)
            if broker is not None and not broker.running():
                raise KnownError(f"The embedded broker stopped; its log says: {broker.log_tail()}")
        _print_feed(console, shown)
    finally:
        console.stop()
        if broker is not None:
            broker.stop()
    print("Room stopped.", flush=True)
    return 0


def _print_feed(console: RoomConsole, shown: int) -> int:
    """Print the feed entries after the first `shown`; returns how many are shown now."""
    feed = console.view.feed()
    for entry in feed[shown:] if len(feed) >= shown else feed:
        stamp = time.strftime("%H:%M:%S", time.localtime(entry.at))
        print(f"{stamp} {entry.seat} {entry.kind}: {entry.text}", flush=True)
    return len(feed)


def run_status(args: argparse.Namespace) -> int:
    from exam_desktop.room.view import format_table

    console = _console(args, collect=False)
    try:
        console.wait_settled()
        now = time.time()
        if args.json:
            print(json.dumps(console.view.to_json(now), indent=2, ensure_ascii=False))
        else:
            print(format_table(console.view, now))
            pending = [
                r for r in console.view.rows(now) if r.state in ("submitted", "exported") and not r.collected
            ]
            if pending:
                print(f"Submitted but not collected: {', '.join(r.seat for r in pending)}")
    finally:
        console.stop()
    return 0


def run_act(args: argparse.Namespace) -> int:
    console = _console(args, collect=False)
    try:
        console.wait_settled()
        seats = None if args.all else args.seat
        if seats is None and not console.targets(None):
            raise KnownError("No seat of the room is taking the exam now, so --all reaches nobody.")
        commands = console.send(
            args.command,
            seats,
            who=args.who or getpass.getuser(),
            reason=args.reason,
            minutes=args.minutes,
            text=args.text,
            code=args.code,
        )
        acks = console.wait_acks(commands, args.wait)
    finally:
        console.stop()
    failed = 0
    for command in commands:
        ack = acks.get(command.seq)
        if ack is None:
            failed += 1
            print(f"{command.seat}: not acknowledged yet (delivered when the seat is back, until it expires)")
        elif not ack.ok:
            failed += 1
            print(f"{command.seat}: refused: {ack.message}")
        else:
            print(f"{command.seat}: {args.command} applied")
    return 1 if failed else 0


def run_simulate(args: argparse.Namespace) -> int:
    from exam_desktop.room.config import load_room
    from exam_desktop.room.simulate import SimulatedRoom, SimulationSettings

    room = load_room(args.room)
    if args.seats < 1:
        raise KnownError("--seats must be at least 1.")
    data_dir = args.data_dir or room.folder / "simulated" / time.strftime("%Y%m%d-%H%M%S")
    settings = SimulationSettings(
        package=args.package,
        code=args.code,
        seats=args.seats,
        data_dir=data_dir,
        answer_every_s=args.answer_every,
        submit_after_s=args.submit_after,
        status_every_s=args.status_every,
        wait_for_start=args.wait_for_start,
        seat_prefix=args.seat_prefix,
    )
    simulated = SimulatedRoom(room, settings)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: simulated.stop())
    try:
        simulated.begin()
        print(f"{args.seats} simulated seats joined {room.broker}; their data is in {data_dir}.", flush=True)
        simulated.run(report=lambda line: print(line, flush=True))
    finally:
        simulated.close()
    return 0
