"""Aiken: single-choice questions in plain text, the simplest format Moodle reads.

    What is the capital of France?
    A. Paris
    B) London
    ANSWER: A

One question per group of lines: the question text (one line or more), two or more options
`A.`/`A)` (also `A)Text`, as Moodle reads it), then `ANSWER: X`. Text is plain text, as Moodle
reads it (HTML shown as written, math in `\\(..\\)` typeset); Aiken has no titles, feedback, points
or other kinds. Export writes the single-choice questions whose texts are plain and reports every
question it cannot write; a bank with none is refused.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from exam_desktop.core.errors import BankError, BankProblem
from exam_desktop.core.model import FIGURE_TOKEN_RE, Choice, Exam, Question, SingleChoice
from exam_desktop.interchange import weights
from exam_desktop.interchange.builder import ExamBuilder
from exam_desktop.interchange.markup import markdown_to_html, plain_with_math_to_markdown, title_from_text
from exam_desktop.interchange.report import ConversionReport, ExportResult, ImportResult

_OPTION_RE = re.compile(r"^\s*([A-Z])(?:\)\s*|\.\s+)(\S.*)$")  # `A. x`, `A) x`, and `A)x` as Moodle reads it
_ANSWER_RE = re.compile(r"^\s*ANSWER\s*:\s*(.*)$", re.IGNORECASE)


def import_aiken(text: str, source: str | Path = "<aiken>") -> ImportResult:
    """Read Aiken text into an exam. Raises BankError listing every malformed question."""
    report = ConversionReport()
    builder = ExamBuilder(source, report)
    problems: list[BankProblem] = []
    stem: list[str] = []
    options: list[tuple[str, str]] = []
    start = 0
    number = 0

    def problem(line: int, message: str) -> None:
        problems.append(BankProblem(str(source), line, message))

    for lineno, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER_RE.match(line)
        option = _OPTION_RE.match(raw)
        if answer:
            letter = answer.group(1).strip().upper()
            letters = [o[0] for o in options]
            if not stem:
                problem(lineno, "ANSWER: without a question before it")
            elif len(options) < 2:
                problem(lineno, "a question needs at least two options (A. ..., B. ...) before ANSWER:")
            elif letter not in letters:
                problem(lineno, f"ANSWER: {letter} names no option (options are {', '.join(letters)})")
            else:
                number += 1
                stem_md = plain_with_math_to_markdown("\n".join(stem))
                choices = [
                    Choice(
                        weights.choice_id(i),
                        plain_with_math_to_markdown(text),
                        correct=(option_letter == letter),
                    )
                    for i, (option_letter, text) in enumerate(options)
                ]
                builder.add(
                    Question(
                        id=builder.unique_id("", number),
                        title=title_from_text(stem_md),
                        points=1.0,
                        stem=stem_md,
                        answer=SingleChoice(choices),
                        line=start,
                    )
                )
            stem, options = [], []
        elif option and stem:
            expected = chr(ord("A") + len(options))
            if option.group(1) != expected:
                problem(lineno, f"option {option.group(1)} found where {expected} was expected")
            options.append((option.group(1), option.group(2).strip()))
        elif options:
            problem(lineno, "text after the options: each question ends with 'ANSWER: <letter>'")
            stem, options = [], []
        else:
            if not stem:
                start = lineno
            stem.append(line)
    if stem or options:
        problem(start, "the last question has no 'ANSWER: <letter>' line")
    if problems:
        raise BankError(problems)
    if number == 0:
        raise BankError(
            [BankProblem(str(source), 1, "no Aiken questions found (text, options A. B. ..., ANSWER: X)")]
        )
    return ImportResult(builder.finish(), report)


def aiken_text(markdown: str) -> str | None:
    """Bank Markdown as one line of Aiken's plain text (math as `\\(..\\)`), or None when it holds
    what plain text cannot: figures, images, code, emphasis, lists, tables, links."""
    if FIGURE_TOKEN_RE.search(markdown):
        return None
    rendered = markdown_to_html(markdown)
    if re.search(r"<(?!/?p>)", rendered):
        return None
    text = html.unescape(re.sub(r"</?p>", " ", rendered))
    return " ".join(text.split())


def export_aiken(exam: Exam) -> ExportResult:
    """Single-choice questions whose text is plain as Aiken text; everything else is reported."""
    report = ConversionReport()
    out: list[str] = []
    written = 0
    for question in exam.questions:
        a = question.answer
        if not isinstance(a, SingleChoice):
            report.add(question.id, "", f"Aiken holds single-choice questions only: {a.kind} not exported")
            continue
        if len(a.choices) > 26:
            report.add(question.id, "", "more than 26 options: not exported")
            continue
        stem = aiken_text(question.stem)
        options = [aiken_text(c.text) for c in a.choices]
        if stem is None or any(o is None for o in options):
            where = "the question text" if stem is None else "an option"
            report.add(
                question.id,
                "",
                f"{where} holds figures, images, code or formatting, which Aiken's plain text cannot: not exported",
            )
            continue
        if not stem or any(not o for o in options) or _looks_like_option(stem):
            report.add(question.id, "", "an empty text, or one Aiken would read as an option: not exported")
            continue
        lost = [
            what
            for what, there in (
                ("title", True),
                ("explanation", question.explanation.strip()),
                ("option feedback", any(c.feedback for c in a.choices)),
                ("partial-credit weights", any(c.weight for c in a.choices)),
                ("tags", question.tags),
                ("points", question.points != 1),
                ("paragraphs (joined into one line)", "\n\n" in question.stem.strip()),
            )
            if there
        ]
        report.add(question.id, "", f"not carried over (Aiken has no place for them): {', '.join(lost)}")
        out.append(stem)
        for i, option in enumerate(options):
            out.append(f"{chr(ord('A') + i)}. {option}")
        correct = next(i for i, c in enumerate(a.choices) if c.correct)
        out += [f"ANSWER: {chr(ord('A') + correct)}", ""]
        written += 1
    return ExportResult("\n".join(out).encode("utf-8"), report, ".txt", written)


def _looks_like_option(text: str) -> bool:
    return bool(_OPTION_RE.match(text) or _ANSWER_RE.match(text))
