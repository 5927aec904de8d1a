"""Figures drawn from bank specs: valid SVG with the figure's text, deterministic, cached on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import (
    Box,
    GridFigure,
    IoUFigure,
    MatrixFigure,
    Window,
    to_dict,
)
from exam_desktop.core.page import drawing as figures
from exam_desktop.core.page.drawing import figure_file, render_png, render_svg

SVG = "{http://www.w3.org/2000/svg}"

IOU = IoUFigure(
    10,
    8,
    [Box("Ground truth", 1, 1, 5, 4, "blue"), Box("Prediction", 3, 2, 5, 4, "green")],
    caption="Blue is the ground truth, green the prediction.",
)
POOLING = GridFigure(
    [row.split() for row in ("2 1 3 5", "8 1 0 2", "4 7 3 1", "4 3 0 9")],
    highlights=[Window(0, 0, 2, 2, "orange")],
)
MATRIX = MatrixFigure([row.split() for row in ("1 -2 3", "3 2 -4", "-1 0 12")], name="x")
CHOICE = GridFigure([["8", "5"], ["7", "9"]])


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # also proves the document is well-formed XML
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def png_width(png: bytes) -> int:
    return int.from_bytes(png[16:20], "big")  # from the IHDR chunk


def svg_width_inches(svg: str) -> float:
    width = ET.fromstring(svg).get("width")
    assert width and width.endswith("pt")
    return float(width[:-2]) / 72


def test_iou_figure_shows_labels_caption_and_integer_ticks():
    texts = svg_texts(render_svg(IOU))
    assert "Ground truth" in texts and "Prediction" in texts
    assert any("Blue is the ground truth" in t for t in texts)
    assert [str(n) for n in range(11)] == [t for t in texts if t.isdigit()][:11]


def test_iou_boxes_are_drawn_in_their_colours():
    svg = render_svg(IOU)
    assert figures.PALETTE["blue"] in svg and figures.PALETTE["green"] in svg


def test_grid_shows_every_number_and_the_highlight():
    svg = render_svg(POOLING)
    texts = svg_texts(svg)
    assert sorted(texts) == sorted(n for row in POOLING.cells for n in row)
    assert figures.PALETTE["orange"] in svg


def test_matrix_shows_name_and_entries_with_real_minus_signs():
    texts = svg_texts(render_svg(MATRIX))
    assert "x =" in texts
    assert {"1", "\u22122", "3", "\u22124", "\u22121", "12"} <= set(texts)


def test_figures_are_sized_for_the_page():
    assert 2.0 <= svg_width_inches(render_svg(POOLING)) <= 2.5
    assert 0.9 <= svg_width_inches(render_svg(CHOICE)) <= 1.3
    assert svg_width_inches(render_svg(IOU)) <= 5.0


def test_dollar_signs_in_text_are_shown_not_read_as_math():
    texts = svg_texts(render_svg(GridFigure([["$5", "$6"]])))
    assert texts == ["$5", "$6"]


def test_same_spec_gives_identical_svg_in_another_process():
    code = (
        "import json, sys;"
        "from exam_desktop.core.model import Figure, from_dict;"
        "from exam_desktop.core.page.drawing import render_svg;"
        "sys.stdout.write(render_svg(from_dict(Figure, json.loads(sys.argv[1]))))"
    )
    spec = json.dumps(to_dict(IOU))
    other = subprocess.run(
        [sys.executable, "-c", code, spec], capture_output=True, text=True, check=True
    ).stdout
    assert other == render_svg(IOU)
    assert "<dc:date>" not in other


def test_png_is_a_png_at_the_requested_resolution():
    small, large = render_png(CHOICE, dpi=100), render_png(CHOICE, dpi=200)
    assert small.startswith(b"\x89PNG\r\n\x1a\n") and large.startswith(b"\x89PNG\r\n\x1a\n")
    assert 1.8 <= png_width(large) / png_width(small) <= 2.2


def test_cache_hit_returns_the_same_file_without_redrawing(tmp_path):
    first = figure_file(POOLING, tmp_path)
    os.utime(first, (1_000_000, 1_000_000))
    again = figure_file(POOLING, tmp_path)
    assert again == first
    assert again.stat().st_mtime == 1_000_000
    assert again.read_text(encoding="utf-8") == render_svg(POOLING)


def test_different_spec_gets_a_different_file(tmp_path):
    changed = GridFigure(POOLING.cells, highlights=[Window(2, 2, 2, 2, "orange")])
    assert figure_file(POOLING, tmp_path) != figure_file(changed, tmp_path)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [
        ".svg",
        ".svg",
    ]  # no temp files left


def test_default_cache_is_under_the_app_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = figure_file(MATRIX)
    assert path.parent == tmp_path / "exam-desktop" / "figures"
    assert path.name == f"{figures.cache_name(MATRIX)}.svg"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (GridFigure([["1", "2"], ["3"]]), "same number of cells"),
        (GridFigure([]), "at least one row"),
        (
            IoUFigure(4, 4, [Box("A", 0, 0, 1, 1, "blurple"), Box("B", 1, 1, 1, 1)]),
            "Unknown figure colour",
        ),
    ],
)
def test_undrawable_specs_raise_a_clear_known_error(spec, words):
    with pytest.raises(KnownError, match=words):
        render_svg(spec)


def test_drawing_figures_never_loads_pyplot():
    code = (
        "import sys, exam_desktop.core.page.drawing as f;"
        "f.render_svg(f.GridFigure([['1']]));"
        "print(sorted(m for m in ('matplotlib.pyplot',) if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unwritable_cache_still_gives_the_candidate_the_figure(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    path = figure_file(POOLING, blocked / "figures")
    assert path.read_text(encoding="utf-8") == render_svg(POOLING)
    assert blocked not in path.parents
