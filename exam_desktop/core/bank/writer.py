"""Write an exam model back as bank Markdown (docs/bank-format.md).

Used by the importers (GIFT, Moodle XML, ...) so that what they produce is a readable, editable bank.
`parse_bank(write_bank(exam))` gives the same exam again (line numbers aside).
"""

from __future__ import annotations

import re
from fractions import Fraction

from exam_desktop.core.model import (
    FIGURE_TOKEN_RE,
    DragWords,
    Essay,
    Exam,
    Figure,
    GridFigure,
    IoUFigure,
    Matching,
    Matrix,
    MatrixFigure,
    MultipleChoice,
    Numeric,
    NumericAnswer,
    Ordering,
    Question,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
)
from exam_desktop.core.numbers import format_number  # shortest exact form, dot decimals


def write_bank(exam: Exam) -> str:
    out: list[str] = ["---", f"id: {exam.id}", f"title: {exam.title}"]
    out.append(f"duration: {format_duration(exam.duration_minutes)}")
    if exam.language != "en":
        out.append(f"language: {exam.language}")
    if exam.allow_dont_know:
        out.append("dont-know: yes")
    if not exam.lock_stops_clock:
        out.append("lock-clock: run")
    if exam.dont_know_score:
        out.append(f"dont-know-score: {format_fraction(exam.dont_know_score)}")
    if exam.allow_rating:
        out.append("rating: yes")
    for f in exam.candidate_fields:
        out.append(f"field: {f.id} | {f.label}" + ("" if f.required else " | optional"))
    out += tool_lines(exam)
    out.append("---")
    if exam.instructions:
        out += ["", exam.instructions]
    out += shared_blocks(exam)
    for section in exam.sections:
        if section.title or len(exam.sections) > 1:
            out += ["", f"# {section.title}".rstrip()]
        if section.intro:
            out += ["", section.intro]
        for question in section.questions:
            out += ["", *write_question(question)]
    return "\n".join(out).rstrip() + "\n"


def tool_lines(exam: Exam) -> list[str]:
    """Front-matter lines for the exam's tools."""
    out = []
    if exam.tools:
        names = [f"calculator {exam.calculator}" if t == "calculator" else t for t in exam.tools]
        out.append("tools: " + ", ".join(names))
    if exam.notes_in_bundle:
        out.append("notes-in-bundle: yes")
    return out


def shared_blocks(exam: Exam) -> list[str]:
    """The formula sheet and the passages, each a '# Title {...}' block before the sections."""
    out: list[str] = []
    if exam.formula_sheet:
        out += ["", "# Formula sheet {formula-sheet}", "", exam.formula_sheet]
    for p in exam.passages:
        title = p.title.replace("{", "(").replace("}", ")")
        out += ["", f"# {title} {{#{p.id} passage}}", "", with_figures(p.text, p.figures)]
    if out and exam.sections and not exam.sections[0].title and len(exam.sections) == 1:
        out += ["", "#"]  # questions after shared blocks need a section heading
    return out


def question_tool_attrs(q: Question) -> list[str]:
    attrs = []
    if q.tools is not None:
        attrs.append("tools=" + (",".join(q.tools) or "none"))
    if q.passages:
        attrs.append("passage=" + ",".join(q.passages))
    return attrs


def write_question(q: Question) -> list[str]:
    attrs = [f"#{q.id}", q.kind]
    if q.points != 1:
        attrs.append(f"points={format_number(q.points)}")
    if q.tags:
        attrs.append("tags=" + ",".join(q.tags))
    attrs += question_tool_attrs(q)
    a = q.answer
    if isinstance(a, MultipleChoice):
        if a.select_exactly is not None:
            attrs.append(f"select={a.select_exactly}")
        if a.scoring != "partial":
            attrs.append(f"scoring={a.scoring}")
        for key in ("right", "wrong"):
            if getattr(a, key) is not None:
                attrs.append(f"{key}={format_fraction(getattr(a, key))}")
        if a.floor:
            attrs.append(f"floor={format_fraction(a.floor)}")
    elif isinstance(a, Numeric) and a.unit:
        attrs.append(f"unit={a.unit}")
    elif isinstance(a, Matrix):
        if a.tolerance:
            attrs.append(f"tolerance={format_number(a.tolerance)}")
        if a.scoring != "per-cell":
            attrs.append(f"scoring={a.scoring}")
    elif (
        (isinstance(a, Matching) and a.scoring != "per-prompt")
        or (isinstance(a, Ordering) and a.scoring != "all-or-nothing")
        or (isinstance(a, DragWords) and a.scoring != "per-gap")
    ):
        attrs.append(f"scoring={a.scoring}")
    elif isinstance(a, ShortText) and a.case_sensitive:
        attrs.append("case=sensitive")
    elif isinstance(a, Essay):
        if a.min_words is not None:
            attrs.append(f"min-words={a.min_words}")
        if a.max_words is not None:
            attrs.append(f"max-words={a.max_words}")

    title = q.title.replace("{", "(").replace("}", ")")
    out = [f"## {title} {{{' '.join(attrs)}}}"]
    if q.stem:
        out.append(with_figures(q.stem, q.figures))
    out += answer_lines(q)
    explanation = q.explanation
    if explanation:
        out += ["", "### Explanation", with_figures(explanation, q.figures)]
    if isinstance(a, (Essay, Template)) and a.rubric:
        out += ["", "### Rubric", with_figures(a.rubric, q.figures)]
    return out


