"""Moodle GIFT: import to the exam model and export from it.

Import follows Moodle's own reader (question/format/gift): questions are separated by blank lines,
`//` lines are comments (`// [id:x]` and `// [tag:y]` in them are kept), `::title::`, `$CATEGORY:`,
`[html]`/`[moodle]`/`[plain]`/`[markdown]` text formats, and `\\~ \\= \\# \\{ \\} \\: \\\\ \\n` escapes.
Unlike Moodle, an unescaped control character in text is an error with its line (as GIFT's
specification asks), so a typo never turns into a silently different question.

Mapping (see docs/interchange.md): one `=` among `~` -> single; only `~` answers with `%weight%`
-> multiple (partial or per-option weights); `=` answers only -> short; `{#..}` -> numeric; `{T}`/`{F}` ->
truefalse; `{}` -> essay; text without a block -> the page's introduction (or the exam's
instructions before the first question); an answer block mid-sentence leaves `_____` in the stem,
as Moodle shows it; `{=a -> b ...}` -> matching (per prompt, as Moodle scores it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from exam_desktop.core.errors import BankError, BankProblem
from exam_desktop.core.model import (
    FIGURE_TOKEN_RE,
    Answer,
    Choice,
    Essay,
    Exam,
    Matching,
    Matrix,
    MultipleChoice,
    Numeric,
    NumericAnswer,
    Question,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
)
from exam_desktop.core.numbers import format_number
from exam_desktop.interchange import weights
from exam_desktop.interchange.builder import ExamBuilder, matching_from_pairs, matching_pairs
from exam_desktop.interchange.markup import (
    BLANK_MARKER,
    html_to_markdown,
    lms_math_to_markdown,
    markdown_to_html,
    moodle_to_markdown,
    plain_to_markdown,
    title_from_text,
)
from exam_desktop.interchange.report import ConversionReport, ExportResult, ImportResult

CONTROL = "~=#{}:"
_ESCAPABLE = CONTROL + "\\"
# Escaped characters become private-use placeholders while parsing, as in Moodle's reader.
_PLACEHOLDER = {c: chr(0xE000 + i) for i, c in enumerate(_ESCAPABLE)}
_RESTORE = {v: k for k, v in _PLACEHOLDER.items()}
_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
_TF_RE = re.compile(r"^(T|F|TRUE|FALSE)$", re.IGNORECASE)
_META_RE = re.compile(r"\[(id|tag):([^\]]+)\]")
_TEXT_ALLOWED = ":="  # unescaped in question text and general feedback, Moodle reads them as text
_FEEDBACK_ALLOWED = ":"  # in an answer's feedback ('=' would start the next answer in Moodle)


class GiftSyntaxError(Exception):
    """A malformed question, with the line to point at (collected into a BankError)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# ------------------------------------------------------------------------------------------------
# Decoded text with a line number for every character.


@dataclass
class _Text:
    chars: str
    lines: list[int]

    def __len__(self) -> int:
        return len(self.chars)

    def __getitem__(self, key: slice) -> _Text:
        return _Text(self.chars[key], self.lines[key])

    def line_at(self, index: int) -> int:
        if not self.lines:
            return 0
        return self.lines[min(max(index, 0), len(self.lines) - 1)]

    def find(self, sub: str, start: int = 0) -> int:
        return self.chars.find(sub, start)

    def strip(self) -> _Text:
        left = len(self.chars) - len(self.chars.lstrip())
        right = len(self.chars.rstrip())
        return self[left:right] if right > left else _Text("", [])

    def plain(self) -> str:
        """The text with escapes turned back into the characters they stand for."""
        return "".join(_RESTORE.get(c, c) for c in self.chars)


