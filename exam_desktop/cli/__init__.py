"""The `exam-desktop` command. One module per verb: `exam_desktop/cli/cmd_<verb>.py`.

Each verb module defines NAME, HELP, `add_arguments(parser)` and `run(args) -> int` (the exit code);
the operation itself lives in the core (or GUI) and the module only parses arguments and prints.
Known errors (a bad bank, a wrong start code, a tampered bundle) become one clear message and a
non-zero exit; anything else is a bug and is reported as such.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from types import ModuleType

from exam_desktop import __version__
from exam_desktop.core.errors import KnownError


def verb_modules(verb: str | None = None) -> list[ModuleType]:
    """Every verb's module; only `verb`'s when it names one (`cmd_<verb>.py`, a `-` written `_`),
    so that a command loads its own module and not all the others (a key's, a room's, ...)."""
    package = sys.modules[__name__]
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("cmd_"))
    wanted = "cmd_" + verb.replace("-", "_") if verb else None
    if wanted in names:
        module = importlib.import_module(f"{__name__}.{wanted}")
        if verb == module.NAME:  # not a near miss such as export_results: that gets the whole list
            return [module]
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The command line; with `verb`, only that verb's subcommand when it names one."""
    parser = argparse.ArgumentParser(
        prog="exam-desktop",
        description="Proctored exams on lab machines: banks, candidate window, packages, grading.",
    )
    parser.add_argument("--version", action="version", version=f"exam-desktop {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for module in verb_modules(verb):
        sub = verbs.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from exam_desktop.cli.environment import clear_overrides

    clear_overrides()  # before anything imports Qt
    argv = sys.argv[1:] if argv is None else list(argv)
    verb = argv[0] if argv and not argv[0].startswith("-") else None
    parser = build_parser(verb)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:  # `... | head`: the reader has all it wanted; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not fail again
        return 141  # as a shell reports a command ended by SIGPIPE
    except KnownError as exc:
        print(f"exam-desktop {args.verb}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception:  # a bug: say so plainly, keep the details for the report
        print(
            f"exam-desktop {args.verb}: internal error (a bug, not your input). Details:",
            file=sys.stderr,
        )
        traceback.print_exc()
        return 70
