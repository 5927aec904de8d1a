"""Questions as the data the exam page shows: sanitised HTML, answer-widget fields, positions.

Built from the candidate copy of the exam (no keys ever reach the page). Figures and images come from
a `PageContent` (core/page/figures.py: the package's pre-drawn SVGs on a seat, drawn from the bank for
authors) and are handed to the page by `publish(name, bytes)`, which serves them from memory as
``exam://app/figure/<figure_id>.svg`` and ``exam://app/image/<n>.<ext>``: nothing is written to disk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exam_desktop.core.model import (
    DragWords,
    Exam,
    Matching,
    Matrix,
    MultipleChoice,
    Numeric,
    Ordering,
    Passage,
    Question,
    Section,
    SingleChoice,
    Template,
)
from exam_desktop.core.page.figure_text import describe_figure
from exam_desktop.core.page.figures import PageContent, figure_id
from exam_desktop.core.page.render import render_markdown, without_paragraph
from exam_desktop.core.page.strings import fill, plural

log = logging.getLogger(__name__)

BLANK = re.compile(r"\[\[([^\[\]\s]+)\]\]")
GAP = re.compile(r"\[\[(\d+)\]\]")
GAP_MARK = re.compile(r"@@gap(\d+)@@")

# publish(name, data) -> URL: serves `data` as exam://app/<name> (ExamSchemeHandler.add_generated)
Publish = Callable[[str, bytes], str]
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})


@dataclass(frozen=True)
class Position:
    number: int  # 1-based, across the exam
    page: int  # 1-based section index
    section: Section
    first_of_section: bool


def format_points(points: float, strings: dict[str, str]) -> str:
    """ "1 point", "2.5 points" / "(2,5 punti)": the plural form and the decimal mark of the language."""
    return plural(strings, "points", points)


def plain_text(markdown_text: str) -> str:
    """A short Markdown text as plain text for places that cannot hold HTML (a <select>)."""
    return re.sub(r"[*_`]|\\[()\[\]]", "", markdown_text).replace("$", "").strip()


def template_parts(template: Template) -> list[dict[str, Any]]:
    """The template's text split into literal text and blanks: [{text}, {blank, width}, ...]."""
    widths = {b.name: b.display_width() for b in template.blanks}
    menus = {b.name: b.options for b in template.blanks if b.options}
    parts: list[dict[str, Any]] = []
    cursor = 0
    for match in BLANK.finditer(template.text):
        if match.start() > cursor:
            parts.append({"text": template.text[cursor : match.start()]})
        part: dict[str, Any] = {"blank": match.group(1), "width": widths.get(match.group(1), 8)}
        if match.group(1) in menus:
            part["options"] = list(menus[match.group(1)])
        parts.append(part)
        cursor = match.end()
    if cursor < len(template.text):
        parts.append({"text": template.text[cursor:]})
    return parts


