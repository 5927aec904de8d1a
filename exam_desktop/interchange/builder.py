"""Assembling an imported exam: sections, unique question ids, and the metadata files lack."""

from __future__ import annotations

import re
from pathlib import Path

from exam_desktop.core.model import Exam, Matching, Question, Section
from exam_desktop.interchange.report import ConversionReport

DEFAULT_DURATION_MINUTES = 60
_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def slug(text: str) -> str:
    """Letters, digits, `-` and `_` only (what bank ids allow)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def exam_id_from_path(path: str | Path) -> str:
    return slug(Path(path).stem) or "imported"


class ExamBuilder:
    """Collects sections and questions while an importer walks a file, then makes the `Exam`."""

    def __init__(self, source: str | Path, report: ConversionReport):
        self.source = str(source)
        self.report = report
        self.sections: list[Section] = [Section("")]
        self.used_ids: set[str] = set()
        self.first_category = ""
        self.instructions = ""

    @property
    def section(self) -> Section:
        return self.sections[-1]

    def start_section(self, title: str) -> None:
        """A new page; an empty untitled page before it is replaced rather than kept."""
        self.first_category = self.first_category or title
        if not self.section.questions and not self.section.intro and not self.section.title:
            self.section.title = title
        else:
            self.sections.append(Section(title))

    def add_intro(self, text: str) -> None:
        """Text shown before the next questions: the current page's intro, or a new page."""
        if self.section.questions:
            self.sections.append(Section(self.section.title))
        self.section.intro = f"{self.section.intro}\n\n{text}".strip() if self.section.intro else text

    def unique_id(self, wanted: str, number: int) -> str:
        """`wanted` if it is a valid, unused id; else `q<number>` (made unique)."""
        candidate = wanted if wanted and _ID_RE.match(wanted) else f"q{number}"
        base, n = candidate, 2
        while candidate in self.used_ids:
            candidate, n = f"{base}-{n}", n + 1
        self.used_ids.add(candidate)
        return candidate

    def add(self, question: Question) -> None:
        self.section.questions.append(question)

    def finish(self, title: str = "") -> Exam:
        sections = [s for s in self.sections if s.questions or s.intro or s.title]
        exam = Exam(
            id=exam_id_from_path(self.source),
            title=title or self.first_category or Path(self.source).stem,
            duration_minutes=DEFAULT_DURATION_MINUTES,
            sections=sections or [Section("")],
            instructions=self.instructions,
            source=self.source,
        )
        self.report.add(
            "",
            "",
            f"the file has no exam duration: set to {DEFAULT_DURATION_MINUTES} minutes "
            "(change `duration:` in the bank)",
        )
        return exam


def one_line(markdown: str) -> str:
    """Matching prompts and options, ordering items: one line of bank Markdown each."""
    return " ".join(markdown.split())


def matching_from_pairs(pairs: list[tuple[str, str]], scoring: str = "per-prompt") -> Matching:
    """A matching question from (prompt, answer) pairs; an empty prompt makes its answer a distractor.

    Options are kept in alphabetical order, as the bank parser keeps them (the order never gives the
    key away)."""
    clean = [(one_line(p), one_line(a)) for p, a in pairs]
    options = sorted({a for _, a in clean if a}, key=str.casefold)
    prompts = [(p, a) for p, a in clean if p]
    return Matching(
        [p for p, _ in prompts],
        options,
        [options.index(a) for _, a in prompts],
        scoring="all-or-nothing" if scoring == "all-or-nothing" else "per-prompt",
    )


def matching_pairs(answer: Matching) -> list[tuple[str, str]]:
    """(prompt, answer) pairs, then ("", distractor) for options no prompt uses."""
    pairs = [(p, answer.options[i]) for p, i in zip(answer.prompts, answer.key, strict=True)]
    return pairs + [("", o) for i, o in enumerate(answer.options) if i not in answer.key]
