"""text2qti's plain-text quizzes (Markdown with `$..$` math), as written for Canvas. Import only.

    Quiz title: Addition
    Title: An addition question
    Points: 2
    1.  What is 2+3?
    ... General feedback.
    a)  6
    *b) 5

Mapping: `*a)` choices -> single, `[*]` choices -> multiple (partial credit, as Canvas scores it),
`=` answers -> numeric (`x`, `x +- t`, `[a, b]`), `*` answers -> short, `____` -> essay,
`Text:` regions -> page introductions (the exam's instructions before any question), `...`
feedback -> explanation or option feedback, `+`/`-` feedback -> explanation. Reported: file uploads
(`^^^^`), question groups' random picking (every question of a group is imported).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from exam_desktop.core.errors import BankError, BankProblem
from exam_desktop.core.model import (
    Answer,
    Choice,
    Essay,
    MultipleChoice,
    Numeric,
    NumericAnswer,
    Question,
    ShortText,
    SingleChoice,
)
from exam_desktop.interchange import weights
from exam_desktop.interchange.builder import ExamBuilder
from exam_desktop.interchange.markup import title_from_text
from exam_desktop.interchange.report import ConversionReport, ImportResult

_QUESTION_RE = re.compile(r"^(\d+)\.\s+(.*)$")
_CHOICE_RE = re.compile(r"^(\*?)([a-z])\)\s+(.*)$")
_MULTI_RE = re.compile(r"^\[([ *])\]\s+(.*)$")
_NUMERIC_RE = re.compile(r"^=\s+(.*)$")
_SHORT_RE = re.compile(r"^\*\s+(.*)$")
_FEEDBACK_RE = re.compile(r"^(\.\.\.|\+|-)\s+(.*)$")
_META_RE = re.compile(
    r"^(Quiz title|Quiz description|Title|Points|Text title|Text|pick|points per question):\s*(.*)$"
)


def looks_like_text2qti(text: str) -> bool:
    """Numbered questions followed by text2qti answer lines."""
    if not re.search(r"^\d+\.\s+\S", text, re.MULTILINE):
        return False
    return bool(
        re.search(r"^(\*?[a-z]\)\s|\[[ *]\]\s|=\s+\S|\*\s+\S|_{4,}\s*$|\^{4,}\s*$)", text, re.MULTILINE)
    )


@dataclass
class _Pending:
    line: int
    stem: list[str]
    title: str = ""
    points: float = 1.0
    feedback: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    multiple: bool = False
    numeric: list[NumericAnswer] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    essay: bool = False
    upload: bool = False


def _number(text: str, line: int, problems: list[BankProblem], source: str) -> float:
    try:
        return float(text)
    except ValueError:
        problems.append(BankProblem(source, line, f"'{text}' is not a number"))
        return 0.0


def import_text2qti(text: str, source: str | Path = "<text2qti>") -> ImportResult:
    """Read a text2qti quiz into an exam. Raises BankError listing every malformed line."""
    source = str(source)
    report = ConversionReport()
    builder = ExamBuilder(source, report)
    problems: list[BankProblem] = []
    title = ""
    pending: _Pending | None = None
    next_title, next_points = "", 1.0
    text_title = ""
    last: str = ""  # what the last line added to: "stem", "choice", "question"
    number = 0

    def finish() -> None:
        nonlocal pending, number
        if pending is None:
            return
        q, pending = pending, None
        answer = _answer(q, source, problems, report)
        if answer is None:
            return
        number += 1
        stem = "\n".join(q.stem).strip()
        builder.add(
            Question(
                id=builder.unique_id("", number),
                title=q.title or title_from_text(stem),
                points=q.points,
                stem=stem,
                answer=answer,
                explanation="\n\n".join(q.feedback),
                line=q.line,
            )
        )

    for lineno, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        meta = _META_RE.match(line)
        question = _QUESTION_RE.match(line)
        if meta and not raw.startswith(" "):
            key, value = meta.group(1), meta.group(2).strip()
            if key in ("Title", "Points", "Text title", "Text", "Quiz title", "Quiz description"):
                finish()
            if key == "Quiz title":
                title = value
            elif key == "Quiz description":
                builder.instructions = value
            elif key == "Title":
                next_title = value
            elif key == "Points":
                next_points = _number(value, lineno, problems, source)
            elif key == "Text title":
                text_title = value
            elif key == "Text":
                intro = f"**{text_title}**\n\n{value}" if text_title else value
                text_title = ""
                builder.add_description(intro)
            elif key == "pick":
                report.add(
                    "",
                    f"line {lineno}",
                    f"question group picks {value} at random: every "
                    "question of the group is imported (random picking is not supported)",
                )
            continue
        if line in ("GROUP", "END_GROUP"):
            finish()
            continue
        if question:
            finish()
            pending = _Pending(lineno, [question.group(2)], next_title, next_points)
            next_title, next_points, last = "", 1.0, "stem"
            continue
        if pending is None:
            problems.append(
                BankProblem(source, lineno, "text outside a question (questions start with '1.  ')")
            )
            continue
        feedback, choice, multi = _FEEDBACK_RE.match(line), _CHOICE_RE.match(line), _MULTI_RE.match(line)
        numeric, short = _NUMERIC_RE.match(line), _SHORT_RE.match(line)
        if feedback:
            kind, value = feedback.groups()
            if kind == "..." and last == "choice":
                pending.choices[-1].feedback = value
            else:
                label = {"+": "When answered correctly: ", "-": "When answered incorrectly: "}.get(kind, "")
                pending.feedback.append(label + value)
        elif choice:
            pending.choices.append(
                Choice(
                    weights.choice_id(len(pending.choices)), choice.group(3), correct=bool(choice.group(1))
                )
            )
            last = "choice"
        elif multi:
            pending.multiple = True
            pending.choices.append(
                Choice(weights.choice_id(len(pending.choices)), multi.group(2), correct=multi.group(1) == "*")
            )
            last = "choice"
        elif numeric:
            pending.numeric.append(_numeric(numeric.group(1).strip(), lineno, problems, source))
        elif short:
            pending.short.append(short.group(1).strip())
        elif re.fullmatch(r"_{4,}", line):
            pending.essay = True
        elif re.fullmatch(r"\^{4,}", line):
            pending.upload = True
        elif raw.startswith((" ", "\t")) and last in ("stem", "choice"):
            target = pending.stem if last == "stem" else None
            if target is not None:
                target.append(line)
            else:
                pending.choices[-1].text += "\n" + line
        else:
            problems.append(BankProblem(source, lineno, f"not a text2qti line: '{line[:40]}'"))
    finish()
    if problems:
        raise BankError(problems)
    return ImportResult(builder.finish(title), report)


def _numeric(spec: str, line: int, problems: list[BankProblem], source: str) -> NumericAnswer:
    interval = re.fullmatch(r"\[\s*([^,\]]+),\s*([^\]]+)\]", spec)
    if interval:
        low, high = (_number(v.strip(), line, problems, source) for v in interval.groups())
        return NumericAnswer((low + high) / 2, abs(high - low) / 2)
    value, _, tolerance = spec.partition("+-")
    return NumericAnswer(
        _number(value.strip(), line, problems, source),
        _number(tolerance.strip(), line, problems, source) if tolerance else 0.0,
    )


def _answer(q: _Pending, source: str, problems: list[BankProblem], report: ConversionReport) -> Answer | None:
    found = [
        kind
        for kind, present in (
            ("choices", q.choices),
            ("numeric", q.numeric),
            ("short", q.short),
            ("essay", q.essay),
            ("upload", q.upload),
        )
        if present
    ]
    if len(found) != 1:
        what = "no answers" if not found else f"answers of several kinds ({', '.join(found)})"
        problems.append(BankProblem(source, q.line, f"the question has {what}"))
        return None
    if q.upload:
        report.add("", f"line {q.line}", "file-upload questions have no kind in this app: not imported")
        return None
    if q.numeric:
        return Numeric(q.numeric)
    if q.short:
        return ShortText(q.short)
    if q.essay:
        return Essay()
    correct = sum(c.correct for c in q.choices)
    if q.multiple:
        return MultipleChoice(q.choices, scoring="partial")
    if correct != 1:
        problems.append(
            BankProblem(
                source, q.line, f"a multiple-choice question needs exactly one '*' answer, found {correct}"
            )
        )
        return None
    return SingleChoice(q.choices)
