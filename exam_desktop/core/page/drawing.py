"""Drawing the bank's figure specs (IoU boxes, number grids, matrices) with matplotlib.

Figures are drawn on `matplotlib.figure.Figure` objects (never pyplot, which keeps global state)
and saved as SVG for the candidate window: text stays text, so it is crisp at any zoom, and the
output is byte-for-byte the same for the same spec, which lets `figure_file` cache it on disk.
PNG output is for previews. Text in figures is shown literally (a `$` is a dollar sign).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import io
import os
import shutil
import tempfile
import textwrap
import threading
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.colors
import matplotlib.style
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from exam_desktop.core.canonical import canonical_json
from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import (
    Box,
    Figure,
    GridFigure,
    IoUFigure,
    MatrixFigure,
)
from exam_desktop.core.page.figures import figure_id

# Bump when drawing changes, so cached files of older drawings are not reused.
RENDERER_VERSION = f"figures-2/matplotlib-{matplotlib.__version__}"

# Colour names authors write in banks, mapped to a calm, colour-blind-friendlier palette.
# Any other matplotlib colour (a name or #rrggbb) is accepted as is.
PALETTE: dict[str, str] = {
    "blue": "#1f6fc5",
    "green": "#2a9d3c",
    "orange": "#f28e1c",
    "red": "#d62828",
    "purple": "#8e44ad",
    "brown": "#8c564b",
    "pink": "#e377c2",
    "grey": "#7f7f7f",
    "gray": "#7f7f7f",
    "yellow": "#e6c229",
    "cyan": "#17becf",
    "black": "#222222",
}

_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",  # text as <text>: crisp, searchable, small
    "svg.hashsalt": "exam-desktop",  # stable ids in the SVG, so the same spec gives the same bytes
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.linewidth": 0.8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}
_METADATA = {"Date": None, "Creator": None}  # nothing that changes from run to run
_PAD_INCHES = 0.06

# rcParams are process-wide; one figure is saved at a time so a background thread drawing a
# figure never sees another one's settings.
_RENDER_LOCK = threading.Lock()

# Sizes, in inches.
_IOU_CELL = 0.36
_IOU_MAX_WIDTH = 4.8
_GRID_CELL = 0.55  # a 4x4 grid is ~2.2 in wide, a 2x2 choice ~1.1 in
_GRID_MAX_WIDTH = 4.4
_MATRIX_ROW = 0.3
_MATRIX_FONT = 11


class FigureNotDrawable(KnownError):
    """A figure spec that cannot be drawn (no cells, rows of different lengths, unknown colour)."""


def render_svg(fig: Figure) -> str:
    """The figure as a standalone SVG document (deterministic for the same spec)."""
    return _save(fig, "svg").decode("utf-8")


def render_png(fig: Figure, dpi: int = 200) -> bytes:
    """The figure as PNG bytes at `dpi`, on a white background (for previews)."""
    return _save(fig, "png", dpi=dpi)


def cache_name(fig: Figure) -> str:
    """The drawn file's name in the cache: the figure's id and the renderer version."""
    key = canonical_json({"renderer": RENDERER_VERSION, "figure": figure_id(fig)})
    return hashlib.sha256(key).hexdigest()


def figure_file(fig: Figure, cache_dir: Path | None = None) -> Path:
    """The figure's SVG file, drawn once and then reused from the cache folder.

    The file is named `<cache_name>.svg` and written atomically, so a reader never sees half a file.
    If the cache folder cannot be written (a full or read-only home), the figure goes to a private
    temporary folder of this process instead: a candidate still sees it.
    """
    from exam_desktop import paths

    folder = Path(cache_dir) if cache_dir is not None else paths.cache_dir() / "figures"
    path = folder / f"{cache_name(fig)}.svg"
    if path.is_file():
        return path
    svg = render_svg(fig)
    try:
        return _write_atomically(path, svg)
    except OSError as exc:
        problem = f"{folder} ({exc.strerror or exc})"
    try:
        return _write_atomically(_private_fallback_dir() / path.name, svg)
    except OSError as exc:
        raise FigureNotDrawable(
            f"Cannot save a drawn figure in {problem} nor in a temporary folder "
            f"({exc.strerror or exc}): free some disk space or fix the folder's permissions."
        ) from None


@functools.cache
def _private_fallback_dir() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="exam-desktop-figures-"))  # mode 0700, unique
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _write_atomically(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".figure-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------------------------
# Drawing


def _save(fig: Figure, fmt: str, dpi: int = 100) -> bytes:
    with _RENDER_LOCK, matplotlib.style.context(["default", _STYLE]):
        drawing = _draw(fig)
        buffer = io.BytesIO()
        drawing.savefig(
            buffer,
            format=fmt,
            dpi=dpi,
            metadata=_METADATA if fmt == "svg" else None,
            bbox_inches="tight",
            pad_inches=_PAD_INCHES,
            facecolor="white",
        )
    return buffer.getvalue()


def _draw(fig: Figure) -> MplFigure:
    if isinstance(fig, IoUFigure):
        return _draw_iou(fig)
    if isinstance(fig, GridFigure):
        return _draw_grid(fig)
    if isinstance(fig, MatrixFigure):
        return _draw_matrix(fig)
    raise FigureNotDrawable(f"Unknown figure kind {type(fig).__name__}: use iou, grid or matrix.")


def _draw_iou(spec: IoUFigure) -> MplFigure:
    width, height = spec.grid_width, spec.grid_height
    if width < 1 or height < 1:
        raise FigureNotDrawable(
            f"An IoU figure needs a grid of at least 1 x 1 cells, not {width} x {height}."
        )
    cell = min(_IOU_CELL, _IOU_MAX_WIDTH / width)
    fig, ax = _canvas(width * cell, height * cell)
    ax.set_xlim(0, width)
    # Top-left origin: y grows downward, as in the spec and in images.
    ax.set_ylim(height, 0)
    ax.set_xticks(range(width + 1))
    ax.set_yticks(range(height + 1))
    ax.xaxis.tick_top()
    ax.tick_params(length=2, pad=2, colors="#555555")
    ax.grid(True, color="#d9d9d9", linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ax.spines.values():
        spine.set_color("#999999")
    # Fills under labels under outlines: a label never hides where a box ends.
    for box in spec.boxes:
        colour = _colour(box.color)
        fill = matplotlib.colors.to_rgba(colour, 0.12)
        rect = (box.x, box.y), box.width, box.height
        ax.add_patch(Rectangle(*rect, facecolor=fill, edgecolor="none", zorder=2))
        ax.add_patch(Rectangle(*rect, facecolor="none", edgecolor=colour, linewidth=2.2, zorder=4))
    font = 9 if cell >= 0.3 else 8 if cell >= 0.24 else 7
    taken: list[_Area] = []
    for box in spec.boxes:
        others = [b for b in spec.boxes if b is not box]
        size = _text_width(box.label, font) / cell, font / 72 / cell
        x, y, va = _place_label(box, size, others, (width, height), taken)
        ax.text(
            x,
            y,
            _literal(box.label),
            color=_colour(box.color),
            fontsize=font,
            fontweight="bold",
            ha="left",
            va=va,
            zorder=3,
        )
    _caption(fig, ax, spec.caption, width * cell)
    return fig


_Area = tuple[float, float, float, float]  # left, top, right, bottom in grid units


def _place_label(
    box: Box,
    size: tuple[float, float],
    others: list[Box],
    grid: tuple[int, int],
    taken: list[_Area],
) -> tuple[float, float, str]:
    """Where a box's label goes (grid units): inside its top-left corner, else its bottom-left
    corner, else above or below the box; the first spot that stays in the grid and crosses no
    other label and no other box's outline."""
    pad = 0.15
    width, height = size
    inside = width + 2 * pad <= box.width and height + 2 * pad <= box.height
    spots = [
        *([(box.x + pad, box.y + pad, "top")] if inside else []),
        *([(box.x + pad, box.y + box.height - pad, "bottom")] if inside else []),
        (box.x, box.y - pad, "bottom"),
        (box.x, box.y + box.height + pad, "top"),
    ]
    edges = [edge for other in others for edge in _outline(other)]
    chosen = None
    for x, y, va in spots:
        top = y if va == "top" else y - height
        area = (x, top, x + width, top + height)
        in_grid = area[0] >= 0 and area[1] >= 0 and area[2] <= grid[0] and area[3] <= grid[1]
        if in_grid and not any(_overlaps(area, other) for other in taken + edges):
            chosen = (x, y, va), area
            break
    if chosen is None:  # crowded: the first spot, legible even if a line crosses it
        x, y, va = spots[0]
        top = y if va == "top" else y - height
        chosen = spots[0], (x, top, x + width, top + height)
    taken.append(chosen[1])
    return chosen[0]


