"""What screen readers and low-vision candidates get from the real exam page, read from its DOM.

What Chromium computes accessible names from is checked here: `alt` of images, `aria-label` and
`role` of formulas, live regions, landmarks, `inert` content behind a dialog, and colours as the
style sheets give them. tests/gui/test_atspi.py reads the same page the way a Linux screen reader
does, over AT-SPI (figures, the fraction, the "saved" announcement): Qt's AT-SPI bridge runs only
under xcb, so that test runs the window on Xvfb with a session D-Bus and an AT-SPI bus.
Also here: notes and struck options survive a SIGKILL of the candidate's process.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BANKS, REPO
from pagetools import TIMEOUT_MS, click, close_window, go, js, open_window, text_of, type_text
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from exam_desktop.core.bank import load_bank
from exam_desktop.core.model import GridFigure, MatrixFigure
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.saving import AnswerFileSaving
from exam_desktop.core.seat.timer import ExamClock
from exam_desktop.gui.exam_window import ExamWindow
from exam_desktop.gui.preview import wait_for

pytestmark = pytest.mark.gui

THEMES = ("default", "contrast", "dark", "cream", "yellow")


@pytest.fixture(scope="module")
def assessment(tmp_path_factory):
    exam = load_bank(BANKS / "dl-assessment.md")
    window = open_window(exam, tmp_path_factory.mktemp("access") / "answers.db")
    yield window
    close_window(window)


def test_every_figure_of_the_assessment_is_described_with_its_numbers(qtbot, assessment):
    exam = assessment.exam
    with_figures = [q for q in exam.questions if q.figures]
    assert len(with_figures) >= 2  # the IoU and the max-pooling questions
    for question in with_figures:
        go(qtbot, assessment, question.id)
        names = js(assessment, "return [...document.querySelectorAll('#view img.figure')].map((i) => i.alt)")
        assert len(names) == len(question.figures), question.id
        for index, (figure, name) in enumerate(zip(question.figures, names, strict=True)):
            assert name.startswith(f"Figure {index + 1}. "), name
            said = re.findall(r"-?\d+(?:\.\d+)?", name)
            if isinstance(figure, (GridFigure, MatrixFigure)):
                expected = [cell for row in figure.cells for cell in row]
                assert "Row 1: " + ", ".join(figure.cells[0]) + "." in name
            else:
                expected = [f"{v:g}" for b in figure.boxes for v in (b.x, b.y, b.x + b.width, b.y + b.height)]
                assert "overlap" in name
            assert all(n in said for n in expected), (question.id, name)


def test_a_fraction_is_read_as_a_fraction(qtbot, assessment):
    go(qtbot, assessment, "gradient-interpretation")
    formulas = js(
        assessment,
        "return [...document.querySelectorAll('#view .stem mjx-container')].map((m) => ["
        "m.getAttribute('role'), m.getAttribute('aria-label'),"
        "[...m.querySelectorAll('mjx-assistive-mml')].every((c) => c.getAttribute('aria-hidden') === 'true')])",
    )
    spoken = [label for role, label, hidden in formulas if role == "img" and hidden]
    assert len(spoken) == len(formulas)
    # ∂L/∂x: MathJax's speech rule engine, not a flat list of symbols
    assert any(
        "fraction" in label and "partial differential script L" in label and "partial differential x" in label
        for label in spoken
    ), spoken


def first_question_spoken(qtbot, window: ExamWindow) -> list[str | None]:
    """The spoken forms of the first question's formulas, once MathJax's speech has loaded."""
    qtbot.waitUntil(
        lambda: js(window, "return document.documentElement.dataset.mathSpeech || ''") == "ready",
        timeout=TIMEOUT_MS,
    )
    return js(
        window,
        "return [...document.querySelectorAll('#view .stem mjx-container')]"
        ".map((m) => m.getAttribute('role') === 'img' ? m.getAttribute('aria-label') : null)",
    )


@pytest.mark.parametrize(("language", "fraction"), [("en", "fraction"), ("it", "frazione")])
def test_the_first_question_is_spoken_too_once_speech_has_loaded(qtbot, tmp_path, language, fraction):
    """The first question is typeset before MathJax's speech loads (a faster start); its
    formulas are re-rendered with their spoken forms, in the exam's language, once it has."""
    exam = dataclasses.replace(load_bank(BANKS / "ml-engineers-test.md"), language=language)
    assert exam.questions[0].id == "gradient-interpretation"  # its stem holds the fraction dL/dx
    window = open_window(exam, tmp_path / "answers.db")
    try:
        labels = first_question_spoken(qtbot, window)
        assert labels
        assert all(labels), labels
        assert any(label and fraction in label for label in labels), labels
    finally:
        close_window(window)


