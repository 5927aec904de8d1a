"""IMS QTI 2.1/2.2 and 3.0: single items and content packages (zip with imsmanifest.xml).

Import reads each item the manifest lists, member by member from the zip (never extracted), with
defusedxml; QTI 3.0 items are renamed into QTI 2 terms first (qti3.py). Interactions map as follows
(see docs/interchange.md): choice -> single (maxChoices=1) or multiple, two choices `true`/`false`
-> truefalse, one text entry -> short (float/integer responses -> numeric), several text entries
or inline choices -> template blanks (inline choices as menu blanks), extended text -> essay, match
-> matching, order -> ordering, gap match -> dragwords, scorer rubric blocks -> rubric, modal
feedback -> explanation. The response processing decides whether the correct response or the
mapping (with its default value, bounds and case) scores. MathML becomes TeX. Associate, hotspot
and other interactions are reported, not imported.

Export writes a QTI 2.1 content package valid against the official schema: one item per question,
stems in blocks, MathML converted from the TeX with the TeX kept as an annotation, and response
processing written out (scores in the question's points, a declared FEEDBACK outcome it sets for
the explanation and the option feedback).
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from exam_desktop.core.errors import BankError, BankProblem, KnownError
from exam_desktop.core.model import (
    Answer,
    Blank,
    Choice,
    DragWords,
    Essay,
    Exam,
    Matching,
    Matrix,
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
from exam_desktop.interchange import qti3, weights
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
from exam_desktop.interchange.moodle_xml import html_as_text, parse_xml, parse_xml_with_lines, split_lead
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
    "gapMatchInteraction",
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
    """Read a QTI 2.x or 3.0 item (XML) or content package (zip) into an exam."""
    source = str(source)
    report = ConversionReport()
    builder = ExamBuilder(source, report)
    media = _Media(report)
    if data[:2] == b"PK":
        items = _package_items(data, source, report, media)
    else:
        items = [(source, data, "")]
        media.folder = Path(source).parent if Path(source).is_file() else None
    problems: list[BankProblem] = []
    for number, (name, xml, base) in enumerate(items, start=1):
        root, lines = parse_xml_with_lines(xml, name)
        if qti3.is_qti3(root):
            root = qti3.as_qti2(root)
        if _local(root.tag) != "assessmentItem":
            raise NotQti(
                f"{name} is not a QTI item: its root element is <{_local(root.tag)}>, not <assessmentItem>"
            )
        try:
            question = _ItemReader(root, name, base, report, media).question(builder, number)
        except _Malformed as exc:
            problems.append(BankProblem(name, lines.get(root, 1), f"{exc.where}: {exc}"))
            continue
        if question is not None:
            builder.add(question, name.split("!", 1)[-1] if "!" in name else "")
    if problems:
        raise BankError(problems)
    return ImportResult(builder.finish(), report, media.files)


@dataclass
class _Media:
    """Images the items show: from the package's members, or beside a single item file on disk.

    Each keeps the path its item wrote (`images/sign.png` stays `images/sign.png` next to the bank);
    only two different files under one written path make the second keep its package path."""

    report: ConversionReport
    members: dict[str, bytes] = field(default_factory=dict)  # package member -> bytes
    folder: Path | None = None  # a single item's folder
    files: dict[str, bytes] = field(default_factory=dict)  # bank-relative path -> bytes

    def bank_path(self, written: str, base: str, where: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*:", written, re.I) or written.startswith(("/", "#")):
            return written
        authored = _safe_member(unquote(written))
        member = _safe_member(posixpath.normpath(base + unquote(written))) if authored else None
        if authored is None or member is None:
            self.report.add("", where, f"image '{written}' points outside the item's folder: not copied")
            return written
        data = self.members.get(member)
        if data is None and self.folder is not None:
            file = self.folder / member
            if file.is_file() and file.stat().st_size <= MAX_MEMBER_BYTES:
                data = file.read_bytes()
        if data is None:
            self.report.add("", where, f"image '{written}' is not in the file: the bank refers to it, add it")
            return authored
        path = authored if self.files.get(authored, data) == data else member
        self.files[path] = data
        return path


def _package_items(
    data: bytes, source: str, report: ConversionReport, media: _Media
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
        manifest_data = _read_member(package, "imsmanifest.xml", source)
        from exam_desktop.interchange.detect import foreign_package

        foreign = foreign_package(manifest_data)
        if foreign:
            raise NotQti(f"{source} is {foreign}")
        manifest = parse_xml(manifest_data, f"{source}!imsmanifest.xml")
        items: list[tuple[str, bytes, str]] = []
        for index, resource in enumerate(_descendants(manifest, "resource"), start=1):
            kind = resource.get("type", "")
            href = resource.get("href", "")
            where = f"{source}!imsmanifest.xml: resource[{index}]"
            if kind.startswith(("imsqti_item_xml", "imsqti_item_xmlv3p0")):
                member = _safe_member(href)
                if member is None or member not in names:
                    report.add("", where, f"item file '{href}' is missing from the package: skipped")
                    continue
                if package.getinfo(member).file_size > MAX_MEMBER_BYTES:
                    report.add(
                        "", where, f"item file '{href}' is larger than {MAX_MEMBER_BYTES >> 20} MB: skipped"
                    )
                    continue
                parent = str(PurePosixPath(member).parent)
                items.append(
                    (
                        f"{source}!{member}",
                        _read_member(package, member, source),
                        "" if parent == "." else parent + "/",
                    )
                )
            elif kind.startswith(("imsqti_test_xml", "imsqti_test_xmlv3p0")):
                continue  # the test's item order is the manifest's order
            elif kind.startswith("imsqti"):
                report.add("", where, f"resource type '{kind}' is not supported: skipped")
        for member in sorted(names):  # images and other media the items may show
            if member.endswith(("/", ".xml")) or _safe_member(member) is None:
                continue
            if package.getinfo(member).file_size > MAX_MEMBER_BYTES:
                report.add("", f"{source}!{member}", f"larger than {MAX_MEMBER_BYTES >> 20} MB: not saved")
                continue
            media.members[member] = _read_member(package, member, source)
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
    return name if re.fullmatch(r"[A-Za-z0-9_.-]+", name) and name != "RESPONSE" else f"b{number}"


class _ItemReader:
    """One assessmentItem: its responses, body and feedback."""

    def __init__(self, root: ET.Element, source: str, base: str, report: ConversionReport, media: _Media):
        self.root = root
        self.source = source
        self.base = base
        self.report = report
        self.media = media
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
        if len(interactions) == 1 and kinds == {"gapMatchInteraction"}:
            answer = self._gap_match(interactions[0])
            stem = self._markdown(body, skip=interactions[0], prompt=_first(interactions[0], "prompt"))
        elif len(interactions) == 1 and kinds <= {"matchInteraction", "orderInteraction"}:
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
            self._blank_points(blanks, interactions)
            pre = next((p for p in body.iter() if _local(p.tag) == "pre"), None)
            if pre is not None and all(e in set(pre.iter()) for e in interactions):
                text = self._inner_text(pre, names)
                stem = self._markdown(body, skip=pre)
                answer = Template(text, blanks, rubric=rubric)
            else:
                # a template shows text, not Markdown: the prose as plain text, the leading
                # paragraphs without blanks as the stem
                stem, text = split_lead(html_as_text(self._html(body, replace=names)))
                answer = Template(text, blanks, monospace=False, rubric=rubric)
                if re.search(r"\\\(|\\\[", text):
                    self.report.add(
                        self.label,
                        self.member + "itemBody",
                        "the fill-in text is shown as text: its formulas appear as TeX",
                    )
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
            if name == "object":
                out.append(self._object(e))
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
        return self.media.bank_path(value, self.base, self.member + "itemBody//img" if self.member else "")

    def _object(self, element: ET.Element) -> str:
        """An `<object>` showing an image becomes an `<img>`; other media keep their fallback text."""
        data = element.get("data", "")
        kind = element.get("type", "")
        text = " ".join("".join(element.itertext()).split())
        if kind.startswith("image/") or re.search(r"\.(png|jpe?g|gif|svg|webp)$", data, re.I):
            attrs = f'src="{html.escape(self._src(data))}" alt="{html.escape(text)}"'
            size = "".join(
                f' {k}="{html.escape(element.get(k, ""))}"' for k in ("width", "height") if element.get(k)
            )
            return f"<img {attrs}{size}>"
        self.report.add(
            self.label,
            self.member + "itemBody//object",
            f"the {kind or 'media'} object '{data}' is not shown here: its text is kept",
        )
        return html.escape(text, quote=False)

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
        if template and not len(processing):
            return template.rstrip("/").rsplit("/", 1)[-1].removesuffix(".xml")
        return "custom" if len(processing) else ""

    def _rule(self, identifier: str = "RESPONSE") -> str:
        """How the item scores one response: `match_correct`, `map_response`, `map_response_point`,
        "" (not scored) or `custom` — from a standard template or from the rules written out."""
        template = self._template_name()
        if template != "custom":
            return template
        processing = _first(self.root, "responseProcessing")
        assert processing is not None  # "custom" means there are rules
        uses = set()
        for e in processing.iter():
            name = _local(e.tag)
            if e.get("identifier") != identifier:
                continue
            if name == "mapResponse":
                uses.add("map_response")
            elif name == "mapResponsePoint":
                uses.add("map_response_point")
            elif name == "correct":
                uses.add("match_correct")
        return uses.pop() if len(uses) == 1 else "custom"

    def _bounds(self, declaration: ET.Element) -> tuple[float, float | None, float | None]:
        """The mapping's defaultValue, lowerBound and upperBound (None when not given)."""
        mapping = _first(declaration, "mapping")
        if mapping is None:
            return 0.0, None, None

        def bound(name: str) -> float | None:
            value = mapping.get(name)
            return None if value is None else _number(value, f"mapping/@{name}")

        return bound("defaultValue") or 0.0, bound("lowerBound"), bound("upperBound")

    def _scored_by_mapping(self, identifier: str, mapping: dict[str, float]) -> bool:
        rule = self._rule(identifier)
        if rule == "custom":
            self.report.add(
                self.label,
                self.member + "responseProcessing",
                "custom response processing: scored here from the "
                + ("mapping" if mapping else "correct response"),
            )
        return bool(mapping) and rule in ("map_response", "custom")

    def _choice(self, interaction: ET.Element) -> SingleChoice | MultipleChoice | TrueFalse:
        declaration = self._declaration(interaction)
        identifier = interaction.get("responseIdentifier", "")
        correct = set(self._correct(declaration))
        mapping = self._mapping(declaration)
        simple = _children(interaction, "simpleChoice")
        ids = [c.get("identifier", "") for c in simple]
        by_mapping = self._scored_by_mapping(identifier, mapping)
        if [i.lower() for i in ids] == ["true", "false"] and len(correct) == 1 and not by_mapping:
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
        default, lower, upper = self._bounds(declaration)
        points = self._max_score()
        single = interaction.get("maxChoices", "1") == "1"
        if not by_mapping:
            if single and len(correct) <= 1:
                if not correct:
                    raise _Malformed("responseDeclaration", "no correct response for the single-choice item")
                return SingleChoice(choices)
            return MultipleChoice(choices, scoring="all-or-nothing")
        marks = [mapping.get(i, default) for i in ids]
        if single:
            clamped = [
                min(max(m, lower if lower is not None else m), upper if upper is not None else m)
                for m in marks
            ]
            top = max(clamped)
            if top <= 0:
                raise _Malformed("responseDeclaration/mapping", "no choice of the single-choice item scores")
            for c, mark in zip(choices, clamped, strict=True):
                c.correct = mark >= top
                c.weight = round(mark / points, 7) if not c.correct and mark else None
            if sum(c.correct for c in choices) == 1:
                if top != points:
                    self.report.add(
                        self.label,
                        self.member + "responseDeclaration/mapping",
                        f"the best choice scores {format_number(top)} of {format_number(points)}: "
                        "here it earns full points",
                    )
                return SingleChoice(choices)
        answer = weights.multiple_from_percents(choices, [100 * m / points for m in marks])
        floor = (lower / points) if lower is not None else sum(min(m, 0.0) for m in marks) / points
        if floor != 0 and answer.scoring == "partial":
            for c, mark in zip(choices, marks, strict=True):
                c.weight = round(mark / points, 7)
            answer.scoring = "per-option"
        answer.floor = round(min(floor, 0.0), 7)
        if upper is not None and abs(upper - points) > 1e-9:
            self.report.add(
                self.label,
                self.member + "responseDeclaration/mapping",
                f"the score is capped at {format_number(upper)} in the file, at the "
                f"question's {format_number(points)} points here",
            )
        return answer

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
        key = dict(p for p in pairs if len(p) == 2)
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
        rule = self._rule(interaction.get("responseIdentifier", ""))
        scoring = "all-or-nothing" if rule == "match_correct" else "per-prompt"
        return matching_from_pairs(matched + [("", t) for i, t in targets.items() if i not in used], scoring)

    def _gap_match(self, interaction: ET.Element) -> DragWords:
        """Gap texts placed into the gaps of the interaction's text: a drag-words question."""
        declaration = self._declaration(interaction)
        texts = {
            c.get("identifier", ""): " ".join(self._inner_text(c, {}).split())
            for c in _children(interaction, "gapText")
        }
        limits = {
            c.get("identifier", ""): int(c.get("matchMax") or "0") for c in _children(interaction, "gapText")
        }
        if _children(interaction, "gapImg"):
            raise _Malformed("itemBody/gapMatchInteraction", "image gaps (gapImg) have no place here")
        gaps = [g.get("identifier", "") for g in _descendants(interaction, "gap")]
        if not gaps or not texts or any(not t for t in texts.values()):
            raise _Malformed("itemBody/gapMatchInteraction", "a gap match needs gaps and words with text")
        identifier = interaction.get("responseIdentifier", "")
        mapping = self._mapping(declaration)
        if self._scored_by_mapping(identifier, mapping):
            pairs = [k for k, v in mapping.items() if v > 0]
            values = {v for v in mapping.values() if v > 0}
            if len(values) > 1:
                self.report.add(
                    self.label,
                    self.member + "responseDeclaration/mapping",
                    "gaps had different weights: every gap now counts the same",
                )
            scoring = "per-gap"
        else:
            pairs = self._correct(declaration)
            scoring = "all-or-nothing"
        word_of_gap: dict[str, str] = {}
        for pair in pairs:
            parts = pair.split()
            if len(parts) == 2 and parts[0] in texts and parts[1] in gaps:
                word_of_gap.setdefault(parts[1], texts[parts[0]])
        missing = [g for g in gaps if g not in word_of_gap]
        if missing:
            raise _Malformed("responseDeclaration", f"gap {missing[0]} has no correct word")
        key = [word_of_gap[g] for g in gaps]
        words: list[str] = []
        for word_id, text in texts.items():
            needed = key.count(text)
            limit = limits.get(word_id, 0)
            words += [text] * max(min(needed, limit) if limit else needed, 1)
        number = {g: n for n, g in enumerate(gaps, start=1)}
        replace = {g: f"[[{number[g.get('identifier', '')]}]]" for g in _descendants(interaction, "gap")}
        blocks = [c for c in interaction if _local(c.tag) not in ("gapText", "gapImg", "prompt")]
        text = "\n\n".join(self._markdown(b, replace=replace, outer=True) for b in blocks)
        return DragWords(text, sorted(words, key=str.casefold), key, scoring=scoring)  # type: ignore[arg-type]

    def _order(self, interaction: ET.Element) -> Ordering:
        texts = {
            c.get("identifier", ""): one_line(self._markdown(c))
            for c in _children(interaction, "simpleChoice")
        }
        order = self._correct(self._declaration(interaction))
        if sorted(order) != sorted(texts):
            raise _Malformed("responseDeclaration", "the correct order does not list every choice once")
        if self._rule(interaction.get("responseIdentifier", "")) not in ("match_correct", ""):
            self.report.add(self.label, self.member + "responseProcessing", "scored all-or-nothing here")
        return Ordering([texts[i] for i in order])

    def _text_entry(self, interaction: ET.Element) -> ShortText | Numeric:
        declaration = self._declaration(interaction)
        identifier = interaction.get("responseIdentifier", "")
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
        if not self._scored_by_mapping(identifier, mapping):
            # `match` compares strings exactly: case matters
            return ShortText(list(correct), case_sensitive=True)
        default, lower, upper = self._bounds(declaration)
        entries = _descendants(declaration, "mapEntry")
        marks = {
            key: min(max(v, lower if lower is not None else v), upper if upper is not None else v)
            for key, v in mapping.items()
        }
        top = max(marks.values(), default=0.0)
        accepted = [key for key, value in marks.items() if value >= top and top > 0]
        where = self.member + "responseDeclaration/mapping"
        for key, value in marks.items():
            if 0 < value < top:
                self.report.add(
                    self.label,
                    where,
                    f"answer '{key}' worth {value:g} of {top:g} not imported "
                    "(short answers here are all-or-nothing)",
                )
        if default and top and default >= top:
            accepted.append("*")
        elif default > 0:
            self.report.add(
                self.label, where, f"any other answer is worth {default:g} of {top:g} there, 0 here"
            )
        elif default < 0:
            self.report.add(self.label, where, f"a wrong answer loses {-default:g} there, scores 0 here")
        flags = {e.get("mapKey", ""): e.get("caseSensitive", "true") != "false" for e in entries}
        case = [flags.get(key, True) for key in accepted if key != "*"]
        if case and len(set(case)) > 1:
            self.report.add(
                self.label,
                where,
                "some accepted answers were case-sensitive, others not: case matters for all here",
            )
        return ShortText(accepted, case_sensitive=bool(case) and any(case))

    def _tolerances(self) -> list[tuple[float, float, float]]:
        """(value, tolerance, weight) from `equal toleranceMode="absolute"` conditions we export."""
        found: list[tuple[float, float, float]] = []
        top = self._max_score() or 1.0
        for branch in _descendants(self.root, "responseIf") + _descendants(self.root, "responseElseIf"):
            equal = _first(branch, "equal")
            values = list(_descendants(branch, "baseValue"))
            if equal is None or len(values) < 2 or equal.get("toleranceMode") != "absolute":
                continue
            tolerance = _number(((equal.get("tolerance") or "0").split() or ["0"])[0], "equal/@tolerance")
            value, score = (_number(v.text, "responseCondition/baseValue") for v in values[:2])
            found.append((value, tolerance, score / top))
        return found

    def _blank_points(self, blanks: list[Blank], interactions: list[ET.Element]) -> None:
        """Blanks worth different marks in the file (their mappings' best values) keep them."""
        best = []
        for interaction in interactions:
            declaration = self._declaration(interaction)
            mapping = self._mapping(declaration)
            if not self._scored_by_mapping(interaction.get("responseIdentifier", ""), mapping):
                return
            best.append(max(mapping.values(), default=0.0))
        if len(set(best)) > 1 and all(v > 0 for v in best):
            for blank, value in zip(blanks, best, strict=True):
                blank.points = value

    def _blank(self, interaction: ET.Element, name: str) -> Blank:
        declaration = self._declaration(interaction)
        if _local(interaction.tag) == "inlineChoiceInteraction":
            choices = [
                (c.get("identifier", ""), " ".join(self._inner_text(c, {}).split()))
                for c in _children(interaction, "inlineChoice")
            ]
            if len(choices) < 2 or any(not text for _, text in choices):
                raise _Malformed("itemBody/inlineChoiceInteraction", "a menu needs two options with text")
            identifier = interaction.get("responseIdentifier", "")
            mapping = self._mapping(declaration)
            if self._scored_by_mapping(identifier, mapping):
                default, _, _ = self._bounds(declaration)
                marks = {i: mapping.get(i, default) for i, _ in choices}
                top = max(marks.values())
                right = [i for i, _ in choices if marks[i] >= top and top > 0]
                for i, text in choices:
                    if 0 < marks[i] < top:
                        self.report.add(
                            self.label,
                            self.member + "responseDeclaration/mapping",
                            f"blank {name}: option '{text}' worth {marks[i]:g} of {top:g} not imported",
                        )
            else:
                right = self._correct(declaration)
            texts = dict(choices)
            options = list(dict.fromkeys(text for _, text in choices))
            return Blank(
                name, accepted=[texts[i] for i in right if i in texts], case_sensitive=True, options=options
            )
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
    markdown: str,
    parent: ET.Element,
    question: Question,
    report: ConversionReport,
    *,
    block: bool = False,
    inline: bool = False,
) -> None:
    """Bank Markdown rendered to XHTML inside `parent`, math as MathML with its TeX annotation.

    `block`: the parent holds blocks only (itemBody, rubricBlock), so loose text and inline
    elements are wrapped in paragraphs; `inline`: it holds inline content only (feedbackInline),
    so paragraphs become line breaks."""
    rendered = markdown_to_html(markdown, math_spans=True)
    if has_figures(rendered):
        report.add(
            question.id,
            "",
            "figures are written as PNG images: they import back as images, not as editable figures",
        )
        files = report.figures.setdefault(question.id, {}) if isinstance(report, _PackageReport) else {}
        rendered = replace_figures(rendered, question, "", files)
    if 'src="' in rendered and isinstance(report, _PackageReport):
        rendered = _bank_images(rendered, question, report)
    xhtml = re.sub(r"<(br|hr|img)([^>]*?)/?>", r"<\1\2/>", rendered)
    try:
        wrapper = ET.fromstring(f"<div>{_entities_to_chars(xhtml)}</div>")
    except ET.ParseError:
        wrapper = ET.Element("div")
        ET.SubElement(wrapper, "p").text = markdown_math_to_lms(markdown)
    holder = ET.Element(_q("div"))
    _append_qti(holder, wrapper)
    if block:
        _blockify(holder)
    elif inline:
        _inline_only(holder)
    _append_text(parent, holder.text or "")
    parent.extend(list(holder))


