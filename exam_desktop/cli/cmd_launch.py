"""`exam-desktop launch EXAM.exam`: the proctored session on a lab machine, in the kiosk."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from exam_desktop import paths
from exam_desktop.core.errors import KnownError
from exam_desktop.core.seat.incidents import INCIDENT_KINDS, SessionRules

if TYPE_CHECKING:
    from exam_desktop.core.seat.session import ExamSession, LaunchSettings
    from exam_desktop.gui.kiosk import KioskWindow
    from exam_desktop.room.seat import SeatLink

NAME = "launch"
HELP = "run a proctored exam from its package: preflight, identification, start code, kiosk"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", type=Path, metavar="EXAM.exam", help="the candidate package")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"where answers and the journal are kept, on a local disk (default: {paths.data_dir()})",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the result bundle goes at the end (default: the one set at build, if any)",
    )
    parser.add_argument(
        "--office-key",
        type=Path,
        default=None,
        metavar="PUB",
        help="the exam office public key the package must be signed with "
        "(default: the one installed with `exam-desktop keys install`; with neither, the kiosk "
        "starts only when the invigilator overrides with the PIN, which is journaled)",
    )
    parser.add_argument(
        "--pin",
        metavar="PIN",
        help="the invigilator PIN, if none was set at build (kept only as a salted hash)",
    )
    parser.add_argument(
        "--policy",
        metavar="RULES",
        help="incident rules: a JSON file, JSON text, or kind=action pairs such as "
        f"'focus-lost=lock,grace=10' (kinds: {', '.join(INCIDENT_KINDS)}; actions: log, warn, "
        "lock; grace: minutes of downtime credited without the PIN). See docs/lockdown.md",
    )
    parser.add_argument(
        "--recover",
        action="store_true",
        help="invigilator: the session's answer file is damaged; move it aside, copy everything "
        "readable into a new one and continue from it",
    )
    parser.add_argument(
        "--room",
        type=Path,
        default=None,
        metavar="ROOM/room.json",
        help="join the exam room: status to the room console, its commands obeyed, results collected "
        "(docs/room.md); without a reachable room the exam runs on the seat alone",
    )
    parser.add_argument(
        "--seat",
        default=None,
        metavar="NAME",
        help="this seat's name in the room (default: the machine's name)",
    )
    parser.add_argument(
        "--windowed",
        action="store_true",
        help="for rehearsals: a normal window instead of full screen (the lockdown still applies)",
    )


def run(args: argparse.Namespace) -> int:
    kiosk = start(args)
    from exam_desktop.gui.application import qt_application

    qt_application().exec()
    return 0 if kiosk.finished or not kiosk.exam_running else 1


def start(args: argparse.Namespace) -> KioskWindow:
    """Check everything that needs no window, then open the kiosk (the caller runs Qt's loop)."""
    try:
        settings = launch_settings(args)
        if args.recover:
            recover(settings)
        session = open_session(settings, args.pin)
    except KnownError as exc:
        if on_screen():  # a kiosk session has no terminal: say it on the screen too
            from exam_desktop.gui.kiosk import show_refusal

            show_refusal(str(exc), _language_of(args.package))
        raise
    from exam_desktop.gui.application import qt_application  # Qt only once the checks passed
    from exam_desktop.gui.kiosk import open_kiosk

    qt_application()
    return open_kiosk(session, full_screen=not args.windowed, room_link=join_room(args, session))


def join_room(args: argparse.Namespace, session: ExamSession) -> SeatLink | None:
    """The seat's room link, or None; a room that cannot be used now is one sentence, not a stop."""
    if getattr(args, "room", None) is None:
        return None
    from exam_desktop.room.seat import join_room as join

    link, problem = join(args.room, session, args.seat)
    if problem:
        print(f"note: {problem}", file=sys.stderr)
    return link


def launch_settings(args: argparse.Namespace) -> LaunchSettings:
    from exam_desktop.core.sealed.keys import installed_office_key, load_public_key
    from exam_desktop.core.seat.session import LaunchSettings

    data_dir = args.data_dir or paths.data_dir()
    office_key = load_public_key(args.office_key) if args.office_key else installed_office_key(data_dir)
    return LaunchSettings(
        package=args.package,
        data_dir=data_dir,
        results_dir=args.results_dir,
        office_public_key=office_key,
        pin=args.pin,
        rules=SessionRules.parse(args.policy) if args.policy else None,
    )


def open_session(settings: LaunchSettings, pin: str | None) -> ExamSession:
    """The session, after the checks that need no window: package, answer file, PIN, preflight."""
    from exam_desktop.core.seat.session import ExamSession

    session = ExamSession(settings)  # refuses a damaged package or session before any window
    try:
        session.preflight()
    except KnownError:
        session.close()
        raise
    stored_pin = session.desk is not None and session.desk.pin_record is not None
    if pin is None and session.header.pin is None and not stored_pin:
        session.close()
        raise KnownError(
            "No invigilator PIN is set for this exam: give one with --pin (or at build), so that "
            "an invigilator can unlock, extend and end it."
        )
    return session


def on_screen() -> bool:
    """Whether a person can see a window (not when Qt draws offscreen, e.g. in tests)."""
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or sys.platform in (
        "win32",
        "darwin",
    )


def recover(settings: LaunchSettings) -> None:
    """Move a damaged answer file aside and rebuild it from what is readable."""
    from exam_desktop.core.sealed.package import read_package_header
    from exam_desktop.core.seat.resume import recover_session, session_path

    header = read_package_header(settings.package, settings.office_public_key)
    package_hash = hashlib.sha256(Path(settings.package).read_bytes()).hexdigest()
    path = session_path(settings.data_dir, header.exam_id, package_hash)
    if not path.exists():
        raise KnownError(f"There is no session of this package on this machine ({path}).")
    recovery = recover_session(path)
    state = "complete: nothing was lost" if recovery.complete else "INCOMPLETE"
    print(f"Recovered into {recovery.path} ({state}); the damaged file was kept next to it.")
    for line in recovery.lines():
        print(f"  {line}")


def _language_of(package: Path) -> str:
    """The exam's language, for a refusal: from the package's public header when it can be read
    (a refusal may be about the package itself), else English."""
    from exam_desktop.core.sealed.package import read_package_header

    try:
        return read_package_header(package).language
    except (KnownError, OSError, ValueError):
        return "en"
