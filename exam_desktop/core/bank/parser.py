"""Read a Markdown bank (docs/bank-format.md) into the exam model.

The parser walks the file line by line, collects every problem as `path:line: message` and raises
one BankError at the end, so an author sees all mistakes at once. Nothing else escapes: any input
either becomes an Exam or a BankError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from exam_desktop.core.errors import BankError, BankProblem, KnownError
from exam_desktop.core.model import (
    CALCULATOR_MODES,
    FIGURE_KINDS,
    TOOLS,
    Blank,
    Box,
    CandidateField,
    Choice,
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
    Passage,
    Question,
    Section,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
    Window,
    figure_token,
)
from exam_desktop.core.page.languages import language_problem

KINDS = (
    "single",
    "multiple",
    "truefalse",
    "numeric",
    "matrix",
    "template",
    "short",
    "essay",
    "matching",
    "ordering",
    "dragwords",
)
COMMON_ATTRS = {"points", "tags", "lang", "tools", "passage"}
KIND_ATTRS = {
    "single": set(),
    "multiple": {"select", "scoring", "right", "wrong", "floor"},
    "truefalse": set(),
    "numeric": {"unit"},
    "matrix": {"tolerance", "scoring"},
    "template": set(),
    "short": {"case"},
    "essay": {"min-words", "max-words"},
    "matching": {"scoring"},
    "ordering": {"scoring"},
    "dragwords": {"scoring"},
}
FRONT_KEYS = {
    "id",
    "title",
    "duration",
    "language",
    "dont-know",
    "dont-know-score",
    "rating",
    "field",
    "lock-clock",
    "tools",
    "notes-in-bundle",
}
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
SHARED_HEADER_RE = re.compile(r"^#(?!#)\s*(.*?)\s*\{([^{}]*\b(?:passage|formula-sheet)\b[^{}]*)\}\s*$")
HEADER_RE = re.compile(r"^##(?!#)\s*(.*?)\s*\{([^{}]*)\}\s*$")
OPTION_RE = re.compile(r"^[-*+] \[( |x|X)\](?: (.*))?$")
ANSWER_RE = re.compile(r"^answer:\s*(.*)$", re.IGNORECASE)
BLANK_LINE_RE = re.compile(r"^blank\s+([A-Za-z0-9_.-]+)\s*:\s*(.*)$", re.IGNORECASE)
PAIR_RE = re.compile(r"^[-*+] (.*?)\s*=>\s*(.*)$")
ITEM_RE = re.compile(r"^\d+[.)] (.*)$")
EXTRA_RE = re.compile(r"^extra:\s*(.*)$", re.IGNORECASE)
GAP_RE = re.compile(r"\[\[([^\[\]]+)\]\]")
BLANK_RE = re.compile(r"\[\[([A-Za-z0-9_.-]+)\]\]")
FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*(.*?)\s*$")
TRAILING_ATTRS_RE = re.compile(r"\s*\{((?:\s*[a-z-]+=[^\s{}]+)+)\s*\}\s*$")
COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
TRUE_WORDS = {"true", "yes", "vero", "t", "v", "si", "sì"}
FALSE_WORDS = {"false", "no", "falso", "f"}


def load_bank(path: str | Path) -> Exam:
    """Parse the bank at `path` (a .md file, or a folder holding exactly one)."""
    path = Path(path)
    if path.is_dir():
        candidates = sorted(p for p in path.glob("*.md") if p.name.lower() != "readme.md")
        if len(candidates) != 1:
            raise KnownError(f"{path}: a bank folder must hold exactly one .md file")
        path = candidates[0]
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnownError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise BankError([BankProblem(str(path), 1, f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise KnownError(f"{path}: cannot read ({exc.strerror})") from None
    exam = parse_bank(text, str(path))
    exam.source = str(path)
    return exam


IMAGE_REFERENCE_RE = re.compile(
    r"!\[[^\]]*\]\(\s*<?(?P<md>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<img\b[^>]*?\bsrc\s*=\s*[\"'](?P<html>[^\"']+)[\"']",
    re.IGNORECASE,
)


def image_references(text: str) -> list[str]:
    """The images a bank text shows by a path relative to the bank (Markdown `![..](path)` or an
    `<img src="path">`); web addresses and data URLs are not files of the bank."""
    found = [m.group("md") or m.group("html") for m in IMAGE_REFERENCE_RE.finditer(text)]
    return [r for r in found if not re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", r, re.IGNORECASE)]


def missing_images(exam: Exam, folder: Path) -> list[BankProblem]:
    """One problem per image a question (or page text) refers to that is not a file next to the bank."""
    from urllib.parse import unquote

    from exam_desktop.core.model import strings_in, to_dict

    problems: list[BankProblem] = []
    root = folder.resolve()
    texts: list[tuple[int, str]] = [(1, exam.instructions)] + [(1, s.intro) for s in exam.sections]
    texts += [(q.line, text) for q in exam.questions for text in strings_in(to_dict(q))]
    for line, text in texts:
        for reference in image_references(text):
            file = (root / unquote(reference)).resolve()
            if not file.is_relative_to(root):
                problems.append(
                    BankProblem(exam.source, line, f"image '{reference}' is outside the bank's folder")
                )
            elif not file.is_file():
                problems.append(
                    BankProblem(
                        exam.source, line, f"image '{reference}' not found next to the bank (in {folder})"
                    )
                )
    return list(dict.fromkeys(problems))


def parse_bank(text: str, path: str = "<bank>") -> Exam:
    """Parse bank Markdown; raises BankError listing every problem with its line."""
    return _Parser(text, path).parse()


# ---------------------------------------------------------------------------------------------


@dataclass
class _Block:
    """A question's raw lines, split by the parser's first pass."""

    header: str
    line: int
    body: list[tuple[int, str]] = field(default_factory=list)
    explanation: list[tuple[int, str]] = field(default_factory=list)
    rubric: list[tuple[int, str]] = field(default_factory=list)


class _Parser:
    def __init__(self, text: str, path: str):
        self.points_of_question = 1.0  # of the question being read
        self.path = path
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.problems: list[BankProblem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(BankProblem(self.path, line, message))

    # -- top level ------------------------------------------------------------------------

    def parse(self) -> Exam:
        meta, start = self.front_matter()
        instructions: list[tuple[int, str]] = []
        sections: list[tuple[str, int, list[tuple[int, str]], list[_Block]]] = []
        current_text = instructions
        shared: list[tuple[str, str, int, list[tuple[int, str]]]] = []  # passages, formula sheet
        in_shared = False
        block: _Block | None = None
        target = "body"
        fence: str | None = None
        for index in range(start, len(self.lines)):
            number, line = index + 1, self.lines[index]
            fence_match = FENCE_RE.match(line)
            if fence is not None:
                if fence_match and fence_match.group(2).startswith(fence) and not fence_match.group(3):
                    fence = None
            elif fence_match:
                fence = fence_match.group(2)[0] * 3
            elif SHARED_HEADER_RE.match(line):
                m = SHARED_HEADER_RE.match(line)
                assert m
                shared.append((m.group(1), m.group(2), number, []))
                current_text, block, in_shared = shared[-1][3], None, True
                continue
            elif line.startswith("# ") or line.rstrip() == "#":
                in_shared = False
                sections.append((line[1:].strip(), number, [], []))
                current_text, block = sections[-1][2], None
                continue
            elif line.startswith("##") and not line.startswith("###"):
                if in_shared:
                    self.problem(
                        number,
                        "a passage or formula sheet ends at the next '# ' heading: "
                        "start a section ('# Title') before this question",
                    )
                    in_shared = False
                block = _Block(line, number)
                if not sections:
                    sections.append(("", number, [], []))
                sections[-1][3].append(block)
                target = "body"
                continue
            elif block is not None and re.match(r"^###\s+(explanation|rubric)\s*$", line, re.I):
                target = "explanation" if "xplan" in line.lower() else "rubric"
                if getattr(block, target):
                    self.problem(number, f"a second '### {target.title()}' in this question")
                getattr(block, target).append((number, ""))
                continue
            (getattr(block, target) if block is not None else current_text).append((number, line))
        if fence is not None:
            self.problem(len(self.lines), "a code fence (```) is opened and never closed")

        exam = Exam(
            id=meta.get("id", ""),
            title=meta.get("title", ""),
            duration_minutes=meta.get("duration", 0),
            language=meta.get("language", "en"),
            instructions=_text(instructions),
            candidate_fields=meta.get("fields", []),
            allow_dont_know=meta.get("dont-know", False),
            dont_know_score=meta.get("dont-know-score", 0.0),
            allow_rating=meta.get("rating", False),
            lock_stops_clock=meta.get("lock-clock", "stop") != "run",
            tools=meta.get("tools", ([], "basic"))[0],
            calculator=meta.get("tools", ([], "basic"))[1],
            notes_in_bundle=meta.get("notes-in-bundle", False),
        )
        self.shared_blocks(exam, shared)
        seen: dict[str, int] = {}
        for title, _line, intro, blocks in sections:
            section = Section(title, [], _text(intro))
            for raw in blocks:
                question = self.question(raw)
                if question is None:
                    continue
                if question.id in seen:
                    self.problem(
                        raw.line, f"duplicate question id '{question.id}' (first at line {seen[question.id]})"
                    )
                else:
                    seen[question.id] = raw.line
                section.questions.append(question)
            exam.sections.append(section)
        self.check_tools(exam)
        if not exam.questions and not self.problems:
            self.problem(max(start, 1), "the bank has no questions ('## Title {#id kind}' starts one)")
        if self.problems:
            raise BankError(sorted(self.problems, key=lambda p: p.line))
        return exam

    def front_matter(self) -> tuple[dict, int]:
        meta: dict = {"fields": []}
        if not self.lines or self.lines[0].strip() != "---":
            self.problem(
                1, "a bank starts with front matter: a '---' line, 'id:', 'title:', 'duration:', '---'"
            )
            return meta, 0
        end = None
        for index in range(1, len(self.lines)):
            number, line = index + 1, self.lines[index].strip()
            if line == "---":
                end = index + 1
                break
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition(":")
            key, value = key.strip().lower(), value.strip()
            if not sep:
                self.problem(number, f"front matter lines are 'key: value', got '{line}'")
            elif key not in FRONT_KEYS:
                self.problem(
                    number, f"unknown front-matter key '{key}' (known: {', '.join(sorted(FRONT_KEYS))})"
                )
            elif key == "field":
                parsed = self.candidate_field(value, number)
                if parsed:
                    if any(f.id == parsed.id for f in meta["fields"]):
                        self.problem(number, f"candidate field '{parsed.id}' is listed twice")
                    meta["fields"].append(parsed)
            elif key in meta:
                self.problem(number, f"'{key}' is given twice")
            elif key == "id":
                if not ID_RE.match(value):
                    self.problem(number, f"exam id '{value}' may use only letters, digits, '-', '_', '.'")
                meta[key] = value
            elif key == "language":
                problem = language_problem(value)
                if problem:
                    self.problem(number, f"language: {problem}")
                else:
                    meta[key] = value
            elif key == "duration":
                minutes = parse_duration(value)
                over = re.fullmatch(r"\s*\d+\s*h\s*(\d+)\s*(?:m|min)?\s*", value.lower())
                if over and int(over.group(1)) >= 60:
                    self.problem(
                        number,
                        f"duration '{value}': the minutes after 'h' must be under 60 "
                        "(write 2h15 for two hours and a quarter)",
                    )
                    meta[key] = 0  # said once, not again as "no duration"
                elif minutes is None:
                    self.problem(number, f"duration '{value}' is not like 1h45, 90m or 120")
                else:
                    meta[key] = minutes
            elif key == "tools":
                meta[key] = self.exam_tools(value, number)
            elif key in ("dont-know", "rating", "notes-in-bundle"):
                flag = _yes_no(value)
                if flag is None:
                    self.problem(number, f"'{key}' is yes or no, got '{value}'")
                meta[key] = bool(flag)
            elif key == "lock-clock":
                if value not in ("stop", "run"):
                    self.problem(number, f"lock-clock is 'stop' or 'run', got '{value}'")
                meta[key] = value
            elif key == "dont-know-score":
                fraction = self.fraction(value, number, key)
                meta[key] = fraction if fraction is not None else 0.0
            else:
                meta[key] = value
        if end is None:
            self.problem(1, "the front matter is never closed with a '---' line")
            return meta, len(self.lines)
        for key in ("id", "title", "duration"):
            if key not in meta:
                self.problem(1, f"the front matter has no '{key}:'")
        return meta, end

    def candidate_field(self, value: str, number: int) -> CandidateField | None:
        parts = [p.strip() for p in value.split("|")]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            self.problem(number, "a field is 'field: ID | Label' or 'field: ID | Label | optional'")
            return None
        if not ID_RE.match(parts[0]):
            self.problem(number, f"field id '{parts[0]}' may use only letters, digits, '-', '_', '.'")
            return None
        required = True
        if len(parts) == 3:
            if parts[2].lower() not in ("optional", "required"):
                self.problem(number, f"a field is 'optional' or 'required', got '{parts[2]}'")
            required = parts[2].lower() != "optional"
        return CandidateField(parts[0], parts[1], required)

    # -- questions ------------------------------------------------------------------------

    def question(self, raw: _Block) -> Question | None:
        header = HEADER_RE.match(raw.header)
        if not header:
            self.problem(
                raw.line, "a question heading ends with an attribute block like {#q1 single points=2}"
            )
            return None
        title, attr_text = header.group(1), header.group(2)
        qid, kind, attrs = self.attributes(attr_text, raw.line)
        if qid is None:
            self.problem(raw.line, "the question has no id: add '#some-id' to its attribute block")
        if kind is None:
            self.problem(raw.line, f"the question has no kind: add one of {', '.join(KINDS)}")
        if qid is None or not kind:
            return None
        for key in attrs:
            if key not in COMMON_ATTRS | KIND_ATTRS[kind]:
                allowed = ", ".join(sorted(COMMON_ATTRS | KIND_ATTRS[kind]))
                self.problem(
                    raw.line, f"unknown attribute '{key}' for a {kind} question (allowed: {allowed})"
                )
        points = 1.0
        if "points" in attrs:
            parsed = self.number(attrs["points"], raw.line, "points")
            if parsed is not None and parsed < 0:
                self.problem(raw.line, "points cannot be negative")
            points = parsed if parsed is not None else 1.0
        tags = [t.strip() for t in attrs.get("tags", "").split(",") if t.strip()]
        self.points_of_question = points
        lang = attrs.get("lang", "")
        if lang and (problem := language_problem(lang)):
            self.problem(raw.line, f"lang={lang}: {problem}")
            lang = ""
        question_tools = self.question_tools(attrs["tools"], raw.line) if "tools" in attrs else None
        passage_ids = [p.strip() for p in attrs.get("passage", "").split(",") if p.strip()]

        body = _Body(self, raw, kind)
        answer = body.answer(attrs)
        figures = body.figures
        explanation = body.text_with_figures(raw.explanation[1:])
        rubric = body.text_with_figures(raw.rubric[1:])
        if raw.rubric:
            if isinstance(answer, (Essay, Template)):
                answer.rubric = rubric
            else:
                self.problem(raw.rubric[0][0], "a rubric belongs to an essay or a template question")
        if answer is None:
            return None
        return Question(
            id=qid,
            title=title,
            points=points,
            stem=body.stem,
            answer=answer,
            figures=figures,
            explanation=explanation,
            tags=tags,
            line=raw.line,
            lang=lang,
            tools=question_tools,
            passages=passage_ids,
        )

    # -- tools and shared material (docs/bank-format.md, "Tools and shared passages") ---------

    def exam_tools(self, value: str, number: int) -> tuple[list[str], str]:
        """`tools: calculator scientific, notes, ...` -> (tool names, calculator mode)."""
        tools: list[str] = []
        mode = "basic"
        for item in (part.strip() for part in value.split(",")):
            if not item or item.lower() == "none":
                continue
            name, *rest = item.split()
            if name not in TOOLS:
                self.problem(number, f"unknown tool '{name}' (tools: {', '.join(TOOLS)})")
                continue
            if name == "calculator" and rest:
                if len(rest) != 1 or rest[0] not in CALCULATOR_MODES:
                    self.problem(
                        number,
                        f"the calculator is 'calculator basic' or 'calculator scientific', got '{item}'",
                    )
                else:
                    mode = rest[0]
            elif rest:
                self.problem(number, f"tool '{name}' takes no options, got '{item}'")
            if name in tools:
                self.problem(number, f"tool '{name}' is listed twice")
            else:
                tools.append(name)
        return tools, mode

    def question_tools(self, value: str, number: int) -> list[str] | None:
        """`tools=notes,eliminator` (this list), `tools=+calculator,-notes` (the exam's, changed),
        or `tools=none`."""
        items = [v.strip() for v in value.split(",") if v.strip()]
        if items == ["none"]:
            return []
        relative = [i[:1] in ("+", "-") for i in items]
        if any(relative) and not all(relative):
            self.problem(
                number, f"tools={value}: either list the tools, or change the exam's with '+name'/'-name'"
            )
            return None
        for name in (i.lstrip("+-") for i in items):
            if name not in TOOLS:
                self.problem(number, f"unknown tool '{name}' in tools= (tools: {', '.join(TOOLS)}, or none)")
        # relative changes are resolved against the exam's list once the whole bank is read
        return items

    def shared_blocks(self, exam: Exam, shared: list[tuple[str, str, int, list[tuple[int, str]]]]) -> None:
        for title, attr_text, number, lines in shared:
            tokens = attr_text.split()
            ids = [t[1:] for t in tokens if t.startswith("#")]
            words = [t for t in tokens if not t.startswith("#")]
            if "formula-sheet" in words:
                if len(words) != 1 or ids:
                    self.problem(number, "a formula sheet's heading is '# Title {formula-sheet}'")
                if exam.formula_sheet:
                    self.problem(number, "the bank has a second formula sheet")
                exam.formula_sheet = _text(lines) or " "
                if not _text(lines):
                    self.problem(number, "the formula sheet is empty")
                continue
            if words != ["passage"] or len(ids) != 1:
                self.problem(number, "a passage's heading is '# Title {#passage-id passage}'")
                continue
            if not ID_RE.match(ids[0]):
                self.problem(number, f"passage id '{ids[0]}' may use only letters, digits, '-', '_', '.'")
                continue
            if any(p.id == ids[0] for p in exam.passages):
                self.problem(number, f"passage '{ids[0]}' is defined twice")
                continue
            body = _Body(self, _Block("", number), "essay")
            text = body.text_with_figures(lines)
            if not text:
                self.problem(number, f"passage '{ids[0]}' is empty")
            exam.passages.append(Passage(ids[0], title, text, body.figures, number))

    def check_tools(self, exam: Exam) -> None:
        if "formula-sheet" in exam.tools and not exam.formula_sheet:
            self.problem(1, "tools lists formula-sheet but the bank has no '# Title {formula-sheet}' block")
        if exam.formula_sheet and "formula-sheet" not in exam.tools:
            self.problem(1, "the bank has a formula sheet: add formula-sheet to 'tools:' in the front matter")
        known = {p.id for p in exam.passages}
        for question in exam.questions:
            if question.tools and all(t[:1] in ("+", "-") for t in question.tools):
                added = [t[1:] for t in question.tools if t[0] == "+"]
                removed = {t[1:] for t in question.tools if t[0] == "-"}
                chosen = [*exam.tools, *added]
                question.tools = [t for i, t in enumerate(chosen) if t not in removed and t not in chosen[:i]]
            for pid in question.passages:
                if pid not in known:
                    self.problem(
                        question.line,
                        f"passage '{pid}' is not defined (a '# Title {{#{pid} passage}}' block)",
                    )

    def attributes(self, text: str, line: int) -> tuple[str | None, str | None, dict[str, str]]:
        qid = kind = None
        attrs: dict[str, str] = {}
        for token in text.split():
            if token.startswith("#"):
                if qid is not None:
                    self.problem(line, "a question has one '#id'")
                elif not ID_RE.match(token[1:]):
                    self.problem(
                        line, f"question id '{token[1:]}' may use only letters, digits, '-', '_', '.'"
                    )
                else:
                    qid = token[1:]
            elif "=" in token:
                key, _, value = token.partition("=")
                if key in attrs:
                    self.problem(line, f"attribute '{key}' is given twice")
                attrs[key] = value
            elif token in KINDS:
                if kind is not None:
                    self.problem(line, f"a question has one kind, got '{kind}' and '{token}'")
                else:
                    kind = token
            else:
                self.problem(line, f"unknown question kind '{token}' (kinds: {', '.join(KINDS)})")
                kind = kind or ""
        return qid, kind, attrs

    # -- values ---------------------------------------------------------------------------

    def number(self, text: str, line: int, what: str) -> float | None:
        value = parse_bank_number(text)
        if value is None:
            self.problem(line, f"{what} '{text}' is not a number")
        return value

    def fraction(self, text: str, line: int, what: str) -> float | None:
        value = parse_fraction(text)
        if value is None:
            self.problem(line, f"{what} '{text}' is not a fraction like 0.5, 1/6 or 50%")
        return value


class _Body:
    """A question body: stem text, options, answer lines, fenced blocks, figures."""

    def __init__(self, parser: _Parser, raw: _Block, kind: str):
        self.p = parser
        self.raw = raw
        self.kind = kind
        self.figures: list[Figure] = []
        self.options: list[tuple[int, bool, str]] = []
        self.answers: list[tuple[int, str]] = []
        self.blanks: list[tuple[int, str, str]] = []
        self.fences: dict[str, tuple[int, list[str]]] = {}
        self.pairs: list[tuple[int, str, str]] = []
        self.items: list[tuple[int, str]] = []
        self.extras: list[tuple[int, str]] = []
        stem_lines: list[tuple[int, str]] = []
        lines = raw.body
        i = 0
        while i < len(lines):
            number, line = lines[i]
            option = OPTION_RE.match(line)
            fence = FENCE_RE.match(line)
            pair = PAIR_RE.match(line) if kind == "matching" else None
            item = ITEM_RE.match(line) if kind == "ordering" else None
            if pair:
                self.pairs.append((number, pair.group(1).strip(), pair.group(2).strip()))
                i += 1
                continue
            if item:
                self.items.append((number, item.group(1).strip()))
                i += 1
                continue
            if option:
                text_lines = [(number, option.group(2) or "")]
                i += 1
                while i < len(lines):
                    n2, l2 = lines[i]
                    if l2.startswith("  ") or (not l2.strip() and _continues(lines, i)):
                        text_lines.append((n2, l2[2:] if l2.startswith("  ") else ""))
                        i += 1
                    else:
                        break
                self.options.append((number, option.group(1) != " ", self.text_with_figures(text_lines)))
                continue
            extra = EXTRA_RE.match(line) if kind == "dragwords" else None
            if extra:
                self.extras.append((number, extra.group(1).strip()))
                i += 1
                continue
            if (
                fence
                and not fence.group(1)
                and fence.group(3).split()[:1] in (["answer"], ["template"], ["dragwords"])
            ):
                name = fence.group(3).split()[0]
                content, i = _fenced(lines, i)
                if name in self.fences:
                    self.p.problem(number, f"a second '```{name}' block in this question")
                self.fences[name] = (number, [text for _, text in content])
                continue
            if fence and fence.group(3).split()[:1] == ["figure"]:
                content, i = _fenced(lines, i)
                index = self.figure(fence.group(3), number, content)
                stem_lines.append(
                    (number, fence.group(1) + (figure_token(index) if index is not None else ""))
                )
                continue
            if fence:  # an ordinary code block: keep it verbatim in the stem
                content, end = _fenced(lines, i)
                stem_lines.extend(lines[i:end])
                i = end
                continue
            answer = ANSWER_RE.match(line)
            blank = BLANK_LINE_RE.match(line)
            if answer:
                self.answers.append((number, answer.group(1).strip()))
            elif blank:
                self.blanks.append((number, blank.group(1), blank.group(2).strip()))
            else:
                stem_lines.append((number, line))
            i += 1
        self.stem = _text(stem_lines)

    def text_with_figures(self, lines: list[tuple[int, str]]) -> str:
        """Text of option/explanation lines, with figure fences replaced by figure tokens."""
        out: list[tuple[int, str]] = []
        i = 0
        while i < len(lines):
            number, line = lines[i]
            fence = FENCE_RE.match(line)
            if fence and fence.group(3).split()[:1] == ["figure"]:
                content, i = _fenced(lines, i)
                index = self.figure(fence.group(3), number, content)
                out.append((number, fence.group(1) + (figure_token(index) if index is not None else "")))
                continue
            if fence:
                content, end = _fenced(lines, i)
                out.extend(lines[i:end])
                i = end
                continue
            out.append((number, line))
            i += 1
        return _text(out)

    # -- figures --------------------------------------------------------------------------

    def figure(self, info: str, line: int, content: list[tuple[int, str]]) -> int | None:
        parts = info.split()
        if len(parts) != 2 or parts[1] not in FIGURE_KINDS:
            self.p.problem(
                line, f"unknown figure '{info}' (figures: {', '.join('figure ' + k for k in FIGURE_KINDS)})"
            )
            return None
        before = len(self.p.problems)
        figure = {"iou": self.iou, "grid": self.grid, "matrix": self.matrix}[parts[1]](line, content)
        if figure is None or len(self.p.problems) > before:
            return None
        self.figures.append(figure)
        return len(self.figures) - 1

    def iou(self, line: int, content: list[tuple[int, str]]) -> IoUFigure | None:
        size: tuple[int, int] | None = None
        boxes: list[Box] = []
        caption = ""
        for number, text in content:
            key, _, value = text.strip().partition(":")
            key = key.strip().lower()
            if not text.strip():
                continue
            if key == "grid":
                m = re.match(r"^\s*(\d+)\s*[x×]\s*(\d+)\s*$", value)
                if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
                    self.p.problem(number, f"grid is 'W x H' in whole cells, got '{value.strip()}'")
                else:
                    size = (int(m.group(1)), int(m.group(2)))
            elif key == "box":
                parts = [p.strip() for p in value.split("|")]
                coords = parts[1].split() if len(parts) >= 2 else []
                numbers = [parse_bank_number(c) for c in coords]
                if len(parts) not in (2, 3) or not parts[0] or len(coords) != 4 or None in numbers:
                    self.p.problem(number, "a box is 'box: LABEL | X Y WIDTH HEIGHT | COLOUR'")
                    continue
                x, y, w, h = (float(n) for n in numbers)  # type: ignore[arg-type]
                if w <= 0 or h <= 0:
                    self.p.problem(number, "a box needs a positive width and height")
                    continue
                if size and (x < 0 or y < 0 or x + w > size[0] or y + h > size[1]):
                    self.p.problem(number, f"box '{parts[0]}' does not fit in the {size[0]} x {size[1]} grid")
                    continue
                boxes.append(Box(parts[0], x, y, w, h, parts[2] if len(parts) == 3 and parts[2] else "blue"))
            elif key == "caption":
                caption = value.strip()
            else:
                self.p.problem(
                    number, f"an iou figure takes 'grid:', 'box:' and 'caption:' lines, got '{text.strip()}'"
                )
        if size is None:
            self.p.problem(line, "an iou figure needs a 'grid: W x H' line")
            return None
        if len(boxes) < 2:
            self.p.problem(line, "an iou figure needs at least two boxes")
            return None
        return IoUFigure(size[0], size[1], boxes, caption)

    def cells(self, content: list[tuple[int, str]], what: str):
        rows: list[list[str]] = []
        extras: list[tuple[int, str, str]] = []
        width = None
        for number, text in content:
            stripped = text.strip()
            if not stripped:
                continue
            key, sep, value = stripped.partition(":")
            if sep and re.match(r"^[a-z]+$", key.strip().lower()):
                extras.append((number, key.strip().lower(), value.strip()))
                continue
            row = stripped.split()
            if width is None:
                width = len(row)
            elif len(row) != width:
                self.p.problem(number, f"this {what} row has {len(row)} cells, the first row has {width}")
                continue
            rows.append(row)
        return rows, extras

    def grid(self, line: int, content: list[tuple[int, str]]) -> GridFigure | None:
        rows, extras = self.cells(content, "grid")
        if not rows:
            self.p.problem(line, "a grid figure needs at least one row of cells")
            return None
        figure = GridFigure(rows)
        for number, key, value in extras:
            if key == "caption":
                figure.caption = value
            elif key == "highlight":
                parts = [p.strip() for p in value.split("|")]
                nums = parts[0].split()
                if len(nums) != 4 or not all(n.isdigit() for n in nums) or len(parts) > 2:
                    self.p.problem(number, "a highlight is 'highlight: ROW COL ROWS COLS | COLOUR'")
                    continue
                r, c, nr, nc = (int(n) for n in nums)
                if nr < 1 or nc < 1 or r + nr > len(rows) or c + nc > len(rows[0]):
                    self.p.problem(
                        number,
                        f"highlight {r} {c} {nr} {nc} is outside the {len(rows)} x {len(rows[0])} grid",
                    )
                    continue
                figure.highlights.append(
                    Window(r, c, nr, nc, parts[1] if len(parts) == 2 and parts[1] else "orange")
                )
            else:
                self.p.problem(
                    number, f"a grid figure takes rows, 'highlight:' and 'caption:' lines, got '{key}:'"
                )
        return figure

    def matrix(self, line: int, content: list[tuple[int, str]]) -> MatrixFigure | None:
        rows, extras = self.cells(content, "matrix")
        if not rows:
            self.p.problem(line, "a matrix figure needs at least one row")
            return None
        figure = MatrixFigure(rows)
        for number, key, value in extras:
            if key == "name":
                figure.name = value
            elif key == "caption":
                figure.caption = value
            else:
                self.p.problem(
                    number, f"a matrix figure takes rows, 'name:' and 'caption:' lines, got '{key}:'"
                )
        return figure

    # -- answers --------------------------------------------------------------------------

    def answer(self, attrs: dict[str, str]):
        kind, line = self.kind, self.raw.line
        if self.options and kind not in ("single", "multiple"):
            self.p.problem(self.options[0][0], f"a {kind} question has no '- [ ]' options")
        if self.answers and kind in (
            "single",
            "multiple",
            "matrix",
            "template",
            "essay",
            "matching",
            "ordering",
            "dragwords",
        ):
            self.p.problem(self.answers[0][0], f"a {kind} question takes no 'answer:' lines")
        if self.blanks and kind != "template":
            self.p.problem(self.blanks[0][0], f"'blank' lines belong to template questions, not {kind}")
        for name in ("answer", "template", "dragwords"):
            wanted = {"answer": "matrix", "template": "template", "dragwords": "dragwords"}[name]
            if name in self.fences and kind != wanted:
                self.p.problem(self.fences[name][0], f"a '```{name}' block belongs to a {wanted} question")
        return getattr(self, "answer_" + kind)(attrs, line)

    def choices(self) -> list[Choice]:
        out = []
        for index, (number, correct, text) in enumerate(self.options):
            weight = None
            m = TRAILING_ATTRS_RE.search(text.split("\n", 1)[0])
            if m:
                first, _, rest = text.partition("\n")
                for token in m.group(1).split():
                    key, _, value = token.partition("=")
                    if key == "weight":
                        weight = self.p.fraction(value, number, "weight")
                    else:
                        self.p.problem(number, f"unknown option attribute '{key}' (only 'weight')")
                text = first[: m.start()] + ("\n" + rest if rest else "")
            if not text.strip():
                self.p.problem(number, "this option has no text")
            out.append(Choice(choice_id(index), text, correct, weight))
        return out

    def answer_single(self, attrs, line):
        choices = self.choices()
        if len(choices) < 2:
            self.p.problem(line, "a single-choice question needs at least two '- [ ]' options")
            return None
        correct = [c for c in choices if c.correct]
        if not correct:
            self.p.problem(line, "no correct option: mark one with '- [x]'")
        elif len(correct) > 1:
            self.p.problem(
                line,
                f"{len(correct)} options are marked correct; a single-choice question has one (use 'multiple')",
            )
        return SingleChoice(choices)

    def answer_multiple(self, attrs, line):
        choices = self.choices()
        if len(choices) < 2:
            self.p.problem(line, "a multiple-choice question needs at least two '- [ ]' options")
            return None
        n_correct = sum(c.correct for c in choices)
        if not n_correct and not any(c.weight for c in choices):
            self.p.problem(line, "no correct option: mark at least one with '- [x]'")
        answer = MultipleChoice(choices)
        if "select" in attrs:
            value = attrs["select"]
            if not value.isdigit() or not 1 <= int(value) <= len(choices):
                self.p.problem(line, f"select={value} must be a whole number from 1 to {len(choices)}")
            else:
                answer.select_exactly = int(value)
                if n_correct and int(value) != n_correct:
                    self.p.problem(line, f"select={value} but {n_correct} options are marked correct")
        if "scoring" in attrs:
            if attrs["scoring"] not in ("all-or-nothing", "partial", "per-option"):
                self.p.problem(
                    line, f"scoring '{attrs['scoring']}' is not all-or-nothing, partial or per-option"
                )
            else:
                answer.scoring = attrs["scoring"]
        for key in ("right", "wrong", "floor"):
            if key in attrs:
                value = self.p.fraction(attrs[key], line, key)
                if value is not None:
                    setattr(answer, key, value)
        if any(c.weight is not None for c in choices) and answer.scoring != "per-option":
            self.p.problem(line, "option weights need scoring=per-option")
        return answer

    def answer_truefalse(self, attrs, line):
        if len(self.answers) != 1:
            self.p.problem(
                line if not self.answers else self.answers[1][0],
                "a true/false question needs exactly one 'answer: true' or 'answer: false'",
            )
            return TrueFalse(None) if not self.answers else None
        number, text = self.answers[0]
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return TrueFalse(True)
        if word in FALSE_WORDS:
            return TrueFalse(False)
        self.p.problem(number, f"answer '{text}' is not true or false")
        return None

    def answer_numeric(self, attrs, line):
        if not self.answers:
            self.p.problem(line, "a numeric question needs at least one 'answer: VALUE' line")
            return None
        answers = []
        for number, text in self.answers:
            parsed = parse_numeric_answer(text)
            if isinstance(parsed, str):
                self.p.problem(number, parsed)
            else:
                answers.append(parsed)
        return Numeric(answers, unit=attrs.get("unit", ""))

    def answer_matrix(self, attrs, line):
        if "answer" not in self.fences:
            self.p.problem(line, "a matrix question needs its key in a '```answer' block (one row per line)")
            return None
        start, content = self.fences["answer"]
        key: list[list[float]] = []
        for offset, text in enumerate(content, start=1):
            if not text.strip():
                continue
            row = []
            for cell in text.split():
                value = parse_bank_number(cell)
                if value is None:
                    self.p.problem(start + offset, f"matrix cell '{cell}' is not a number")
                row.append(value if value is not None else 0.0)
            if key and len(row) != len(key[0]):
                self.p.problem(
                    start + offset, f"this row has {len(row)} cells, the first row has {len(key[0])}"
                )
            key.append(row)
        if not key:
            self.p.problem(start, "the '```answer' block is empty")
            return None
        answer = Matrix(len(key), len(key[0]), key)
        if "tolerance" in attrs:
            tolerance = self.p.number(attrs["tolerance"], line, "tolerance")
            if tolerance is not None and tolerance < 0:
                self.p.problem(line, "tolerance cannot be negative")
            answer.tolerance = tolerance or 0.0
        if "scoring" in attrs:
            if attrs["scoring"] not in ("per-cell", "all-or-nothing"):
                self.p.problem(line, f"matrix scoring '{attrs['scoring']}' is not per-cell or all-or-nothing")
            else:
                answer.scoring = attrs["scoring"]
        return answer

    def answer_template(self, attrs, line):
        if "template" not in self.fences:
            self.p.problem(line, "a template question needs a '```template' block with [[blanks]]")
            return None
        start, content = self.fences["template"]
        text = "\n".join(content)
        names: list[str] = []
        for offset, row in enumerate(content, start=1):
            for name in BLANK_RE.findall(row):
                if name in names:
                    self.p.problem(start + offset, f"blank [[{name}]] appears twice in the template")
                names.append(name)
        if not names:
            self.p.problem(start, "the template has no blanks: write them as [[name]]")
        blanks: dict[str, Blank] = {}
        for number, name, value in self.blanks:
            if name not in names:
                self.p.problem(number, f"blank '{name}' is not in the template")
                continue
            if name in blanks:
                self.p.problem(number, f"blank '{name}' is given twice")
                continue
            case, width, points = False, 0, None
            m = re.search(r"\s*\{((?:\s*(?:case|width=\d+|points=[0-9.]+))+)\s*\}\s*$", value)
            if m:
                for token in m.group(1).split():
                    if token == "case":
                        case = True
                    elif token.startswith("points="):
                        points = self.p.number(token.partition("=")[2], number, "blank points")
                    else:
                        width = int(token.partition("=")[2])
                value = value[: m.start()]
            if value.strip().lower() == "manual":
                blanks[name] = Blank(name, manual=True, width=width, points=points)
                continue
            menu = re.match(r"^menu\s*:\s*(.*)$", value.strip(), re.IGNORECASE)
            if menu:
                options = [o.strip() for o in menu.group(1).split("|") if o.strip()]
                right = [o[1:].strip() for o in options if o.startswith("=")]
                shown = [o[1:].strip() if o.startswith("=") else o for o in options]
                if len(shown) < 2 or not right:
                    self.p.problem(
                        number,
                        f"menu blank '{name}' needs two options or more, the right ones marked '=': menu: =right | wrong",
                    )
                elif len(set(shown)) != len(shown):
                    self.p.problem(number, f"menu blank '{name}' lists an option twice")
                blanks[name] = Blank(
                    name, right, case_sensitive=True, width=width, options=shown, points=points
                )
                continue
            accepted = [a.strip() for a in value.split("|") if a.strip()]
            if not accepted:
                self.p.problem(number, f"blank '{name}' has no accepted answer (or write 'manual')")
            blanks[name] = Blank(name, accepted, case_sensitive=case, width=width, points=points)
        for name in names:
            if name not in blanks and not any(b[1] == name for b in self.blanks):
                self.p.problem(start, f"blank [[{name}]] has no 'blank {name}: ...' line with its answers")
        template = Template(text, [blanks[n] for n in names if n in blanks])
        given = sum(b.points for b in template.blanks if b.points is not None)
        points = self.p.points_of_question
        if given > points + 1e-9 or (
            given < points - 1e-9 and all(b.points is not None for b in template.blanks)
        ):
            self.p.problem(
                line, f"the blanks' points add up to {given:g}, but the question is worth {points:g}"
            )
        return template

    def answer_dragwords(self, attrs, line):
        if "dragwords" not in self.fences:
            self.p.problem(line, "a dragwords question needs a '```dragwords' block with [[word]] gaps")
            return None
        start, content = self.fences["dragwords"]
        text = "\n".join(content)
        key = [word.strip() for word in GAP_RE.findall(text)]
        if not key:
            self.p.problem(
                start, "the dragwords text has no gaps: write each as [[the word that belongs there]]"
            )
            return None
        if any(not word for word in key):
            self.p.problem(start, "a gap [[ ]] has no word")
        numbered = iter(range(1, len(key) + 1))
        text = GAP_RE.sub(lambda m: f"[[{next(numbered)}]]", text)
        extras = [w.strip() for _, value in self.extras for w in value.split("|") if w.strip()]
        answer = DragWords(text, sorted(key + extras, key=str.casefold), key)
        if "scoring" in attrs:
            if attrs["scoring"] not in ("per-gap", "all-or-nothing"):
                self.p.problem(
                    line, f"dragwords scoring '{attrs['scoring']}' is not per-gap or all-or-nothing"
                )
            else:
                answer.scoring = attrs["scoring"]
        return answer

    def answer_short(self, attrs, line):
        if not self.answers:
            self.p.problem(line, "a short-answer question needs at least one 'answer: TEXT' line")
            return None
        case = attrs.get("case", "insensitive")
        if case not in ("sensitive", "insensitive"):
            self.p.problem(line, f"case is 'sensitive' or 'insensitive', got '{case}'")
        empty = [n for n, a in self.answers if not a]
        for number in empty:
            self.p.problem(number, "this answer line is empty")
        return ShortText([a for _, a in self.answers if a], case_sensitive=case == "sensitive")

    def answer_matching(self, attrs, line):
        prompts = [(n, p, a) for n, p, a in self.pairs if p]
        if len(prompts) < 2:
            self.p.problem(line, "a matching question needs at least two '- PROMPT => ANSWER' lines")
            return None
        seen: set[str] = set()
        for number, prompt, paired in self.pairs:
            if not paired:
                self.p.problem(number, "this pair has no answer after '=>'")
            if prompt and prompt in seen:
                self.p.problem(number, f"prompt '{prompt}' is listed twice")
            seen.add(prompt)
        options = sorted({a for _, _, a in self.pairs if a}, key=str.casefold)
        answer = Matching(
            [p for _, p, _ in prompts],
            options,
            [options.index(a) if a in options else 0 for _, _, a in prompts],
        )
        if "scoring" in attrs:
            if attrs["scoring"] not in ("per-prompt", "all-or-nothing"):
                self.p.problem(
                    line, f"matching scoring '{attrs['scoring']}' is not per-prompt or all-or-nothing"
                )
            else:
                answer.scoring = attrs["scoring"]
        return answer

    def answer_ordering(self, attrs, line):
        if len(self.items) < 2:
            self.p.problem(line, "an ordering question needs at least two numbered items ('1. first')")
            return None
        seen: set[str] = set()
        for number, text in self.items:
            if text in seen:
                self.p.problem(number, f"item '{text}' is listed twice")
            seen.add(text)
        answer = Ordering([t for _, t in self.items])
        if "scoring" in attrs:
            if attrs["scoring"] not in ("per-position", "all-or-nothing"):
                self.p.problem(
                    line, f"ordering scoring '{attrs['scoring']}' is not per-position or all-or-nothing"
                )
            else:
                answer.scoring = attrs["scoring"]
        return answer

    def answer_essay(self, attrs, line):
        answer = Essay()
        for key in ("min-words", "max-words"):
            if key in attrs:
                if not attrs[key].isdigit():
                    self.p.problem(line, f"{key}={attrs[key]} must be a whole number")
                else:
                    setattr(answer, key.replace("-", "_"), int(attrs[key]))
        if answer.min_words and answer.max_words and answer.min_words > answer.max_words:
            self.p.problem(line, "min-words is larger than max-words")
        return answer


# ---------------------------------------------------------------------------------------------
# Small value parsers, shared with the bank writer and importers.


def choice_id(index: int) -> str:
    """a, b, ..., z, aa, ab, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(97 + rest) + letters
    return letters


def parse_duration(text: str) -> int | None:
    text = text.strip().lower().replace(" ", "")
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)(?:m|min)?)?", text)
    if not text or not m or (m.group(1) is None and m.group(2) is None):
        return None
    minutes = int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
    return minutes if 0 < minutes <= 24 * 60 else None


