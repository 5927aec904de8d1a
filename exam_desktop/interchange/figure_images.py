"""Figures for formats that hold images but not our figure specs (Moodle XML, QTI): drawn as PNG.

A figure token in a question's text becomes an `<img>` of the figure drawn by `core.page.drawing`; the
PNG goes into the exported file. Imported back, it is an image next to the bank, no longer an
editable figure — exporters say so in their report.
"""

from __future__ import annotations

import html
import re

from exam_desktop.core.model import FIGURE_TOKEN_RE, Figure, Question
from exam_desktop.core.page.drawing import render_png
from exam_desktop.core.page.figures import figure_id

_drawn: dict[str, bytes] = {}  # PNG by figure hash: seed banks repeat figures across exports


def figure_png(figure: Figure) -> bytes:
    key = figure_id(figure)
    if key not in _drawn:
        _drawn[key] = render_png(figure, dpi=100)
    return _drawn[key]


def figure_file_name(question: Question, index: int) -> str:
    return f"figure-{question.id}-{index + 1}.png"


def has_figures(text: str) -> bool:
    return bool(FIGURE_TOKEN_RE.search(text))


def replace_figures(html_text: str, question: Question, src_prefix: str, files: dict[str, bytes]) -> str:
    """HTML with each figure token replaced by an `<img>` (`src_prefix` + file name); the PNGs are
    added to `files` under their file names. Tokens naming no figure become "[Figure N]"."""

    def image(m: re.Match[str]) -> str:
        index = int(m.group(1))
        if index >= len(question.figures):
            return f"[Figure {index + 1}]"
        name = figure_file_name(question, index)
        files[name] = figure_png(question.figures[index])
        src = html.escape(src_prefix + name, quote=True)
        return f'<img src="{src}" alt="Figure {index + 1}"/>'

    return FIGURE_TOKEN_RE.sub(image, html_text)
