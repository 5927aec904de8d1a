"""`exam-desktop keys init|fingerprint`: the exam office's signing key pair."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from exam_desktop import paths
from exam_desktop.core.errors import KnownError
from exam_desktop.core.sealed.keys import (
    MIN_PASSPHRASE_LENGTH,
    OFFICE_PRIVATE_KEY_NAME,
    create_office_keys,
    fingerprint,
    install_office_key,
    load_public_key,
)

NAME = "keys"
HELP = "create the exam office key pair; install or show an office public key"
PASSPHRASE_ENV = "EXAM_DESKTOP_PASSPHRASE"


def default_key_dir() -> Path:
    return paths.data_dir() / "office"


def default_private_key() -> Path:
    return default_key_dir() / OFFICE_PRIVATE_KEY_NAME


def add_passphrase_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help=f"read the office key passphrase from FILE (first line) instead of asking; "
        f"the environment variable {PASSPHRASE_ENV} works too",
    )


def read_passphrase(
    args: argparse.Namespace, *, confirm: bool, prompt: str = "Office key passphrase: "
) -> str:
    """The passphrase from --passphrase-file, the environment, or asked (twice when `confirm`).

    A new passphrase (`confirm`) must have `MIN_PASSPHRASE_LENGTH` characters. Without a terminal,
    or at end of input (Ctrl+D), one sentence says how to give it instead.
    """
    if args.passphrase_file is not None:
        try:
            lines = args.passphrase_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise KnownError(f"Cannot read {args.passphrase_file}: {exc.strerror}.") from None
        except UnicodeDecodeError:
            raise KnownError(
                f"{args.passphrase_file} is not a text file: a passphrase file holds the passphrase "
                "as one line of text."
            ) from None
        passphrase = lines[0] if lines else ""
        if not passphrase:
            raise KnownError(
                f"{args.passphrase_file} is empty: a passphrase file holds the passphrase on its first line."
            )
    elif os.environ.get(PASSPHRASE_ENV):
        passphrase = os.environ[PASSPHRASE_ENV]
    else:
        passphrase = _ask(prompt)
        if confirm:
            _check_length(passphrase)
            if _ask("Same passphrase again: ") != passphrase:
                raise KnownError("The two passphrases differ. Run the command again.")
    if confirm:
        _check_length(passphrase)
    return passphrase


def _check_length(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise KnownError(
            f"The passphrase has {len(passphrase)} characters; the office key needs at least "
            f"{MIN_PASSPHRASE_LENGTH} (a few words are easy to remember)."
        )


def _ask(prompt: str) -> str:
    """Ask on the terminal; a KnownError when there is none or input ends."""
    if not sys.stdin.isatty():
        raise KnownError(
            f"No terminal to ask for the passphrase: give it with --passphrase-file FILE or the "
            f"environment variable {PASSPHRASE_ENV}."
        )
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise KnownError(
            f"No passphrase was typed (end of input); run the command again, or give it with "
            f"--passphrase-file FILE or {PASSPHRASE_ENV}."
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="create the office key pair (once per exam office)")
    init.add_argument(
        "--dir",
        type=Path,
        default=None,
        help=f"folder for the keys (default: {default_key_dir()})",
    )
    add_passphrase_argument(init)
    show = actions.add_parser("fingerprint", help="show the fingerprint of a public key file")
    show.add_argument("public_key", type=Path, metavar="PUBLIC_KEY")
    install = actions.add_parser(
        "install", help="trust an office public key on this machine (lab machines, graders)"
    )
    install.add_argument("public_key", type=Path, metavar="PUBLIC_KEY")
    install.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"the app's data folder (default: {paths.data_dir()})",
    )


def run(args: argparse.Namespace) -> int:
    if args.action == "fingerprint":
        print(fingerprint(load_public_key(args.public_key)))
        return 0
    if args.action == "install":
        installed = install_office_key(args.public_key, args.data_dir or paths.data_dir())
        print(f"Installed the office key with fingerprint {installed}.")
        print("Compare it with the fingerprint the exam office gave you.")
        return 0
    directory = args.dir or default_key_dir()
    passphrase = read_passphrase(args, confirm=True)
    files = create_office_keys(directory, passphrase)
    print(f"Private key (keep it safe, with its passphrase): {files.private_path}")
    print(f"Public key (copy it to lab machines and graders):  {files.public_path}")
    print(f"Fingerprint (read it out to check a copy):         {files.fingerprint}")
    return 0
