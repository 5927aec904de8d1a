"""An imported bank opens in the candidate window with its math typeset by MathJax.

MathML from a QTI item (converted to TeX), escaped LaTeX from GIFT and display math from Moodle XML
are all shown as formulas, not as source text.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from exam_desktop.core.bank import parse_bank, write_bank
from exam_desktop.core.model import Exam
from exam_desktop.interchange import import_data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gui"))
from pagetools import close_window, go, js, open_window

pytestmark = pytest.mark.gui

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange"
GIFT = r"""::Braces::Which set is \\(\\\{x \: x^2 \= 1\\\}\\)? {
    =\\(\\\{-1, 1\\\}\\)
    ~\\(\\\{1\\\}\\)
}
"""


def imported_exam() -> Exam:
    parts = [
        import_data((DATA / "qti" / "choice-mathml.xml").read_bytes(), "choice.xml").exam,
        import_data(GIFT.encode(), "sets.gift").exam,
        import_data((DATA / "moodle-sample.xml").read_bytes(), DATA / "moodle-sample.xml").exam,
    ]
    exam = parts[0]
    for other in parts[1:]:
        exam.sections[0].questions += [q for q in other.questions if q.kind in ("single", "essay")]
    return parse_bank(write_bank(exam), "imported.md")  # exactly what `exam-desktop import` writes


@pytest.fixture(scope="module")
def window(tmp_path_factory, qapp):
    w = open_window(imported_exam(), tmp_path_factory.mktemp("imported") / "answers.sqlite")
    yield w
    close_window(w)


def typeset(window) -> int:
    return js(window, "return document.querySelectorAll('mjx-container').length")


def test_mathml_from_qti_is_typeset(qtbot, window) -> None:
    go(qtbot, window, "derivative")
    assert typeset(window) == 4  # x^2 in the stem and the three options' formulas
    assert "\\(" not in js(window, "return document.body.innerText")


def test_escaped_latex_from_gift_is_typeset(qtbot, window) -> None:
    go(qtbot, window, "q1")
    assert typeset(window) == 3  # the set in the stem and in both options
    assert "\\{" not in js(window, "return document.body.innerText")
    assert window.last_math_errors == []
