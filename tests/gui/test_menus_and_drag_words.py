"""Menu blanks and drag-words questions: answered through the page with the keyboard, saved as the
model says, scored, shown against the key."""

from __future__ import annotations

import pytest
from pagetools import click, close_window, go, js, open_window, saved, text_of
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from exam_desktop.core.bank import parse_bank
from exam_desktop.gui.exam_window import clean_value

pytestmark = pytest.mark.gui

BANK = """\
---
id: words
title: Menus and words
duration: 10m
---
## Activation {#activation template points=2}
Complete the layer.

```template
Dense(64, activation=[[act]])
```

blank act: menu: relu | =sigmoid | linear

## Sentence {#sentence dragwords points=2}
Place the words.

```dragwords
A convolution slides a [[kernel]] over the input; pooling [[reduces]] the size of $x$.
```

extra: enlarges
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return tmp_path_factory.mktemp("candidate") / "answers.sqlite"


@pytest.fixture(scope="module")
def exam():
    return parse_bank(BANK, "words.md")


@pytest.fixture(scope="module")
def window(qapp, store_path, exam):
    window = open_window(exam, store_path, practice=True)
    yield window
    close_window(window)


def wait_saved(qtbot, path, qid, check):
    qtbot.waitUntil(lambda: (r := saved(path).get(qid)) is not None and check(r), timeout=5000)


def press(window, key):
    QTest.keyClick(window.view.focusProxy(), key)


def test_a_menu_blank_is_a_dropdown_picked_with_the_keyboard(qtbot, window, store_path):
    assert window.current_id == "activation"
    options = js(
        window, "return [...document.querySelectorAll('select.menu option')].map(o => o.textContent)"
    )
    assert options == ["— choose —", "relu", "sigmoid", "linear"]
    js(window, "document.querySelector('select.menu').focus(); return 1;")
    press(window, Qt.Key.Key_Down)
    wait_saved(qtbot, store_path, "activation", lambda r: r.value == {"act": "relu"})
    press(window, Qt.Key.Key_Down)
    wait_saved(qtbot, store_path, "activation", lambda r: r.value == {"act": "sigmoid"})


def test_words_are_placed_into_gaps_with_the_keyboard_and_taken_back(qtbot, window, store_path):
    go(qtbot, window, "sentence")
    pool = "return [...document.querySelectorAll('.word-pool button.word')].map(b => b.textContent)"
    assert js(window, pool) == ["enlarges", "kernel", "reduces"]  # alphabetical, never the key
    assert js(window, "return document.querySelectorAll('.dragwords-text mjx-container').length") == 1
    # "kernel": Enter picks it up and moves the focus to the first empty gap; Enter places it
    js(window, "document.querySelectorAll('.word-pool button.word')[1].focus(); return 1;")
    press(window, Qt.Key.Key_Return)
    focused_gap = "return document.activeElement.dataset.gap || null"
    qtbot.waitUntil(lambda: js(window, focused_gap) == "0", timeout=5000)  # keys arrive asynchronously
    press(window, Qt.Key.Key_Return)
    wait_saved(qtbot, store_path, "sentence", lambda r: r.value == ["kernel", None])
    assert js(window, pool) == ["enlarges", "reduces"]  # a placed word leaves the pool
    js(window, "document.querySelectorAll('.word-pool button.word')[0].focus(); return 1;")
    qtbot.waitUntil(
        lambda: js(window, "return document.activeElement.textContent") == "enlarges", timeout=5000
    )
    # a wrong word in the second gap, then Delete empties it again
    press(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: js(window, focused_gap) == "1", timeout=5000)
    press(window, Qt.Key.Key_Return)
    wait_saved(qtbot, store_path, "sentence", lambda r: r.value == ["kernel", "enlarges"])
    press(window, Qt.Key.Key_Delete)
    wait_saved(qtbot, store_path, "sentence", lambda r: r.value == ["kernel", None])
    js(window, "document.querySelector('.word-pool button.word:last-child').click(); return 1;")
    press(window, Qt.Key.Key_Return)
    wait_saved(qtbot, store_path, "sentence", lambda r: r.value == ["kernel", "reduces"])
    labels = js(
        window, "return [...document.querySelectorAll('button.gap')].map(g => g.getAttribute('aria-label'))"
    )
    assert labels == ["Gap 1: kernel", "Gap 2: reduces"]


def test_the_window_accepts_only_words_of_the_pool(exam):
    sentence = exam.question("sentence")
    assert clean_value(sentence, ["kernel", None]) == ["kernel", None]
    for bad in (["kernel", "kernel"], ["matrix", None], ["kernel"]):
        with pytest.raises(ValueError):
            clean_value(sentence, bad)
    with pytest.raises(ValueError):
        clean_value(exam.question("activation"), {"act": "tanh"})


def test_results_show_the_picks_against_the_key(qtbot, window):
    with qtbot.waitSignal(window.shown, timeout=5000, check_params_cb=lambda v, i: v == "review"):
        click(window, "#review")
    click(window, "#submit")
    with qtbot.waitSignal(window.shown, timeout=10000, check_params_cb=lambda v, i: v == "results"):
        click(window, "#confirm-ok")
    assert text_of(window, ".results .score") == "Score: 4 of 4 points (100%)"
    gaps = js(
        window,
        "return [...document.querySelectorAll('.result')[1].querySelectorAll('.selected .dragwords .blank')].map(b => [b.textContent, b.className])",
    )
    assert gaps == [["kernel", "blank right"], ["reduces", "blank right"]]