def _decode(lines: list[tuple[int, str]]) -> _Text:
    chars: list[str] = []
    numbers: list[int] = []
    for lineno, line in lines:
        i = 0
        while i < len(line):
            c = line[i]
            if c == "\\" and i + 1 < len(line) and line[i + 1] in _ESCAPABLE:
                chars.append(_PLACEHOLDER[line[i + 1]])
                i += 2
            elif c == "\\" and i + 1 < len(line) and line[i + 1] == "n":
                chars.append("\n")
                i += 2
            else:
                chars.append(c)
                i += 1
            numbers.append(lineno)
        chars.append("\n")
        numbers.append(lineno)
    if chars:
        chars.pop()
        numbers.pop()
    return _Text("".join(chars), numbers)


def _check_no_control(text: _Text, what: str, allowed: str = "") -> None:
    """Refuse an unescaped control character in `text`; `allowed` ones are read as text, as
    Moodle's own reader reads them (a lone `:` or `=` in question text or feedback)."""
    for i, c in enumerate(text.chars):
        if c in CONTROL and c not in allowed:
            raise GiftSyntaxError(
                text.line_at(i),
                f"unescaped '{c}' in {what}: write '\\{c}' (GIFT reserves ~ = # {{ }} :)",
            )


def _to_markdown(text: str, fmt: str) -> str:
    if fmt == "html":
        return html_to_markdown(text)
    if fmt == "plain":
        return plain_to_markdown(text)
    if fmt == "markdown":
        return lms_math_to_markdown(text.strip())
    return moodle_to_markdown(text)


def _formatted(text: _Text, default: str) -> tuple[str, str]:
    """(markdown, format) of a piece of text that may start with its own `[format]`."""
    raw = text.plain()
    m = _FORMAT_RE.match(raw)
    fmt = m.group(1).lower() if m else default
    if m:
        raw = raw[m.end() :]
    return _to_markdown(raw, fmt), fmt


# ------------------------------------------------------------------------------------------------
# Import.


@dataclass
class _Answer:
    marker: str  # "=" or "~"
    weight: float | None  # percent, as written
    text: _Text
    feedback: _Text | None
    line: int


@dataclass
class _Meta:
    """What `//` comments before a question say: `[id:x]`, `[tag:y]`."""

    meta_id: str = ""
    tags: list[str] = field(default_factory=list)


def import_gift(text: str, source: str | Path = "<gift>") -> ImportResult:
    """Read GIFT text into an exam. Raises BankError listing every malformed question."""
    report = ConversionReport()
    builder = ExamBuilder(source, report)
    problems: list[BankProblem] = []
    number = 0
    for chunk in _chunks(text):
        try:
            number += _import_chunk(chunk, builder, report, number + 1)
        except GiftSyntaxError as exc:
            problems.append(BankProblem(str(source), exc.line, exc.message))
    if problems:
        raise BankError(problems)
    return ImportResult(builder.finish(), report)


def _chunks(text: str) -> list[list[tuple[int, str]]]:
    """Groups of lines separated by blank lines (a blank line ends a question in GIFT)."""
    chunks: list[list[tuple[int, str]]] = [[]]
    for lineno, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if line.strip():
            chunks[-1].append((lineno, line))
        elif chunks[-1]:
            chunks.append([])
    return [c for c in chunks if c]


def _import_chunk(
    chunk: list[tuple[int, str]],
    builder: ExamBuilder,
    report: ConversionReport,
    number: int,
) -> int:
    """Import one blank-line-separated group; returns how many questions it added (0 or 1)."""
    meta = _Meta()
    body: list[tuple[int, str]] = []
    for lineno, line in chunk:
        if line.lstrip().startswith("//"):
            for key, value in _META_RE.findall(line):
                if key == "id":
                    meta.meta_id = value.strip()
                else:
                    meta.tags.append(value.strip())
            continue
        body.append((lineno, line))
    if not body:
        return 0
    first = body[0][1].lstrip()
    if first.startswith("$CATEGORY:"):
        builder.start_category(first[len("$CATEGORY:") :])
        body = body[1:]
        if not body:
            return 0
    text = _decode(body)
    return _import_question(text, meta, builder, report, number)


