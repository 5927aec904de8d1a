"""IMS QTI 2.1/2.2: single items and content packages (zip with imsmanifest.xml).

Import reads each item the manifest lists, member by member from the zip (never extracted), with
defusedxml. Interactions map as follows (see docs/interchange.md): choice -> single (maxChoices=1)
or multiple, two choices `true`/`false` -> truefalse, one text entry -> short (float/integer
responses -> numeric), several text entries or inline choices -> template blanks, extended text ->
essay, match -> matching, order -> ordering, scorer rubric blocks -> rubric, modal feedback ->
explanation. MathML becomes TeX. Gap match, associate, hotspot and other interactions are reported,
not imported.

Export writes a QTI 2.1 content package: one item per question, MathML converted from the TeX with
the TeX kept as an annotation, and the standard response-processing templates.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from exam_desktop.core.errors import BankError, BankProblem, KnownError
from exam_desktop.core.model import (
    Answer,
    Blank,
    Choice,
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
from exam_desktop.interchange import weights
from exam_desktop.interchange.builder import ExamBuilder, matching_from_pairs, matching_pairs, one_line
from exam_desktop.interchange.figure_images import has_figures, replace_figures
from exam_desktop.interchange.markup import (
    BLANK_MARKER,
    html_to_markdown,
    markdown_math_to_lms,
    markdown_to_html,
    title_from_text,
)
from exam_desktop.interchange.mathml import (
    MATHML_NS,
    MathMLNotConvertible,
    is_display,
    mathml_to_tex,
    tex_to_mathml,
)
from exam_desktop.interchange.moodle_xml import parse_xml, parse_xml_with_lines
from exam_desktop.interchange.report import ConversionReport, ExportResult, ImportResult

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
MAX_MEMBER_BYTES = 20 * 1024 * 1024  # an item or image larger than this is refused (zip bombs)
QTI_NAMESPACES = {
    QTI_NS,
    "http://www.imsglobal.org/xsd/imsqti_v2p2",
    "http://www.imsglobal.org/xsd/imsqti_v2p0",
}
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
UNSUPPORTED = {
    "gapMatchInteraction": "gap match",
    "associateInteraction": "associate",
    "hotspotInteraction": "hotspot",
    "hottextInteraction": "hot text",
    "graphicOrderInteraction": "graphic order",
    "graphicAssociateInteraction": "graphic associate",
    "graphicGapMatchInteraction": "graphic gap match",
    "selectPointInteraction": "select point",
    "positionObjectInteraction": "position object",
    "sliderInteraction": "slider",
    "uploadInteraction": "file upload",
    "drawingInteraction": "drawing",
    "mediaInteraction": "media",
    "customInteraction": "custom",
    "endAttemptInteraction": "end attempt",
}
_INTERACTIONS = {
    "choiceInteraction",
    "textEntryInteraction",
    "extendedTextInteraction",
    "inlineChoiceInteraction",
    "matchInteraction",
    "orderInteraction",
}


class NotQti(KnownError):
    """The file is not a QTI 2 item or content package."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in element if _local(e.tag) == name]


def _descendants(element: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in element.iter() if _local(e.tag) == name]


def _first(element: ET.Element, name: str) -> ET.Element | None:
    found = _descendants(element, name)
    return found[0] if found else None


# ------------------------------------------------------------------------------------------------
# Import.


def import_qti(data: bytes, source: str | Path = "<qti>") -> ImportResult:
    """Read a QTI 2.x item (XML) or content package (zip) into an exam."""
    source = str(source)
    report = ConversionReport()
    builder = ExamBuilder(source, report)
    files: dict[str, bytes] = {}
    if data[:2] == b"PK":
        items = _package_items(data, source, report, files)
    else:
        items = [(source, data, "")]
    problems: list[BankProblem] = []
    for number, (name, xml, base) in enumerate(items, start=1):
        root, lines = parse_xml_with_lines(xml, name)
        if _local(root.tag) != "assessmentItem":
            raise NotQti(
                f"{name} is not a QTI item: its root element is <{_local(root.tag)}>, not <assessmentItem>"
            )
        try:
            question = _ItemReader(root, name, base, report).question(builder, number)
        except _Malformed as exc:
            problems.append(BankProblem(name, lines.get(root, 1), f"{exc.where}: {exc}"))
            continue
        if question is not None:
            builder.add(question, name.split("!", 1)[-1] if "!" in name else "")
    if problems:
        raise BankError(problems)
    return ImportResult(builder.finish(), report, files)


