"""Moodle XML: import to the exam model and export from it.

Untrusted XML is parsed with defusedxml (no external entities, no entity expansion). Problems are
reported with the element path, e.g. `quiz/question[3]/answer[2]`.

Mapping (see docs/interchange.md): multichoice -> single/multiple (fractions as weights),
truefalse, shortanswer -> short (partial-credit answers reported), numerical -> numeric, essay
(word limits, grader info as rubric), cloze/multianswer -> template with one blank per embedded
answer (its marks kept, menus as menu blanks), gapselect -> template with menu blanks, ddwtos ->
dragwords, description -> page introduction, category -> section, tags, idnumber -> question id,
embedded images (`@@PLUGINFILE@@` + base64 `<file>`) -> files saved next to the bank.
matching -> matching (per prompt), ordering (the qtype_ordering plugin) -> ordering.
Drag-and-drop onto images and calculated questions are reported, not imported. Export puts every
weight on Moodle's grade list (weights.moodle_percents), reporting each change.
"""

from __future__ import annotations

import base64
import binascii
import html
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from exam_desktop.core.errors import BankError, BankProblem, KnownError
from exam_desktop.core.model import (
    Answer,
    Blank,
    Choice,
    DragWords,
    Essay,
    Exam,
    Matching,
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
from exam_desktop.core.numbers import format_number
from exam_desktop.interchange import weights
from exam_desktop.interchange.builder import ExamBuilder, matching_from_pairs, matching_pairs, one_line
from exam_desktop.interchange.figure_images import has_figures, replace_figures
from exam_desktop.interchange.markup import (
    html_to_markdown,
    lms_math_to_markdown,
    markdown_to_html,
    moodle_to_markdown,
    plain_to_markdown,
    title_from_text,
)
from exam_desktop.interchange.report import ConversionReport, ExportResult, ImportResult

UNSUPPORTED = {
    "ddmatch": "drag-and-drop matching",
    "ddimageortext": "drag and drop onto image",
    "ddmarker": "drag and drop markers",
    "calculated": "calculated",
    "calculatedsimple": "simple calculated",
    "calculatedmulti": "calculated multichoice",
    "randomsamatch": "random short-answer matching",
    "random": "random",
}
_CLOZE_RE = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^}\\])*)\}")


class NotMoodleXml(KnownError):
    """The file is not Moodle XML (another format, or not XML at all)."""


class _LineNumbers(ET.TreeBuilder):
    """Builds the tree and notes the line where each element starts (for `file:line:` messages)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[ET.Element, int] = {}
        self.expat = None

    def start(self, tag, attrs):  # type: ignore[no-untyped-def]
        element = super().start(tag, attrs)
        self.lines[element] = self.expat.CurrentLineNumber if self.expat is not None else 0
        return element


def parse_xml_with_lines(data: bytes, source: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """Parse untrusted XML safely (no DTD entities, nothing external); malformed XML becomes a
    BankError with its line. Returns the root and each element's starting line."""
    builder = _LineNumbers()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        return parser.close(), builder.lines
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 0
        raise BankError([BankProblem(source, line, f"the XML is not well-formed: {exc.msg}")]) from None
    except LookupError as exc:  # an XML declaration naming an unknown encoding
        raise BankError(
            [BankProblem(source, 1, f"the XML declares an encoding Python does not know: {exc}")]
        ) from None
    except DefusedXmlException:
        raise BankError(
            [BankProblem(source, 1, "the file declares XML entities, which are refused for safety")]
        ) from None


def parse_xml(data: bytes, source: str) -> ET.Element:
    """Parse untrusted XML safely; see `parse_xml_with_lines`."""
    return parse_xml_with_lines(data, source)[0]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Reader:
    """Walks one Moodle XML document; keeps the files embedded in it."""

    def __init__(self, source: str, report: ConversionReport):
        self.source = source
        self.report = report
        self.files: dict[str, bytes] = {}

    def raw_of(self, element: ET.Element | None, where: str) -> tuple[str, str]:
        """The text and format of a `<... format=".."><text>..</text><file/>..</...>` element;
        embedded files are kept and their references pointed at `images/`."""
        if element is None:
            return "", "html"
        raw = element.findtext("text") or ""
        for file in element.findall("file"):
            self._keep_file(file, where)
        raw = re.sub(r"@@PLUGINFILE@@/([^\"'<>\s]+)", lambda m: "images/" + unquote(m.group(1)), raw)
        return raw, element.get("format", "html")

    def text_of(self, element: ET.Element | None, where: str) -> str:
        """Such an element's text as bank Markdown."""
        raw, fmt = self.raw_of(element, where)
        return to_markdown(raw, fmt)

    def _keep_file(self, file: ET.Element, where: str) -> None:
        name = (file.get("path", "/").strip("/") + "/" + file.get("name", "")).strip("/")
        safe = PurePosixPath(name)
        if not name or safe.is_absolute() or ".." in safe.parts:
            self.report.add("", where, f"embedded file '{name}' has an unsafe name: not saved")
            return
        try:
            self.files[f"images/{safe}"] = base64.b64decode(file.text or "", validate=False)
        except (binascii.Error, ValueError):
            self.report.add("", where, f"embedded file '{name}' is not valid base64: not saved")


