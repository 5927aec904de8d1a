"""Matching and ordering questions: answered through the page, saved as the model says, scored."""

from __future__ import annotations

import pytest
from pagetools import click, close_window, go, js, open_window, saved, text_of
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from exam_desktop.core.bank import parse_bank

pytestmark = pytest.mark.gui

BANK = """\
---
id: pairs
title: Pairs and orders
duration: 10m
dont-know: yes
---
## Layers {#layers matching points=2}
Match each layer to what it does.

- Conv2D => extracts local features
- MaxPooling2D => downsamples by $2$
- => normalises activations

## Training step {#steps ordering points=1}
Put the steps of one training iteration in order.

1. Forward pass
2. Compute the loss $L$
3. Backward pass
4. Update the weights
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return tmp_path_factory.mktemp("candidate") / "answers.sqlite"


@pytest.fixture(scope="module")
def window(qapp, store_path):
    window = open_window(parse_bank(BANK, "pairs.md"), store_path, practice=True)
    yield window
    close_window(window)


def wait_saved(qtbot, path, qid, check):
    qtbot.waitUntil(lambda: (r := saved(path).get(qid)) is not None and check(r), timeout=5000)


def test_matching_offers_the_answers_in_alphabetical_order_and_saves_each_pick(qtbot, window, store_path):
    assert window.current_id == "layers"
    options = js(window, "return [...document.querySelectorAll('#match-0 option')].map(o => o.textContent)")
    assert options == [
        "— choose —",
        "A — downsamples by 2",
        "B — extracts local features",
        "C — normalises activations",
    ]
    assert js(window, "return document.querySelectorAll('.match-options mjx-container').length") == 1
    js(
        window,
        "const s = document.querySelector('#match-0'); s.value = '2'; s.dispatchEvent(new Event('change')); return 1;",
    )
    wait_saved(qtbot, store_path, "layers", lambda r: r.value == [2, None])  # Conv2D: a wrong pick
    # keyboard: focus the second list and pick with the arrow keys
    js(window, "document.querySelector('#match-1').focus(); return 1;")
    QTest.keyClick(window.view.focusProxy(), Qt.Key.Key_Down)
    wait_saved(qtbot, store_path, "layers", lambda r: r.value == [2, 0])


def test_ordering_moves_items_with_buttons_and_keys_and_saves_the_order(qtbot, window, store_path):
    go(qtbot, window, "steps")
    start = js(window, "return [...document.querySelectorAll('ol.ordering > li')].map(li => li.dataset.item)")
    assert start == [
        "Backward pass",
        "Compute the loss $L$",
        "Forward pass",
        "Update the weights",
    ]  # never the key
    click(window, "ol.ordering > li:nth-child(3) button.move")  # "Forward pass" up
    wait_saved(qtbot, store_path, "steps", lambda r: r.value[:2] == ["Backward pass", "Forward pass"])
    # keyboard: the focus stays on the moved item's button, Enter moves it again
    QTest.keyClick(window.view.focusProxy(), Qt.Key.Key_Return)
    wait_saved(qtbot, store_path, "steps", lambda r: r.value[0] == "Forward pass")
    click(window, "ol.ordering > li:nth-child(3) button.move")  # "Compute the loss" up
    click(window, "ol.ordering > li:nth-child(2) button.move:last-child")  # "Compute the loss" ... down
    js(window, "document.querySelector('ol.ordering > li:nth-child(3) button.move').click(); return 1;")
    order = ["Forward pass", "Compute the loss $L$", "Backward pass", "Update the weights"]
    wait_saved(qtbot, store_path, "steps", lambda r: r.value == order)


def test_results_show_pairs_and_order_against_the_key(qtbot, window):
    with qtbot.waitSignal(window.shown, timeout=5000, check_params_cb=lambda v, i: v == "review"):
        click(window, "#review")
    click(window, "#submit")
    with qtbot.waitSignal(window.shown, timeout=10000, check_params_cb=lambda v, i: v == "results"):
        click(window, "#confirm-ok")
    assert text_of(window, ".results .score") == "Score: 2 of 3 points (67%)"  # one pair of two right
    results = js(window, "return [...document.querySelectorAll('.result')].map(r => r.className)")
    assert results[:2] == ["result wrong", "result right"]
    # the pairs as rows (prompt, answer), each of the candidate's marked right or wrong
    rows = "return [...document.querySelectorAll('.result')[0].querySelectorAll('{} tr')].map(tr => [...tr.cells].map(td => [td.textContent, td.className]))"
    picked = js(window, rows.format(".selected"))
    assert sorted(cls for _, (_, cls) in picked) == ["right", "wrong"]  # one pair of two right
    key = js(window, rows.format(".correct"))
    assert ["MaxPooling2D", "downsamples by 2"] in [[prompt, answer] for (prompt, _), (answer, _) in key]
    order = js(
        window,
        "return [...document.querySelectorAll('.result')[1].querySelectorAll('.selected li')].map(li => li.className)",
    )
    assert order and set(order) == {"right"}  # the order given was the key's
