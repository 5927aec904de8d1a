"""Errors a person can act on. Core code raises these; the CLI and GUI turn them into sentences.

Anything else that escapes is a bug and goes to the crash handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class KnownError(Exception):
    """A problem with the user's input or environment, with a message meant for people.

    The message is English (the terminal, the logs). An error a window shows in the exam's
    language also names its sentence in the language table: `key` (core/page/strings.py,
    `error_<key>`), with `values` for its blanks; `core.page.strings.said` words it.
    """

    key: str | None = None
    values: Mapping[str, object] = MappingProxyType({})


class WordedError(KnownError):
    """A KnownError with its sentence in the language table (`key`) as well as in English."""

    def __init__(self, message: str, key: str, **values: object):
        super().__init__(message)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class BankProblem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class BankError(KnownError):
    """A bank (or imported file) has one or more problems, each with its line."""

    def __init__(self, problems: list[BankProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