def to_markdown(text: str, fmt: str) -> str:
    """Text in one of Moodle's formats as bank Markdown."""
    if fmt == "html":
        return html_to_markdown(text)
    if fmt == "plain_text":
        return plain_to_markdown(text)
    if fmt == "markdown":
        return lms_math_to_markdown(text.strip())
    return moodle_to_markdown(text)  # moodle_auto_format


def import_moodle_xml(data: bytes, source: str | Path = "<moodle-xml>") -> ImportResult:
    """Read a Moodle XML quiz file into an exam."""
    source = str(source)
    root, lines = parse_xml_with_lines(data, source)
    if _local(root.tag) != "quiz":
        raise NotMoodleXml(
            f"{source} is not a Moodle XML file: its root element is <{_local(root.tag)}>, not <quiz>"
        )
    report = ConversionReport()
    reader = _Reader(source, report)
    builder = ExamBuilder(source, report)
    problems: list[BankProblem] = []
    number = 0
    for index, element in enumerate(root.findall("question"), start=1):
        where = f"quiz/question[{index}]"
        kind = element.get("type", "")
        try:
            if kind == "category":
                builder.start_category(element.findtext("category/text") or "")
                continue
            if kind == "description":
                builder.add_description(reader.text_of(element.find("questiontext"), where))
                continue
            question = _question(element, kind, where, reader, builder, number + 1)
        except _Malformed as exc:
            problems.append(BankProblem(source, lines.get(element, 0), f"{exc.where}: {exc}"))
            continue
        if question is not None and builder.add(question, where):
            number += 1
    if problems:
        raise BankError(problems)
    return ImportResult(builder.finish(), report, reader.files)


class _Malformed(Exception):
    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where


def _number(text: str | None, where: str, default: float | None = None) -> float:
    if text is None or not text.strip():
        if default is None:
            raise _Malformed(where, "a number is missing")
        return default
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise _Malformed(where, f"'{text.strip()}' is not a number") from None


def _question(
    element: ET.Element, kind: str, where: str, reader: _Reader, builder: ExamBuilder, number: int
) -> Question | None:
    report = reader.report
    name = (element.findtext("name/text") or "").strip()
    label = f"'{name}'" if name else ""
    if kind in UNSUPPORTED:
        report.add(label, where, f"{UNSUPPORTED[kind]} questions have no kind in this app yet: not imported")
        return None
    raw_stem = reader.raw_of(element.find("questiontext"), f"{where}/questiontext")
    stem = to_markdown(*raw_stem)
    explanation = reader.text_of(element.find("generalfeedback"), f"{where}/generalfeedback")
    folded: list[str] = []
    answers = element.findall("answer")
    answer: Answer
    cloze_marks: float | None = None
    if kind == "multichoice":
        answer = _multichoice(element, answers, where, reader, label)
    elif kind == "truefalse":
        answer = _truefalse(answers, where, reader, folded)
    elif kind == "shortanswer":
        answer = _shortanswer(element, answers, where, reader, label, folded)
    elif kind == "numerical":
        answer = _numerical(element, answers, where, reader, folded)
    elif kind == "essay":
        answer = _essay(element, where, reader)
    elif kind == "matching":
        answer = _matching(element, where, reader)
    elif kind == "ordering":
        answer = _ordering(element, answers, where, reader, label)
    elif kind in ("cloze", "multianswer"):
        answer, stem, marks = _cloze(*raw_stem, where, report, label)
        cloze_marks = marks
        given = _number(element.findtext("defaultgrade"), f"{where}/defaultgrade", marks)
        if abs(given - marks) > 1e-9:
            report.add(
                label,
                f"{where}/defaultgrade",
                f"a default grade of {given:g}: Moodle gives this cloze its blanks' {marks:g} marks, and so does the bank",
            )
    elif kind in ("gapselect", "ddwtos"):
        answer, stem = _gap_question(element, kind, raw_stem, where, report, label)
    else:
        report.add(label, where, f"questions of type '{kind}' are not supported: not imported")
        return None
    if folded:
        report.add(
            label,
            where,
            "feedback on individual answers moved to the explanation "
            "(this kind keeps no per-answer feedback)",
        )
        explanation = "\n\n".join(p for p in [explanation, *folded] if p)
    tags = [t.strip() for t in (e.text or "" for e in element.findall("tags/tag/text")) if t.strip()]
    qid = builder.unique_id((element.findtext("idnumber") or "").strip(), number)
    points = _number(element.findtext("defaultgrade"), f"{where}/defaultgrade", 1.0)
    if cloze_marks is not None:
        points = cloze_marks
    return Question(
        id=qid,
        title=name or title_from_text(stem),
        points=points,
        stem=stem,
        answer=answer,
        explanation=explanation,
        tags=tags,
    )


