"""What the kiosk layer relies on: go_to, set_locked, show_notice; answers and place survive a restart."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from conftest import BANKS
from pagetools import click, close_window, go, js, key, open_window, saved, text_of

from exam_desktop.core.bank import load_bank
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.meta import Meta

pytestmark = pytest.mark.gui


def test_answers_and_position_come_back_after_a_restart_and_the_kiosk_api_works(qtbot, qapp, tmp_path):
    exam = load_bank(BANKS / "sample-every-kind.md")
    path = tmp_path / "answers.sqlite"
    with AnswerStore.open(path) as store:  # what an earlier run (before a crash) had saved
        store.save_response(Response("birnn", ["c", "d"], flagged=True))
        store.save_response(Response("gans", "Two networks compete."))
        store.set_meta(Meta.POSITION, "birnn")

    window = open_window(exam, path)
    try:
        assert window.current_id == "birnn"
        assert js(
            window, "return [...document.querySelectorAll('input[name=answer]')].map(x => x.checked)"
        ) == [
            False,
            False,
            True,
            True,
            False,
        ]
        assert js(window, "return document.querySelector('#flag').getAttribute('aria-pressed')") == "true"
        assert js(
            window,
            "return document.querySelector('.nav-question[data-id=gans]').classList.contains('answered')",
        )
        go(qtbot, window, "gans")
        assert js(window, "return document.querySelector('#essay').value") == "Two networks compete."

        click(window, "#contrast-toggle")  # the candidate's comfort settings
        key(window, "body", "+", ctrlKey=True)
        qtbot.waitUntil(
            lambda: (window.saving.store.get_meta(Meta.COMFORT) or {}).get("zoom_step") == 1, timeout=5000
        )

        window.show_notice("Ten minutes extra for everyone.")
        qtbot.waitUntil(lambda: text_of(window, "#notice") == "Ten minutes extra for everyone.", timeout=5000)

        window.set_locked(True)
        qtbot.waitUntil(
            lambda: js(window, "return document.querySelector('#lock-overlay').hidden") is False, timeout=5000
        )
        assert js(window, "return document.querySelector('#essay').disabled") is True
        window.bridge.post('{"type": "answer_changed", "question_id": "gans", "value": "typed while locked"}')
        click(window, "#next")  # ignored while locked
        assert window.current_id == "gans"
        window.set_locked(False)
        qtbot.waitUntil(
            lambda: js(window, "return document.querySelector('#essay').disabled") is False, timeout=5000
        )
        assert saved(path)["gans"].value == "Two networks compete."
    finally:
        close_window(window)

    again = open_window(exam, path)  # a restart: zoom and theme as the candidate left them
    try:
        assert again.zoom_factor() == pytest.approx(1.1)
        assert js(again, "return document.body.classList.contains('contrast')") is True
    finally:
        close_window(again)


def test_images_of_a_bank_folder_are_shown_and_nothing_outside_it(qtbot, qapp, tmp_path):
    from PySide6.QtGui import QColor, QImage

    folder = tmp_path / "bank"
    (folder / "images").mkdir(parents=True)
    picture = QImage(40, 20, QImage.Format.Format_RGB32)
    picture.fill(QColor("red"))
    picture.save(str(folder / "images" / "plot.png"))
    picture.save(str(tmp_path / "secret.png"))
    (folder / "exam.md").write_text(
        "---\nid: pics\ntitle: Pictures\nduration: 5m\n---\n"
        "## A plot {#plot short}\nLook: ![the plot](images/plot.png) and ![no](../secret.png)\n\nanswer: red\n"
    )
    exam = load_bank(folder / "exam.md")
    window = open_window(exam, tmp_path / "answers.sqlite")
    try:
        images = js(
            window,
            "return [...document.querySelectorAll('.stem img')].map(i => [i.getAttribute('src'), i.naturalWidth])",
        )
        assert images == [["exam://app/image/0.png", 40], [None, 0]]  # ../secret.png: no source at all
        assert window.view.blocker.blocked == []
    finally:
        close_window(window)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_the_thread_that_saves_is_not_below_the_page_display_threads(qtbot, qapp, tmp_path):
    """Where Chromium raises its compositor/GPU threads (root, CAP_SYS_NICE), the GUI thread,
    which commits every answer, is raised alike, so a click's redraw does not delay the commit."""
    exam = load_bank(BANKS / "sample-every-kind.md")
    window = open_window(exam, tmp_path / "answers.sqlite")
    try:
        display = [
            os.getpriority(os.PRIO_PROCESS, int(task.name))
            for task in Path("/proc/self/task").iterdir()
            if (task / "comm").read_text().strip()
            in ("VizCompositorTh", "Chrome_InProcGp", "Chrome_IOThread")
        ]
        assert display, "QtWebEngine's display threads were not found in this process"
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) <= min(display)
    finally:
        close_window(window)