def _import_question(
    text: _Text, meta: _Meta, builder: ExamBuilder, report: ConversionReport, number: int
) -> int:
    start = len(text.chars) - len(text.chars.lstrip())
    line = text.line_at(start)
    title = ""
    if text.chars.startswith("::", start):
        end = text.find("::", start + 2)
        if end < 0:
            raise GiftSyntaxError(line, "the title opened with '::' is not closed with '::'")
        title = text[start + 2 : end].plain().strip()
        start = end + 2
    rest = text[start:]
    fmt_match = _FORMAT_RE.match(rest.chars)
    fmt = fmt_match.group(1).lower() if fmt_match else "moodle"
    if fmt_match:
        rest = rest[fmt_match.end() :]

    open_at = rest.find("{")
    if open_at < 0:
        _check_no_control(rest, "the text", allowed=_TEXT_ALLOWED)
        intro = _to_markdown(rest.plain(), fmt)
        if title:
            report.add(
                title, f"line {line}", "the title of a description is not kept (page introductions have none)"
            )
        builder.add_description(intro)
        return 0
    close_at = rest.find("}", open_at + 1)
    if close_at < 0:
        raise GiftSyntaxError(
            rest.line_at(open_at),
            "the answer block opened here is not closed with '}' (a blank line ends a question)",
        )
    block = rest[open_at + 1 : close_at]
    head, tail = rest[:open_at], rest[close_at + 1 :]
    _check_no_control(head, "the question text", allowed=_TEXT_ALLOWED)
    _check_no_control(tail, "the question text after the answer block", allowed=_TEXT_ALLOWED)
    nested = block.find("{")
    if nested >= 0:
        raise GiftSyntaxError(block.line_at(nested), "unescaped '{' inside the answer block: write '\\{'")

    head_md = _to_markdown(head.plain(), fmt) if head.chars.strip() else ""
    if tail.chars.strip():
        tail_md = _to_markdown(tail.plain(), fmt)
        ends_block = head_md.rstrip().endswith("```")  # after a code block: a new paragraph
        sep_before = "\n\n" if ends_block else " " if head.chars[-1:].isspace() else ""
        sep_after = " " if tail.chars[:1].isspace() else ""
        stem = f"{head_md}{sep_before}{BLANK_MARKER}{sep_after}{tail_md}".strip()
    else:
        stem = head_md
    where = f"line {line}"
    name = title or title_from_text(stem)
    answer, explanation = _parse_block(block, fmt, f"'{name}'", where, report)
    if answer is None:
        return 0
    qid = builder.unique_id(meta.meta_id, number)
    added = builder.add(
        Question(
            id=qid,
            title=name,
            points=1.0,
            stem=stem,
            answer=answer,
            explanation=explanation,
            tags=meta.tags,
            line=line,
        )
    )
    return 1 if added else 0


def _split_general_feedback(block: _Text, fmt: str) -> tuple[_Text, str]:
    at = block.find("####")
    if at < 0:
        return block, ""
    general = block[at + 4 :].strip()
    _check_no_control(general, "the general feedback", allowed=_TEXT_ALLOWED + "#")
    feedback, _ = _formatted(general, fmt)
    return block[:at], feedback