def _package_items(
    data: bytes, source: str, report: ConversionReport, files: dict[str, bytes]
) -> list[tuple[str, bytes, str]]:
    """The items (and the media they show) of a content package, read as a hostile archive:
    names, encryption and compression are checked for every member before anything is inflated,
    and no member is inflated past MAX_MEMBER_BYTES, whatever its header claims."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except UnicodeDecodeError:
        raise NotQti(
            f"{source} is not a readable QTI content package: a member's name is marked as UTF-8 "
            "but is not valid UTF-8"
        ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise NotQti(f"{source} is not a QTI content package: not a readable zip file") from None
    with package:
        _check_members(package, source)
        names = set(package.namelist())
        if "imsmanifest.xml" not in names:
            raise NotQti(f"{source} is a zip file without imsmanifest.xml: not a QTI content package")
        manifest = parse_xml(_read_member(package, "imsmanifest.xml", source), f"{source}!imsmanifest.xml")
        items: list[tuple[str, bytes, str]] = []
        for index, resource in enumerate(_descendants(manifest, "resource"), start=1):
            kind = resource.get("type", "")
            href = resource.get("href", "")
            where = f"{source}!imsmanifest.xml: resource[{index}]"
            if kind.startswith("imsqti_item_xml"):
                member = _safe_member(href)
                if member is None or member not in names:
                    report.add("", where, f"item file '{href}' is missing from the package: skipped")
                    continue
                if package.getinfo(member).file_size > MAX_MEMBER_BYTES:
                    report.add(
                        "", where, f"item file '{href}' is larger than {MAX_MEMBER_BYTES >> 20} MB: skipped"
                    )
                    continue
                content = _read_member(package, member, source)
                items.append((f"{source}!{member}", content, str(PurePosixPath(member).parent)))
            elif kind.startswith("imsqti_test_xml"):
                continue  # the test's item order is the manifest's order
            elif kind.startswith("imsqti"):
                report.add("", where, f"resource type '{kind}' is not supported: skipped")
                continue
            for file in _descendants(resource, "file"):  # images and other media the items show
                member = _safe_member(file.get("href", ""))
                if member and member in names and not member.endswith(".xml"):
                    if package.getinfo(member).file_size > MAX_MEMBER_BYTES:
                        report.add(
                            "",
                            where,
                            f"file '{member}' is larger than {MAX_MEMBER_BYTES >> 20} MB: not saved",
                        )
                        continue
                    files[f"images/{member}"] = _read_member(package, member, source)
        if not items:
            raise NotQti(f"{source}: the manifest lists no QTI items")
        return items


_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _check_members(package: zipfile.ZipFile, source: str) -> None:
    for info in package.infolist():
        name = info.filename
        if info.flag_bits & 0x1:
            raise NotQti(f"{source}: the member {name!r} is encrypted; export the package without a password")
        if info.compress_type not in _COMPRESSIONS:
            raise NotQti(
                f"{source}: the member {name!r} uses a compression this app cannot read "
                f"(method {info.compress_type}); export it again with ordinary zip compression"
            )
        if not name or "\x00" in name or name.startswith(("/", "\\")) or "\\" in name:
            raise NotQti(f"{source}: the member name {name!r} is not a safe relative path")
        if ".." in PurePosixPath(name).parts or (len(name) > 1 and name[1] == ":"):
            raise NotQti(f"{source}: the member name {name!r} points outside the package")


def _read_member(package: zipfile.ZipFile, member: str, source: str) -> bytes:
    """A member's bytes, never inflated past MAX_MEMBER_BYTES, its checksum verified."""
    try:
        with package.open(member) as stream:
            content = stream.read(MAX_MEMBER_BYTES + 1)
    except zipfile.BadZipFile as exc:
        raise NotQti(f"{source}: the member {member!r} is damaged ({exc}); copy the package again") from None
    except (RuntimeError, NotImplementedError, EOFError, OSError, ValueError) as exc:
        raise NotQti(f"{source}: the member {member!r} cannot be read ({exc})") from None
    if len(content) > MAX_MEMBER_BYTES:
        raise NotQti(
            f"{source}: the member {member!r} inflates to more than {MAX_MEMBER_BYTES >> 20} MB "
            "(its header says less): refused as a possible zip bomb"
        )
    return content


def _safe_member(href: str) -> str | None:
    path = PurePosixPath(href)
    if not href or path.is_absolute() or ".." in path.parts:
        return None
    return str(path)


class _Malformed(Exception):
    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where


def _number(text: str | None, where: str) -> float:
    """A number from the item; anything else is a malformed item, said with where it is."""
    try:
        return float((text or "").strip())
    except ValueError:
        raise _Malformed(where, f"'{(text or '').strip()}' is not a number") from None


def _blank_name(interaction: ET.Element, number: int) -> str:
    """A blank's name from its response identifier (`RESPONSE_shape` -> `shape`), else `b<number>`."""
    name = interaction.get("responseIdentifier", "").removeprefix("RESPONSE_")
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) and name != "RESPONSE" else f"b{number}"


