"""Text between formats: LMS math delimiters and HTML on one side, bank Markdown on the other.

Banks are Markdown with `$..$`/`\\(..\\)` inline math and `$$..$$`/`\\[..\\]` display math on lines
of their own. Moodle (GIFT, Moodle XML) treats `\\(..\\)`, `\\[..\\]` and `$$..$$` as math and a
single `$` as a dollar sign; QTI carries HTML. The functions here convert in both directions so that
math arrives as math and a price stays a price.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Inline `$..$` as pymdownx.arithmatex reads it: no space just inside the dollars.
_INLINE_DOLLAR = r"(?<![\\$])\$(?![\s$])(?:\\.|[^\\$\n])+?(?<![\s\\])\$(?!\d)"
_MATH_RE = re.compile(
    r"(?P<display>\$\$.+?\$\$|\\\[.+?\\\])|(?P<inline>\\\(.+?\\\))|(?P<dollar>" + _INLINE_DOLLAR + ")",
    re.DOTALL,
)
_MOODLE_MATH_RE = re.compile(r"(?P<display>\$\$.+?\$\$|\\\[.+?\\\])|(?P<inline>\\\(.+?\\\))", re.DOTALL)
_FENCE_RE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_CODE_SPAN_RE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_LONE_DOLLAR_RE = re.compile(r"(?<!\\)\$")

BLANK_MARKER = "_____"  # where an answer block stood mid-sentence (Moodle shows the same)


def _tex(match: re.Match[str]) -> tuple[str, bool]:
    """The TeX inside a math match and whether it is display math."""
    text = match.group(0)
    if match.group("display"):
        return text[2:-2].strip(), True
    if match.groupdict().get("dollar"):
        return text[1:-1], False
    return text[2:-2], False


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Fenced code blocks and code spans: math conversion leaves them alone."""
    spans = [m.span() for m in _FENCE_RE.finditer(text)]
    for m in _CODE_SPAN_RE.finditer(text):
        if not any(a <= m.start() < b for a, b in spans):
            spans.append(m.span())
    return spans


def _sub_outside_code(pattern: re.Pattern[str], text: str, replace) -> str:  # type: ignore[no-untyped-def]
    protected = _protected_spans(text)
    out: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        if any(a <= m.start() < b for a, b in protected):
            continue
        out.append(text[last : m.start()])
        out.append(replace(m))
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def markdown_math_to_lms(text: str) -> str:
    """Bank Markdown with math written the LMS way: `\\(..\\)` inline, `\\[..\\]` display."""

    def convert(m: re.Match[str]) -> str:
        tex, display = _tex(m)
        return f"\\[{tex}\\]" if display else f"\\({tex}\\)"

    converted = _sub_outside_code(_MATH_RE, text, convert)
    return _sub_outside_code(re.compile(r"\\\$"), converted, lambda m: "$")  # `$` is plain there


def lms_math_to_markdown(text: str) -> str:
    """Text with LMS math (`\\(..\\)`, `\\[..\\]`, `$$..$$`; a single `$` is a dollar sign) as bank
    Markdown: display math on lines of its own, dollar signs that could pair up escaped."""
    parts: list[str] = []
    last = 0
    for m in _MOODLE_MATH_RE.finditer(text):
        parts.append(_escape_dollars(text[last : m.start()]))
        tex, display = _tex(m)
        parts.append(f"\n\n\\[{tex}\\]\n\n" if display else m.group(0))
        last = m.end()
    parts.append(_escape_dollars(text[last:]))
    joined = "".join(parts)
    if "\\[" in joined:
        joined = re.sub(r"[ \t]*\n[ \t]*\n\s*", "\n\n", joined).strip()
    return joined


def _escape_dollars(text: str) -> str:
    """Escape `$` signs when Markdown could read a pair of them as math."""
    if len(_LONE_DOLLAR_RE.findall(text)) < 2 or not re.search(_INLINE_DOLLAR, text):
        return text
    return _LONE_DOLLAR_RE.sub(r"\\$", text)


