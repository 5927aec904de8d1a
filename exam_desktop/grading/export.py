"""Results out as CSV: a full table for the exam office, and a file Moodle's gradebook imports.

The full table has one row per candidate: number, identification fields, points per question,
total, maximum, grade (the total on `scale`) and what is still to grade. The Moodle file has
two columns — an identifier Moodle maps to a user ("Email address" or "ID number") and the
grade — to be imported with Grades > Import > CSV file, mapping the first column to that user
field.

Every text cell that came from a candidate (identification, labels) is neutralised as the OWASP
CSV-injection rule says: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets
a leading `'`, so a spreadsheet shows it as text instead of running it as a formula; numbers the
grader computed are written as they are. Text that is not valid Unicode is replaced, never a
crash. Files are written whole or not at all (core/sealed/atomic.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam
from exam_desktop.core.sealed.atomic import write_atomically
from exam_desktop.grading.results import CandidateResult

# Moodle's user fields that a gradebook import can map to, by the candidate field that holds them.
MOODLE_IDENTIFIERS = {
    "email": "Email address",
    "student_id": "ID number",
    "student-id": "ID number",
    "matricola": "ID number",
    "id_number": "ID number",
    "id": "ID number",
    "username": "Username",
}


def write_results_csv(exam: Exam, results: list[CandidateResult], path: Path, *, scale: float = 100) -> None:
    """One row per candidate; points per question, total, maximum, grade, what is left to grade."""
    field_ids = [f.id for f in exam.candidate_fields] or sorted(
        {k for r in results for k in r.candidate.fields}
    )
    questions = exam.questions
    with _open_csv(path) as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "candidate",
                *map(text_cell, field_ids),
                *(q.id for q in questions),
                "total",
                "max",
                "grade",
                "to grade",
            ]
        )
        for r in results:
            writer.writerow(
                [
                    r.candidate.number,
                    *(text_cell(r.candidate.fields.get(fid, "")) for fid in field_ids),
                    *(_number(r.scores[q.id].points) if q.id in r.scores else "" for q in questions),
                    _number(r.total),
                    _number(r.max_total),
                    _number(r.grade(scale)),
                    text_cell(" ".join(r.to_grade)),
                ]
            )


def write_moodle_csv(
    exam: Exam,
    results: list[CandidateResult],
    path: Path,
    *,
    identifier: str | None = None,
    scale: float | None = None,
    column: str | None = None,
) -> tuple[int, list[str]]:
    """A gradebook import file; returns the rows written and warnings (candidates without an
    identifier, who are left out; ungraded work).

    `identifier` is the candidate field to match users by (default: the first of email, student
    ID, ... that the exam asks for); the grade is the total, or the total on `scale` if given.
    """
    fields = [f.id for f in exam.candidate_fields] or sorted({k for r in results for k in r.candidate.fields})
    if identifier is None:
        identifier = next((f for f in fields if f.lower() in MOODLE_IDENTIFIERS), None)
        if identifier is None:
            raise KnownError(
                "The exam asks for no email or student ID, so Moodle cannot match candidates to "
                "users; name the field to use with --moodle-id FIELD."
            )
    header = MOODLE_IDENTIFIERS.get(identifier.lower(), "ID number")
    warnings = []
    rows = 0
    with _open_csv(path) as f:
        writer = csv.writer(f)
        writer.writerow([header, text_cell(column or exam.title)])
        for r in results:
            value = r.candidate.fields.get(identifier, "").strip()
            if not value:
                warnings.append(f"{r.candidate.label} has no {identifier}: left out")
                continue
            if not r.complete:
                warnings.append(f"{r.candidate.label} still has {len(r.to_grade)} to grade")
            grade = r.grade(scale) if scale else r.total
            writer.writerow([text_cell(value), _number(grade)])
            rows += 1
    return rows, warnings


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: object) -> str:
    """A text cell a spreadsheet shows as text (OWASP: a leading ' before = + - @ tab CR)."""
    text = str(value).encode("utf-8", "replace").decode("utf-8")
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@contextmanager
def _open_csv(path: Path) -> Iterator[io.StringIO]:
    """The CSV's text, written to `path` atomically once complete."""
    path = Path(path)
    buffer = io.StringIO(newline="")
    yield buffer
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path.parent, path.name, buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise KnownError(f"Cannot write {path}: {exc.strerror or exc}.") from None


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")