# Elements the QTI schema takes where blocks are required (itemBody, rubricBlock, blockquote...).
_BLOCKS = {
    "p", "div", "pre", "ul", "ol", "dl", "table", "blockquote", "hr", "address",
    "h1", "h2", "h3", "h4", "h5", "h6", "rubricBlock", "feedbackBlock", "templateBlock",
}  # fmt: skip


def _is_block(element: ET.Element) -> bool:
    name = _local(element.tag)
    return name in _BLOCKS or (name.endswith("Interaction") and name not in _INLINE_INTERACTIONS)


_INLINE_INTERACTIONS = {"textEntryInteraction", "inlineChoiceInteraction", "endAttemptInteraction"}


def _blockify(holder: ET.Element) -> None:
    """Loose text and inline elements of `holder` wrapped in `<p>`s, blocks left as they are."""
    children = list(holder)
    text = holder.text or ""
    for child in children:
        holder.remove(child)
    holder.text = None
    paragraph: ET.Element | None = None

    def open_paragraph() -> ET.Element:
        nonlocal paragraph
        if paragraph is None:
            paragraph = ET.SubElement(holder, _q("p"))
        return paragraph

    if text.strip():
        open_paragraph().text = text
    for child in children:
        tail, child.tail = child.tail, None
        if _is_block(child):
            paragraph = None
            holder.append(child)
        else:
            open_paragraph().append(child)
        if tail and tail.strip():
            _append_text(open_paragraph(), tail)
        elif tail and paragraph is not None:
            _append_text(paragraph, tail)


