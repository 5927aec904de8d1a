"""A text description of every drawn figure, generated from its spec (matplotlib-free).

A screen reader announces an image by its text alternative; "Figure 3" does not let a candidate answer
a max-pooling or an IoU question. The description says what the drawing shows, value by value: the
cells of a grid row by row and its highlighted windows, the boxes of an IoU figure with their corners
and where they overlap, the entries of a matrix. The author's caption follows it. Numbers are written
as the author wrote them; coordinates in the exam's number format.
"""

from __future__ import annotations

from exam_desktop.core.model import Figure, GridFigure, IoUFigure, MatrixFigure
from exam_desktop.core.numbers import format_number
from exam_desktop.core.page.strings import fill


def describe_figure(figure: Figure, strings: dict[str, str], language: str = "en") -> str:
    """One paragraph describing `figure` in the interface language of `strings`."""
    if isinstance(figure, GridFigure):
        text = _grid(figure, strings)
    elif isinstance(figure, IoUFigure):
        text = _boxes(figure, strings, language)
    elif isinstance(figure, MatrixFigure):
        text = _matrix(figure, strings)
    else:  # pragma: no cover - every figure kind is handled above
        raise TypeError(type(figure).__name__)
    caption = figure.caption.strip()
    return f"{text} {caption}" if caption else text


def _rows(cells: list[list[str]], strings: dict[str, str]) -> str:
    return " ".join(
        fill(strings["figure_row"], n=i, values=", ".join(row)) for i, row in enumerate(cells, start=1)
    )


def _grid(figure: GridFigure, strings: dict[str, str]) -> str:
    rows, cols = len(figure.cells), len(figure.cells[0]) if figure.cells else 0
    parts = [fill(strings["figure_grid"], rows=rows, cols=cols), _rows(figure.cells, strings)]
    for w in figure.highlights:
        parts.append(
            fill(
                strings["figure_highlight"],
                rows=_span(w.row + 1, w.rows, strings),
                cols=_span(w.col + 1, w.cols, strings),
                color=w.color,
            )
        )
    return " ".join(parts)


def _span(first: int, count: int, strings: dict[str, str]) -> str:
    return str(first) if count == 1 else fill(strings["figure_span"], first=first, last=first + count - 1)


def _boxes(figure: IoUFigure, strings: dict[str, str], language: str) -> str:
    def n(value: float) -> str:
        return format_number(value, language)

    parts = [fill(strings["figure_boxes"], width=figure.grid_width, height=figure.grid_height)]
    for b in figure.boxes:
        parts.append(
            fill(
                strings["figure_box"],
                label=b.label,
                color=b.color,
                x1=n(b.x),
                y1=n(b.y),
                x2=n(b.x + b.width),
                y2=n(b.y + b.height),
                width=n(b.width),
                height=n(b.height),
            )
        )
    for i, a in enumerate(figure.boxes):
        for b in figure.boxes[i + 1 :]:
            left, top = max(a.x, b.x), max(a.y, b.y)
            right, bottom = min(a.x + a.width, b.x + b.width), min(a.y + a.height, b.y + b.height)
            if right > left and bottom > top:
                parts.append(
                    fill(
                        strings["figure_overlap"],
                        a=a.label,
                        b=b.label,
                        x1=n(left),
                        y1=n(top),
                        x2=n(right),
                        y2=n(bottom),
                        width=n(right - left),
                        height=n(bottom - top),
                    )
                )
            else:
                parts.append(fill(strings["figure_no_overlap"], a=a.label, b=b.label))
    return " ".join(parts)


def _matrix(figure: MatrixFigure, strings: dict[str, str]) -> str:
    rows, cols = len(figure.cells), len(figure.cells[0]) if figure.cells else 0
    head = fill(strings["figure_matrix"], rows=rows, cols=cols)
    if figure.name:
        head = fill(strings["figure_matrix_named"], name=figure.name, rows=rows, cols=cols)
    return f"{head} {_rows(figure.cells, strings)}"