def test_saved_is_announced_in_a_live_region(qtbot, assessment):
    go(qtbot, assessment, "iou")
    with qtbot.waitSignal(assessment.saved, timeout=TIMEOUT_MS):
        click(assessment, "#opt-1")
    region = js(
        assessment,
        "const s = document.querySelector('#save-state'); return [s.getAttribute('role'), s.getAttribute('aria-live'), s.textContent];",
    )
    assert region == ["status", "polite", assessment.strings["saved"]]
    assert js(assessment, "return document.querySelector('#banner').getAttribute('role')") == "alert"


def test_landmarks_headings_and_current_question(qtbot, assessment):
    go(qtbot, assessment, "iou")
    landmarks = js(
        assessment,
        "return ['header#topbar', 'nav#navigator', 'main#content', '[role=toolbar]#tools-bar']"
        ".map((s) => !!document.querySelector(s));",
    )
    assert landmarks == [True, True, True, True]
    assert js(assessment, "return [...document.querySelectorAll('#view h1')].map((h) => h.textContent)") == [
        "Intersection over Union"
    ]
    current = js(assessment, "return document.querySelector('.nav-question[aria-current=true]').dataset.id")
    assert current == "iou"


def test_the_submit_dialog_keeps_the_focus(qtbot, assessment):
    with qtbot.waitSignal(assessment.shown, timeout=TIMEOUT_MS, check_params_cb=lambda v, i: v == "review"):
        click(assessment, "#review")
    click(assessment, "#submit")
    assert js(assessment, "return document.activeElement.id") == "confirm-cancel"
    assessment.activateWindow()  # the keys go to this window's page, whatever else is open
    assessment.view.setFocus()
    target = assessment.view.focusProxy()
    where = "return document.activeElement.closest('#confirm') ? document.activeElement.id : 'outside'"
    seen = []
    for shift in (False, False, False, False, True, True):
        before = js(assessment, where)
        QTest.keyClick(
            target,
            Qt.Key.Key_Tab,
            Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier,
        )
        qtbot.waitUntil(
            lambda before=before: js(assessment, where) != before, timeout=TIMEOUT_MS
        )  # keys arrive later
        seen.append(js(assessment, where))
    # two buttons, the focus going round them both ways, never to the page behind
    assert seen == [
        "confirm-ok",
        "confirm-cancel",
        "confirm-ok",
        "confirm-cancel",
        "confirm-ok",
        "confirm-cancel",
    ]
    assert js(
        assessment,
        "return document.querySelector('#layout').inert && !!document.querySelector('#tools-bar').closest('[inert]')",
    )
    QTest.keyClick(target, Qt.Key.Key_Escape)
    qtbot.waitUntil(
        lambda: js(
            assessment,
            "return document.querySelector('#confirm').hidden && !document.querySelector('#layout').inert",
        ),
        timeout=TIMEOUT_MS,
    )
    assert not assessment.is_submitted


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    css = css.strip()
    if css.startswith("#"):
        return (int(css[1:3], 16), int(css[3:5], 16), int(css[5:7], 16))
    r, g, b = (int(float(x)) for x in re.findall(r"[\d.]+", css)[:3])
    return (r, g, b)