class _ItemReader:
    """One assessmentItem: its responses, body and feedback."""

    def __init__(self, root: ET.Element, source: str, base: str, report: ConversionReport):
        self.root = root
        self.source = source
        self.base = "" if base in ("", ".") else base + "/"
        self.report = report
        self.label = f"'{root.get('title') or root.get('identifier') or source}'"
        self.member = source.split("!", 1)[1] + ": " if "!" in source else ""
        self.responses = {d.get("identifier", ""): d for d in _children(root, "responseDeclaration")}

    def question(self, builder: ExamBuilder, number: int) -> Question | None:
        body = _first(self.root, "itemBody")
        if body is None:
            raise _Malformed("assessmentItem", "the item has no itemBody")
        interactions = [e for e in body.iter() if _local(e.tag).endswith("Interaction")]
        unsupported = [e for e in interactions if _local(e.tag) not in _INTERACTIONS]
        if unsupported or not interactions:
            listed = ", ".join(sorted({UNSUPPORTED.get(_local(e.tag), _local(e.tag)) for e in unsupported}))
            why = (
                f"{listed} interactions have no kind in this app yet"
                if unsupported
                else "it has no interaction"
            )
            self.report.add(self.label, self.member + "assessmentItem/itemBody", f"{why}: not imported")
            return None
        kinds = {_local(e.tag) for e in interactions}
        rubric = self._rubric(body)
        answer: Answer
        if len(interactions) == 1 and kinds <= {"matchInteraction", "orderInteraction"}:
            interaction = interactions[0]
            answer = self._match(interaction) if "matchInteraction" in kinds else self._order(interaction)
            stem = self._markdown(body, skip=interaction, prompt=_first(interaction, "prompt"))
        elif len(interactions) == 1 and kinds <= {"choiceInteraction", "extendedTextInteraction"}:
            interaction = interactions[0]
            answer = self._choice(interaction) if "choiceInteraction" in kinds else Essay(rubric=rubric)
            stem = self._markdown(body, skip=interaction, prompt=_first(interaction, "prompt"))
        elif len(interactions) == 1 and kinds == {"textEntryInteraction"}:
            answer = self._text_entry(interactions[0])
            stem = self._markdown(body, replace={interactions[0]: "@@ENTRY@@"})
            stem = re.sub(r"\s*@@ENTRY@@\s*$", "", stem).replace("@@ENTRY@@", BLANK_MARKER)
        elif kinds <= {"textEntryInteraction", "inlineChoiceInteraction"}:
            labels = [_blank_name(e, i) for i, e in enumerate(interactions, start=1)]
            names = {e: f"[[{label}]]" for e, label in zip(interactions, labels, strict=True)}
            blanks = [self._blank(e, label) for e, label in zip(interactions, labels, strict=True)]
            pre = next((p for p in body.iter() if _local(p.tag) == "pre"), None)
            if pre is not None and all(e in set(pre.iter()) for e in interactions):
                text = self._inner_text(pre, names)
                stem = self._markdown(body, skip=pre)
                answer = Template(text, blanks, rubric=rubric)
            else:
                answer = Template(self._markdown(body, replace=names), blanks, monospace=False, rubric=rubric)
                stem = ""
        else:
            self.report.add(
                self.label,
                self.member + "assessmentItem/itemBody",
                "several interactions of different "
                f"kinds ({', '.join(sorted(kinds))}) in one item: not imported",
            )
            return None
        if rubric and not isinstance(answer, (Essay, Template)):
            self.report.add(
                self.label,
                self.member + "itemBody/rubricBlock",
                "the scorer rubric is kept in the explanation",
            )
        explanation = "\n\n".join(
            p
            for p in [
                *(self._markdown(f) for f in _children(self.root, "modalFeedback")),
                rubric if rubric and not isinstance(answer, (Essay, Template)) else "",
            ]
            if p
        )
        identifier = self.root.get("identifier", "")
        return Question(
            id=builder.unique_id(identifier, number),
            title=self.root.get("title") or title_from_text(stem),
            points=self._max_score(),
            stem=stem,
            answer=answer,
            explanation=explanation,
        )

    # -- text --------------------------------------------------------------------------------

    def _rubric(self, body: ET.Element) -> str:
        blocks = [b for b in _descendants(body, "rubricBlock") if "scorer" in (b.get("view") or "")]
        others = [b for b in _descendants(body, "rubricBlock") if b not in blocks]
        if others:
            self.report.add(
                self.label,
                self.member + "itemBody/rubricBlock",
                "rubric blocks for candidates are kept in the question text",
            )
        return "\n\n".join(self._markdown(b) for b in blocks)

    def _html(
        self,
        element: ET.Element,
        *,
        skip: ET.Element | None = None,
        replace: dict[ET.Element, str] | None = None,
        prompt: ET.Element | None = None,
        outer: bool = False,
    ) -> str:
        """Element content as HTML text, MathML as TeX, interactions skipped or replaced."""
        replace = replace or {}
        out: list[str] = []

        def walk(e: ET.Element, top: bool) -> None:
            name = _local(e.tag)
            if e is skip and prompt is None:
                return
            if e in replace:
                out.append(replace[e])
                return
            if name == "math":
                out.append(self._math(e))
                return
            if name in ("rubricBlock", "modalFeedback", "feedbackInline", "feedbackBlock") and not top:
                return
            if e is skip:
                if prompt is not None:
                    walk(prompt, True)
                return
            keep_tag = not top or outer
            if keep_tag and name not in (
                "prompt",
                "itemBody",
                "simpleChoice",
                "modalFeedback",
                "inlineChoice",
            ):
                attrs = "".join(
                    f' {k}="{html.escape(self._src(v) if k == "src" else v)}"'
                    for k, v in e.attrib.items()
                    if "}" not in k
                )
                out.append(f"<{name}{attrs}>")
                close = f"</{name}>" if name not in ("br", "img", "hr") else ""
            else:
                close = ""
            out.append(html.escape(e.text or "", quote=False))
            for child in e:
                walk(child, False)
                out.append(html.escape(child.tail or "", quote=False))
            out.append(close)

        walk(element, True)
        return "".join(out)

    def _src(self, value: str) -> str:
        if re.match(r"^[a-z]+:", value) or value.startswith("/"):
            return value
        return f"images/{self.base}{value}"

    def _markdown(self, element: ET.Element, **kwargs: object) -> str:
        return html_to_markdown(self._html(element, **kwargs))  # type: ignore[arg-type]

    def _inner_text(self, element: ET.Element, replace: dict[ET.Element, str]) -> str:
        text = self._html(element, replace=replace)
        return html.unescape(re.sub(r"<[^>]+>", "", text))

    def _math(self, element: ET.Element) -> str:
        try:
            tex = mathml_to_tex(element)
        except MathMLNotConvertible as exc:
            text = " ".join("".join(element.itertext()).split())
            self.report.add(
                self.label,
                self.member + "itemBody//math",
                f"MathML not converted to TeX ({exc}): kept as the text '{text}'",
            )
            return text
        tex = html.escape(tex, quote=False)
        return f"\\[{tex}\\]" if is_display(element) else f"\\({tex}\\)"

    # -- responses ---------------------------------------------------------------------------

    def _declaration(self, interaction: ET.Element) -> ET.Element:
        identifier = interaction.get("responseIdentifier", "")
        declaration = self.responses.get(identifier)
        if declaration is None:
            raise _Malformed(
                f"itemBody/{_local(interaction.tag)}", f"no responseDeclaration for '{identifier}'"
            )
        return declaration

    def _correct(self, declaration: ET.Element) -> list[str]:
        return [
            (v.text or "").strip()
            for v in _descendants(declaration, "correctResponse")[:1]
            for v in _children(v, "value")
        ]

    def _mapping(self, declaration: ET.Element) -> dict[str, float]:
        mapping = _first(declaration, "mapping")
        if mapping is None:
            return {}
        return {
            e.get("mapKey", ""): _number(e.get("mappedValue"), "mapping/mapEntry/@mappedValue")
            for e in _children(mapping, "mapEntry")
        }

    def _max_score(self) -> float:
        for outcome in _children(self.root, "outcomeDeclaration"):
            if outcome.get("identifier") in ("MAXSCORE",):
                value = _first(outcome, "value")
                if value is not None and value.text:
                    return _number(value.text, "outcomeDeclaration[MAXSCORE]")
        for outcome in _children(self.root, "outcomeDeclaration"):
            if outcome.get("identifier") == "SCORE" and outcome.get("normalMaximum"):
                return _number(outcome.get("normalMaximum"), "outcomeDeclaration/@normalMaximum")
        total = 0.0
        for declaration in self.responses.values():
            mapping = _first(declaration, "mapping")
            if mapping is None:
                continue
            values = [v for v in self._mapping(declaration).values() if v > 0]
            best = sum(values) if declaration.get("cardinality") != "single" else max(values, default=0.0)
            upper = mapping.get("upperBound")
            total += min(best, _number(upper, "mapping/@upperBound")) if upper else best
        return total or 1.0

    def _template_name(self) -> str:
        processing = _first(self.root, "responseProcessing")
        if processing is None:
            return ""
        template = processing.get("template", "")
        if template:
            return template.rstrip("/").rsplit("/", 1)[-1].removesuffix(".xml")
        return "custom" if len(processing) else ""

    def _choice(self, interaction: ET.Element) -> SingleChoice | MultipleChoice | TrueFalse:
        declaration = self._declaration(interaction)
        correct = set(self._correct(declaration))
        mapping = self._mapping(declaration)
        simple = _children(interaction, "simpleChoice")
        ids = [c.get("identifier", "") for c in simple]
        if [i.lower() for i in ids] == ["true", "false"] and len(correct) == 1:
            return TrueFalse(next(iter(correct)).lower() == "true")
        choices = [
            Choice(
                weights.choice_id(i),
                self._markdown(c),
                correct=c.get("identifier") in correct,
                feedback="\n\n".join(self._markdown(f) for f in _children(c, "feedbackInline")),
            )
            for i, c in enumerate(simple)
        ]
        if not choices:
            raise _Malformed("itemBody/choiceInteraction", "the interaction has no simpleChoice")
        template = self._template_name()
        if template == "custom":
            self.report.add(
                self.label,
                self.member + "responseProcessing",
                "custom response processing: scored here from the correct response and mapping",
            )
        if interaction.get("maxChoices", "1") == "1" and len(correct) <= 1:
            if not correct:
                raise _Malformed("responseDeclaration", "no correct response for the single-choice item")
            top = max(mapping.values(), default=0.0)
            for c, identifier in zip(choices, ids, strict=True):
                if mapping and not c.correct and mapping.get(identifier) and top:
                    c.weight = round(mapping[identifier] / top, 7)
            return SingleChoice(choices)
        if mapping and template != "match_correct":
            top = sum(v for v in mapping.values() if v > 0) or 1.0
            return weights.multiple_from_percents(choices, [100 * mapping.get(i, 0.0) / top for i in ids])
        return MultipleChoice(choices, scoring="all-or-nothing")

    def _match(self, interaction: ET.Element) -> Matching:
        """Two simpleMatchSets: prompts (first) and answers (second); directed pairs are the key."""
        sets = _children(interaction, "simpleMatchSet")
        if len(sets) != 2:
            raise _Malformed("itemBody/matchInteraction", "a match interaction needs two simpleMatchSets")
        sources, targets = (
            {
                c.get("identifier", ""): one_line(self._markdown(c))
                for c in _children(m, "simpleAssociableChoice")
            }
            for m in sets
        )
        pairs = [value.split() for value in self._correct(self._declaration(interaction))]
        key = {src: tgt for src, tgt in (p for p in pairs if len(p) == 2)}
        unmatched = [sources[s] for s in sources if s not in key]
        if unmatched:
            self.report.add(
                self.label,
                self.member + "responseDeclaration",
                f"prompts without a correct answer left out: {', '.join(unmatched)}",
            )
        weights_seen = {v for k, v in self._mapping(self._declaration(interaction)).items() if v > 0}
        if len(weights_seen) > 1:
            self.report.add(
                self.label,
                self.member + "responseDeclaration/mapping",
                "pairs had different weights: every prompt now counts the same",
            )
        used = set(key.values())
        matched = [(sources[s], targets.get(t, t)) for s, t in key.items() if s in sources]
        if any(not answer.strip() for _, answer in matched) or any(not t.strip() for t in targets.values()):
            raise _Malformed("itemBody/matchInteraction", "a match choice has no text")
        scoring = "all-or-nothing" if self._template_name() == "match_correct" else "per-prompt"
        return matching_from_pairs(matched + [("", t) for i, t in targets.items() if i not in used], scoring)

    def _order(self, interaction: ET.Element) -> Ordering:
        texts = {
            c.get("identifier", ""): one_line(self._markdown(c))
            for c in _children(interaction, "simpleChoice")
        }
        order = self._correct(self._declaration(interaction))
        if sorted(order) != sorted(texts):
            raise _Malformed("responseDeclaration", "the correct order does not list every choice once")
        if self._template_name() not in ("match_correct", ""):
            self.report.add(self.label, self.member + "responseProcessing", "scored all-or-nothing here")
        return Ordering([texts[i] for i in order])

    def _text_entry(self, interaction: ET.Element) -> ShortText | Numeric:
        declaration = self._declaration(interaction)
        base_type = declaration.get("baseType", "string")
        correct = self._correct(declaration)
        mapping = self._mapping(declaration)
        if base_type in ("float", "integer"):
            tolerances = self._tolerances()
            values = correct or [k for k, v in mapping.items() if v > 0]
            if not values:
                raise _Malformed("responseDeclaration", "no correct value for the numeric item")
            if tolerances:
                return Numeric([NumericAnswer(v, t, weight=w) for v, t, w in tolerances])
            return Numeric([NumericAnswer(_number(v, "correctResponse/value")) for v in values])
        top = max(mapping.values(), default=0.0)
        accepted = list(correct)
        for key, value in mapping.items():
            if value >= top and key not in accepted:
                accepted.append(key)
            elif 0 < value < top:
                self.report.add(
                    self.label,
                    self.member + "responseDeclaration/mapping",
                    f"answer '{key}' worth {value:g} of {top:g} not imported "
                    "(short answers here are all-or-nothing)",
                )
        case = any(e.get("caseSensitive") == "true" for e in _descendants(declaration, "mapEntry"))
        return ShortText(accepted, case_sensitive=case)

    def _tolerances(self) -> list[tuple[float, float, float]]:
        """(value, tolerance, weight) from `equal toleranceMode="absolute"` conditions we export."""
        found: list[tuple[float, float, float]] = []
        top = self._max_score() or 1.0
        for branch in _descendants(self.root, "responseIf") + _descendants(self.root, "responseElseIf"):
            equal = _first(branch, "equal")
            values = [v for v in _descendants(branch, "baseValue")]
            if equal is None or len(values) < 2 or equal.get("toleranceMode") != "absolute":
                continue
            tolerance = _number(((equal.get("tolerance") or "0").split() or ["0"])[0], "equal/@tolerance")
            value, score = (_number(v.text, "responseCondition/baseValue") for v in values[:2])
            found.append((value, tolerance, score / top))
        return found

    def _blank(self, interaction: ET.Element, name: str) -> Blank:
        declaration = self._declaration(interaction)
        if _local(interaction.tag) == "inlineChoiceInteraction":
            texts = {
                c.get("identifier"): "".join(c.itertext()).strip()
                for c in _children(interaction, "inlineChoice")
            }
            self.report.add(
                self.label,
                self.member + "itemBody/inlineChoiceInteraction",
                f"blank {name} was a menu of options: candidates now type the answer",
            )
            return Blank(name, accepted=[texts.get(c, c) for c in self._correct(declaration)])
        answer = self._text_entry(interaction)
        width = int(_number(interaction.get("expectedLength") or "0", "textEntryInteraction/@expectedLength"))
        if isinstance(answer, Numeric):
            self.report.add(
                self.label,
                self.member + "itemBody/textEntryInteraction",
                f"blank {name} was numeric: accepted only as written, without tolerance",
            )
            return Blank(name, accepted=[f"{a.value:g}" for a in answer.answers], width=width)
        return Blank(name, accepted=answer.accepted, case_sensitive=answer.case_sensitive, width=width)


