"""What an import or export could not carry over, item by item, so nothing is lost silently.

Every importer and exporter returns its result with a `ConversionReport`: one `ReportItem` per thing
the target cannot hold (a question kind we lack, partial credit on a short answer, feedback with no
place to go, points the format has no field for), saying which question, where, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from exam_desktop.core.model import Exam


@dataclass(frozen=True)
class ReportItem:
    """One thing not carried over (or carried over differently), with where it came from."""

    question: str  # the question's id or title; "" for the file as a whole
    where: str  # "line 12", an XML element path such as "quiz/question[3]", or a zip member
    message: str

    def __str__(self) -> str:
        subject = f"question {self.question}: " if self.question else ""
        where = f"{self.where}: " if self.where else ""
        return f"{where}{subject}{self.message}"


@dataclass
class ConversionReport:
    """The list of `ReportItem`s of one import or export, in the order they were found."""

    items: list[ReportItem] = field(default_factory=list)

    def add(self, question: str, where: str, message: str) -> None:
        item = ReportItem(question, where, message)
        if item not in self.items:  # the same loss met in several texts of a question is said once
            self.items.append(item)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def mentions(self, text: str) -> bool:
        """True if any item's message or subject contains `text` (case-insensitive)."""
        needle = text.lower()
        return any(needle in str(item).lower() for item in self.items)

    def lines(self, source: str = "") -> list[str]:
        """One line per item, `source:line: ...` when the item has a line (as compilers print)."""
        out = []
        for item in self.items:
            subject = f"question {item.question}: " if item.question else ""
            if item.where.startswith("line ") and item.where[5:].isdigit():
                where = f"{item.where[5:]}: "
            else:
                where = f" {item.where}: " if item.where else " "
            out.append(f"{source}:{where}{subject}{item.message}" if source else str(item))
        return out


ImportReport = ConversionReport
ExportReport = ConversionReport


@dataclass
class ImportResult:
    """An imported exam, its report, and files the bank needs next to it (images, by relative path)."""

    exam: Exam
    report: ConversionReport
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class ExportResult:
    """The exported file's bytes and what the target format could not hold."""

    data: bytes
    report: ConversionReport
    suffix: str = ""  # the usual file name ending of the format, e.g. ".gift"
    questions: int = 0  # how many questions the file holds

    def write(self, path: Path) -> None:
        path.write_bytes(self.data)