def _fraction(answer: ET.Element, where: str) -> float:
    return _number(answer.get("fraction"), f"{where}/@fraction", 0.0)


def _multichoice(
    element: ET.Element, answers: list[ET.Element], where: str, reader: _Reader, label: str
) -> SingleChoice | MultipleChoice:
    single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
    choices: list[Choice] = []
    percents: list[float] = []
    for k, a in enumerate(answers, start=1):
        here = f"{where}/answer[{k}]"
        choices.append(
            Choice(
                id=weights.choice_id(k - 1),
                text=reader.text_of(a, here),
                feedback=reader.text_of(a.find("feedback"), f"{here}/feedback"),
            )
        )
        percents.append(_fraction(a, here))
    if len(choices) < 2:
        raise _Malformed(where, "a multichoice question needs at least two answers")
    full = [p >= 100 for p in percents]
    if single and sum(full) == 1:
        for choice, pct in zip(choices, percents, strict=True):
            choice.correct = pct >= 100
            if pct and pct < 100:
                choice.weight = round(pct / 100, 7)
        return SingleChoice(choices)
    if single:
        reader.report.add(
            label,
            where,
            "a single-answer question with "
            f"{sum(full)} fully correct options: imported as 'multiple' (per-option)",
        )
    return weights.multiple_from_percents(choices, percents)


def _truefalse(answers: list[ET.Element], where: str, reader: _Reader, folded: list[str]) -> TrueFalse:
    value: bool | None = None
    for k, a in enumerate(answers, start=1):
        said = (a.findtext("text") or "").strip().lower()
        if _fraction(a, f"{where}/answer[{k}]") >= 100:
            value = said == "true"
        feedback = reader.text_of(a.find("feedback"), f"{where}/answer[{k}]/feedback")
        if feedback:
            folded.append(f"Feedback on '{said}': {feedback}")
    if value is None:
        raise _Malformed(where, "a true/false question needs an answer with fraction 100")
    return TrueFalse(value)


def _shortanswer(
    element: ET.Element,
    answers: list[ET.Element],
    where: str,
    reader: _Reader,
    label: str,
    folded: list[str],
) -> ShortText:
    accepted: list[str] = []
    for k, a in enumerate(answers, start=1):
        here = f"{where}/answer[{k}]"
        text = (a.findtext("text") or "").strip()
        pct = _fraction(a, here)
        if pct >= 100:
            accepted.append(text)
        elif pct > 0:
            reader.report.add(
                label,
                here,
                f"answer '{text}' worth {pct:g}% not imported (short answers here are all-or-nothing)",
            )
        elif text != "*":
            reader.report.add(label, here, f"answer '{text}' worth 0% not imported")
        feedback = reader.text_of(a.find("feedback"), f"{here}/feedback")
        if feedback:
            folded.append(f"Any other answer: {feedback}" if text == "*" else f"*{text}*: {feedback}")
    case = (element.findtext("usecase") or "0").strip() not in ("0", "false", "")
    return ShortText(accepted=accepted, case_sensitive=case)


def _numerical(
    element: ET.Element, answers: list[ET.Element], where: str, reader: _Reader, folded: list[str]
) -> Numeric:
    result: list[NumericAnswer] = []
    for k, a in enumerate(answers, start=1):
        here = f"{where}/answer[{k}]"
        text = (a.findtext("text") or "").strip()
        feedback = reader.text_of(a.find("feedback"), f"{here}/feedback")
        if text == "*":
            if feedback:
                folded.append(f"Any other answer: {feedback}")
            continue
        value = _number(text, f"{here}/text")
        tolerance = _number(a.findtext("tolerance"), f"{here}/tolerance", 0.0)
        result.append(NumericAnswer(value, abs(tolerance), weight=_fraction(a, here) / 100))
        if feedback:
            folded.append(f"*{text}*: {feedback}")
    units = [
        (u.findtext("unit_name") or "").strip()
        for u in element.findall("units/unit")
        if _number(u.findtext("multiplier"), where, 1.0) == 1.0
    ]
    others = len(element.findall("units/unit")) - len(units[:1])
    if others > 0:
        reader.report.add("", f"{where}/units", f"{others} alternative unit(s) with multipliers not imported")
    return Numeric(result, unit=units[0] if units else "")


