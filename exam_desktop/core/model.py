"""The exam as data: metadata, sections, questions, answer kinds, keys and figure specs.

Plain dataclasses, no Qt. Every other part of the app (bank parser, candidate window, packages,
bundles, grading, importers) speaks this model. `to_dict`/`from_dict` give a JSON-ready form;
`candidate_copy()` removes everything a candidate must never see (keys, explanations, rubrics).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union

# --------------------------------------------------------------------------------------------
# Figures: declarative specs, drawn by exam_desktop.core.page.drawing with matplotlib.


@dataclass
class Box:
    """A labelled rectangle on an IoU figure; x, y is the top-left corner in grid units."""

    label: str
    x: float
    y: float
    width: float
    height: float
    color: str = "blue"


@dataclass
class IoUFigure:
    """Two or more labelled rectangles on a grid (e.g. ground truth vs prediction)."""

    kind: ClassVar[str] = "iou"
    grid_width: int
    grid_height: int
    boxes: list[Box]
    caption: str = ""


@dataclass
class Window:
    """A highlighted block of cells on a grid figure (0-based row/col of its top-left cell)."""

    row: int
    col: int
    rows: int
    cols: int
    color: str = "orange"


@dataclass
class GridFigure:
    """Numbers in cells (pooling inputs/outputs, feature maps), optionally with windows."""

    kind: ClassVar[str] = "grid"
    cells: list[list[str]]
    highlights: list[Window] = field(default_factory=list)
    caption: str = ""


@dataclass
class MatrixFigure:
    """A plain matrix drawn with brackets, optionally named (``x = [...]``)."""

    kind: ClassVar[str] = "matrix"
    cells: list[list[str]]
    name: str = ""
    caption: str = ""


Figure = Union[IoUFigure, GridFigure, MatrixFigure]  # noqa: UP007 - a runtime key for from_dict
FIGURE_KINDS: dict[str, type] = {cls.kind: cls for cls in (IoUFigure, GridFigure, MatrixFigure)}

# Markdown text (stems, options, explanations) refers to a figure of its question by this token;
# renderers replace it with the drawn figure, the bank writer with the figure's fenced block.
FIGURE_TOKEN = "@@figure:{index}@@"


FIGURE_TOKEN_RE = re.compile(re.escape(FIGURE_TOKEN).replace(r"\{index\}", r"(\d+)"))


def figure_token(index: int) -> str:
    return FIGURE_TOKEN.format(index=index)


# --------------------------------------------------------------------------------------------
# Answer kinds. Each holds what the candidate sees *and* its key; `strip_key()` returns the
# candidate-visible part only.


@dataclass
class Choice:
    """One option of a single/multiple choice question. `text` is Markdown (math, code, figures)."""

    id: str
    text: str
    correct: bool = False
    # Per-option marks for scoring "per-option": the fraction of the question's points this option
    # adds when picked (negative: subtracts). None means the question's default right/wrong marks.
    weight: float | None = None
    feedback: str = ""


@dataclass
class SingleChoice:
    kind: ClassVar[str] = "single"
    choices: list[Choice]

    def strip_key(self) -> SingleChoice:
        return SingleChoice([Choice(c.id, c.text) for c in self.choices])


ScoringRule = Literal["all-or-nothing", "partial", "per-option"]


@dataclass
class MultipleChoice:
    """Check all that apply.

    scoring:
      - all-or-nothing: full points only for exactly the correct set;
      - partial: (right picks - wrong picks) / number of correct options, times points;
      - per-option: each pick adds its weight (fraction of points); defaults: `right` for a
        correct option, `wrong` for a wrong one (usually negative).
    The result never goes below `floor` (a fraction of points, usually 0).
    """

    kind: ClassVar[str] = "multiple"
    choices: list[Choice]
    select_exactly: int | None = None
    scoring: ScoringRule = "partial"
    right: float | None = None
    wrong: float | None = None
    floor: float = 0.0

    def strip_key(self) -> MultipleChoice:
        return MultipleChoice(
            [Choice(c.id, c.text) for c in self.choices],
            select_exactly=self.select_exactly,
        )


@dataclass
class TrueFalse:
    kind: ClassVar[str] = "truefalse"
    answer: bool | None = None

    def strip_key(self) -> TrueFalse:
        return TrueFalse()


@dataclass
class NumericAnswer:
    """An accepted value with tolerance: absolute, or relative (`relative=True`, a fraction).

    A range answer a..b is value=(a+b)/2, tolerance=(b-a)/2. `weight` is the fraction of points
    it earns (1.0 for fully correct, e.g. 0.5 for an accepted approximation).
    """

    value: float
    tolerance: float = 0.0
    relative: bool = False
    weight: float = 1.0


@dataclass
class Numeric:
    kind: ClassVar[str] = "numeric"
    answers: list[NumericAnswer] = field(default_factory=list)
    unit: str = ""

    def strip_key(self) -> Numeric:
        return Numeric(unit=self.unit)


@dataclass
class Matrix:
    """A rows x cols grid of numbers; each cell correct within `tolerance`.

    Scored per cell (fraction of cells right) unless `scoring` is all-or-nothing.
    """

    kind: ClassVar[str] = "matrix"
    rows: int
    cols: int
    key: list[list[float]] = field(default_factory=list)
    tolerance: float = 0.0
    scoring: Literal["per-cell", "all-or-nothing"] = "per-cell"

    def strip_key(self) -> Matrix:
        return Matrix(self.rows, self.cols)


BLANK_WIDTH = 16  # characters, for a template blank without a width of its own


@dataclass
class Blank:
    """A named blank of a template: accepted answers, or graded by hand (`manual`).

    A blank with `options` is a menu (a dropdown): candidates pick one of them, and the accepted
    ones are right. `points`, when given, is what this blank is worth; blanks without it share
    evenly what the others leave of the question's points."""

    name: str
    accepted: list[str] = field(default_factory=list)
    manual: bool = False
    case_sensitive: bool = False
    width: int = 0  # characters shown; 0 = BLANK_WIDTH (never the key's length: it would leak)
    options: list[str] = field(default_factory=list)
    points: float | None = None

    def strip_key(self) -> Blank:
        return Blank(self.name, manual=self.manual, width=self.display_width(), options=list(self.options))

    def display_width(self) -> int:
        """The width the blank is shown with: the author's, else wide enough for the longest menu
        option (the candidate sees those anyway), else the same for every blank — so that the
        package never tells a candidate how long the accepted answer is."""
        return self.width or max([len(o) for o in self.options] + [BLANK_WIDTH])