def _inline_only(holder: ET.Element) -> None:
    """Paragraphs of `holder` unwrapped, separated by line breaks (for inline-only parents)."""
    children = list(holder)
    for child in children:
        holder.remove(child)
    for child in children:
        if _local(child.tag) not in ("p", "div"):
            holder.append(child)
            continue
        if (holder.text or "").strip() or len(holder):
            holder.append(ET.Element(_q("br")))
        _append_text(holder, child.text or "")
        tail = child.tail or ""
        for grandchild in list(child):
            holder.append(grandchild)
        _append_text(holder, tail)


def _bank_images(rendered: str, question: Question, report: _PackageReport) -> str:
    """Images next to the bank (`images/x.png`) go into the package beside the item."""

    drawn = report.figures.get(question.id, {})

    def embed(m: re.Match[str]) -> str:
        relative = html.unescape(m.group(1))
        if relative in drawn and relative.startswith("figure-"):
            return m.group(0)
        file = (report.bank_dir or Path(".")) / relative
        if not file.is_file() or ".." in PurePosixPath(relative).parts:
            report.add(question.id, "", f"image '{relative}' not found next to the bank: not packaged")
            return m.group(0)
        report.figures.setdefault(question.id, {})[relative] = file.read_bytes()
        return f'src="{html.escape(relative, quote=True)}"'

    return re.sub(r'src="((?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#)[^"]+)"', embed, rendered)


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
    return ExportResult(buffer.getvalue(), report, ".zip", len(items))


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
    bounds: tuple[float | None, float | None] = (None, None),
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
        attrs: dict[str, str] = {}
        if bounds[0] is not None:
            attrs["lowerBound"] = format_number(bounds[0])
        if bounds[1] is not None:
            attrs["upperBound"] = format_number(bounds[1])
        attrs["defaultValue"] = "0"
        element = _sub(declaration, "mapping", attrs)
        for key, mapped in mapping.items():
            entry = {"mapKey": key, "mappedValue": format_number(mapped)}
            if base_type == "string":
                entry["caseSensitive"] = "true" if case_sensitive else "false"
            _sub(element, "mapEntry", entry)