# ------------------------------------------------------------------------------------------------
# Export.


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


@dataclass
class _PackageReport(ConversionReport):
    """The export's report, plus the figure images each item needs: {question id: {file: PNG}}."""

    figures: dict[str, dict[str, bytes]] = field(default_factory=dict)
    bank_dir: Path | None = None


def _html_with_mathml(
    markdown: str, parent: ET.Element, question: Question, report: ConversionReport
) -> None:
    """Bank Markdown rendered to XHTML inside `parent`, math as MathML with its TeX annotation."""
    rendered = markdown_to_html(markdown, math_spans=True)
    if has_figures(rendered):
        report.add(
            question.id,
            "",
            "figures are written as PNG images: they import back as images, not as editable figures",
        )
        files = report.figures.setdefault(question.id, {}) if isinstance(report, _PackageReport) else {}
        rendered = replace_figures(rendered, question, "", files)
    if 'src="images/' in rendered and isinstance(report, _PackageReport):
        rendered = _bank_images(rendered, question, report)
    xhtml = re.sub(r"<(br|hr|img)([^>]*?)/?>", r"<\1\2/>", rendered)
    try:
        wrapper = ET.fromstring(f"<div>{_entities_to_chars(xhtml)}</div>")
    except ET.ParseError:
        wrapper = ET.Element("div")
        ET.SubElement(wrapper, "p").text = markdown_math_to_lms(markdown)
    _append_qti(parent, wrapper)


