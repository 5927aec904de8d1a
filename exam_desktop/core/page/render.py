"""Bank Markdown to safe HTML for the candidate page: LaTeX kept intact, code highlighted, sanitised.

Python-Markdown with `pymdownx.arithmatex` (generic mode) leaves math for MathJax as
``<span class="arithmatex">\\(..\\)</span>`` and ``<div class="arithmatex">\\[..\\]</div>`` (display
math written inside a paragraph becomes ``<span class="arithmatex">\\[..\\]</span>``); code
blocks are highlighted by pygments with CSS classes (their stylesheet: code_style.py). The HTML is then cleaned
with nh3 against an allow-list: scripts, event handlers, inline styles and every URL that is not the
app's own ``exam:`` scheme or a ``#fragment`` are dropped, so nothing written in a bank runs or is
fetched.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from xml.etree import ElementTree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString
from pymdownx.arithmatex import ArithmatexExtension
from pymdownx.highlight import HighlightExtension
from pymdownx.superfences import SuperFencesCodeExtension

from exam_desktop.core.model import FIGURE_TOKEN_RE
from exam_desktop.core.page.code_style import CODE_CLASS

FigureUrl = Callable[[int], "str | None"]
ImageUrl = Callable[[str], "str | None"]

APP_SCHEME = "exam"


class _DisplayMathInParagraph(InlineProcessor):
    """``$$..$$`` or ``\\[..\\]`` inside a paragraph (arithmatex only sees them as whole blocks)."""

    PATTERN = r"(?<!\\)\$\$((?:\\.|[^\\$])+?)\$\$|(?<!\\)\\\[((?:\\[^\]]|[^\\])+?)\\\]"

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[object, int, int]:
        element = ElementTree.Element("span", {"class": "arithmatex"})
        element.text = AtomicString("\\[" + (m.group(1) or m.group(2)) + "\\]")
        return element, m.start(0), m.end(0)


class _Markdown(markdown.Markdown):
    """Python-Markdown with SuperFences' request for `pymdownx.highlight` by name answered directly:
    a name would be looked up in every installed package's entry points (~15 ms per process)."""

    def build_extension(self, ext_name: str, configs: Mapping[str, Any]) -> Extension:
        if ext_name == "pymdownx.highlight":
            return HighlightExtension(**configs)
        return super().build_extension(ext_name, configs)


class _DisplayMathExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After code spans (190), before arithmatex's inline math (189.9) and backslash escapes.
        md.inlinePatterns.register(
            _DisplayMathInParagraph(_DisplayMathInParagraph.PATTERN, md),
            "display-math-inline",
            189.95,
        )


ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "s",
    "del",
    "ins",
    "mark",
    "small",
    "sub",
    "sup",
    "code",
    "pre",
    "kbd",
    "samp",
    "var",
    "abbr",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "caption",
    "colgroup",
    "col",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "span",
    "div",
    "img",
    "a",
    "figure",
    "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}

_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")

_local = threading.local()


def _markdown() -> markdown.Markdown:
    """One converter per thread, reset before each use.

    The extensions are given as objects, imported with this module, not as names that the first
    conversion would look up and import (~30 ms more while the exam page loads).
    """
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = _Markdown(
            extensions=[
                TableExtension(),
                SaneListExtension(),
                SuperFencesCodeExtension(),
                HighlightExtension(use_pygments=True, css_class=CODE_CLASS, guess_lang=False),
                ArithmatexExtension(generic=True),
                _DisplayMathExtension(),
            ]
        )
    md.reset()
    return md


def without_paragraph(html_text: str) -> str:
    """A short text's HTML (a prompt, an item) without its one enclosing paragraph, if it has one."""
    body = html_text.strip()
    if body.startswith("<p>") and body.endswith("</p>") and body.count("<p>") == 1:
        body = body[3:-4]
    return body


def is_app_url(url: str) -> bool:
    """True for the app's own content URLs (``exam:...``), the only ones a page may load."""
    return url.strip().lower().startswith(APP_SCHEME + ":")


def render_markdown(
    text: str,
    *,
    figure_url: FigureUrl | None = None,
    image_url: ImageUrl | None = None,
    figure_alt: Callable[[int], str] | None = None,
) -> str:
    """Markdown + LaTeX of a stem, option or explanation as sanitised HTML.

    `figure_url(n)` gives the ``exam:`` URL of the question's figure n (token ``@@figure:n@@``);
    without it (or when it returns None) the token becomes the text "[Figure n]".
    `image_url(src)` maps a bank image path to an ``exam:`` URL, or None to drop the image.
    `figure_alt(n)` gives figure n's text alternative (core/page/figure_text.py); "Figure n" without it.
    """
    body = _markdown().convert(text)
    body = FIGURE_TOKEN_RE.sub(lambda m: _figure_img(int(m.group(1)), figure_url, figure_alt), body)
    return _sanitise(body, image_url)


def _figure_img(index: int, figure_url: FigureUrl | None, figure_alt: Callable[[int], str] | None) -> str:
    url = figure_url(index) if figure_url else None
    label = f"Figure {index + 1}"
    if not url or not is_app_url(url):
        return f"[{label}]"
    alt = html.escape(figure_alt(index) if figure_alt else label, quote=True)
    return f'<img class="figure" alt="{alt}" src="{html.escape(url, quote=True)}">'


def _sanitise(body: str, image_url: ImageUrl | None) -> str:
    def keep_attribute(tag: str, attr: str, value: str) -> str | None:
        if attr == "href":
            return value if value.startswith("#") or is_app_url(value) else None
        if attr == "src":
            if is_app_url(value):
                return value
            if image_url is None or _SCHEME_RE.match(value) or value.startswith(("//", "\\")):
                return None
            mapped = image_url(value)
            return mapped if mapped and is_app_url(mapped) else None
        return value

    cleaner = nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=keep_attribute,
        url_schemes={APP_SCHEME},
        url_relative=lambda url: url if url.startswith("#") else None,
        strip_comments=True,
    )
    return cleaner.clean(body)