def _parse_block(
    block: _Text, fmt: str, qid: str, where: str, report: ConversionReport
) -> tuple[Answer | None, str]:
    """The answer kind of an answer block and the question's explanation."""
    block, general = _split_general_feedback(block, fmt)
    folded: list[str] = []
    body = block.strip()
    answer: Answer
    if not body.chars:
        return Essay(), general
    if body.chars.startswith("#"):
        answer = _parse_numeric(body[1:], fmt, folded)
    elif _TF_RE.match(body.chars.split("#", 1)[0].strip()):
        answer = _parse_truefalse(body, fmt, folded)
    elif "=" in body.chars or "~" in body.chars:
        answers = _split_answers(body)
        if all(a.marker == "=" for a in answers) and all("->" in a.text.chars for a in answers):
            answer = _matching(answers, fmt, folded)
        else:
            answer = _choice_or_short(answers, fmt, qid, where, report, folded)
    else:
        only = _Answer("=", None, body, None, body.line_at(0))
        text, feedback = _split_feedback(only.text)
        only.text, only.feedback = text, feedback
        answer = _choice_or_short([only], fmt, qid, where, report, folded)
    if folded:
        report.add(
            qid,
            where,
            "feedback on individual answers moved to the explanation "
            "(this kind keeps no per-answer feedback)",
        )
        general = "\n\n".join([general, *folded]).strip() if general else "\n\n".join(folded)
    return answer, general


def _matching(answers: list[_Answer], fmt: str, folded: list[str]) -> Matching:
    """`=prompt -> answer` pairs; `= -> answer` is a distractor. Moodle scores per prompt."""
    pairs: list[tuple[str, str]] = []
    for a in answers:
        at = a.text.find("->")
        prompt, answer = a.text[:at], a.text[at + 2 :]
        _check_no_control(prompt, "a matching prompt")
        _check_no_control(answer, "a matching answer")
        prompt_md = _formatted(prompt.strip(), fmt)[0] if prompt.chars.strip() else ""
        if not answer.plain().strip():
            raise GiftSyntaxError(a.line, "a matching pair needs an answer after '->'")
        pairs.append((prompt_md, answer.plain().strip()))
        if a.feedback is not None and a.feedback.chars.strip():
            folded.append(_formatted(a.feedback.strip(), fmt)[0])
    return matching_from_pairs(pairs)


def _split_feedback(text: _Text) -> tuple[_Text, _Text | None]:
    at = text.find("#")
    if at < 0:
        return text, None
    feedback = text[at + 1 :]
    again = feedback.find("#")
    if again >= 0:
        raise GiftSyntaxError(feedback.line_at(again), "unescaped '#' in feedback: write '\\#'")
    return text[:at], feedback


def _split_answers(body: _Text) -> list[_Answer]:
    if body.chars[0] not in "=~":
        raise GiftSyntaxError(
            body.line_at(0),
            "text before the first answer of the block: start every answer with '=' or '~'",
        )
    starts = [i for i, c in enumerate(body.chars) if c in "=~"]
    answers: list[_Answer] = []
    for k, at in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(body.chars)
        piece = body[at + 1 : end]
        weight = None
        m = _WEIGHT_RE.match(piece.chars)
        if m:
            weight = float(m.group(1))
            piece = piece[m.end() :]
        text, feedback = _split_feedback(piece)
        answers.append(_Answer(body.chars[at], weight, text, feedback, body.line_at(at)))
    return answers


def _answer_text(answer: _Answer, fmt: str) -> str:
    _check_no_control(answer.text, "an answer")
    return _formatted(answer.text.strip(), fmt)[0]


def _feedback_text(answer: _Answer, fmt: str) -> str:
    if answer.feedback is None:
        return ""
    _check_no_control(answer.feedback, "feedback", allowed=_FEEDBACK_ALLOWED)
    return _formatted(answer.feedback.strip(), fmt)[0]


def _percent(answer: _Answer) -> float:
    if answer.weight is not None:
        return answer.weight
    return 100.0 if answer.marker == "=" else 0.0


