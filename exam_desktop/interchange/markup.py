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
    r"(?P<display>(?<!\\)\$\$.+?\$\$|(?<!\\)\\\[.+?\\\])|(?P<inline>(?<!\\)\\\(.+?\\\))|(?P<dollar>"
    + _INLINE_DOLLAR
    + ")",
    re.DOTALL,
)
_MOODLE_MATH_RE = re.compile(
    r"(?P<display>(?<!\\)\$\$.+?\$\$|(?<!\\)\\\[.+?\\\])|(?P<inline>(?<!\\)\\\(.+?\\\))", re.DOTALL
)
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
_RAW_BLOCK_TAGS = {"table", "dl", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
_VOID_TAGS = {"br", "img", "hr", "input", "col", "wbr", "source"}
_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_])")


def plain_to_markdown(text: str) -> str:
    """Plain text (no markup) as Markdown that shows exactly that text."""
    return lms_math_to_markdown(_MARKDOWN_SPECIAL_RE.sub(r"\\\1", html.escape(text, quote=False)))


def plain_with_math_to_markdown(text: str) -> str:
    """Plain text in which an LMS typesets `\\(..\\)` math (Aiken): markup shown as text, math kept."""
    return lms_math_to_markdown(_escape_text(text))


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
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
    return re.sub(r"([\\`*_#])", r"\\\1", text)  # not [ ]: `\[` is display math in banks


_EMPHASIS = {"em": "*", "i": "*", "strong": "**", "b": "**"}


class _HtmlToMarkdown(HTMLParser):
    """Paragraph-level HTML to Markdown: block wrappers become paragraphs, `<pre>` a fenced block,
    `<code>`/`<em>`/`<strong>` their Markdown marks; other inline HTML stays as it is."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.raw_depth = 0  # inside <table>, lists: copied as they are
        self.raw_tag = ""
        self.pre: list[str] | None = None  # text of the <pre> being read
        self.code: list[str] | None = None  # text of the inline <code> being read
        self.language = ""  # of the <pre><code class="language-x"> being read
        self.lists: list[str] = []  # open <ul>/<ol>
        self.pending: list[str] = []  # text not yet written
        self.had_lists = False

    def _emit(self, text: str) -> None:
        if self.code is not None:
            self.code.append(text)
        else:
            self.out.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        raw = self.get_starttag_text() or f"<{tag}>"
        if self.pre is not None:
            if tag == "code" and not self.language:
                classes = (dict(attrs).get("class") or "").split()
                self.language = next((c[9:] for c in classes if c.startswith("language-")), "")
            return
        if self.raw_depth:
            self.raw_depth += tag == self.raw_tag
            self._emit(raw)
        elif tag == "pre":
            self.pre, self.language = [], ""
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            self.had_lists = True
            self._emit("\n\n")
        elif tag == "li" and self.lists:
            marker = "-" if self.lists[-1] == "ul" else "1."
            self._emit("\n" + "    " * (len(self.lists) - 1) + marker + " ")
        elif tag == "code" and self.code is None:
            self.code = []
        elif tag in _RAW_BLOCK_TAGS:
            self.raw_depth, self.raw_tag = 1, tag
            self._emit("\n\n" + raw)
        elif tag in _BLOCK_TAGS:
            self._emit("\n\n")
        elif tag in _EMPHASIS and not attrs:
            self._emit(_EMPHASIS[tag])
        else:
            self._emit(_markdown_image(tag, attrs) or raw)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        if self.pre is None:
            self._emit(_markdown_image(tag, attrs) or self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if self.pre is not None:
            if tag == "pre":
                code = "".join(self.pre).strip("\n")
                fence = "````" if "```" in code else "```"
                self.out.append(f"\n\n{fence}{self.language}\n{code}\n{fence}\n\n")
                self.pre = None
            return
        if self.raw_depth:
            self._emit(f"</{tag}>")
            if tag == self.raw_tag:
                self.raw_depth -= 1
                if not self.raw_depth:
                    self._emit("\n\n")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self._emit("\n\n")
        elif tag == "li":
            pass
        elif tag == "code" and self.code is not None:
            code = "".join(self.code)
            self.code = None
            ticks = "``" if "`" in code else "`"
            self._emit(f"{ticks}{code}{ticks}")
        elif tag in _BLOCK_TAGS:
            self._emit("\n\n")
        elif tag in _EMPHASIS:
            self._emit(_EMPHASIS[tag])
        elif tag not in _VOID_TAGS:
            self._emit(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.pending.append(data)  # the parser may split one text at a '<' inside math

    def _flush(self) -> None:
        if not self.pending:
            return
        data = "".join(self.pending)
        self.pending = []
        if self.pre is not None:
            self.pre.append(data)
        elif self.code is not None:
            self.code.append(re.sub(r"\s+", " ", data))
        elif self.raw_depth:
            self._emit(html.escape(data, quote=False))
        else:
            self._emit(_escape_text(re.sub(r"\s+", " ", data)))

    def handle_comment(self, data: str) -> None:
        pass  # comments carry nothing a candidate sees

    def result(self) -> str:
        self._flush()
        if self.pre is not None:  # a <pre> never closed: its text still counts
            self.handle_endtag("pre")
        text = "".join(self.out)
        text = re.sub(r"[ \t]*\n[ \t]*(\n[ \t]*)+", "\n\n", text).strip()
        text = re.sub(r"[ \t]+\n", "\n", text)
        # A paragraph starting like a list item or a quote is text, not Markdown structure.
        if not self.had_lists:
            text = re.sub(r"^([-+>])(?=\s)", r"\\\1", text, flags=re.MULTILINE)
            text = re.sub(r"^(\d+)\.(?=\s)", r"\1\\.", text, flags=re.MULTILINE)
        return text


def _markdown_image(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    """A plain `<img src alt>` as Markdown `![alt](src)` (what banks write); "" for anything else."""
    values = dict(attrs)
    if tag != "img" or not values.get("src") or set(values) - {"src", "alt"}:
        return ""
    alt = re.sub(r"([\[\]\\])", r"\\\1", values.get("alt") or "")
    src = values["src"] or ""
    return f"![{alt}](<{src}>)" if re.search(r"[\s()<>]", src) else f"![{alt}]({src})"


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


def moodle_to_markdown(text: str) -> str:
    """Moodle's auto-format text (HTML allowed, a new line is a line break) as bank Markdown."""
    lines = text.strip().split("\n")
    return html_to_markdown("<br>\n".join(line.strip() for line in lines))