def parse_bank_number(text: str) -> float | None:
    text = text.strip().replace("−", "-")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
        return None
    return float(text)


def parse_fraction(text: str) -> float | None:
    text = text.strip().replace("−", "-")
    if text.endswith("%"):
        value = parse_bank_number(text[:-1])
        return None if value is None else value / 100
    if "/" in text:
        num, _, den = text.partition("/")
        a, b = parse_bank_number(num), parse_bank_number(den)
        if a is None or not b:
            return None
        return a / b
    return parse_bank_number(text)


def parse_numeric_answer(text: str) -> NumericAnswer | str:
    """`3855`, `0.5 ± 0.01`, `0.5 +- 2%`, `1..2`, each optionally `{weight=50%}`; else a message."""
    weight = 1.0
    m = TRAILING_ATTRS_RE.search(text)
    if m:
        for token in m.group(1).split():
            key, _, value = token.partition("=")
            parsed = parse_fraction(value) if key == "weight" else None
            if parsed is None:
                return f"'{token}' is not a weight like {{weight=50%}}"
            weight = parsed
        text = text[: m.start()]
    text = text.strip()
    if ".." in text:
        low, _, high = text.partition("..")
        a, b = parse_bank_number(low), parse_bank_number(high)
        if a is None or b is None:
            return f"range '{text}' is not like 1..2"
        if a > b:
            return f"range '{text}' goes from high to low"
        # in decimal: 3.141..3.142 is 3.1415 ± 0.0005, not 3.1414999999999997 ± 0.0004999999999999449
        low_d, high_d = Decimal(repr(a)), Decimal(repr(b))
        return NumericAnswer(float((low_d + high_d) / 2), float((high_d - low_d) / 2), False, weight)
    for sep in ("±", "+-", "+/-"):
        if sep in text:
            value_text, _, tol_text = text.partition(sep)
            value = parse_bank_number(value_text)
            if value is None:
                return f"answer '{value_text.strip()}' is not a number"
            relative = tol_text.strip().endswith("%")
            tolerance = parse_bank_number(tol_text.strip().rstrip("%"))
            if tolerance is None or tolerance < 0:
                return f"tolerance '{tol_text.strip()}' is not a number like 0.01 or 2%"
            return NumericAnswer(value, tolerance / 100 if relative else tolerance, relative, weight)
    value = parse_bank_number(text)
    if value is None:
        return f"answer '{text}' is not a number (use a dot for decimals, e.g. 0.5)"
    return NumericAnswer(value, 0.0, False, weight)


def _yes_no(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in ("yes", "true", "on") else False if word in ("no", "false", "off") else None


def _text(lines: list[tuple[int, str]]) -> str:
    text = COMMENT_RE.sub("", "\n".join(line for _, line in lines))
    return text.strip("\n").rstrip() if text.strip() else ""


def _fenced(lines: list[tuple[int, str]], start: int) -> tuple[list[tuple[int, str]], int]:
    """Content lines of the fence opening at `start`, and the index after its closing line."""
    opening = FENCE_RE.match(lines[start][1])
    assert opening
    indent, marker = opening.group(1), opening.group(2)
    content: list[tuple[int, str]] = []
    i = start + 1
    while i < len(lines):
        closing = FENCE_RE.match(lines[i][1])
        if closing and closing.group(2).startswith(marker[0] * 3) and not closing.group(3):
            return content, i + 1
        number, text = lines[i]
        content.append((number, text[len(indent) :] if text.startswith(indent) else text.lstrip()))
        i += 1
    return content, i


def _continues(lines: list[tuple[int, str]], i: int) -> bool:
    """A blank line inside an option continues it when the next non-blank line is indented."""
    for _, line in lines[i + 1 :]:
        if line.strip():
            return line.startswith("  ")
    return False
