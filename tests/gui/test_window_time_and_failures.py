"""Time and trouble: the clock's warnings and the automatic submit at zero; a failing disk.

One window with an injected monotonic clock serves the module, so time moves only when a test says.
"""

from __future__ import annotations

import dataclasses

import pytest
from conftest import BANKS
from pagetools import close_window, go, js, open_window, saved, text_of, type_text

from exam_desktop.core.bank import load_bank
from exam_desktop.core.seat.meta import Meta
from exam_desktop.core.seat.timer import ExamClock

pytestmark = pytest.mark.gui

TIMEOUT = 5000


class ManualTime:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def time_source():
    return ManualTime()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return tmp_path_factory.mktemp("candidate") / "answers.sqlite"


@pytest.fixture(scope="module")
def window(qapp, store_path, time_source):
    exam = load_bank(BANKS / "sample-every-kind.md")  # 20 minutes
    clock = ExamClock(exam.duration_minutes * 60, monotonic=time_source)
    window = open_window(exam, store_path, clock)
    yield window
    close_window(window)


def test_time_left_is_always_shown(qtbot, window):
    qtbot.waitUntil(lambda: text_of(window, "#timer") == "20:00 left", timeout=TIMEOUT)


def test_a_failed_write_shows_a_banner_keeps_the_answer_and_saves_it_on_retry(qtbot, window, store_path):
    go(qtbot, window, "gans")
    type_text(window, "#essay", "kept first")
    qtbot.waitUntil(lambda: saved(store_path).get("gans", None) is not None, timeout=TIMEOUT)

    conn = window.saving.store._db.conn  # the disk "fills up": SQLite may not grow the file any more
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    essay = "word " * 40_000
    with qtbot.waitSignal(window.save_failed, timeout=TIMEOUT):
        type_text(window, "#essay", essay)
    qtbot.waitUntil(
        lambda: js(window, "return document.querySelector('#banner').hidden") is False, timeout=TIMEOUT
    )
    assert "disk is full" in text_of(window, "#banner")
    assert text_of(window, "#save-state") == "✗ Not saved — retrying"
    assert window.unsaved == ["gans"] and window.responses["gans"].value == essay  # kept in memory
    assert saved(store_path)["gans"].value == "kept first"  # what was saved is intact

    # moving on does not drop it either
    go(qtbot, window, "hpo")
    assert window.unsaved == ["gans"]

    conn.execute("PRAGMA max_page_count = 1073741823")  # space again: the retry timer saves it
    qtbot.waitUntil(lambda: saved(store_path)["gans"].value == essay, timeout=TIMEOUT)
    qtbot.waitUntil(
        lambda: js(window, "return document.querySelector('#banner').hidden") is True, timeout=TIMEOUT
    )
    assert window.unsaved == []
    assert text_of(window, "#save-state") == "✓ All answers saved"


def test_a_full_disk_is_said_in_the_exams_language(qtbot, tmp_path):
    exam = dataclasses.replace(load_bank(BANKS / "sample-every-kind.md"), language="it")
    store_path = tmp_path / "answers.sqlite"
    window = open_window(exam, store_path)
    try:
        go(qtbot, window, "gans")
        conn = window.saving.store._db.conn
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        with qtbot.waitSignal(window.save_failed, timeout=TIMEOUT) as failed:
            type_text(window, "#essay", "parola " * 40_000)
        assert failed.args == [
            "L'ultima modifica non è stata salvata: il disco è pieno. Tutto ciò che era stato salvato "
            "prima è al sicuro. Avvisa il sorvegliante."
        ]
        qtbot.waitUntil(lambda: "il disco è pieno" in text_of(window, "#banner"), timeout=TIMEOUT)
        assert text_of(window, "#save-state") == "✗ Non salvato — nuovo tentativo"
        conn.execute("PRAGMA max_page_count = 1073741823")
        qtbot.waitUntil(lambda: window.unsaved == [], timeout=TIMEOUT)
    finally:
        close_window(window)


def test_warnings_scale_with_the_duration_then_automatic_submit_at_zero(
    qtbot, window, time_source, store_path
):
    # A 20-minute exam: warned at 25 % (5 minutes) and 10 % (2 minutes) left, not at "15 minutes".
    time_source.now += 5 * 60 + 1  # 14:59 left
    window.tick()
    assert js(window, "return document.querySelector('#timer').className") == ""
    time_source.now += 10 * 60  # 4:59 left
    qtbot.waitUntil(
        lambda: js(window, "return document.querySelector('#timer').className") == "warning", timeout=TIMEOUT
    )
    assert text_of(window, "#notice") == "5 minutes left."
    assert js(window, "return document.querySelector('#notice').hidden") is False

    time_source.now += 3 * 60  # 1:59 left
    qtbot.waitUntil(
        lambda: js(window, "return document.querySelector('#timer').className") == "critical", timeout=TIMEOUT
    )
    assert text_of(window, "#notice") == "2 minutes left."

    type_text(window, "#short", "typed in the last second")
    time_source.now += 2 * 60
    with qtbot.waitSignal(window.submitted, timeout=TIMEOUT) as submitted:
        pass
    assert submitted.args == ["time"]
    assert saved(store_path)["hpo"].value == "typed in the last second"  # not lost to the debounce
    assert window.saving.store.get_meta(Meta.SUBMITTED) == {"reason": "time"}
    assert window.clock.running is False
    qtbot.waitUntil(
        lambda: text_of(window, "#message-title") == "Your answers have been submitted", timeout=TIMEOUT
    )