def _bank_images(rendered: str, question: Question, report: _PackageReport) -> str:
    """Images next to the bank (`images/x.png`) go into the package beside the item."""

    def embed(m: re.Match[str]) -> str:
        relative = html.unescape(m.group(1))
        file = (report.bank_dir or Path(".")) / relative
        if not file.is_file() or ".." in PurePosixPath(relative).parts:
            report.add(question.id, "", f"image '{relative}' not found next to the bank: not packaged")
            return m.group(0)
        report.figures.setdefault(question.id, {})[relative] = file.read_bytes()
        return f'src="{html.escape(relative, quote=True)}"'

    return re.sub(r'src="(images/[^"]+)"', embed, rendered)


def _entities_to_chars(text: str) -> str:
    return re.sub(r"&(?!(amp|lt|gt|quot|apos);)[A-Za-z0-9#]+;", lambda m: html.unescape(m.group(0)), text)


def _append_qti(parent: ET.Element, wrapper: ET.Element) -> None:
    """Copy rendered HTML into the QTI namespace; arithmatex spans become MathML."""
    if wrapper.text:
        _append_text(parent, wrapper.text)
    for child in wrapper:
        cls = child.get("class", "")
        if "arithmatex" in cls:
            tex = "".join(child.itertext()).strip()
            display = tex.startswith("\\[")
            math = tex_to_mathml(tex[2:-2].strip(), display=display)
            if display:
                block = ET.SubElement(parent, _q("div"))
                block.append(math)
            else:
                parent.append(math)
        else:
            kept = ("src", "alt", "width", "height", "href") + (("class",) if child.tag == "code" else ())
            attrs = {k: v for k, v in child.attrib.items() if k in kept}
            copy = ET.SubElement(parent, _q(child.tag), attrs)
            _append_qti(copy, child)
        if child.tail:
            _append_text(parent, child.tail)