def _matching(element: ET.Element, where: str, reader: _Reader) -> Matching:
    pairs = []
    for k, sub in enumerate(element.findall("subquestion"), start=1):
        prompt = reader.text_of(sub, f"{where}/subquestion[{k}]")
        answer = (sub.findtext("answer/text") or "").strip()
        if not answer:
            raise _Malformed(f"{where}/subquestion[{k}]/answer", "a matching pair needs an answer")
        pairs.append((prompt, answer))
    if sum(1 for p, _ in pairs if p) < 2:
        raise _Malformed(where, "a matching question needs at least two subquestions with text")
    return matching_from_pairs(pairs)


def _ordering(
    element: ET.Element, answers: list[ET.Element], where: str, reader: _Reader, label: str
) -> Ordering:
    """Moodle's ordering question: answers in their correct order."""
    items = [one_line(reader.text_of(a, f"{where}/answer[{k}]")) for k, a in enumerate(answers, start=1)]
    if len(items) < 2:
        raise _Malformed(where, "an ordering question needs at least two items")
    grading = (element.findtext("gradingtype") or "").strip().upper()
    name = _ORDERING_GRADING.get(grading, grading)
    if name == "ALL_OR_NOTHING":
        return Ordering(items, scoring="all-or-nothing")
    if name != "ABSOLUTE_POSITION":
        said = (
            f"grading type {name}"
            if name
            else "no grading type (Moodle's default: RELATIVE_NEXT_EXCLUDE_LAST)"
        )
        reader.report.add(label, f"{where}/gradingtype", f"{said} is scored per position here")
    return Ordering(items, scoring="per-position")


# qtype_ordering's grading types, by the numbers older exports wrote
_ORDERING_GRADING = {
    "-1": "ALL_OR_NOTHING",
    "0": "ABSOLUTE_POSITION",
    "1": "RELATIVE_NEXT_EXCLUDE_LAST",
    "2": "RELATIVE_NEXT_INCLUDE_LAST",
    "3": "RELATIVE_ONE_PREVIOUS_AND_NEXT",
    "4": "RELATIVE_ALL_PREVIOUS_AND_NEXT",
    "5": "LONGEST_ORDERED_SUBSET",
    "6": "LONGEST_CONTIGUOUS_SUBSET",
    "7": "RELATIVE_TO_CORRECT",
}


def _essay(element: ET.Element, where: str, reader: _Reader) -> Essay:
    def limit(tag: str) -> int | None:
        value = (element.findtext(tag) or "").strip()
        return int(float(value)) if value and float(value) > 0 else None

    rubric = reader.text_of(element.find("graderinfo"), f"{where}/graderinfo")
    return Essay(min_words=limit("minwordlimit"), max_words=limit("maxwordlimit"), rubric=rubric)


_MENU_KINDS = ("MULTICHOICE", "MC", "MCV", "MCH", "MCS", "MCVS", "MCHS")
_RESPONSE_KINDS = ("MULTIRESPONSE", "MR", "MRH", "MRS", "MRHS")