# ------------------------------------------------------------------------------------------------
# Bank Markdown to HTML for an LMS: what our window shows, math left as \(..\) and \[..\] for the
# LMS's own MathJax, code blocks as <pre><code class="language-x">.

_LMS_MARKDOWN = None


def markdown_to_html(text: str, *, math_spans: bool = False) -> str:
    """Bank Markdown as HTML an LMS displays like our window (one paragraph: no <p> around it).

    Math is left as `\\(..\\)`/`\\[..\\]` text, or with `math_spans` inside
    `<span class="arithmatex">` elements (for converting it to MathML)."""
    import markdown

    global _LMS_MARKDOWN
    if _LMS_MARKDOWN is None:
        _LMS_MARKDOWN = markdown.Markdown(
            extensions=[
                "tables",
                "sane_lists",
                "pymdownx.superfences",
                "pymdownx.highlight",
                "pymdownx.arithmatex",
            ],
            extension_configs={
                "pymdownx.arithmatex": {"generic": True},
                "pymdownx.highlight": {"use_pygments": False},
            },
        )
    _LMS_MARKDOWN.reset()
    body = _LMS_MARKDOWN.convert(text)
    if not math_spans:
        body = re.sub(r'<span class="arithmatex">(.*?)</span>', r"\1", body, flags=re.DOTALL)
        body = re.sub(r'<div class="arithmatex">(.*?)</div>', r"<p>\1</p>", body, flags=re.DOTALL)
    paragraphs = re.findall(r"<p>", body)
    if len(paragraphs) == 1 and body.startswith("<p>") and body.endswith("</p>"):
        body = body[3:-4]
    return body.strip()