def _append_text(parent: ET.Element, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def export_qti(exam: Exam) -> ExportResult:
    """The exam as a QTI 2.1 content package (zip), with a report of what QTI cannot hold."""
    report = _PackageReport(bank_dir=Path(exam.source).parent if exam.source else None)
    ET.register_namespace("", QTI_NS)
    ET.register_namespace("m", MATHML_NS)
    items: list[tuple[str, bytes]] = []
    if exam.instructions.strip() or any(s.intro.strip() for s in exam.sections):
        report.add(
            "", "", "instructions and page introductions are not carried over (QTI items hold questions only)"
        )
    if any(s.title for s in exam.sections):
        report.add("", "", "pages (sections) are not carried over: items are listed in order")
    for question in exam.questions:
        item = _export_item(question, report)
        if item is not None:
            if question.tags:
                report.add(question.id, "", "tags are not carried over (QTI items have none)")
            items.append(
                (
                    f"items/{question.id}.xml",
                    b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(item, encoding="utf-8"),
                )
            )
    figures = {
        f"items/{q.id}.xml": {f"items/{n}": png for n, png in report.figures.get(q.id, {}).items()}
        for q in exam.questions
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "imsmanifest.xml", _manifest(exam, [(name, list(figures.get(name, {}))) for name, _ in items])
        )
        for name, data in items:
            package.writestr(name, data)
            for image, png in figures.get(name, {}).items():
                package.writestr(image, png)
    return ExportResult(buffer.getvalue(), report, ".zip")


def _manifest(exam: Exam, items: list[tuple[str, list[str]]]) -> bytes:
    """The package's manifest: one resource per item, listing the item and the images it shows."""
    resources = "\n".join(
        f'    <resource identifier="R{i}" type="imsqti_item_xmlv2p1" href="{html.escape(name)}">'
        + "".join(f'<file href="{html.escape(f)}"/>' for f in [name, *images])
        + "</resource>"
        for i, (name, images) in enumerate(items, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest xmlns="{CP_NS}" identifier="{html.escape(exam.id)}">\n'
        f"  <metadata><schema>QTIv2.1 Package</schema><schemaversion>1.0.0</schemaversion></metadata>\n"
        f"  <organizations/>\n  <resources>\n{resources}\n  </resources>\n</manifest>\n"
    ).encode()


def _sub(
    parent: ET.Element, tag: str, attrs: dict[str, str] | None = None, text: str | None = None
) -> ET.Element:
    element = ET.SubElement(parent, _q(tag), attrs or {})
    if text is not None:
        element.text = text
    return element


def _declare(
    item: ET.Element,
    identifier: str,
    cardinality: str,
    base_type: str,
    correct: list[str],
    mapping: dict[str, float] | None = None,
    *,
    case_sensitive: bool = False,
    bounds: tuple[float, float] | None = None,
) -> None:
    declaration = _sub(
        item,
        "responseDeclaration",
        {"identifier": identifier, "cardinality": cardinality, "baseType": base_type},
    )
    if correct:
        response = _sub(declaration, "correctResponse")
        for value in correct:
            _sub(response, "value", text=value)
    if mapping:
        attrs: dict[str, str] = {"defaultValue": "0"}
        if bounds:
            attrs.update(lowerBound=f"{bounds[0]:g}", upperBound=f"{bounds[1]:g}")
        element = _sub(declaration, "mapping", attrs)
        for key, mapped in mapping.items():
            entry = {"mapKey": key, "mappedValue": f"{mapped:g}"}
            if base_type == "string":
                entry["caseSensitive"] = "true" if case_sensitive else "false"
            _sub(element, "mapEntry", entry)


def _outcomes(item: ET.Element, points: float) -> None:
    _sub(item, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"})
    maximum = _sub(
        item, "outcomeDeclaration", {"identifier": "MAXSCORE", "cardinality": "single", "baseType": "float"}
    )
    _sub(_sub(maximum, "defaultValue"), "value", text=f"{points:g}")


def _export_item(question: Question, report: ConversionReport) -> ET.Element | None:  # noqa: C901
    a = question.answer
    if a.kind == "matrix" or (isinstance(a, Template) and any(b.manual for b in a.blanks)):
        why = "blanks graded by hand" if isinstance(a, Template) else "matrix questions"
        report.add(question.id, "", f"QTI export has no equivalent for {why}: not exported")
        return None
    item = ET.Element(
        _q("assessmentItem"),
        {
            "identifier": question.id,
            "title": question.title,
            "adaptive": "false",
            "timeDependent": "false",
        },
    )
    template = "map_response"
    tolerances = False
    if isinstance(a, (SingleChoice, MultipleChoice, TrueFalse)):
        if isinstance(a, TrueFalse):
            ids, texts = ["true", "false"], ["True", "False"]
            correct = ["true" if a.answer else "false"]
            mapping = None
            feedbacks = ["", ""]
        else:
            ids = [f"choice_{c.id}" for c in a.choices]
            texts = [c.text for c in a.choices]
            correct = [i for i, c in zip(ids, a.choices, strict=True) if c.correct]
            feedbacks = [c.feedback for c in a.choices]
            if isinstance(a, SingleChoice):
                fractions = [1.0 if c.correct else (c.weight or 0.0) for c in a.choices]
            elif a.scoring == "all-or-nothing":
                fractions = []
            else:
                fractions = weights.fractions_of_multiple(a, question.id, report)
            mapping = (
                {i: f * question.points for i, f in zip(ids, fractions, strict=True)}
                if any(f and not c.correct for f, c in zip(fractions, a.choices, strict=True))
                or isinstance(a, MultipleChoice)
                and fractions
                else None
            )
        single = not isinstance(a, MultipleChoice)
        _declare(
            item,
            "RESPONSE",
            "single" if single else "multiple",
            "identifier",
            correct,
            mapping,
            bounds=(0.0, question.points) if mapping else None,
        )
        template = "map_response" if mapping else "match_correct"
        _outcomes(item, question.points)
        body = _sub(item, "itemBody")
        _html_with_mathml(question.stem, body, question, report)
        interaction = _sub(
            body,
            "choiceInteraction",
            {
                "responseIdentifier": "RESPONSE",
                "shuffle": "false",
                "maxChoices": "1" if single else "0",
            },
        )
        for identifier, text, feedback in zip(ids, texts, feedbacks, strict=True):
            choice = _sub(interaction, "simpleChoice", {"identifier": identifier})
            _html_with_mathml(text, choice, question, report)
            _unwrap_single_paragraph(choice)
            if feedback:
                inline = _sub(
                    choice,
                    "feedbackInline",
                    {"outcomeIdentifier": "FEEDBACK", "identifier": identifier, "showHide": "show"},
                )
                _html_with_mathml(feedback, inline, question, report)
                _unwrap_single_paragraph(inline)
    elif isinstance(a, ShortText):
        if any("*" in t for t in a.accepted):
            report.add(question.id, "", "wildcards (*) in accepted answers are literal text in QTI")
        _declare(
            item,
            "RESPONSE",
            "single",
            "string",
            a.accepted[:1],
            {t: question.points for t in a.accepted},
            case_sensitive=a.case_sensitive,
        )
        _outcomes(item, question.points)
        body = _sub(item, "itemBody")
        _inline_entry_body(body, question, report)
    elif isinstance(a, Numeric):
        if a.unit:
            report.add(question.id, "", f"the unit '{a.unit}' is not carried over (QTI has no units)")
        first = a.answers[0] if a.answers else NumericAnswer(0.0)
        _declare(item, "RESPONSE", "single", "float", [f"{first.value:g}"])
        _outcomes(item, question.points)
        body = _sub(item, "itemBody")
        _inline_entry_body(body, question, report)
        tolerances = True
    elif isinstance(a, Essay):
        if a.min_words or a.max_words:
            report.add(question.id, "", "word limits are not carried over (QTI counts characters)")
        _declare(item, "RESPONSE", "single", "string", [])
        _outcomes(item, question.points)
        body = _sub(item, "itemBody")
        _html_with_mathml(question.stem, body, question, report)
        _sub(body, "extendedTextInteraction", {"responseIdentifier": "RESPONSE"})
        template = ""
        if a.rubric:
            rubric = _sub(body, "rubricBlock", {"view": "scorer"})
            _html_with_mathml(a.rubric, rubric, question, report)
    elif isinstance(a, Template):
        for blank in a.blanks:
            _declare(
                item,
                f"RESPONSE_{blank.name}",
                "single",
                "string",
                blank.accepted[:1],
                {t: question.points / max(len(a.blanks), 1) for t in blank.accepted},
                case_sensitive=blank.case_sensitive,
            )
        _outcomes(item, question.points)
        body = _sub(item, "itemBody")
        if question.stem.strip():
            _html_with_mathml(question.stem, body, question, report)
        holder = _sub(body, "pre" if a.monospace else "p")
        parts = re.split(r"\[\[([A-Za-z0-9_-]+)\]\]", a.text)
        holder.text = parts[0]
        widths = {b.name: b.width for b in a.blanks}
        for name, after in zip(parts[1::2], parts[2::2], strict=True):
            attrs = {"responseIdentifier": f"RESPONSE_{name}"}
            if widths.get(name):
                attrs["expectedLength"] = str(widths[name])
            entry = _sub(holder, "textEntryInteraction", attrs)
            entry.tail = after
        if len(a.blanks) > 1:
            report.add(question.id, "", "several blanks: scored with a summing response processing")
        template = "" if len(a.blanks) > 1 else "map_response"
        if len(a.blanks) > 1:
            _sum_processing(item, [f"RESPONSE_{b.name}" for b in a.blanks])
    elif isinstance(a, Matching):
        pairs = matching_pairs(a)
        sources = [(f"P{i}", p) for i, (p, _) in enumerate(pairs, start=1) if p]
        targets = [(f"A{i}", o) for i, o in enumerate(a.options, start=1)]
        target_of = {o: t for t, o in targets}
        correct = [f"{s} {target_of[o]}" for (s, _), (_, o) in zip(sources, pairs, strict=False)]
        per_prompt = a.scoring == "per-prompt"
        mapping = {c: question.points / len(sources) for c in correct} if per_prompt else None
        _declare(
            item,
            "RESPONSE",
            "multiple",
            "directedPair",
            correct,
            mapping,
            bounds=(0.0, question.points) if mapping else None,
        )
        template = "map_response" if per_prompt else "match_correct"
        _outcomes(item, question.points)
        body = _sub(item, "itemBody")
        _html_with_mathml(question.stem, body, question, report)
        interaction = _sub(
            body,
            "matchInteraction",
            {"responseIdentifier": "RESPONSE", "shuffle": "true", "maxAssociations": str(len(sources))},
        )
        for identifier_texts, match_max in ((sources, "1"), (targets, str(len(sources)))):
            match_set = _sub(interaction, "simpleMatchSet")
            for identifier, text in identifier_texts:
                choice = _sub(
                    match_set, "simpleAssociableChoice", {"identifier": identifier, "matchMax": match_max}
                )
                _html_with_mathml(text, choice, question, report)
                _unwrap_single_paragraph(choice)
    elif isinstance(a, Ordering):
        if a.scoring == "per-position":
            report.add(
                question.id,
                "",
                "per-position scoring is written as all-or-nothing (QTI's "
                "standard templates score orderings as a whole)",
            )
        ids = [f"I{i}" for i in range(1, len(a.items) + 1)]
        _declare(item, "RESPONSE", "ordered", "identifier", ids)
        template = "match_correct"
        _outcomes(item, question.points)
        body = _sub(item, "itemBody")
        _html_with_mathml(question.stem, body, question, report)
        order = _sub(body, "orderInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "true"})
        for identifier, text in sorted(zip(ids, a.items, strict=True), key=lambda p: p[1].casefold()):
            choice = _sub(order, "simpleChoice", {"identifier": identifier})
            _html_with_mathml(text, choice, question, report)
            _unwrap_single_paragraph(choice)
    else:
        report.add(question.id, "", f"{a.kind} questions cannot be written in QTI: not exported")
        return None
    if question.explanation.strip():
        modal = _sub(
            item,
            "modalFeedback",
            {"outcomeIdentifier": "FEEDBACK", "identifier": "explanation", "showHide": "show"},
        )
        _html_with_mathml(question.explanation, modal, question, report)
    if tolerances and isinstance(a, Numeric):
        _numeric_processing(item, a, question.points)
    elif template:
        _sub(item, "responseProcessing", {"template": TEMPLATES + template})
    _reorder(item)
    return item


def _inline_entry_body(body: ET.Element, question: Question, report: ConversionReport) -> None:
    """The stem with a text entry where `_____` stands (or after it)."""
    _html_with_mathml(question.stem.replace(BLANK_MARKER, "@@ENTRY@@"), body, question, report)
    for element in body.iter():
        for attr in ("text", "tail"):
            value = getattr(element, attr)
            if value and "@@ENTRY@@" in value:
                before, after = value.split("@@ENTRY@@", 1)
                setattr(element, attr, before)
                entry = ET.Element(_q("textEntryInteraction"), {"responseIdentifier": "RESPONSE"})
                entry.tail = after
                if attr == "text":
                    element.insert(0, entry)
                else:
                    parent = next(p for p in body.iter() if element in list(p))
                    parent.insert(list(parent).index(element) + 1, entry)
                return
    holder = _sub(body, "p")
    _sub(holder, "textEntryInteraction", {"responseIdentifier": "RESPONSE"})


def _unwrap_single_paragraph(element: ET.Element) -> None:
    """`<simpleChoice><p>text</p></simpleChoice>` -> `<simpleChoice>text</simpleChoice>`."""
    paragraphs = [c for c in element if _local(c.tag) == "p"]
    if len(paragraphs) == 1 and len(element) == 1 and not (element.text or "").strip():
        p = paragraphs[0]
        element.remove(p)
        element.text = p.text
        for child in list(p):
            element.append(child)


def _numeric_processing(item: ET.Element, answer: Numeric, points: float) -> None:
    processing = _sub(item, "responseProcessing")
    condition = _sub(processing, "responseCondition")
    for k, n in enumerate(answer.answers):
        tolerance = abs(n.value) * n.tolerance if n.relative else n.tolerance
        branch = _sub(condition, "responseIf" if k == 0 else "responseElseIf")
        equal = _sub(
            branch, "equal", {"toleranceMode": "absolute", "tolerance": f"{tolerance:g} {tolerance:g}"}
        )
        _sub(equal, "variable", {"identifier": "RESPONSE"})
        _sub(equal, "baseValue", {"baseType": "float"}, f"{n.value:g}")
        set_score = _sub(branch, "setOutcomeValue", {"identifier": "SCORE"})
        _sub(set_score, "baseValue", {"baseType": "float"}, f"{n.weight * points:g}")


def _sum_processing(item: ET.Element, identifiers: list[str]) -> None:
    processing = _sub(item, "responseProcessing")
    set_score = _sub(processing, "setOutcomeValue", {"identifier": "SCORE"})
    total = _sub(set_score, "sum")
    for identifier in identifiers:
        _sub(total, "mapResponse", {"identifier": identifier})


_ORDER = ["responseDeclaration", "outcomeDeclaration", "itemBody", "responseProcessing", "modalFeedback"]


def _reorder(item: ET.Element) -> None:
    """Children in the order the QTI schema requires."""
    children = sorted(list(item), key=lambda e: _ORDER.index(_local(e.tag)))
    for child in list(item):
        item.remove(child)
    item.extend(children)