@dataclass
class Template:
    """A text (code, console output) with blanks written ``[[name]]``; points split evenly."""

    kind: ClassVar[str] = "template"
    text: str
    blanks: list[Blank] = field(default_factory=list)
    monospace: bool = True
    rubric: str = ""  # for graders marking the manual blanks

    def strip_key(self) -> Template:
        return Template(self.text, [b.strip_key() for b in self.blanks], self.monospace)

    def blank_points(self, points: float) -> dict[str, float]:
        """What each blank is worth out of the question's `points`."""
        given = sum(b.points for b in self.blanks if b.points is not None)
        rest = [b for b in self.blanks if b.points is None]
        share = max(points - given, 0.0) / len(rest) if rest else 0.0
        return {b.name: b.points if b.points is not None else share for b in self.blanks}


@dataclass
class ShortText:
    """A one-line answer compared with accepted answers (`*` is a wildcard)."""

    kind: ClassVar[str] = "short"
    accepted: list[str] = field(default_factory=list)
    case_sensitive: bool = False

    def strip_key(self) -> ShortText:
        return ShortText()


@dataclass
class Essay:
    """Free text graded by hand; `rubric` is for graders only."""

    kind: ClassVar[str] = "essay"
    min_words: int | None = None
    max_words: int | None = None
    rubric: str = ""

    def strip_key(self) -> Essay:
        return Essay(self.min_words, self.max_words)


@dataclass
class Matching:
    """Match each prompt with one option from a shared list (which may hold distractors).

    `options` are kept in alphabetical order so that their order never gives the key away;
    `key[i]` is the index in `options` of the answer to `prompts[i]`. Scored per prompt unless
    `scoring` is all-or-nothing.
    """

    kind: ClassVar[str] = "matching"
    prompts: list[str]
    options: list[str]
    key: list[int] = field(default_factory=list)
    scoring: Literal["per-prompt", "all-or-nothing"] = "per-prompt"

    def strip_key(self) -> Matching:
        return Matching(list(self.prompts), list(self.options))