def _outline(box: Box) -> list[_Area]:
    """The four edges of a box as thin areas."""
    x0, y0, x1, y1 = box.x, box.y, box.x + box.width, box.y + box.height
    e = 0.05
    return [
        (x0 - e, y0 - e, x1 + e, y0 + e),
        (x0 - e, y1 - e, x1 + e, y1 + e),
        (x0 - e, y0 - e, x0 + e, y1 + e),
        (x1 - e, y0 - e, x1 + e, y1 + e),
    ]


def _overlaps(a: _Area, b: _Area) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _text_width(text: str, font_pt: float) -> float:
    """An estimate of the width of bold sans-serif text, in inches."""
    return len(text) * font_pt * 0.64 / 72


def _draw_grid(spec: GridFigure) -> MplFigure:
    rows, cols = _shape(spec.cells, "grid")
    cell = min(_GRID_CELL, _GRID_MAX_WIDTH / cols)
    fig, ax = _canvas(cols * cell, rows * cell)
    ax.set_axis_off()
    pad = 0.06
    ax.set_xlim(-pad, cols + pad)
    ax.set_ylim(rows + pad, -pad)
    longest = max(len(text) for row in spec.cells for text in row)
    font = _fit_font(cell, longest, largest=12)
    for window in spec.highlights:
        colour = _colour(window.color)
        ax.add_patch(
            Rectangle(
                (window.col, window.row),
                window.cols,
                window.rows,
                facecolor=matplotlib.colors.to_rgba(colour, 0.35),
                edgecolor="none",
                zorder=1,
            )
        )
    for r in range(rows + 1):
        ax.add_line(Line2D([0, cols], [r, r], color="#333333", linewidth=0.9, zorder=2))
    for c in range(cols + 1):
        ax.add_line(Line2D([c, c], [0, rows], color="#333333", linewidth=0.9, zorder=2))
    for window in spec.highlights:
        ax.add_patch(
            Rectangle(
                (window.col, window.row),
                window.cols,
                window.rows,
                facecolor="none",
                edgecolor=_colour(window.color),
                linewidth=2.6,
                zorder=3,
            )
        )
    for r, row in enumerate(spec.cells):
        for c, text in enumerate(row):
            ax.text(
                c + 0.5,
                r + 0.5,
                _number(text),
                fontsize=font,
                ha="center",
                va="center_baseline",
                zorder=4,
            )
    _caption(fig, ax, spec.caption, cols * cell)
    return fig