def _cloze(
    raw: str, fmt: str, where: str, report: ConversionReport, label: str
) -> tuple[Template, str, float]:
    """Embedded answers `{2:SHORTANSWER:=a~%50%b}` become template blanks with their marks, menus
    (`MULTICHOICE`) menu blanks; returns the template, the stem and the marks in all (the
    question's points, as Moodle counts them)."""
    blanks: list[Blank] = []
    marks: list[float] = []

    def blank(m: re.Match[str]) -> str:
        mark, kind, body = float(m.group(1) or 1), m.group(2).upper(), m.group(3)
        base = kind.removesuffix("_C")
        marks.append(mark)
        name = f"b{len(blanks) + 1}"
        numeric = base in ("NUMERICAL", "NM")
        accepted: list[str] = []
        options: list[str] = []
        for part in re.split(r"(?<!\\)~", html.unescape(body)):
            m2 = re.match(r"^(=|%(-?\d+(?:\.\d+)?)%)?(.*)$", part.strip(), re.DOTALL)
            assert m2 is not None  # the pattern matches any text
            weight = 100.0 if m2.group(1) == "=" else float(m2.group(2) or 0)
            text = re.split(r"(?<!\\)#", m2.group(3), maxsplit=1)[0].strip()
            text = _cloze_answer_text(re.sub(r"\\([~#}{=:\\/\"])", r"\1", text))
            if numeric:
                value = text.split(":")[0].strip()
                if weight > 0 and value != "*":
                    try:
                        float(value)
                    except ValueError:
                        raise _Malformed(
                            where, f"blank {name}: '{value}' is not a number (Moodle refuses this cloze)"
                        ) from None
                text = value
            if base in _MENU_KINDS + _RESPONSE_KINDS and text:
                options.append(text)
            if weight >= 100:
                accepted.append(text)
            elif weight > 0:
                report.add(label, where, f"blank {name}: answer '{text}' worth {weight:g}% not imported")
        if base in _RESPONSE_KINDS:
            report.add(
                label,
                where,
                f"blank {name} let candidates tick several options: here they pick one from a menu",
            )
        if numeric:
            report.add(
                label, where, f"blank {name} was numerical: accepted only as written, without tolerance"
            )
        if base not in ("SHORTANSWER", "SA", "MW", "NUMERICAL", "NM", *_MENU_KINDS, *_RESPONSE_KINDS):
            raise _Malformed(where, f"blank {name}: '{kind}' is not a cloze answer type Moodle knows")
        blanks.append(
            Blank(
                name, accepted=accepted, case_sensitive=kind.endswith("_C") or bool(options), options=options
            )
        )
        return f"@@BLANK:{name}@@"

    text = _CLOZE_RE.sub(blank, raw)
    if len(set(marks)) > 1:
        for b, mark in zip(blanks, marks, strict=True):
            b.points = mark

    def blanks_back(value: str) -> str:
        return re.sub(r"@@BLANK:(\w+)@@", r"[[\1]]", value)

    pre = re.match(r"^(?P<stem>.*?)<pre>(?P<template>.*)</pre>\s*$", text, re.DOTALL)
    if pre:  # as we export a template: its stem, then the template in <pre>
        template = html.unescape(re.sub(r"<[^>]+>", "", pre.group("template"))).strip("\n")
        return Template(blanks_back(template), blanks), to_markdown(pre.group("stem"), fmt), sum(marks)
    plain = html_as_text(text) if fmt in ("html", "moodle_auto_format") else text.strip()
    if re.search(r"\\\(|\\\[|\$\$", plain):
        report.add(label, where, "the cloze text is shown as text: its formulas appear as TeX")
    return Template(blanks_back(plain), blanks), "", sum(marks)