@dataclass
class Ordering:
    """Put items in the right order. `items` holds the correct order; candidates get them sorted
    alphabetically (`strip_key`), so the package never reveals the order. Scored per position
    unless `scoring` is all-or-nothing."""

    kind: ClassVar[str] = "ordering"
    items: list[str]
    scoring: Literal["per-position", "all-or-nothing"] = "all-or-nothing"

    def strip_key(self) -> Ordering:
        return Ordering(sorted(self.items, key=str.casefold))


@dataclass
class DragWords:
    """Words dragged (or placed with the keyboard) into the gaps of a text.

    `text` is Markdown with the gaps written ``[[1]]``, ``[[2]]``, ...; `words` is the pool the
    candidate places from, in alphabetical order so that it never gives the key away (a word is
    listed as often as it may be placed); `key[i]` is the word that belongs in gap i+1. Scored per
    gap unless `scoring` is all-or-nothing."""

    kind: ClassVar[str] = "dragwords"
    text: str
    words: list[str]
    key: list[str] = field(default_factory=list)
    scoring: Literal["per-gap", "all-or-nothing"] = "per-gap"

    def strip_key(self) -> DragWords:
        return DragWords(self.text, sorted(self.words, key=str.casefold))

    @property
    def gaps(self) -> int:
        return len(re.findall(r"\[\[\d+\]\]", self.text))


Answer = Union[  # noqa: UP007 - a runtime key for from_dict
    SingleChoice,
    MultipleChoice,
    TrueFalse,
    Numeric,
    Matrix,
    Template,
    ShortText,
    Essay,
    Matching,
    Ordering,
    DragWords,
]
ANSWER_KINDS: dict[str, type] = {cls.kind: cls for cls in typing.get_args(Answer)}
AUTO_GRADED_KINDS = frozenset(
    {"single", "multiple", "truefalse", "numeric", "matrix", "short", "matching", "ordering", "dragwords"}
)


# --------------------------------------------------------------------------------------------
# Questions, sections, the exam.


@dataclass
class Question:
    id: str
    title: str
    points: float
    stem: str  # Markdown + LaTeX; figures referenced by figure_token(i)
    answer: Answer
    figures: list[Figure] = field(default_factory=list)
    explanation: str = ""
    tags: list[str] = field(default_factory=list)
    line: int = 0  # where the question starts in its bank (0 when not from a bank)
    lang: str = ""  # the question's own language when it differs from the exam's (`lang=fr`)
    # Candidate tools and shared material (docs/bank-format.md, "Tools and shared passages").
    tools: list[str] | None = None  # None: the exam's tools; else this question's own list
    passages: list[str] = field(default_factory=list)  # ids of the passages shown beside it

    @property
    def kind(self) -> str:
        return self.answer.kind

    @property
    def auto_graded(self) -> bool:
        if isinstance(self.answer, Template):
            return not any(b.manual for b in self.answer.blanks)
        return self.kind in AUTO_GRADED_KINDS


@dataclass
class Section:
    """A page of the exam."""

    title: str
    questions: list[Question] = field(default_factory=list)
    intro: str = ""


# --------------------------------------------------------------------------------------------
# Candidate tools and shared material.

# The tools an exam may offer (the reading aids, themes, line reader and timer hide are always there).
TOOLS = ("calculator", "notes", "highlighter", "eliminator", "formula-sheet")
CALCULATOR_MODES = ("basic", "scientific")


@dataclass
class Passage:
    """A named block (text, code, figures) that several questions show beside them."""

    id: str
    title: str
    text: str  # Markdown + LaTeX; figures referenced by figure_token(i) of `figures`
    figures: list[Figure] = field(default_factory=list)
    line: int = 0


@dataclass
class CandidateField:
    """A field of the identification form (name, student ID, seat, email, ...)."""

    id: str
    label: str
    required: bool = True


