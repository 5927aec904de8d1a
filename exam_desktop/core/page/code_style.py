"""The colours of highlighted code: the pygments stylesheet for the classes `render` puts on code.

Apart from `render` so that a page can be given its stylesheet without loading Markdown (about
0.1 s of imports a candidate's page would otherwise wait for at start).
"""

from __future__ import annotations

from pygments.formatters.html import HtmlFormatter
from pygments.style import Style
from pygments.styles.default import DefaultStyle

CODE_CLASS = "highlight"  # the class of a highlighted code block (render.py's HighlightExtension)


def highlight_css(style: type[Style] = DefaultStyle, selector: str = "." + CODE_CLASS) -> str:
    """The pygments stylesheet matching the classes `render_markdown` puts on code blocks.

    The style is given as its class: looking it up by name scans every installed package's entry
    points for style plugins first (about 0.1 s)."""
    return HtmlFormatter(style=style).get_style_defs(selector)