def _cloze_answer_text(text: str) -> str:
    """A cloze answer as the text a candidate types or picks: no markup, no math delimiters."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", lambda m: m.group(1) or m.group(2) or "", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    return " ".join(text.split())


def html_as_text(text: str) -> str:
    """HTML prose as the plain text of a template: paragraphs and line breaks kept, tags dropped."""
    text = re.sub(r"\s*<br\s*/?>\s*", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"\s*</?(p|div|blockquote|li|h[1-6]|tr)\b[^>]*>\s*", "\n\n", text, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _gap_question(
    element: ET.Element, kind: str, raw: tuple[str, str], where: str, report: ConversionReport, label: str
) -> tuple[Template | DragWords, str]:
    """Moodle's select-missing-words (`gapselect`: menus) and drag-and-drop into text (`ddwtos`):
    `[[n]]` in the text names the n-th choice as the right one; choices of one group share a gap."""
    tag = "selectoption" if kind == "gapselect" else "dragbox"
    choices = []
    for k, choice in enumerate(element.findall(tag), start=1):
        text = _cloze_answer_text(choice.findtext("text") or "")
        if not text:
            raise _Malformed(f"{where}/{tag}[{k}]", "a choice has no text")
        group = (choice.findtext("group") or "1").strip()
        choices.append((text, group, choice.find("infinite") is not None))
    raw_text, fmt = raw
    used = [int(n) for n in re.findall(r"\[\[(\d+)\]\]", raw_text)]
    if not used:
        raise _Malformed(where, "the text has no gaps [[n]]")
    if any(not 1 <= n <= len(choices) for n in used):
        raise _Malformed(where, f"a gap names choice {max(used)}, but there are {len(choices)} choices")
    if kind == "gapselect":
        blanks = []
        names = iter(range(1, len(used) + 1))

        def menu(m: re.Match[str]) -> str:
            n = int(m.group(1))
            name = f"b{next(names)}"
            text, group, _ = choices[n - 1]
            options = list(dict.fromkeys(t for t, g, _ in choices if g == group))
            blanks.append(Blank(name, [text], case_sensitive=True, options=options))
            return f"@@BLANK:{name}@@"

        body = re.sub(r"\[\[(\d+)\]\]", menu, raw_text)
        plain = html_as_text(body) if fmt != "plain_text" else body
        stem, text = split_lead(re.sub(r"@@BLANK:(\w+)@@", r"[[\1]]", plain))
        return Template(text, blanks), stem
    if len({g for _, g, _ in choices}) > 1:
        report.add(
            label, where, "the words' groups are merged into one pool (every word fits every gap here)"
        )
    key = [choices[n - 1][0] for n in used]
    words: list[str] = []
    for text, _, infinite in choices:
        needed = key.count(text)
        words += [text] * max(needed if infinite else min(needed, 1), 1)
    numbered = iter(range(1, len(used) + 1))
    body = re.sub(r"\[\[(\d+)\]\]", lambda m: f"@@GAP{next(numbered)}@@", raw_text)
    stem, text = split_lead(re.sub(r"@@GAP(\d+)@@", r"[[\1]]", to_markdown(body, fmt)))
    return DragWords(text, sorted(words, key=str.casefold), key), stem


def split_lead(markdown: str) -> tuple[str, str]:
    """(stem, text): the paragraphs before the first one with a gap `[[..]]` are the stem."""
    paragraphs = markdown.split("\n\n")
    first = next((i for i, p in enumerate(paragraphs) if "[[" in p), 0)
    return "\n\n".join(paragraphs[:first]), "\n\n".join(paragraphs[first:])


# ------------------------------------------------------------------------------------------------
# Export.


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _textual(
    parent: ET.Element,
    tag: str,
    markdown: str,
    question: Question | None,
    report: ConversionReport,
    **attrs: str,
) -> ET.Element:
    element = _sub(parent, tag, format="html", **attrs)
    text = markdown_to_html(markdown)
    if question is not None and has_figures(text):
        report.add(
            question.id,
            "",
            "figures are written as PNG images: they import back as images, not as editable figures",
        )
        files: dict[str, bytes] = {}
        text = replace_figures(text, question, "@@PLUGINFILE@@/", files)
        for name, data in files.items():
            _sub(
                element,
                "file",
                base64.b64encode(data).decode("ascii"),
                name=name,
                path="/",
                encoding="base64",
            )
    if question is not None and "src=" in text:
        text = _embed_images(element, text, question, report)
    _sub(element, "text", text)
    return element


_IMAGE_REF_RE = re.compile(r"(?<=src=\")(?P<path>(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#|@@)[^\"]+)")


def _embed_images(element: ET.Element, text: str, question: Question, report: ConversionReport) -> str:
    """Bank images (`images/x.png` next to the bank) become Moodle's embedded files."""
    bank_dir = report.bank_dir if isinstance(report, _ExportReport) else Path(".")

    def embed(m: re.Match[str]) -> str:
        relative = html.unescape(m.group("path"))
        file = bank_dir / relative
        if not file.is_file() or ".." in PurePosixPath(relative).parts:
            report.add(question.id, "", f"image '{relative}' not found next to the bank: not embedded")
            return m.group(0)
        # Moodle keeps the folders (`path`), which come back as written: images/a/x.png stays so
        inner = PurePosixPath(relative.removeprefix("images/")) if relative.startswith("images/") else None
        if inner is None:
            report.add(question.id, "", f"image '{relative}' comes back from Moodle as 'images/{relative}'")
            inner = PurePosixPath(relative)
        folder = "/" + "".join(f"{part}/" for part in inner.parts[:-1])
        _sub(
            element,
            "file",
            base64.b64encode(file.read_bytes()).decode("ascii"),
            name=inner.name,
            path=folder,
            encoding="base64",
        )
        return html.escape(f"@@PLUGINFILE@@/{inner}", quote=True)

    return _IMAGE_REF_RE.sub(embed, text)


@dataclass
class _ExportReport(ConversionReport):
    """The export's report, plus the bank's folder where its images are."""

    bank_dir: Path = Path(".")


def export_moodle_xml(exam: Exam) -> ExportResult:
    """The exam as a Moodle XML quiz file, with a report of what Moodle cannot hold."""
    report = _ExportReport(bank_dir=Path(exam.source).parent if exam.source else Path("."))
    quiz = ET.Element("quiz")
    written = 0
    if exam.instructions.strip():
        _description(quiz, "Instructions", exam.instructions, report)
    for section in exam.sections:
        category = exam.title.replace("/", "//")
        if section.title:
            category += "/" + section.title.replace("/", "//")
        element = _sub(quiz, "question", type="category")
        _sub(_sub(element, "category"), "text", f"$course$/top/{category}")
        if section.intro.strip():
            _description(quiz, section.title or exam.title, section.intro, report)
        for question in section.questions:
            written += _export_question(quiz, question, report)
    ET.indent(quiz)
    data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8") + b"\n"
    return ExportResult(data, report, ".xml", written)