def _outcomes(item: ET.Element, points: float, feedback: bool) -> None:
    _sub(item, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"})
    maximum = _sub(
        item, "outcomeDeclaration", {"identifier": "MAXSCORE", "cardinality": "single", "baseType": "float"}
    )
    _sub(_sub(maximum, "defaultValue"), "value", text=format_number(points))
    if feedback:  # what the modal and inline feedback show: set by the response processing
        _sub(
            item,
            "outcomeDeclaration",
            {"identifier": "FEEDBACK", "cardinality": "multiple", "baseType": "identifier"},
        )


@dataclass
class _Scoring:
    """How an exported item scores: each response's rule, summed into SCORE."""

    parts: list[tuple[str, str]] = field(default_factory=list)  # (response id, "match" | "map")
    points: float = 1.0  # what "match" earns (the question's points, or a blank's share)
    shares: dict[str, float] = field(default_factory=dict)  # response id -> what its match earns
    numeric: Numeric | None = None
    feedback_from: list[str] = field(default_factory=list)  # responses whose values name feedback


def _export_item(question: Question, report: ConversionReport) -> ET.Element | None:
    """One question as an assessmentItem valid against the QTI 2.1 schema, or None (reported)."""
    a = question.answer
    if isinstance(a, Matrix) or (isinstance(a, Template) and any(b.manual for b in a.blanks)):
        why = "blanks graded by hand" if isinstance(a, Template) else "matrix questions"
        report.add(question.id, "", f"QTI export has no equivalent for {why}: not exported")
        return None
    item = ET.Element(
        _q("assessmentItem"),
        {
            "identifier": _identifier(question.id),
            "title": question.title,
            "adaptive": "false",
            "timeDependent": "false",
        },
    )
    body = _sub(item, "itemBody")
    scoring = _Scoring(points=question.points)
    choice_feedback = False
    if isinstance(a, (SingleChoice, MultipleChoice, TrueFalse)):
        choice_feedback = _choice_item(item, body, question, a, scoring, report)
    elif isinstance(a, ShortText):
        if any("*" in t for t in a.accepted):
            report.add(question.id, "", "wildcards (*) in accepted answers are literal text in QTI")
        _declare(
            item,
            "RESPONSE",
            "single",
            "string",
            a.accepted[:1],
            dict.fromkeys(a.accepted, question.points),
            case_sensitive=a.case_sensitive,
        )
        scoring.parts.append(("RESPONSE", "map"))
        _inline_entry_body(body, question, report)
    elif isinstance(a, Numeric):
        if a.unit:
            report.add(question.id, "", f"the unit '{a.unit}' is not carried over (QTI has no units)")
        first = a.answers[0] if a.answers else NumericAnswer(0.0)
        _declare(item, "RESPONSE", "single", "float", [format_number(first.value)])
        scoring.numeric = a
        _inline_entry_body(body, question, report)
    elif isinstance(a, Essay):
        if a.min_words or a.max_words:
            report.add(question.id, "", "word limits are not carried over (QTI counts characters)")
        _declare(item, "RESPONSE", "single", "string", [])
        _html_with_mathml(question.stem, body, question, report, block=True)
        _sub(body, "extendedTextInteraction", {"responseIdentifier": "RESPONSE"})
        if a.rubric:
            rubric = _sub(body, "rubricBlock", {"view": "scorer"})
            _html_with_mathml(a.rubric, rubric, question, report, block=True)
    elif isinstance(a, Template):
        _template_item(item, body, question, a, scoring, report)
    elif isinstance(a, Matching):
        _matching_item(item, body, question, a, scoring, report)
    elif isinstance(a, DragWords):
        _gap_match_item(item, body, question, a, scoring, report)
    elif isinstance(a, Ordering):
        if a.scoring == "per-position":
            report.add(
                question.id,
                "",
                "per-position scoring is written as all-or-nothing (QTI scores an ordered response as a whole)",
            )
        ids = [f"I{i}" for i in range(1, len(a.items) + 1)]
        _declare(item, "RESPONSE", "ordered", "identifier", ids)
        scoring.parts.append(("RESPONSE", "match"))
        _html_with_mathml(question.stem, body, question, report, block=True)
        order = _sub(body, "orderInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "true"})
        for identifier, text in sorted(zip(ids, a.items, strict=True), key=lambda p: p[1].casefold()):
            choice = _sub(order, "simpleChoice", {"identifier": identifier})
            _html_with_mathml(text, choice, question, report)
    else:
        report.add(question.id, "", f"{a.kind} questions cannot be written in QTI: not exported")
        return None
    explanation = bool(question.explanation.strip())
    _outcomes(item, question.points, explanation or choice_feedback)
    _processing(item, scoring, explanation, choice_feedback)
    if explanation:
        modal = _sub(
            item,
            "modalFeedback",
            {"outcomeIdentifier": "FEEDBACK", "identifier": "explanation", "showHide": "show"},
        )
        _html_with_mathml(question.explanation, modal, question, report, block=True)
    _reorder(item)
    return item


def _identifier(text: str) -> str:
    """A QTI identifier (an XML name): bank ids starting with a digit get a leading `Q`."""
    return text if re.match(r"^[A-Za-z_]", text) else f"Q{text}"


def _choice_item(
    item: ET.Element,
    body: ET.Element,
    question: Question,
    a: SingleChoice | MultipleChoice | TrueFalse,
    scoring: _Scoring,
    report: ConversionReport,
) -> bool:
    """A choice interaction; returns whether options carry feedback."""
    points = question.points
    single = not isinstance(a, MultipleChoice)
    mapping: dict[str, float] | None = None
    bounds: tuple[float | None, float | None] = (None, None)
    if isinstance(a, TrueFalse):
        ids, texts, feedbacks = ["true", "false"], ["True", "False"], ["", ""]
        correct = ["true" if a.answer else "false"]
    else:
        ids = [f"choice_{c.id}" for c in a.choices]
        texts = [c.text for c in a.choices]
        feedbacks = [c.feedback for c in a.choices]
        correct = [i for i, c in zip(ids, a.choices, strict=True) if c.correct]
        if isinstance(a, SingleChoice):
            fractions = [1.0 if c.correct else (c.weight or 0.0) for c in a.choices]
            if any(f for f, c in zip(fractions, a.choices, strict=True) if not c.correct):
                mapping = {i: f * points for i, f in zip(ids, fractions, strict=True) if f}
                bounds = (None, points)
        elif a.scoring != "all-or-nothing":
            fractions = weights.fractions_of_multiple(a, question.id, ConversionReport())
            if a.select_exactly:
                report.add(question.id, "", f"'select exactly {a.select_exactly}' is not carried over")
            mapping = {i: f * points for i, f in zip(ids, fractions, strict=True) if f}
            bounds = (a.floor * points, points)
        elif a.select_exactly:
            report.add(question.id, "", f"'select exactly {a.select_exactly}' is not carried over")
    _declare(
        item, "RESPONSE", "single" if single else "multiple", "identifier", correct, mapping, bounds=bounds
    )
    scoring.parts.append(("RESPONSE", "map" if mapping else "match"))
    _html_with_mathml(question.stem, body, question, report, block=True)
    interaction = _sub(
        body,
        "choiceInteraction",
        {"responseIdentifier": "RESPONSE", "shuffle": "false", "maxChoices": "1" if single else "0"},
    )
    for identifier, text, feedback in zip(ids, texts, feedbacks, strict=True):
        choice = _sub(interaction, "simpleChoice", {"identifier": identifier})
        _html_with_mathml(text, choice, question, report)
        if feedback:
            inline = _sub(
                choice,
                "feedbackInline",
                {"outcomeIdentifier": "FEEDBACK", "identifier": identifier, "showHide": "show"},
            )
            _html_with_mathml(feedback, inline, question, report, inline=True)
    if any(feedbacks):
        scoring.feedback_from.append("RESPONSE")
    return any(feedbacks)


def _template_item(
    item: ET.Element,
    body: ET.Element,
    question: Question,
    a: Template,
    scoring: _Scoring,
    report: ConversionReport,
) -> None:
    """Blanks in a text: text entries (typed blanks) in a `<pre>` or paragraph, each mapped to its
    share of the points."""
    shares = a.blank_points(question.points)
    menus: dict[str, list[tuple[str, str]]] = {}  # blank name -> (identifier, text) of its options
    for blank in a.blanks:
        identifier = f"RESPONSE_{blank.name}"
        if blank.options:
            menus[blank.name] = [(f"{blank.name}_{k}", o) for k, o in enumerate(blank.options, start=1)]
            right = [i for i, o in menus[blank.name] if o in blank.accepted]
            _declare(
                item, identifier, "single", "identifier", right, dict.fromkeys(right, shares[blank.name])
            )
        else:
            _declare(
                item,
                identifier,
                "single",
                "string",
                blank.accepted[:1],
                dict.fromkeys(blank.accepted, shares[blank.name]),
                case_sensitive=blank.case_sensitive,
            )
        scoring.parts.append((identifier, "map"))
    if question.stem.strip():
        _html_with_mathml(question.stem, body, question, report, block=True)
    holder = _sub(body, "pre" if a.monospace else "p")
    parts = re.split(r"\[\[([A-Za-z0-9_.-]+)\]\]", a.text)
    holder.text = parts[0]
    widths = {b.name: b.width for b in a.blanks}
    for name, after in zip(parts[1::2], parts[2::2], strict=True):
        attrs = {"responseIdentifier": f"RESPONSE_{name}"}
        if name in menus:
            entry = _sub(holder, "inlineChoiceInteraction", {**attrs, "shuffle": "false"})
            for identifier, text in menus[name]:
                _sub(entry, "inlineChoice", {"identifier": identifier}, text)
        else:
            if widths.get(name):
                attrs["expectedLength"] = str(widths[name])
            entry = _sub(holder, "textEntryInteraction", attrs)
        entry.tail = after


def _gap_match_item(
    item: ET.Element,
    body: ET.Element,
    question: Question,
    a: DragWords,
    scoring: _Scoring,
    report: ConversionReport,
) -> None:
    """Drag-words as a gap match: one gapText per distinct word (matchMax: how often it may be
    placed), a gap per `[[n]]`; each right pair earns its gap's share (or the whole, all-or-nothing)."""
    words = list(dict.fromkeys(a.words))
    word_id = {w: f"W{k}" for k, w in enumerate(words, start=1)}
    correct = [f"{word_id[w]} G{g}" for g, w in enumerate(a.key, start=1)]
    per_gap = a.scoring == "per-gap"
    share = question.points / max(len(a.key), 1)
    _declare(
        item,
        "RESPONSE",
        "multiple",
        "directedPair",
        correct,
        dict.fromkeys(correct, share) if per_gap else None,
        bounds=(0.0, question.points) if per_gap else (None, None),
    )
    scoring.parts.append(("RESPONSE", "map" if per_gap else "match"))
    _html_with_mathml(question.stem, body, question, report, block=True)
    interaction = _sub(body, "gapMatchInteraction", {"responseIdentifier": "RESPONSE", "shuffle": "false"})
    for word in words:
        _sub(
            interaction, "gapText", {"identifier": word_id[word], "matchMax": str(a.words.count(word))}, word
        )
    marked = re.sub(r"\[\[(\d+)\]\]", lambda m: f"@@GAP{m.group(1)}@@", a.text)
    holder = ET.Element(_q("div"))
    _html_with_mathml(marked, holder, question, report, block=True)
    for element in list(holder.iter()):
        for attr in ("text", "tail"):
            _split_gaps(element, attr, holder)
    interaction.extend(list(holder))


def _split_gaps(element: ET.Element, attr: str, root: ET.Element) -> None:
    """`@@GAPn@@` markers in an element's text (or tail) become `<gap identifier="Gn"/>` elements."""
    value = getattr(element, attr)
    if not value or "@@GAP" not in value:
        return
    pieces = re.split(r"@@GAP(\d+)@@", value)
    setattr(element, attr, pieces[0])
    gaps = []
    for number, after in zip(pieces[1::2], pieces[2::2], strict=True):
        gap = ET.Element(_q("gap"), {"identifier": f"G{number}"})
        gap.tail = after
        gaps.append(gap)
    if attr == "text":
        for offset, gap in enumerate(gaps):
            element.insert(offset, gap)
    else:
        parent = next(p for p in root.iter() if element in list(p))
        at = list(parent).index(element) + 1
        for offset, gap in enumerate(gaps):
            parent.insert(at + offset, gap)


def _matching_item(
    item: ET.Element,
    body: ET.Element,
    question: Question,
    a: Matching,
    scoring: _Scoring,
    report: ConversionReport,
) -> None:
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
        bounds=(0.0, question.points) if mapping else (None, None),
    )
    scoring.parts.append(("RESPONSE", "map" if per_prompt else "match"))
    _html_with_mathml(question.stem, body, question, report, block=True)
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


def _inline_entry_body(body: ET.Element, question: Question, report: ConversionReport) -> None:
    """The stem with a text entry where `_____` stands (or in a paragraph after it)."""
    _html_with_mathml(question.stem.replace(BLANK_MARKER, "@@ENTRY@@"), body, question, report, block=True)
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


def _value(parent: ET.Element, points: float) -> None:
    _sub(parent, "baseValue", {"baseType": "float"}, format_number(points))


def _set_score(parent: ET.Element, points: float) -> None:
    _value(_sub(parent, "setOutcomeValue", {"identifier": "SCORE"}), points)


def _processing(item: ET.Element, scoring: _Scoring, explanation: bool, choice_feedback: bool) -> None:
    """Explicit response processing (no template to fetch): SCORE from each response's rule, and
    FEEDBACK naming the explanation and the feedback of the picked options."""
    processing = _sub(item, "responseProcessing")
    if scoring.numeric is not None:
        _numeric_processing(processing, scoring.numeric, scoring.points)
    elif len(scoring.parts) == 1:
        identifier, rule = scoring.parts[0]
        condition = _sub(processing, "responseCondition")
        branch = _sub(condition, "responseIf")
        if rule == "match":
            match = _sub(branch, "match")
            _sub(match, "variable", {"identifier": identifier})
            _sub(match, "correct", {"identifier": identifier})
            _set_score(branch, scoring.points)
        else:
            _sub(_sub(branch, "isNull"), "variable", {"identifier": identifier})
            _set_score(branch, 0.0)
        otherwise = _sub(condition, "responseElse")
        if rule == "match":
            _set_score(otherwise, 0.0)
        else:
            _sub(
                _sub(otherwise, "setOutcomeValue", {"identifier": "SCORE"}),
                "mapResponse",
                {"identifier": identifier},
            )
    elif scoring.parts:
        total = _sub(_sub(processing, "setOutcomeValue", {"identifier": "SCORE"}), "sum")
        for identifier, _rule in scoring.parts:
            _sub(total, "mapResponse", {"identifier": identifier})
    if explanation or choice_feedback:
        collected = _sub(_sub(processing, "setOutcomeValue", {"identifier": "FEEDBACK"}), "multiple")
        for identifier in scoring.feedback_from:
            _sub(collected, "variable", {"identifier": identifier})
        if explanation:
            _sub(collected, "baseValue", {"baseType": "identifier"}, "explanation")
    if not len(processing):
        item.remove(processing)


def _numeric_processing(processing: ET.Element, answer: Numeric, points: float) -> None:
    condition = _sub(processing, "responseCondition")
    for k, n in enumerate(answer.answers):
        tolerance = abs(n.value) * n.tolerance if n.relative else n.tolerance
        branch = _sub(condition, "responseIf" if k == 0 else "responseElseIf")
        text = format_number(tolerance)
        equal = _sub(branch, "equal", {"toleranceMode": "absolute", "tolerance": f"{text} {text}"})
        _sub(equal, "variable", {"identifier": "RESPONSE"})
        _sub(equal, "baseValue", {"baseType": "float"}, format_number(n.value))
        _set_score(branch, n.weight * points)
    _set_score(_sub(condition, "responseElse"), 0.0)


_ORDER = ["responseDeclaration", "outcomeDeclaration", "itemBody", "responseProcessing", "modalFeedback"]


def _reorder(item: ET.Element) -> None:
    """Children in the order the QTI schema requires."""
    children = sorted(item, key=lambda e: _ORDER.index(_local(e.tag)))
    for child in list(item):
        item.remove(child)
    item.extend(children)