@dataclass
class Exam:
    id: str
    title: str
    duration_minutes: int
    sections: list[Section] = field(default_factory=list)
    language: str = "en"
    instructions: str = ""
    candidate_fields: list[CandidateField] = field(default_factory=list)
    allow_dont_know: bool = False
    dont_know_score: float = 0.0  # fraction of points for "I don't know yet"
    allow_rating: bool = False
    lock_stops_clock: bool = True  # an incident lock stops the candidate's clock (`lock-clock: run`: not)
    source: str = ""  # the bank file it came from
    tools: list[str] = field(default_factory=list)  # of TOOLS, offered on every question
    calculator: str = "basic"  # of CALCULATOR_MODES, when "calculator" is offered
    formula_sheet: str = ""  # Markdown + LaTeX
    passages: list[Passage] = field(default_factory=list)
    notes_in_bundle: bool = False  # candidates' private notes travel in the results bundle

    def tools_for(self, question: Question) -> list[str]:
        """The tools offered while `question` is shown."""
        return list(self.tools if question.tools is None else question.tools)

    def passage(self, passage_id: str) -> Passage:
        for p in self.passages:
            if p.id == passage_id:
                return p
        raise KeyError(passage_id)

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def candidate_copy(self) -> Exam:
        """The exam as a candidate machine may hold it: no keys, explanations or rubrics, and no
        figure that only an explanation or a rubric showed."""
        sections = [
            Section(
                s.title,
                [
                    _visible_figures_only(dataclasses.replace(q, answer=q.answer.strip_key(), explanation=""))
                    for q in s.questions
                ],
                s.intro,
            )
            for s in self.sections
        ]
        return dataclasses.replace(self, sections=sections, source="")


def _visible_figures_only(question: Question) -> Question:
    """`question` without the figures none of its remaining texts refers to, the others renumbered."""
    data = to_dict(question)
    figures = data.pop("figures")
    used = sorted(
        {int(m) for text in strings_in(data) for m in FIGURE_TOKEN_RE.findall(text)}
        & set(range(len(figures)))
    )
    if used == list(range(len(figures))):
        return question
    new_index = {old: new for new, old in enumerate(used)}

    def renumber(text: str) -> str:
        return FIGURE_TOKEN_RE.sub(
            lambda m: figure_token(new_index[int(m.group(1))]) if int(m.group(1)) in new_index else "",
            text,
        )

    data = _map_strings(data, renumber)
    data["figures"] = [figures[i] for i in used]
    return from_dict(Question, data)


def strings_in(data: Any) -> typing.Iterator[str]:
    """Every string in JSON-ready data."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings_in(value)


def _map_strings(data: Any, change: typing.Callable[[str], str]) -> Any:
    if isinstance(data, str):
        return change(data)
    if isinstance(data, dict):
        return {key: _map_strings(value, change) for key, value in data.items()}
    if isinstance(data, list):
        return [_map_strings(value, change) for value in data]
    return data


# --------------------------------------------------------------------------------------------
# JSON form. Union members are tagged with their `kind`.

_UNIONS = {Answer: ANSWER_KINDS, Figure: FIGURE_KINDS}


def to_dict(obj: Any) -> Any:
    """A JSON-ready form of any model object (dataclass, list, scalar)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        kind = getattr(type(obj), "kind", None)
        if isinstance(kind, str):
            out["kind"] = kind
        for f in dataclasses.fields(obj):
            out[f.name] = to_dict(getattr(obj, f.name))
        return out
    if isinstance(obj, (list, tuple)):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def from_dict(cls: Any, data: Any) -> Any:
    """Rebuild a model object of type `cls` from `to_dict` output. Raises ValueError if malformed."""
    try:
        return _build(cls, data)
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"malformed {getattr(cls, '__name__', cls)} data: {exc}") from exc


def _build(tp: Any, data: Any) -> Any:
    if tp in _UNIONS:
        kinds = _UNIONS[tp]
        if not isinstance(data, dict) or data.get("kind") not in kinds:
            raise ValueError(f"unknown kind {data.get('kind') if isinstance(data, dict) else data!r}")
        return _build(kinds[data["kind"]], data)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return _build(non_none[0], data)
        return data
    if origin is list:
        if not isinstance(data, list):
            raise ValueError(f"expected a list, got {data!r}")
        return [_build(args[0], x) for x in data]
    if origin is dict:
        return {k: _build(args[1], v) for k, v in data.items()}
    if origin is Literal:
        if data not in args:
            raise ValueError(f"{data!r} is not one of {args}")
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {tp.__name__}")
        hints = typing.get_type_hints(tp)
        kwargs = {
            f.name: _build(hints[f.name], data[f.name]) for f in dataclasses.fields(tp) if f.name in data
        }
        return tp(**kwargs)
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if tp in (str, int, float, bool) and not isinstance(data, tp):
        raise ValueError(f"expected {tp.__name__}, got {data!r}")
    return data


def exam_to_dict(exam: Exam) -> dict[str, Any]:
    return to_dict(exam)


def exam_from_dict(data: dict[str, Any]) -> Exam:
    return from_dict(Exam, data)