def _choice_or_short(
    answers: list[_Answer],
    fmt: str,
    qid: str,
    where: str,
    report: ConversionReport,
    folded: list[str],
) -> SingleChoice | MultipleChoice | ShortText:
    feedbacks = [_feedback_text(a, fmt) for a in answers]
    percents = [_percent(a) for a in answers]
    if all(a.marker == "=" for a in answers):  # short answer: every answer starts with '='
        texts = [_typed_answer(a) for a in answers]
        accepted: list[str] = []
        for text, pct, fb, a in zip(texts, percents, feedbacks, answers, strict=True):
            if pct >= 100:
                accepted.append(text)
            elif pct > 0:
                report.add(
                    qid,
                    f"line {a.line}",
                    f"answer '{text}' worth {pct:g}% not imported (short answers here are all-or-nothing)",
                )
            elif text != "*":
                report.add(qid, f"line {a.line}", f"answer '{text}' worth 0% not imported")
            if fb:
                folded.append(f"Any other answer: {fb}" if text == "*" else f"*{text}*: {fb}")
        return ShortText(accepted=accepted)
    texts = [_answer_text(a, fmt) for a in answers]
    choices = [
        Choice(id=weights.choice_id(i), text=text, correct=pct > 0, feedback=fb)
        for i, (text, pct, fb) in enumerate(zip(texts, percents, feedbacks, strict=True))
    ]
    full = [i for i, pct in enumerate(percents) if pct >= 100]
    if len(full) == 1 and any(a.marker == "=" for a in answers):  # all '~': multiple response
        for choice, pct in zip(choices, percents, strict=True):
            choice.correct = pct >= 100
            if 0 < pct < 100 or pct < 0:
                choice.weight = pct / 100
        return SingleChoice(choices)
    if len(full) > 1:
        report.add(
            qid,
            where,
            "several options are fully correct: imported as 'multiple' "
            "(per-option), so candidates may pick more than one",
        )
    return weights.multiple_from_percents(choices, percents)


def _typed_answer(answer: _Answer) -> str:
    """An accepted short answer: compared with what candidates type, so plain text, no markup."""
    _check_no_control(answer.text, "an answer")
    raw = answer.text.plain().strip()
    return re.sub(r"^\[(html|moodle|plain|markdown)\]", "", raw, flags=re.IGNORECASE).strip()


def _parse_truefalse(body: _Text, fmt: str, folded: list[str]) -> TrueFalse:
    parts = body.chars.split("#")
    if len(parts) > 3:
        raise GiftSyntaxError(body.line_at(0), "a true/false answer takes at most two feedbacks")
    value = parts[0].strip().upper().startswith("T")
    offset = len(parts[0]) + 1
    labels = ("when answered wrongly", "when answered rightly")
    for label, part in zip(labels, parts[1:], strict=False):
        piece = body[offset : offset + len(part)]
        offset += len(part) + 1
        _check_no_control(piece, "feedback")
        text = _formatted(piece.strip(), fmt)[0]
        if text:
            folded.append(f"Feedback {label}: {text}")
    return TrueFalse(value)


def _parse_number(text: str, line: int) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise GiftSyntaxError(line, f"'{text.strip()}' is not a number") from None


def _numeric_answer(text: _Text, weight: float) -> NumericAnswer:
    raw = text.plain().strip()
    line = text.line_at(0)
    if ".." in raw:
        low_text, high_text = raw.split("..", 1)
        low_value, high_value = _parse_number(low_text, line), _parse_number(high_text, line)
        try:  # in decimal, so that 3.141..3.142 is 3.1415 ± 0.0005, not 3.1414999999999997
            low, high = Decimal(low_text.strip()), Decimal(high_text.strip())
            return NumericAnswer(float((low + high) / 2), float(abs(high - low) / 2), weight=weight)
        except InvalidOperation:
            return NumericAnswer((low_value + high_value) / 2, abs(high_value - low_value) / 2, weight=weight)
    value, _, tolerance = raw.partition(":")
    return NumericAnswer(
        _parse_number(value, line),
        abs(_parse_number(tolerance, line)) if tolerance else 0.0,
        weight=weight,
    )


