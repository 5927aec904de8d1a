"""Errors a person can act on. Core code raises these; the CLI and GUI turn them into sentences.

Anything else that escapes is a bug and goes to the crash handler.
"""

from __future__ import annotations

from dataclasses import dataclass


class KnownError(Exception):
    """A problem with the user's input or environment, with a message meant for people."""


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
