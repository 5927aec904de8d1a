"""`exam-desktop preview` writes a PNG of every question of every bank; practice mode ends with results."""

from __future__ import annotations

import pytest
from conftest import BANKS
from pagetools import click, close_window, js, text_of
from PySide6.QtGui import QImage

from exam_desktop.cli import main
from exam_desktop.cli.cmd_demo import DEFAULT_BANK
from exam_desktop.core.bank import find_banks, load_bank
from exam_desktop.core.errors import BankError
from exam_desktop.core.seat.saving import PracticeAnswers
from exam_desktop.gui.practice import open_practice
from exam_desktop.gui.preview import wait_for

pytestmark = pytest.mark.gui

SEED_BANKS = find_banks([BANKS])


def distinct_colours(image: QImage, step: int = 23) -> int:
    return len(
        {image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)}
    )


@pytest.mark.parametrize("bank", SEED_BANKS, ids=[b.stem for b in SEED_BANKS])
def test_preview_writes_one_png_per_question(qapp, tmp_path, capsys, bank):
    exam = load_bank(bank)
    assert main(["preview", str(bank), "--png", str(tmp_path / "out")]) == 0  # 1 = formula errors
    for question in exam.questions:
        image = QImage(str(tmp_path / "out" / f"{question.id}.png"))
        assert not image.isNull(), question.id
        assert image.width() == 1280 and image.height() > 300
        assert distinct_colours(image) > 5  # a drawn page, not a blank one
    assert len(list((tmp_path / "out").glob("*.png"))) == len(exam.questions)


def test_preview_of_one_question_to_a_file(qapp, tmp_path):
    out = tmp_path / "relu.png"
    assert (
        main(["preview", str(BANKS / "sample-every-kind.md"), "--question", "relu", "--png", str(out)]) == 0
    )
    assert not QImage(str(out)).isNull()


def test_preview_reports_an_unknown_question_id(qapp, tmp_path, capsys):
    bank = BANKS / "sample-every-kind.md"
    assert main(["preview", str(bank), "--question", "nope", "--png", str(tmp_path / "x.png")]) == 1
    assert "no question with id 'nope'" in capsys.readouterr().err


def test_demo_opens_the_ml_test_in_practice_mode_and_ends_with_full_results(qtbot, qapp):
    exam = load_bank(DEFAULT_BANK)
    window, answers = open_practice(DEFAULT_BANK)  # what `exam-desktop demo` opens
    try:
        if not window.has_shown:
            wait_for(window.ready, lambda: True, "loading")
        assert window.practice and window.exam.title == "Machine Learning Engineers Test"
        assert text_of(window, "#timer") in ("1:45:00 left", "1:44:59 left")
        assert window.clock.running
        assert js(window, "return document.querySelectorAll('.stem mjx-container svg').length") >= 2
        click(window, "label[for=opt-1]")  # the right answer to the first question
        with qtbot.waitSignal(window.shown, timeout=5000, check_params_cb=lambda v, i: v == "review"):
            click(window, "#review")
        click(window, "#submit")
        with qtbot.waitSignal(window.shown, timeout=10000, check_params_cb=lambda v, i: v == "results"):
            click(window, "#confirm-ok")
        assert text_of(window, ".results .score") == f"Score: 1 of {exam.total_points:g} points (17%)"
        assert "deep-learning" in text_of(window, "table.domains")
        first = js(
            window,
            "const r = document.querySelector('.result'); return [r.className, [...r.querySelectorAll('.selected li.picked')].map(li => [li.className, li.textContent]), [...r.querySelectorAll('.correct li.correct')].map(li => li.textContent), r.querySelectorAll('.selected li').length, r.querySelector('.explanation').textContent]",
        )
        right = "It quantifies the influence of the image's pixels on the loss function's value."
        assert first[0] == "result right"
        assert first[1] == [["picked right", "☒" + right]]  # every option shown, the picked one marked
        assert first[2] == ["☒" + right] and first[3] == 4
        assert "derivative of the loss" in first[4]
        assert js(window, "return document.querySelectorAll('.results mjx-container').length") > 3
        assert (
            js(window, "return document.querySelectorAll('.result.wrong').length") == len(exam.questions) - 1
        )
    finally:
        close_window(window)
        answers.close()
    with PracticeAnswers.open(answers.path) as saved:  # the run's file, made after the first question
        assert saved.saved_responses()[exam.questions[0].id].answered
        assert saved.page_state().submitted == "candidate"


def test_demo_of_a_broken_bank_raises_its_lines_and_leaves_no_answer_file(qapp, tmp_path, monkeypatch):
    """The bank is read on a worker thread while the page loads; its error reaches the caller."""
    monkeypatch.setenv("EXAM_DESKTOP_DATA", str(tmp_path / "data"))
    bank = tmp_path / "broken.md"
    bank.write_text(
        "---\nid: broken\ntitle: Broken\nduration: 1h75\n---\n"
        "## One {#one single}\nPick one.\n\n- [ ] a\n- [ ] b\n"
    )
    with pytest.raises(BankError) as info:
        open_practice(bank)
    message = str(info.value)
    assert f"{bank}:4:" in message and "1h75" in message  # the duration's line
    assert f"{bank}:6:" in message  # the question without a right answer
    assert not (tmp_path / "data" / "practice").exists()
