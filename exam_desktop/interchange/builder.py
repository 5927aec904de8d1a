"""Assembling an imported exam: sections, unique question ids, and the metadata files lack."""

from __future__ import annotations

import re
from pathlib import Path

from exam_desktop.core.model import (
    Exam,
    Matching,
    MultipleChoice,
    Numeric,
    Ordering,
    Question,
    Section,
    ShortText,
    SingleChoice,
    Template,
)
from exam_desktop.interchange.report import ConversionReport

DEFAULT_DURATION_MINUTES = 60
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # as the bank parser allows


def slug(text: str) -> str:
    """Letters, digits, `-` and `_` only (what bank ids allow)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def category_parts(path: str) -> list[str]:
    """A Moodle category path without its context (`$course$/top/...`); `//` is a literal `/`."""
    path = re.sub(r"^\$[a-z0-9]+\$/", "", path.strip())
    parts = [p.replace("\x00", "/").strip() for p in path.replace("//", "\x00").split("/")]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return [p for p in parts if p]


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
        if not self.section.questions and not self.section.intro and not self.section.title:
            self.section.title = title
        else:
            self.sections.append(Section(title))

    def start_category(self, path: str) -> None:
        """A Moodle category `$course$/top/EXAM/PAGE...`: the first names the exam, each a page."""
        parts = category_parts(path)
        self.first_category = self.first_category or (parts[0] if parts else "")
        self.start_section("/".join(parts[1:]) if len(parts) > 1 else (parts[0] if parts else ""))

    def add_intro(self, text: str) -> None:
        """Text shown before the next questions: the current page's intro, or a new page."""
        if self.section.questions:
            self.sections.append(Section(self.section.title))
        self.section.intro = f"{self.section.intro}\n\n{text}".strip() if self.section.intro else text

    def add_description(self, text: str) -> None:
        """Text between questions: the exam's instructions before anything else, else an intro."""
        if not self.section.questions and len(self.sections) == 1 and not self.section.title:
            self.instructions = f"{self.instructions}\n\n{text}".strip()
        else:
            self.add_intro(text)

    def unique_id(self, wanted: str, number: int) -> str:
        """`wanted` if it is a valid, unused id; else `q<number>` (made unique)."""
        candidate = wanted if wanted and _ID_RE.match(wanted) else f"q{number}"
        base, n = candidate, 2
        while candidate in self.used_ids:
            candidate, n = f"{base}-{n}", n + 1
        self.used_ids.add(candidate)
        return candidate

    def add(self, question: Question, where: str = "") -> bool:
        """Add a question a bank can hold; one it cannot (no correct option, an empty answer) is
        reported, with `where` it came from, and left out. Returns whether it was added."""
        where = where or (f"line {question.line}" if question.line else "")
        tidy(question)
        problems = question_problems(question)
        for problem in problems:
            self.report.add(f"'{question.title}'", where, f"{problem}: not imported")
        if problems:
            self.used_ids.discard(question.id)
        else:
            self.section.questions.append(question)
        return not problems

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


def tidy(q: Question) -> None:
    """One-line titles and accepted answers (bank lines), no empty accepted answers, tags as
    single words."""
    q.title = one_line(q.title) or "Question"
    q.tags = [t for t in (re.sub(r"[^\w.:-]+", "-", tag).strip("-") for tag in q.tags) if t]
    a = q.answer
    if isinstance(a, ShortText):
        a.accepted = [one_line(t) for t in a.accepted if t.strip()]
    elif isinstance(a, Template):
        for blank in a.blanks:
            blank.accepted = [one_line(t) for t in blank.accepted if t.strip()]


def question_problems(q: Question) -> list[str]:
    """What keeps an imported question from being a valid bank question (the bank parser's rules)."""
    a = q.answer
    problems: list[str] = []
    if isinstance(a, (SingleChoice, MultipleChoice)):
        if len(a.choices) < 2:
            problems.append("a choice question needs at least two options")
        if any(not c.text.strip() for c in a.choices):
            problems.append("an option has no text")
        correct = sum(c.correct for c in a.choices)
        if isinstance(a, SingleChoice) and correct != 1:
            problems.append(f"a single-choice question needs exactly one correct option, not {correct}")
        if isinstance(a, MultipleChoice) and correct == 0:
            problems.append("no option is correct")
    elif isinstance(a, ShortText) and not [t for t in a.accepted if t.strip()]:
        problems.append("no accepted answer")
    elif isinstance(a, Numeric) and not a.answers:
        problems.append("no accepted number")
    elif isinstance(a, Matching):
        if len(a.prompts) < 2:
            problems.append("a matching question needs at least two prompts")
        if len(set(a.prompts)) != len(a.prompts):
            problems.append("a prompt is listed twice")
    elif isinstance(a, Ordering):
        if len(a.items) < 2 or len(set(a.items)) != len(a.items):
            problems.append("an ordering question needs at least two different items")
    elif isinstance(a, Template):
        if any(not b.manual and not [t for t in b.accepted if t.strip()] for b in a.blanks):
            problems.append("a blank has no accepted answer")
        if not a.blanks:
            problems.append("the text has no blanks")
    return problems