def _parse_numeric(body: _Text, fmt: str, folded: list[str]) -> Numeric:
    """`{#x}`, `{#x:tol}`, `{#a..b}` or weighted `=`/`~` answers (':' separates the tolerance)."""
    stripped = body.strip()
    if not stripped.chars or stripped.chars[0] not in "=~":
        # `{#3:2}`, `{#3:2#Right}`, and as Moodle reads it `{#3:2~#Completely wrong}`
        tilde = stripped.find("~")
        first, others = (stripped[:tilde], stripped[tilde:]) if tilde >= 0 else (stripped, None)
        text, feedback = _split_feedback(first)
        if feedback is not None and feedback.chars.strip():
            folded.append(_formatted(feedback.strip(), fmt)[0])
        answers = [_numeric_answer(text, 1.0)]
        if others is not None:
            answers += _numeric_answers(others, fmt, folded)
        return Numeric(answers)
    return Numeric(_numeric_answers(stripped, fmt, folded))


def _numeric_answers(stripped: _Text, fmt: str, folded: list[str]) -> list[NumericAnswer]:
    answers: list[NumericAnswer] = []
    for a in _split_answers(stripped):
        fb = _feedback_text(a, fmt)
        if not a.text.chars.strip():  # "~#feedback": what any other answer gets
            if fb:
                folded.append(f"Any other answer: {fb}")
            continue
        answer = _numeric_answer(a.text, _percent(a) / 100)
        answers.append(answer)
        if fb:
            folded.append(f"*{a.text.plain().strip()}*: {fb}")
    return answers


# ------------------------------------------------------------------------------------------------
# Export.


def escape(text: str) -> str:
    """Text as GIFT writes it (Moodle's own escaping): control characters, backslashes, newlines."""
    out = text.replace("\\", "\\\\")
    for c in CONTROL:
        out = out.replace(c, "\\" + c)
    return out.replace("\r", "").replace("\n", "\\n")


def _escape_category(text: str) -> str:
    """A category name as Moodle reads `$CATEGORY:` lines: as written, `/` doubled (a single one
    separates categories), on one line. GIFT's escapes do not apply there."""
    return " ".join(text.replace("/", "//").split())


def _gift_number(value: float) -> str:
    """A number in GIFT: shortest exact form; a leading minus would read as nothing special, but
    `:` and `..` never appear in it."""
    return format_number(value)


def _text(markdown: str, question: Question | None, report: ConversionReport) -> str:
    """Bank Markdown as GIFT `[html]` text: what our window shows, math as `\\(..\\)`."""
    if question is not None and "@@figure:" in markdown:
        report.add(question.id, "", "figures are not carried over (GIFT holds text only)")
        markdown = FIGURE_TOKEN_RE.sub(lambda m: f"[Figure {int(m.group(1)) + 1}]", markdown)
    return "[html]" + escape(markdown_to_html(markdown)) if markdown.strip() else ""


def export_gift(exam: Exam) -> ExportResult:
    """The exam as GIFT text, with a report of what GIFT cannot hold."""
    report = ConversionReport()
    out: list[str] = [f"// {exam.title}", f"// exported from the exam-desktop bank '{exam.id}'", ""]
    written = 0
    if exam.instructions.strip():
        out += [_text(exam.instructions, None, report), ""]
    if any(q.points != 1 for q in exam.questions):
        report.add("", "", "GIFT holds no points: every question imports into Moodle with 1 mark")
    for section in exam.sections:
        category = _escape_category(exam.title)
        if section.title:
            category += "/" + _escape_category(section.title)
        out += [f"$CATEGORY: $course$/top/{category}", ""]
        if section.intro.strip():
            out += [_text(section.intro, None, report), ""]
        for question in section.questions:
            block = _export_block(question, report)
            if block is None:
                continue
            written += 1
            out.append(f"// [id:{question.id}]")
            if question.tags:
                out.append("// " + " ".join(f"[tag:{t}]" for t in question.tags))
            stem = _text(question.stem, question, report)
            title = escape(question.title)
            if question.stem.count(BLANK_MARKER) == 1 and stem.count(BLANK_MARKER) == 1:
                before, after = stem.split(BLANK_MARKER)
                out.append(
                    f"::{title}::{before}{block}{after}" if after.strip() else f"::{title}::{before} {block}"
                )
            else:
                out.append(f"::{title}::{stem} {block}")
            out.append("")
    return ExportResult("\n".join(out).encode("utf-8"), report, ".gift", written)