def answer_lines(q: Question) -> list[str]:
    a = q.answer
    out: list[str] = [""]
    if isinstance(a, (SingleChoice, MultipleChoice)):
        for c in a.choices:
            text = with_figures(c.text, q.figures) or " "
            first, *rest = text.split("\n")
            if first.lstrip().startswith(("```", "~~~")):
                first, rest = "", [first, *rest]
            if c.weight is not None:
                first += f" {{weight={format_fraction(c.weight)}}}"
            out.append(f"- [{'x' if c.correct else ' '}] {first}".rstrip())
            out += [("  " + line) if line.strip() else "" for line in rest]
    elif isinstance(a, TrueFalse):
        out.append(f"answer: {'true' if a.answer else 'false'}")
    elif isinstance(a, Numeric):
        out += [f"answer: {format_numeric_answer(n)}" for n in a.answers]
    elif isinstance(a, Matrix):
        out += ["```answer", *(" ".join(format_number(v) for v in row) for row in a.key), "```"]
    elif isinstance(a, Template):
        fence = "````" if "```" in a.text else "```"
        out += [fence + "template", a.text, fence, ""]
        for b in a.blanks:
            if b.options:
                value = "menu: " + " | ".join(("=" if o in b.accepted else "") + o for o in b.options)
            else:
                value = "manual" if b.manual else " | ".join(b.accepted)
            flags = (["case"] if b.case_sensitive and not b.options else []) + (
                [f"width={b.width}"] if b.width else []
            )
            if b.points is not None:
                flags.append(f"points={format_number(b.points)}")
            out.append(f"blank {b.name}: {value}" + (f" {{{' '.join(flags)}}}" if flags else ""))
    elif isinstance(a, DragWords):
        text = re.sub(r"\[\[(\d+)\]\]", lambda m: f"[[{a.key[int(m.group(1)) - 1]}]]", a.text)
        fence = "````" if "```" in text else "```"
        out += [fence + "dragwords", text, fence]
        extras = list(a.words)
        for word in a.key:
            if word in extras:
                extras.remove(word)
        if extras:
            out += ["", "extra: " + " | ".join(extras)]
    elif isinstance(a, ShortText):
        out += [f"answer: {text}" for text in a.accepted]
    elif isinstance(a, Matching):
        out += [f"- {prompt} => {a.options[index]}" for prompt, index in zip(a.prompts, a.key)]
        out += [f"- => {option}" for i, option in enumerate(a.options) if i not in a.key]
    elif isinstance(a, Ordering):
        out += [f"{n}. {item}" for n, item in enumerate(a.items, start=1)]
    return out if len(out) > 1 else []


def with_figures(text: str, figures: list[Figure]) -> str:
    """Replace figure tokens by the figure's fenced block, keeping the token's indentation."""

    def block(match: re.Match) -> str:
        return "\n".join(figure_lines(figures[int(match.group(1))]))

    lines = []
    for line in text.split("\n"):
        m = FIGURE_TOKEN_RE.search(line)
        if m and line.strip() == m.group(0):
            indent = line[: len(line) - len(line.lstrip())]
            lines += [indent + row if row else row for row in block(m).split("\n")]
        else:
            lines.append(FIGURE_TOKEN_RE.sub(block, line))
    return "\n".join(lines)


def figure_lines(fig: Figure) -> list[str]:
    out = [f"```figure {fig.kind}"]
    if isinstance(fig, IoUFigure):
        out.append(f"grid: {fig.grid_width} x {fig.grid_height}")
        for b in fig.boxes:
            coords = " ".join(format_number(v) for v in (b.x, b.y, b.width, b.height))
            out.append(f"box: {b.label} | {coords} | {b.color}")
    elif isinstance(fig, GridFigure):
        out += [" ".join(row) for row in fig.cells]
        out += [f"highlight: {w.row} {w.col} {w.rows} {w.cols} | {w.color}" for w in fig.highlights]
    elif isinstance(fig, MatrixFigure):
        if fig.name:
            out.append(f"name: {fig.name}")
        out += [" ".join(row) for row in fig.cells]
    if fig.caption:
        out.append(f"caption: {fig.caption}")
    out.append("```")
    return out


def format_fraction(value: float) -> str:
    fraction = Fraction(value).limit_denominator(1000)
    if fraction.denominator != 1 and float(fraction) == value and fraction.denominator not in (2, 4, 5, 10):
        return f"{fraction.numerator}/{fraction.denominator}"
    return format_number(value)


def format_numeric_answer(n: NumericAnswer) -> str:
    text = format_number(n.value)
    if n.tolerance:
        if n.relative:
            text += f" ± {format_number(n.tolerance * 100)}%"
        else:
            text += f" ± {format_number(n.tolerance)}"
    if n.weight != 1:
        text += f" {{weight={format_fraction(n.weight)}}}"
    return text


def format_duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest:02d}"
    return f"{hours}h" if hours else f"{rest}m"
