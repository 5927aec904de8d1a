"""An essay with the grader's highlighted passages and their comments, as HTML.

A passage is `text[start:end]` of what the candidate typed. The essay is shown as the exam showed
it (escaped text, the candidate's math marked for MathJax); every plain run carries its offset in
`data-at` and every formula its offset and length, so the grading page can turn a selection back
into offsets of the typed text (a selection inside a formula takes the whole formula).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from exam_desktop.core.page.answer_view import _TYPED_MATH, escaped
from exam_desktop.grading.db import Annotation


def annotated_essay_html(text: str, notes: Sequence[Annotation], *, numbered: bool = True) -> str:
    """The essay with each note's passage in a `<mark>`, followed by its number when `numbered`."""
    pieces: list[tuple[int, int, str | None]] = []  # (start, end, display math or inline) segments
    last = 0
    for match in _TYPED_MATH.finditer(text):
        if match.start() > last:
            pieces.append((last, match.start(), None))
        display = match.group("d1") or match.group("d2")
        if display is not None:
            pieces.append((match.start(), match.end(), f"\\[{display}\\]"))
        else:
            pieces.append((match.start(), match.end(), f"\\({match.group('i1') or match.group('i2')}\\)"))
        last = match.end()
    if last < len(text):
        pieces.append((last, len(text), None))
    ordered = sorted(notes, key=lambda n: (n.start, n.id))
    number = {n.id: i for i, n in enumerate(ordered, start=1)}
    cuts = sorted({0, len(text), *(n.start for n in ordered), *(n.end for n in ordered)})
    out = []
    for start, end, math in pieces:
        if math is not None:
            out.append(_marked(start, end, _math_span(start, end, math), ordered, number, numbered))
            continue
        bounds = [start, *(c for c in cuts if start < c < end), end]
        for a, b in itertools.pairwise(bounds):
            span = f'<span data-at="{a}">{escaped(text[a:b])}</span>'
            out.append(_marked(a, b, span, ordered, number, numbered))
    return "".join(out)


def _math_span(start: int, end: int, tex: str) -> str:
    return f'<span class="arithmatex" data-at="{start}" data-len="{end - start}">{escaped(tex)}</span>'


def _marked(
    start: int,
    end: int,
    inner: str,
    notes: Sequence[Annotation],
    number: dict[int, int],
    numbered: bool,
) -> str:
    covering = [n for n in notes if n.start <= start and end <= n.end and start < end]
    if not covering:
        return inner
    ids = " ".join(str(number[n.id]) for n in covering)
    html = f'<mark class="note" data-notes="{ids}">{inner}</mark>'
    ending = [n for n in covering if n.end == end]
    if numbered and ending:
        html += "".join(f'<sup class="note-number">{number[n.id]}</sup>' for n in ending)
    return html


def notes_list_html(notes: Sequence[Annotation], heading: str) -> str:
    """The numbered comments under the essay."""
    if not notes:
        return ""
    ordered = sorted(notes, key=lambda n: (n.start, n.id))
    items = "".join(f"<li><q>{escaped(n.quote)}</q> — {escaped(n.comment)}</li>" for n in ordered)
    return f'<h3>{escaped(heading)}</h3><ol class="notes">{items}</ol>'