def _feedback(text: str, question: Question, report: ConversionReport) -> str:
    return f" #{_text(text, question, report)}" if text.strip() else ""


def _export_block(question: Question, report: ConversionReport) -> str | None:
    a = question.answer
    general = f"\n####{_text(question.explanation, question, report)}" if question.explanation.strip() else ""
    if isinstance(a, (SingleChoice, MultipleChoice)):
        try:
            percents = weights.moodle_choice_percents(question, report)
        except weights.NotOnGradeList as exc:
            report.add(question.id, "", f"not exported: {exc}")
            return None
        lines = []
        for c, pct in zip(a.choices, percents, strict=True):
            if isinstance(a, SingleChoice) and c.correct:
                mark = "="
            elif isinstance(a, SingleChoice) and not pct:
                mark = "~"
            else:
                mark = f"~%{weights.percent(pct / 100)}%"
            lines.append(
                f"\t{mark}{_text(c.text, question, report)}{_feedback(c.feedback, question, report)}"
            )
        return "{\n" + "\n".join(lines) + general + "\n}"
    if isinstance(a, TrueFalse):
        return "{" + ("TRUE" if a.answer else "FALSE") + general + "}"
    if isinstance(a, Numeric):
        if a.unit:
            report.add(question.id, "", f"the unit '{a.unit}' is not carried over (GIFT has no units)")
        try:
            percents = weights.moodle_percents(
                [n.weight * 100 for n in a.answers],
                [f"answer {format_number(n.value)}" for n in a.answers],
                question.id,
                report,
                total=False,
            )
        except weights.NotOnGradeList as exc:
            report.add(question.id, "", f"not exported: {exc}")
            return None
        lines = []
        for n, pct in zip(a.answers, percents, strict=True):
            tolerance = n.tolerance
            if n.relative:
                tolerance = abs(n.value) * n.tolerance
                report.add(
                    question.id,
                    "",
                    "a relative tolerance is written as the equivalent "
                    "absolute one (GIFT has absolute tolerances only)",
                )
            lines.append(
                f"\t=%{weights.percent(pct / 100)}%{_gift_number(n.value)}:{_gift_number(tolerance)}"
            )
        return "{#\n" + "\n".join(lines) + general + "\n}"
    if isinstance(a, ShortText):
        if a.case_sensitive:
            report.add(
                question.id,
                "",
                "case-sensitive matching is not carried over (GIFT short answers ignore case)",
            )
        answers = " ".join(f"=[plain]{escape(t)}" for t in a.accepted)
        return "{" + answers + general + "}"
    if isinstance(a, Essay):
        lost = [
            name
            for name, value in (("min-words", a.min_words), ("max-words", a.max_words), ("rubric", a.rubric))
            if value
        ]
        if lost:
            report.add(question.id, "", f"{', '.join(lost)} not carried over (GIFT essays have none)")
        return "{" + general + "}"
    if isinstance(a, Matching):
        if a.scoring == "all-or-nothing":
            report.add(
                question.id,
                "",
                "all-or-nothing scoring is not carried over (Moodle scores matching per prompt)",
            )
        lines = [f"\t={_text(p, question, report) if p else ''} -> {escape(o)}" for p, o in matching_pairs(a)]
        return "{\n" + "\n".join(lines) + general + "\n}"
    kind = "matrix" if isinstance(a, Matrix) else "template" if isinstance(a, Template) else a.kind
    report.add(question.id, "", f"{kind} questions cannot be written in GIFT: not exported")
    return None