class QuestionPages:
    """Turns the exam's questions into page data; rendered HTML is cached per question."""

    def __init__(
        self,
        exam: Exam,
        strings: dict[str, str],
        publish: Publish,
        content: PageContent,
    ):
        self.exam = exam.candidate_copy()
        self.strings = strings
        self._publish = publish
        self.content = content
        self._figures: dict[str, str | None] = {}  # figure_id -> URL (None: not available)
        self._images: dict[str, str | None] = {}  # path in the bank -> URL
        self._cache: dict[str, dict[str, Any]] = {}
        sections = [s for s in self.exam.sections if s.questions]
        self.pages = len(sections)
        self.positions: dict[str, Position] = {}
        self.order: list[str] = []
        number = 0
        for page, section in enumerate(sections, start=1):
            for index, question in enumerate(section.questions):
                number += 1
                self.positions[question.id] = Position(number, page, section, index == 0)
                self.order.append(question.id)

    # -------------------------------------------------------------------------------- URLs

    def markdown(self, text: str, question: Question | Passage | None = None) -> str:
        figure_url = (lambda n: self._figure_url(question, n)) if question else None
        figure_alt = (lambda n: self._figure_alt(question, n)) if question else None
        return render_markdown(text, figure_url=figure_url, image_url=self._image_url, figure_alt=figure_alt)

    def _figure_alt(self, owner: Question | Passage, index: int) -> str:
        text = describe_figure(owner.figures[index], self.strings, self.exam.language)
        return fill(self.strings["figure_label"], n=index + 1, text=text)

    def inline_markdown(self, text: str, question: Question | None = None) -> str:
        """A short text (a prompt, an item) as HTML without its enclosing paragraph."""
        return without_paragraph(self.markdown(text, question))

    def gaps_html(self, text: str, question: Question) -> str:
        """A drag-words text as HTML, each gap `[[n]]` an empty `<span class="gap">` the page fills."""
        marked = GAP.sub(lambda m: f"@@gap{m.group(1)}@@", text)
        return GAP_MARK.sub(
            lambda m: f'<span class="gap" data-gap="{int(m.group(1)) - 1}"></span>',
            self.markdown(marked, question),
        )

    def _figure_url(self, question: Question | Passage, index: int) -> str | None:
        if not 0 <= index < len(question.figures):
            return None
        figure = question.figures[index]
        name = figure_id(figure)
        if name not in self._figures:
            svg = self.content.figure_svg(figure)
            if svg is None:
                log.error("figure %d of %s is not available", index + 1, question.id)
            self._figures[name] = None if svg is None else self._publish(f"figure/{name}.svg", svg)
        return self._figures[name]

    def missing(self) -> list[str]:
        """Ids of questions whose page data is not built yet."""
        return [qid for qid in self.order if qid not in self._cache]

    def _image_url(self, src: str) -> str | None:
        if src not in self._images:
            suffix = "." + src.rsplit(".", 1)[-1].lower() if "." in src else ""
            data = self.content.image(src) if suffix in IMAGE_SUFFIXES else None
            name = f"image/{len(self._images)}{suffix}"
            self._images[src] = None if data is None else self._publish(name, data)
        return self._images[src]

    # -------------------------------------------------------------------------------- data

    def passage(self, passage_id: str) -> dict[str, Any]:
        """A shared passage as the page shows it beside a question (rendered once)."""
        key = "passage:" + passage_id
        if key not in self._cache:
            p = self.exam.passage(passage_id)
            self._cache[key] = {"id": p.id, "title": p.title, "html": self.markdown(p.text, p)}
        return self._cache[key]

    def tools(self) -> dict[str, Any]:
        """What the page's tool bar needs once: the calculator's mode and the formula sheet."""
        sheet = self.exam.formula_sheet
        return {
            "calculator": self.exam.calculator,
            "formula_sheet_html": self.markdown(sheet) if sheet.strip() else "",
        }

    def navigator(self) -> list[dict[str, Any]]:
        return [{"id": qid, "number": p.number, "page": p.page} for qid, p in self.positions.items()]

    def question(self, question_id: str) -> dict[str, Any]:
        """The page data of one question (without the candidate's response)."""
        if question_id not in self._cache:
            self._cache[question_id] = self._build(self.exam.question(question_id))
        return self._cache[question_id]

    def _build(self, q: Question) -> dict[str, Any]:
        s = self.strings
        position = self.positions[q.id]
        data: dict[str, Any] = {
            "id": q.id,
            "kind": q.kind,
            "lang": q.lang,
            "title": q.title,
            "points_text": format_points(q.points, s),
            "position_text": fill(s["question_of"], n=position.number, total=len(self.order)),
            "page_text": " · ".join(
                part
                for part in (
                    fill(s["page_of"], n=position.page, total=self.pages) if self.pages > 1 else "",
                    position.section.title,
                )
                if part
            ),
            "html_stem": self.markdown(q.stem, q),
            "first": position.number == 1,
            "last": position.number == len(self.order),
            "tools": self.exam.tools_for(q),
            "passages": [self.passage(pid) for pid in q.passages],
        }
        if position.first_of_section and position.section.intro.strip():
            data["section_intro_html"] = self.markdown(position.section.intro)
        answer = q.answer
        if isinstance(answer, (SingleChoice, MultipleChoice)):
            data["options"] = [{"id": c.id, "html": self.markdown(c.text, q)} for c in answer.choices]
        if isinstance(answer, MultipleChoice):
            data["select_exactly"] = answer.select_exactly
        elif isinstance(answer, Numeric):
            data["unit"] = answer.unit
        elif isinstance(answer, Matrix):
            data["rows"], data["cols"] = answer.rows, answer.cols
        elif isinstance(answer, Template):
            data["template"] = template_parts(answer)
            data["monospace"] = answer.monospace
        elif isinstance(answer, Matching):
            data["prompts_html"] = [self.inline_markdown(p, q) for p in answer.prompts]
            data["match_options_html"] = [self.inline_markdown(o, q) for o in answer.options]
            data["match_options_text"] = [plain_text(o) for o in answer.options]
        elif isinstance(answer, DragWords):
            data["dragwords_html"] = self.gaps_html(answer.text, q)
            data["words"] = list(answer.words)  # the candidate copy: alphabetical, never the key
            data["gaps"] = answer.gaps
        elif isinstance(answer, Ordering):
            data["items"] = list(answer.items)  # the candidate copy: alphabetical, never the key
            data["items_html"] = [self.inline_markdown(i, q) for i in answer.items]
        elif q.kind == "essay":
            data["min_words"] = answer.min_words  # type: ignore[union-attr]
            data["max_words"] = answer.max_words  # type: ignore[union-attr]
        return data