def _description(quiz: ET.Element, name: str, text: str, report: ConversionReport) -> None:
    element = _sub(quiz, "question", type="description")
    _sub(_sub(element, "name"), "text", name)
    _textual(element, "questiontext", text, None, report)


def _export_question(quiz: ET.Element, question: Question, report: ConversionReport) -> int:
    """Write one question; 1 if written, 0 if the format cannot hold it (reported)."""
    a = question.answer
    kinds = {
        SingleChoice: "multichoice",
        MultipleChoice: "multichoice",
        TrueFalse: "truefalse",
        Numeric: "numerical",
        ShortText: "shortanswer",
        Essay: "essay",
        Template: "cloze",
        Matching: "matching",
        Ordering: "ordering",
        DragWords: "ddwtos",
    }
    kind = kinds.get(type(a))
    if kind is None or (isinstance(a, Template) and any(b.manual for b in a.blanks)):
        why = "blanks graded by hand" if isinstance(a, Template) else f"{a.kind} questions"
        report.add(question.id, "", f"Moodle has no equivalent for {why}: not exported")
        return 0
    percents: list[float] = []
    try:
        if isinstance(a, (SingleChoice, MultipleChoice)):
            percents = weights.moodle_choice_percents(question, report)
        elif isinstance(a, Numeric):
            percents = weights.moodle_percents(
                [n.weight * 100 for n in a.answers],
                [f"answer {format_number(n.value)}" for n in a.answers],
                question.id,
                report,
                total=False,
            )
    except weights.NotOnGradeList as exc:
        report.add(question.id, "", f"not exported: {exc}")
        return 0
    element = _sub(quiz, "question", type=kind)
    _sub(_sub(element, "name"), "text", question.title)
    if isinstance(a, Template):
        _cloze_text(element, question, a, report)
    elif isinstance(a, DragWords):
        _ddwtos_text(element, question, a, report)
    else:
        _textual(element, "questiontext", question.stem, question, report)
    _textual(element, "generalfeedback", question.explanation, question, report)
    _sub(element, "defaultgrade", f"{question.points:g}")
    _sub(element, "idnumber", question.id)
    if isinstance(a, (SingleChoice, MultipleChoice)):
        _sub(element, "single", "true" if isinstance(a, SingleChoice) else "false")
        _sub(element, "shuffleanswers", "false")
        _sub(element, "answernumbering", "abc")
        for choice, pct in zip(a.choices, percents, strict=True):
            answer = _textual(
                element, "answer", choice.text, question, report, fraction=weights.percent(pct / 100)
            )
            _textual(answer, "feedback", choice.feedback, question, report)
    elif isinstance(a, TrueFalse):
        for value in (True, False):
            answer = _sub(
                element, "answer", fraction="100" if a.answer is value else "0", format="plain_text"
            )
            _sub(answer, "text", "true" if value else "false")
    elif isinstance(a, Numeric):
        for n, pct in zip(a.answers, percents, strict=True):
            tolerance = abs(n.value) * n.tolerance if n.relative else n.tolerance
            if n.relative:
                report.add(
                    question.id,
                    "",
                    "a relative tolerance is written as the equivalent "
                    "absolute one (Moodle has absolute tolerances only)",
                )
            answer = _sub(element, "answer", fraction=weights.percent(pct / 100), format="plain_text")
            _sub(answer, "text", format_number(n.value))
            _sub(answer, "tolerance", format_number(tolerance))
        if a.unit:
            unit = _sub(_sub(element, "units"), "unit")
            _sub(unit, "multiplier", "1")
            _sub(unit, "unit_name", a.unit)
    elif isinstance(a, ShortText):
        _sub(element, "usecase", "1" if a.case_sensitive else "0")
        for text in a.accepted:
            answer = _sub(element, "answer", fraction="100", format="plain_text")
            _sub(answer, "text", text)
    elif isinstance(a, Essay):
        _sub(element, "responseformat", "editor")
        _sub(element, "responserequired", "1")
        _sub(element, "responsefieldlines", "15")
        if a.min_words:
            _sub(element, "minwordlimit", str(a.min_words))
        if a.max_words:
            _sub(element, "maxwordlimit", str(a.max_words))
        _textual(element, "graderinfo", a.rubric, question, report)
    elif isinstance(a, Matching):
        if a.scoring == "all-or-nothing":
            report.add(
                question.id,
                "",
                "all-or-nothing scoring is not carried over (Moodle scores matching per prompt)",
            )
        _sub(element, "shuffleanswers", "true")
        for prompt, option in matching_pairs(a):
            sub = _textual(element, "subquestion", prompt, question, report)
            _sub(_sub(sub, "answer"), "text", option)
    elif isinstance(a, Ordering):
        _sub(element, "layouttype", "VERTICAL")
        _sub(element, "selecttype", "ALL")
        _sub(element, "selectcount", "0")
        _sub(
            element, "gradingtype", "ALL_OR_NOTHING" if a.scoring == "all-or-nothing" else "ABSOLUTE_POSITION"
        )
        for item in a.items:
            _textual(element, "answer", item, question, report, fraction="1")
    if question.tags:
        tags = _sub(element, "tags")
        for tag in question.tags:
            _sub(_sub(tags, "tag"), "text", tag)
    return 1


