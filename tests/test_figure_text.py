"""Figure descriptions for screen readers (core/page/figure_text.py), from the figure specs."""

from __future__ import annotations

import re

import pytest
from conftest import BANKS

from exam_desktop.core.bank import load_bank
from exam_desktop.core.model import Box, GridFigure, IoUFigure, MatrixFigure, Window
from exam_desktop.core.page.figure_text import describe_figure
from exam_desktop.core.page.strings import strings_for

EN, IT = strings_for("en"), strings_for("it")


def test_a_grid_is_read_row_by_row_with_its_windows():
    figure = GridFigure(
        [["2", "1", "3", "5"], ["8", "1", "0", "2"]], [Window(0, 2, 2, 2, "orange")], "Input."
    )
    assert describe_figure(figure, EN) == (
        "Grid of 2 rows and 4 columns. Row 1: 2, 1, 3, 5. Row 2: 8, 1, 0, 2. "
        "Highlighted in orange: rows 1 to 2, columns 3 to 4. Input."
    )


def test_boxes_give_their_corners_and_their_overlap():
    figure = IoUFigure(12, 8, [Box("Ground truth", 1, 2, 6, 4), Box("Prediction", 4, 2, 6, 4, "green")])
    text = describe_figure(figure, EN)
    assert "Box “Ground truth” (blue) from x 1, y 2 to x 7, y 6: 6 wide, 4 high." in text
    assert "Box “Prediction” (green) from x 4, y 2 to x 10, y 6" in text
    assert "“Ground truth” and “Prediction” overlap from x 4, y 2 to x 7, y 6: 3 wide, 4 high." in text


def test_boxes_apart_are_said_not_to_overlap_in_italian_with_decimal_commas():
    figure = IoUFigure(10, 10, [Box("A", 0, 0, 2.5, 2), Box("B", 5, 5, 2, 2)])
    text = describe_figure(figure, IT, "it")
    assert "largo 2,5" in text and "«A» e «B» non si sovrappongono." in text


def test_a_matrix_names_itself_and_its_entries():
    figure = MatrixFigure([["1", "-2"], ["3", "4"]], name="x")
    assert describe_figure(figure, EN) == "Matrix x of 2 rows and 2 columns. Row 1: 1, -2. Row 2: 3, 4."


@pytest.mark.parametrize("question", load_bank(BANKS / "dl-assessment.md").questions, ids=lambda q: q.id)
def test_every_figure_of_the_assessment_says_its_numbers(question):
    for figure in question.figures:
        text = describe_figure(figure, EN)
        if isinstance(figure, (GridFigure, MatrixFigure)):
            numbers = [cell for row in figure.cells for cell in row]
        else:
            numbers = [f"{v:g}" for b in figure.boxes for v in (b.x, b.y, b.x + b.width, b.y + b.height)]
        said = re.findall(r"-?\d+(?:\.\d+)?", text)
        assert all(n in said for n in numbers), (numbers, text)