def normalise_math(text: str) -> str:
    """Bank Markdown with every formula in the form an LMS round trip gives back (for comparing)."""
    return lms_math_to_markdown(markdown_math_to_lms(text))


# ------------------------------------------------------------------------------------------------
# HTML (Moodle "html" format, QTI item bodies) to bank Markdown.

_BLOCK_TAGS = {"p", "div", "center", "section", "article", "body"}
_RAW_BLOCK_TAGS = {"pre", "table", "ul", "ol", "dl", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
_VOID_TAGS = {"br", "img", "hr", "input", "col", "wbr", "source"}
_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_])")


def plain_to_markdown(text: str) -> str:
    """Plain text (no markup) as Markdown that shows exactly that text."""
    return lms_math_to_markdown(
        _MARKDOWN_SPECIAL_RE.sub(r"\\\1", html.escape(text, quote=False))
    )


def _escape_text(text: str) -> str:
    """A decoded HTML text node as Markdown: markup characters escaped, math left alone."""
    out: list[str] = []
    last = 0
    for m in _MOODLE_MATH_RE.finditer(text):
        out.append(_escape_plain_run(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_escape_plain_run(text[last:]))
    return "".join(out)


def _escape_plain_run(text: str) -> str:
    text = html.escape(text, quote=False)
    return re.sub(r"([`*_])", r"\\\1", text)


class _HtmlToMarkdown(HTMLParser):
    """Paragraph-level HTML to Markdown: block wrappers become paragraphs, inline HTML stays."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.raw_depth = 0  # inside <pre>, <table>, lists: copied as they are
        self.raw_tag = ""

    def _emit(self, text: str) -> None:
        self.out.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        if self.raw_depth:
            self.raw_depth += tag == self.raw_tag
            self._emit(raw)
        elif tag in _RAW_BLOCK_TAGS:
            self.raw_depth, self.raw_tag = 1, tag
            self._emit("\n\n" + raw)
        elif tag in _BLOCK_TAGS:
            self._emit("\n\n")
        else:
            self._emit(raw)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if self.raw_depth:
            self._emit(f"</{tag}>")
            if tag == self.raw_tag:
                self.raw_depth -= 1
                if not self.raw_depth:
                    self._emit("\n\n")
        elif tag in _BLOCK_TAGS:
            self._emit("\n\n")
        elif tag not in _VOID_TAGS:
            self._emit(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.raw_depth:
            self._emit(html.escape(data, quote=False))
        else:
            self._emit(_escape_text(re.sub(r"\s+", " ", data)))

    def handle_comment(self, data: str) -> None:
        pass  # comments carry nothing a candidate sees

    def result(self) -> str:
        text = "".join(self.out)
        text = re.sub(r"[ \t]*\n[ \t]*(\n[ \t]*)+", "\n\n", text)
        return text.strip()


def html_to_markdown(text: str) -> str:
    """HTML as bank Markdown: paragraphs split out so math inside them is typeset; inline markup,
    images and tables kept as HTML (the renderer's sanitiser decides what survives)."""
    parser = _HtmlToMarkdown()
    parser.feed(text)
    parser.close()
    return lms_math_to_markdown(parser.result())


def markdown_to_plain(text: str) -> str:
    """A short plain-text rendering of Markdown (titles made from stems, Aiken export)."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!$])", r"\1", text)
    text = html.unescape(text)
    return re.sub(r"\s+", " ", text).strip()


def title_from_text(text: str, limit: int = 60) -> str:
    """A question title made from the start of its stem (as Moodle names untitled questions)."""
    plain = markdown_to_plain(text.replace(BLANK_MARKER, "…"))
    if len(plain) <= limit:
        return plain or "Question"
    cut = plain[:limit].rsplit(" ", 1)[0]
    return (cut or plain[:limit]) + "…"
