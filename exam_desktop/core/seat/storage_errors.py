"""Why the answer file cannot be used: the errors `AnswerStore` (answer_file.py) raises.

They live apart from the answer file so that a window can catch and word them without loading
SQLite's libraries (sqlite-utils takes a tenth of a second to import).
"""

from __future__ import annotations

from pathlib import Path

from exam_desktop.core.errors import KnownError


class StorageError(KnownError):
    """The answer file cannot be used; the message says why and what to do."""

    def __init__(self, message: str, path: Path | str | None = None):
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class StorageWriteError(StorageError):
    """A write failed (disk full, I/O error); nothing committed before it is lost.

    `reason` says what the disk said, as data a window can put in the candidate's language:
    "full", "read-only", "busy", "refused" (an I/O error or a file size limit) or "other"."""

    def __init__(self, message: str, path: Path | str | None = None, reason: str = "other"):
        super().__init__(message, path)
        self.reason = reason


class CorruptStoreError(StorageError):
    """The answer file is damaged; it must be kept for the invigilator, never replaced silently."""


class SchemaTooNew(StorageError):
    """The answer file was written by a newer version of the app."""


class StoreInUse(StorageError):
    """Another program (another copy of the app?) holds the answer file."""


class NotAnAnswerFile(StorageError):
    """The file is an SQLite database, but not one of ours."""