@pytest.mark.parametrize("theme", THEMES)
def test_focus_ring_and_borders_reach_three_to_one(qtbot, assessment, theme):
    go(qtbot, assessment, "iou")
    click(assessment, "#tool-display")
    click(assessment, f"#theme-{theme}-choice")
    click(assessment, "#display .panel-close")
    # the ring the candidate sees: Tab onto a control, read its outline as the page draws it
    assessment.activateWindow()
    assessment.view.setFocus()
    QTest.keyClick(assessment.view.focusProxy(), Qt.Key.Key_Tab)
    qtbot.waitUntil(
        lambda: js(assessment, "return document.activeElement.matches(':focus-visible')"), timeout=TIMEOUT_MS
    )
    ring = js(
        assessment,
        "const e = document.activeElement; const s = getComputedStyle(e);"
        "return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor];",
    )
    assert ring[1] == "solid" and ring[2] >= 2, ring
    colours = js(
        assessment,
        "const b = getComputedStyle(document.body); const v = (n) => b.getPropertyValue(n).trim();"
        "const input = getComputedStyle(document.querySelector('#view input'));"
        "const button = getComputedStyle(document.querySelector('#view .strike'));"
        "return {bg: v('--bg'), panel: v('--panel'), border: input.borderTopColor || v('--border'),"
        " button: button.borderTopColor, star: getComputedStyle(document.querySelector('.rating .star')).color, option: getComputedStyle(document.querySelector('#view .option')).borderTopColor};",
    )
    behind = [rgb(colours["bg"]), rgb(colours["panel"])]
    focus = rgb(ring[3])
    ratios = {
        "focus": min(contrast(focus, c) for c in behind),
        "option border": contrast(rgb(colours["option"]), rgb(colours["panel"])),
        "button border": contrast(rgb(colours["button"]), rgb(colours["panel"])),
        "rating star": contrast(rgb(colours["star"]), rgb(colours["panel"])),
    }
    assert all(r >= 3.0 for r in ratios.values()), (theme, ratios)
    for step in ("styles", "frame"):  # the second frame is the one the view hands to grab()
        with qtbot.waitSignal(assessment.painted, timeout=TIMEOUT_MS):
            assessment.request_paint(theme + step)
    out = REPO / "out"
    out.mkdir(exist_ok=True)
    assessment.grab().save(str(out / f"theme-{theme}.png"))


def test_400_percent_reflows_with_the_passage_above(qtbot, tmp_path):
    exam = load_bank(BANKS / "dl-exam-it.md")
    window = open_window(exam, tmp_path / "answers.db")
    try:
        go(qtbot, window, "receptive-field")
        for _ in range(8):  # what Ctrl + sends, up to the last zoom step
            window._on_message("zoom", {"step": 1})
        assert window.zoom_factor() == pytest.approx(4.0)
        qtbot.waitUntil(lambda: js(window, "return window.innerWidth") <= 330, timeout=TIMEOUT_MS)
        layout = js(
            window,
            "const d = document.documentElement;"
            "const a = document.querySelector('#passage-panel').getBoundingClientRect();"
            "const q = document.querySelector('article.question').getBoundingClientRect();"
            "const code = document.querySelector('.passage-body pre');"
            "return {page: d.scrollWidth <= d.clientWidth + 1, above: a.bottom <= q.top,"
            " codeScrolls: code.scrollWidth > code.clientWidth && getComputedStyle(code).overflowX === 'auto'};",
        )
        assert layout == {"page": True, "above": True, "codeScrolls": True}
        # the focused field is in view after a move
        go(qtbot, window, "network-tasks")
        box = js(
            window,
            "const r = document.activeElement.getBoundingClientRect(); return [r.top >= 0, r.bottom <= innerHeight];",
        )
        assert box == [True, True]
        js(window, "document.querySelector('#passage-panel').scrollIntoView(); return 1;")
        window.request_paint("400")
        with qtbot.waitSignal(window.painted, timeout=TIMEOUT_MS):
            pass
        window.grab().save(str(REPO / "out" / "passage-400.png"))
    finally:
        close_window(window)


def test_notes_and_struck_options_survive_a_kill(qtbot, tmp_path):
    path = tmp_path / "answers.db"
    bank = BANKS / "dl-assessment.md"
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("aids_child.py")), str(path), str(bank)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "saved"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    exam = load_bank(bank)
    store = AnswerStore.open(path)
    window = ExamWindow(exam, AnswerFileSaving(store), ExamClock(exam.duration_minutes * 60))
    window.resize(1280, 860)
    window.show()
    wait_for(window.ready, lambda: True, "loading")
    try:
        go(qtbot, window, "iou")
        assert (
            js(window, "return document.querySelector('.strike[data-option=d]').getAttribute('aria-pressed')")
            == "true"
        )
        assert text_of(window, "#view .stem mark.hl") == "Consider"
        click(window, "#tool-notes")
        assert js(window, "return document.querySelector('#notes').value") == "IoU = 12/36, below 0.45"
        type_text(window, "#notes", "IoU = 1/3")
        js(window, "document.querySelector('#notes').blur(); return 1;")
        qtbot.waitUntil(
            lambda: window.saving.page_state().aids["iou"]["notes"] == "IoU = 1/3", timeout=TIMEOUT_MS
        )
        assert window.responses["iou"].value is None  # aids are never answers
    finally:
        window.close()
        window.deleteLater()
        store.close()