def _draw_matrix(spec: MatrixFigure) -> MplFigure:
    rows, cols = _shape(spec.cells, "matrix")
    longest = max(len(text) for row in spec.cells for text in row)
    column = 0.16 + 0.095 * longest  # inches per column at 11 pt
    row_height = _MATRIX_ROW
    fig, ax = _canvas(cols * column, rows * row_height)
    ax.set_axis_off()
    # Data units: one per column across, one per row down.
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_aspect("auto")
    for r, row in enumerate(spec.cells):
        for c, text in enumerate(row):
            ax.text(
                c + 0.5,
                r + 0.5,
                _number(text),
                fontsize=_MATRIX_FONT,
                ha="center",
                va="center_baseline",
            )
    top, bottom = 0.05, rows - 0.05
    margin = 0.08 / column  # between the brackets and the entries, in column units
    serif = 0.12 / column
    for side, x in (("left", -margin), ("right", cols + margin)):
        tip = x + serif if side == "left" else x - serif
        ax.add_line(
            Line2D(
                [tip, x, x, tip],
                [top, top, bottom, bottom],
                color="#222222",
                linewidth=1.3,
                solid_joinstyle="miter",
                clip_on=False,
            )
        )
    if spec.name:
        ax.text(
            -margin - 0.12 / column,
            rows / 2,
            f"{_literal(spec.name)} =",
            fontsize=_MATRIX_FONT,
            ha="right",
            va="center_baseline",
            style="italic",
        )
    _caption(fig, ax, spec.caption, cols * column)
    return fig


# --------------------------------------------------------------------------------------------
# Helpers


def _canvas(width: float, height: float) -> tuple[MplFigure, Axes]:
    """A figure whose single axes fill it exactly: one data unit maps to a fixed size in inches."""
    fig = MplFigure(figsize=(width, height))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_aspect("equal", adjustable="box")
    return fig, ax


def _caption(fig: MplFigure, ax: Axes, caption: str, width_in: float) -> None:
    if not caption:
        return
    chars = max(24, int(width_in * 15))
    text = "\n".join(textwrap.wrap(_literal(caption), chars))
    # Below the axes (and below bottom tick labels, of which figures here have none).
    ax.annotate(
        text,
        xy=(0.5, 0.0),
        xycoords="axes fraction",
        xytext=(0, -6),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=8.5,
        color="#444444",
    )


def _shape(cells: list[list[str]], kind: str) -> tuple[int, int]:
    if not cells or not cells[0]:
        raise FigureNotDrawable(f"A {kind} figure needs at least one row of cells.")
    cols = len(cells[0])
    for number, row in enumerate(cells, start=1):
        if len(row) != cols:
            raise FigureNotDrawable(
                f"Row {number} of the {kind} figure has {len(row)} cells but row 1 has {cols}: "
                "give every row the same number of cells."
            )
    return len(cells), cols


def _colour(name: str) -> str:
    key = name.strip().lower()
    if key in PALETTE:
        return PALETTE[key]
    if matplotlib.colors.is_color_like(key):
        return key
    raise FigureNotDrawable(
        f"Unknown figure colour {name!r}: use one of {', '.join(sorted(PALETTE))} or #rrggbb."
    )


def _fit_font(cell_in: float, longest: int, largest: float) -> float:
    """A font size (pt) at which `longest` characters fit in a cell `cell_in` inches wide."""
    by_height = cell_in * 72 * 0.42
    by_width = cell_in * 72 * 0.8 / (0.62 * max(longest, 1))
    return round(min(largest, by_height, by_width), 1)


def _literal(text: str) -> str:
    """Text shown as written: matplotlib would otherwise read `$...$` as math."""
    return text.replace("$", r"\$")


def _number(text: str) -> str:
    """A cell's text, with a typographic minus for negative numbers."""
    text = _literal(text)
    if text.startswith("-") and (text[1:2].isdigit() or text[1:2] == "."):
        return "\u2212" + text[1:]
    return text
