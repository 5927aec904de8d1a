"""Question banks in and out of other systems: GIFT, Moodle XML, Aiken, QTI 2.1/2.2 (and text2qti in).

`import_file(path)` reads a file into an exam ready for `write_bank`, with a report of everything
not carried over; `export_exam(exam, fmt)` writes one, with a report of what the format cannot
hold. The formats themselves live in one module each; docs/interchange.md lists what maps to what.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam, MultipleChoice, Question, SingleChoice, Template
from exam_desktop.interchange.detect import FORMATS, detect_format
from exam_desktop.interchange.report import ConversionReport, ExportResult, ImportResult

__all__ = [
    "FORMATS",
    "ExportResult",
    "ImportResult",
    "NothingExported",
    "NothingImported",
    "export_exam",
    "import_data",
    "import_file",
]


class NothingImported(KnownError):
    """The file held nothing our banks can hold."""


class NothingExported(KnownError):
    """The bank holds no question the target format can hold: no file is written."""


def _decoded(data: bytes, report: ConversionReport) -> str:
    """Text files are UTF-8; Windows-1252 (older Moodle and Word exports) is accepted and said."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add("", "", f"not UTF-8 (byte {exc.start + 1}): read as Windows-1252; check accented letters")
        return data.decode("cp1252", "replace")


def _importer(fmt: str) -> Callable[[bytes, str], ImportResult]:
    from exam_desktop.interchange import aiken, gift, moodle_xml, qti, text2qti

    def text(read: Callable[[str, str], ImportResult]) -> Callable[[bytes, str], ImportResult]:
        def run(data: bytes, source: str) -> ImportResult:
            notes = ConversionReport()
            result = read(_decoded(data, notes), source)
            result.report.items[:0] = notes.items
            return result

        return run

    return {
        "gift": text(gift.import_gift),
        "aiken": text(aiken.import_aiken),
        "moodle-xml": moodle_xml.import_moodle_xml,
        "qti": qti.import_qti,
        "text2qti": text(text2qti.import_text2qti),
    }[fmt]


def import_data(data: bytes, source: str | Path, fmt: str | None = None) -> ImportResult:
    """Import file content; `fmt` names the format (checked against the content) or is detected."""
    chosen = detect_format(Path(source), data, fmt)
    result = _importer(chosen)(data, str(source))
    if not result.exam.questions:
        lost = "".join(f"\n  {line}" for line in result.report.lines())
        raise NothingImported(f"{source}: no question could be imported.{lost}")
    fit_to_bank(result.exam, result.report)
    return result


def import_file(path: str | Path, fmt: str | None = None) -> ImportResult:
    """Read `path` (GIFT, Moodle XML, Aiken or QTI) into an exam plus its import report."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnownError(f"cannot read {path}: {exc.strerror or exc}") from None
    return import_data(data, path, fmt)


def fit_to_bank(exam: Exam, report: ConversionReport) -> None:
    """Move what the bank format has no place for to where it is kept, and say so.

    Option feedback goes to the explanation (banks hold one explanation per question); templates
    always show in monospace in a bank.
    """
    for q in exam.questions:
        _no_figure_tokens(q)
        a = q.answer
        if isinstance(a, (SingleChoice, MultipleChoice)) and any(c.feedback for c in a.choices):
            lines = [
                f"- {c.text.splitlines()[0] if c.text else c.id}: {c.feedback}"
                for c in a.choices
                if c.feedback
            ]
            q.explanation = "\n\n".join(p for p in [q.explanation, "\n".join(lines)] if p)
            for c in a.choices:
                c.feedback = ""
            report.add(
                q.id,
                f"line {q.line}" if q.line else "",
                "feedback on options moved to the explanation (banks keep one per question)",
            )
        if isinstance(a, Template) and not a.monospace:
            a.monospace = True
            report.add(q.id, "", "the fill-in text is shown in monospace in a bank")


def _no_figure_tokens(q: Question) -> None:
    """Imported text never refers to figures: a figure token in it would be text, not a figure."""

    def defuse(text: str) -> str:
        return text.replace("@@figure:", "@@figure\\:") if "@@figure:" in text else text

    q.stem, q.explanation = defuse(q.stem), defuse(q.explanation)
    if isinstance(q.answer, (SingleChoice, MultipleChoice)):
        for c in q.answer.choices:
            c.text = defuse(c.text)


def export_exam(exam: Exam, fmt: str) -> ExportResult:
    """Write `exam` in `fmt` (one of FORMATS), with a report of what the format cannot hold."""
    from exam_desktop.interchange import aiken, gift, moodle_xml, qti

    exporters = {
        "gift": gift.export_gift,
        "moodle-xml": moodle_xml.export_moodle_xml,
        "aiken": aiken.export_aiken,
        "qti": qti.export_qti,
    }
    if fmt not in exporters:
        raise KnownError(f"cannot export to '{fmt}': use one of {', '.join(exporters)}")
    result = exporters[fmt](exam)
    if not result.questions:
        lost = "".join(f"\n  {line}" for line in result.report.lines(exam.source))
        raise NothingExported(
            f"{exam.source or exam.id}: no question can be written as {fmt}, nothing written.{lost}"
        )
    return result