def _ddwtos_text(
    element: ET.Element, question: Question, answer: DragWords, report: ConversionReport
) -> None:
    """Drag and drop into text: `[[n]]` names the n-th drag box, the pool's distinct words in
    order; a word that belongs in several gaps may be dragged any number of times (`infinite`)."""
    boxes = list(dict.fromkeys(answer.words))
    if answer.scoring == "all-or-nothing":
        report.add(question.id, "", "all-or-nothing scoring is not carried over (Moodle scores each gap)")
    marked = re.sub(r"\[\[(\d+)\]\]", lambda m: f"@@GAP{m.group(1)}@@", answer.text)
    stem = f"{question.stem}\n\n{marked}" if question.stem.strip() else marked
    text = _textual(element, "questiontext", stem, question, report).find("text")
    assert text is not None and text.text is not None
    text.text = re.sub(
        r"@@GAP(\d+)@@", lambda m: f"[[{boxes.index(answer.key[int(m.group(1)) - 1]) + 1}]]", text.text
    )
    for word in boxes:
        box = _sub(element, "dragbox")
        _sub(box, "text", word)
        _sub(box, "group", "1")
        if answer.key.count(word) > 1:
            _sub(box, "infinite")


def cloze_marks(template: Template, question: Question, report: ConversionReport) -> dict[str, int]:
    """Each blank's marks as Moodle writes them (whole numbers; Moodle makes their sum the
    question's points); a change of the points is reported."""
    shares = template.blank_points(question.points)
    if all(abs(v - round(v)) < 1e-9 and round(v) > 0 for v in shares.values()):
        return {name: round(v) for name, v in shares.items()}
    ratios = {
        name: Fraction(v / question.points if question.points else 1).limit_denominator(60)
        for name, v in shares.items()
    }
    scale = math.lcm(*(r.denominator for r in ratios.values()))
    marks = {name: max(int(r * scale), 1) for name, r in ratios.items()}
    report.add(
        question.id,
        "",
        f"Moodle counts a cloze's points as the sum of its blanks' whole marks: written as marks "
        f"{'+'.join(str(m) for m in marks.values())} = {sum(marks.values())} for the question's "
        f"{format_number(question.points)} points (set the mark in the quiz)",
    )
    return marks


def _cloze_text(
    element: ET.Element, question: Question, template: Template, report: ConversionReport
) -> None:
    marks = cloze_marks(template, question, report)

    def escaped(text: str) -> str:
        return re.sub(r"([~#}{=\\/\"])", r"\\\1", text)

    def embedded(blank: Blank) -> str:
        mark = marks[blank.name]
        if blank.options:
            answers = "~".join(("=" if o in blank.accepted else "") + escaped(o) for o in blank.options)
            return f"{{{mark}:MULTICHOICE:{answers}}}"
        kind = "SHORTANSWER_C" if blank.case_sensitive else "SHORTANSWER"
        answers = "~".join("=" + escaped(t) for t in blank.accepted)
        return f"{{{mark}:{kind}:{answers}}}"

    by_name = {b.name: b for b in template.blanks}
    body = html.escape(template.text, quote=False)
    body = re.sub(r"\[\[([A-Za-z0-9_.-]+)\]\]", lambda m: embedded(by_name[m.group(1)]), body)
    stem = markdown_to_html(question.stem) if question.stem.strip() else ""
    text = _sub(element, "questiontext", format="html")
    if template.monospace:
        _sub(text, "text", f"{stem}<pre>{body}</pre>")
    else:
        _sub(text, "text", f"{stem}<p>{body}</p>")
