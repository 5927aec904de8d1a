"""Exam day on a seat as people live it: a safe end, fair time, many sittings (offscreen kiosk)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import pytest
from kiosktools import (
    begin,
    button,
    code_checked,
    enter_code,
    focused,
    identify,
    key,
    on_view,
    press,
    run_js,
    start_code_watch,
    text,
    type_into,
    until,
    value_of,
)
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication
from sessiontools import ML_BANK, PIN, FakeTime, build, screenshot, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from pagetools import TIMEOUT_MS, js

from exam_desktop.core.bank import load_bank
from exam_desktop.core.sealed.keys import ScryptParams
from exam_desktop.core.seat.incidents import SessionRules
from exam_desktop.core.seat.session import ExamSession
from exam_desktop.gui.kiosk import KioskWindow, open_kiosk

pytestmark = pytest.mark.gui
SHOTS = Path(
    os.environ.get("EXAM_DESKTOP_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "out" / "exam-day"
)


@pytest.fixture
def open_seat(qtbot, tmp_path):
    """Opens kiosks on one seat; closes them after the test."""
    kiosks: list[KioskWindow] = []

    def open_one(built=None, *, time: FakeTime | None = None, **overrides) -> KioskWindow:
        built = built or build(tmp_path / "package")
        kiosk = open_kiosk(ExamSession(settings(built, tmp_path / "seat", time or FakeTime(), **overrides)))
        kiosk.built = built
        kiosks.append(kiosk)
        return kiosk

    yield open_one
    for kiosk in kiosks:
        kiosk.finished = True
        kiosk.close()
        kiosk.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def open_panel(kiosk: KioskWindow) -> None:
    kiosk.open_invigilator_panel()
    kiosk.panel.pin.setText(PIN)
    kiosk.panel.check_pin()
    kiosk.panel.who.setText("A. Invigilator")
    kiosk.panel.reason.setText("recorded reason")


def shot(qtbot, kiosk: KioskWindow, name: str, web: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if kiosk.current != "invigilator":
        on_view(qtbot, kiosk, kiosk.current)
    screenshot(qtbot, kiosk, SHOTS / f"{name}.png", kiosk.exam_window if web else None)


# -------------------------------------------------------------------------------- a safe end


def checking_the_start_code(qtbot, open_seat, tmp_path):
    """A seat whose package has the real key-derivation cost, its right start code typed and being
    checked (the page shows the status: the window answers meanwhile)."""
    built = build(tmp_path / "real-cost", kdf=ScryptParams())
    kiosk = open_seat(built)
    identify(qtbot, kiosk)
    on_view(qtbot, kiosk, "waiting")
    type_into(kiosk, "start-code", built.start_code)
    checked = start_code_watch(kiosk)
    press(qtbot, kiosk, "start", wait=False)
    until(qtbot, lambda: text(kiosk, "status") != "")
    return kiosk, built, checked


def test_the_start_code_is_checked_while_the_screen_says_so_and_the_seat_answers(qtbot, open_seat, tmp_path):
    """Its key derivation takes about half a second on purpose (the real cost here): it runs on a
    worker thread, the screen says the code is being checked, and the window goes on answering."""
    kiosk, _built, checked = checking_the_start_code(qtbot, open_seat, tmp_path)
    assert text(kiosk, "status") == "Checking the start code…"
    assert text(kiosk, "error") == ""
    assert checked == [], "the key is still being derived"
    assert not button(kiosk, "start")["enabled"]
    assert run_js(kiosk, "return document.getElementById('field-start-code').disabled") is True
    code_checked(qtbot, kiosk, checked)
    assert checked == [True] and kiosk.current == "instructions"
    assert kiosk.session.exam is not None
    assert "package_unlocked" in [e["type"] for e in kiosk.session.store.events()]


def test_a_start_code_checked_after_the_room_started_the_seat_changes_nothing(qtbot, open_seat, tmp_path):
    kiosk, built, checked = checking_the_start_code(qtbot, open_seat, tmp_path)
    kiosk.start_with_code(built.start_code)  # the room's start command, while the typed one is checked
    assert kiosk.current == "instructions"
    code_checked(qtbot, kiosk, checked)
    assert checked == [True] and kiosk.current == "instructions"
    assert [e["type"] for e in kiosk.session.store.events()].count("package_unlocked") == 1


def test_time_up_while_typing_shows_saving_then_a_receipt_no_key_can_close(qtbot, open_seat):
    time = FakeTime()
    kiosk = open_seat(time=time)
    identify(qtbot, kiosk)
    begin(qtbot, kiosk)
    time.advance(kiosk.session.clock.remaining() + 1)
    kiosk.exam_window.tick()
    assert kiosk.current == "time-up"
    shot(qtbot, kiosk, "time-up")
    assert focused(kiosk)["tag"] == "h1", "no field or button to type into"
    for pressed in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_A):  # still typing
        key(qtbot, kiosk, pressed, wait=False)
    assert kiosk.current == "time-up" and kiosk.isVisible()
    with qtbot.waitSignal(kiosk.shown_screen, timeout=TIMEOUT_MS) as shown:
        pass
    assert shown.args == ["receipt"]
    written = kiosk.session.written
    assert text(kiosk, "code") == written.receipt
    assert focused(kiosk)["tag"] != "button"
    assert button(kiosk, "close")["focusable"] is False, "Tab cannot reach it either"
    for pressed in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab, Qt.Key.Key_Space):
        key(qtbot, kiosk, pressed, wait=False)
    assert text(kiosk, "code") == written.receipt, "the receipt is still there"
    assert kiosk.current == "receipt" and kiosk.isVisible()
    shot(qtbot, kiosk, "receipt")
    assert kiosk.session.submitted_reason == "time"


def test_ending_the_exam_and_permitting_quit_ask_the_invigilator_to_confirm(qtbot, open_seat):
    kiosk = open_seat()
    identify(qtbot, kiosk)
    begin(qtbot, kiosk)
    open_panel(kiosk)
    panel = kiosk.panel
    panel.buttons["end"].click()
    assert not panel.confirm_box.isHidden()
    assert "Alan Turing" in panel.confirm_text.text() and "cannot be changed" in panel.confirm_text.text()
    assert not kiosk.session.desk.state.ended, "nothing happens before the confirmation"
    assert QApplication.focusWidget() is panel.confirm_no
    shot(qtbot, kiosk, "invigilator-confirm-end")
    panel.confirm_no.click()
    assert panel.confirm_box.isHidden() and not kiosk.session.desk.state.ended
    panel.buttons["permit-quit"].click()
    assert not kiosk.session.desk.state.quit_permitted
    panel.confirm_yes.click()
    assert kiosk.session.desk.state.quit_permitted
    panel.reason.setText("candidate unwell, exam ends")
    panel.buttons["end"].click()
    panel.confirm_yes.click()
    assert kiosk.session.desk.state.ended
    assert kiosk.current in ("time-up", "receipt") and kiosk.session.submitted_reason == "invigilator"


def test_extend_time_says_why_it_is_greyed(qtbot, open_seat, tmp_path):
    kiosk = open_seat(build(tmp_path / "package", extra_time_allowed=False))
    identify(qtbot, kiosk)
    begin(qtbot, kiosk)
    open_panel(kiosk)
    assert not kiosk.panel.buttons["extend"].isEnabled()
    assert "--extra-time-allowed" in kiosk.panel.extend_note.text()
    assert "--extra-time-allowed" in kiosk.panel.buttons["extend"].toolTip()
    shot(qtbot, kiosk, "invigilator-extend-greyed")


def test_a_missing_results_folder_is_a_warning_at_identification_saying_where_the_copy_goes(
    qtbot, open_seat, tmp_path
):
    kiosk = open_seat(results_dir=tmp_path / "usb-stick")
    on_view(qtbot, kiosk, "identify")
    warning = text(kiosk, "warning")
    assert str(tmp_path / "usb-stick") in warning and str(tmp_path / "seat") in warning
    whole = "const w = document.getElementById('kiosk-warning'); return w.scrollHeight <= w.clientHeight"
    assert run_js(kiosk, whole), "the warning is shown whole"
    shot(qtbot, kiosk, "identify-results-warning")
    identify(qtbot, kiosk)
    assert kiosk.current == "waiting", "the exam can go ahead"


def test_the_results_folder_warning_is_in_the_exams_language(qtbot, open_seat, tmp_path):
    italian = dataclasses.replace(load_bank(ML_BANK), language="it")
    kiosk = open_seat(build(tmp_path / "package", exam=italian), results_dir=tmp_path / "usb-stick")
    on_view(qtbot, kiosk, "identify")
    warning = text(kiosk, "warning")
    assert warning.startswith(
        f"La cartella dei risultati {tmp_path / 'usb-stick'} non può essere usata: non esiste"
    )
    assert f"salvati su questo computer in {tmp_path / 'seat'}" in warning


def test_the_invigilators_refusals_are_in_the_exams_language(qtbot, open_seat, tmp_path):
    italian = dataclasses.replace(load_bank(ML_BANK), language="it")
    kiosk = open_seat(build(tmp_path / "package", exam=italian))
    identify(qtbot, kiosk)
    begin(qtbot, kiosk)
    kiosk.open_invigilator_panel()
    kiosk.panel.pin.setText("0000")
    kiosk.panel.check_pin()
    assert kiosk.panel.pin_message.text().startswith("Questo non è il PIN del sorvegliante per questo esame.")
    open_panel(kiosk)
    kiosk.panel.reason.clear()
    kiosk.panel.act("pause")
    assert kiosk.panel.message.text() == "Digita un motivo: viene registrato con l'azione."


def test_the_screens_are_keyboard_first_and_a_late_click_on_a_screen_gone_does_nothing(qtbot, open_seat):
    kiosk = open_seat()
    on_view(qtbot, kiosk, "identify")
    assert focused(kiosk) == {"tag": "input", "id": "field-name", "label": "Full name"}
    tab_order = (  # no positive tabindex anywhere: Tab follows the document, skipping the rest
        'if (document.querySelector(\'[tabindex]:not([tabindex="-1"]):not([tabindex="0"])\')) return null;'
        " return [...document.querySelectorAll('#kiosk input, #kiosk button, #kiosk [tabindex=\"0\"]')]"
        ".filter(e => e.tabIndex >= 0 && !e.disabled && !e.inert).map(e => e.id)"
    )
    assert run_js(kiosk, tab_order) == ["field-name", "field-student_id", "kiosk-continue"]
    assert run_js(kiosk, "return document.getElementById('layout').inert") is True, (
        "nothing behind it reachable"
    )
    identify(qtbot, kiosk)
    assert kiosk.current == "waiting"
    # The identification screen's Continue, sent again after it has gone (a double click): ignored.
    late = {"screen": "identify", "action": "continue", "values": {"name": "Mallory", "student_id": "S-0"}}
    run_js(kiosk, f"exam.post('kiosk_action', {json.dumps(late)}); return true")
    type_into(kiosk, "start-code", "AAAA-BBBB-CCCC-DDDD")
    checked = start_code_watch(kiosk)
    key(
        qtbot, kiosk, Qt.Key.Key_Return, wait=False
    )  # the page's messages arrive in order: the late one first
    code_checked(qtbot, kiosk, checked)
    assert kiosk.current == "waiting" and kiosk.session.candidate["name"] == "Alan Turing"
    assert "does not open" in text(kiosk, "error")


def test_long_instructions_scroll_with_the_keys_and_begin_stays_on_screen(qtbot, open_seat, tmp_path):
    import dataclasses

    from sessiontools import ML_BANK

    from exam_desktop.core.bank import load_bank

    rules = "\n".join(f"{i}. Rule {i} of the exam room, a line long enough to be read." for i in range(1, 61))
    exam = dataclasses.replace(load_bank(ML_BANK), instructions=rules)
    kiosk = open_seat(build(tmp_path / "package", exam=exam))
    kiosk.resize(1280, 800)
    identify(qtbot, kiosk)
    enter_code(qtbot, kiosk, kiosk.built.start_code)
    box = "const h = document.getElementById('kiosk-html');"
    assert run_js(kiosk, box + " return h.scrollHeight > h.clientHeight"), "more than fits: it scrolls"
    assert (
        run_js(kiosk, "return document.getElementById('kiosk-begin').getBoundingClientRect().bottom") <= 800
    )
    assert "Rule 60 of the exam room" in text(kiosk, "html"), "complete"
    assert focused(kiosk)["id"] == "kiosk-html"
    key(qtbot, kiosk, Qt.Key.Key_PageDown, wait=False)
    qtbot.waitUntil(lambda: run_js(kiosk, box + " return h.scrollTop") > 0, timeout=TIMEOUT_MS)


# -------------------------------------------------------------------------------- the whole day

ROSTER = "candidate_id,extra_time,breaks,break_minutes,tools\nS-1912,25%,1,10,\nS-2001,30,0,0,magnifier\n"


def page(kiosk: KioskWindow, script: str):
    return js(kiosk.exam_window, script if script.startswith("return") else script + "; return null")


def events(kiosk: KioskWindow) -> list[dict]:
    return kiosk.session.store.events()


def test_a_candidate_with_a_roster_profile_lives_the_whole_exam_day(qtbot, open_seat, tmp_path):
    from exam_desktop.core.sealed.roster import parse_roster

    time = FakeTime()
    built = build(tmp_path / "package", roster=parse_roster(ROSTER))
    kiosk = open_seat(built, time=time, rules=SessionRules.parse("focus-lost=lock"))
    # Identification, a typo, back to correct it.
    identify(qtbot, kiosk, "Alan Turing", "S-1921")
    assert kiosk.current == "waiting"
    press(qtbot, kiosk, "back")
    assert kiosk.current == "identify" and value_of(kiosk, "student_id") == "S-1921"
    assert focused(kiosk)["id"] == "field-name", "focus in the first field"
    assert not kiosk.session.path.exists(), "the mistyped identification left no answer file"
    identify(qtbot, kiosk, "Alan Turing", "S-1912")
    begin(qtbot, kiosk)
    clock = kiosk.session.clock
    assert clock.total_s == pytest.approx(105 * 60 * 1.25), "+25 % from the roster"
    profile = next(e["data"] for e in events(kiosk) if e["type"] == "profile_applied")
    assert profile["candidate_id"] == "S-1912" and profile["breaks"] == 1
    assert page(kiosk, "return document.getElementById('candidate').textContent") == "Alan Turing · S-1912"
    assert page(kiosk, "return document.getElementById('ends-at').textContent").startswith("Ends at ")

    # The instructions, reopened mid-exam.
    page(kiosk, "document.getElementById('instructions-open').click()")
    assert page(kiosk, "return document.getElementById('instructions-dialog').hidden") is False
    assert "Duration" in page(kiosk, "return document.querySelector('.instructions-text').textContent")
    shot(qtbot, kiosk, "exam-instructions-reopened", web=True)
    page(kiosk, "document.getElementById('instructions-close').click()")
    assert page(kiosk, "return document.getElementById('instructions-dialog').hidden") is True

    # An incident lock stops the clock until the invigilator unlocks.
    time.advance(60)
    before = clock.remaining()
    QApplication.instance().applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)
    QApplication.instance().applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    assert kiosk.session.desk.state.locked and not clock.running
    time.advance(240)
    assert clock.remaining() == pytest.approx(before)
    assert "time is stopped" in page(kiosk, "return document.getElementById('lock-text').textContent")
    shot(qtbot, kiosk, "exam-locked-clock-stopped", web=True)
    open_panel(kiosk)
    kiosk.panel.act("unlock")
    kiosk.panel.close_panel()
    assert clock.running and not kiosk.exam_window.locked
    time.advance(30)
    assert clock.remaining() == pytest.approx(before - 30)
    assert any(e["type"] == "clock_stopped" and e["data"]["incident"] == "focus-lost" for e in events(kiosk))

    # A rest break: the question is hidden behind an opaque screen, the clock stops.
    page(kiosk, "document.getElementById('break-start').click()")
    qtbot.waitUntil(lambda: kiosk.session.desk.state.on_break, timeout=TIMEOUT_MS)
    assert not clock.running
    time.advance(300)
    assert clock.remaining() == pytest.approx(before - 30)
    cover = "return getComputedStyle(document.getElementById('lock-overlay')).backgroundColor"
    assert page(kiosk, cover) == "rgb(31, 36, 48)", "opaque"
    assert page(kiosk, "return getComputedStyle(document.getElementById('layout')).visibility") == "hidden"
    shot(qtbot, kiosk, "exam-break", web=True)
    page(kiosk, "document.getElementById('break-end').click()")
    qtbot.waitUntil(lambda: not kiosk.session.desk.state.on_break, timeout=TIMEOUT_MS)
    assert clock.running and kiosk.session.breaks_left == 0
    assert page(kiosk, "return document.getElementById('break-start').hidden") is True

    # Time runs out while the candidate types an answer.
    page(kiosk, "document.getElementById('next').click()")
    proxy = kiosk.exam_window.view.focusProxy()
    qtbot.keyClicks(proxy, "abc")
    time.advance(clock.remaining() + 1)
    kiosk.exam_window.tick()
    assert kiosk.current == "time-up"
    qtbot.keyClicks(QApplication.focusWidget() or kiosk, "  \r")
    assert kiosk.current == "time-up"
    on_view(qtbot, kiosk, "receipt")
    qtbot.keyClicks(QApplication.focusWidget() or kiosk, " \r")
    assert kiosk.current == "receipt" and text(kiosk, "code") == kiosk.session.written.receipt
    kinds = [e["type"] for e in events(kiosk)]
    for expected in ("profile_applied", "clock_stopped", "break_started", "break_ended", "submitted"):
        assert expected in kinds, expected


def test_a_second_candidate_sits_on_the_same_seat_and_the_first_session_is_archived(
    qtbot, open_seat, tmp_path
):
    results = tmp_path / "results"
    results.mkdir()
    kiosk = open_seat(results_dir=results)
    identify(qtbot, kiosk, "Ada Lovelace", "S-1815")
    begin(qtbot, kiosk)
    kiosk.exam_window.submit("candidate")
    assert kiosk.current == "receipt"
    on_view(qtbot, kiosk, "receipt")
    first_receipt = text(kiosk, "code")
    first_file = kiosk.session.path
    open_panel(kiosk)
    assert kiosk.panel.buttons["new-candidate"].isEnabled()
    kiosk.panel.buttons["new-candidate"].click()
    assert "Ada Lovelace" in kiosk.panel.confirm_text.text()
    kiosk.panel.confirm_yes.click()
    on_view(qtbot, kiosk, "identify")
    assert kiosk.current == "identify" and value_of(kiosk, "name") == ""
    archived = list((tmp_path / "seat" / "archive").glob(f"*{first_receipt}*/{first_file.name}"))
    assert len(archived) == 1 and not first_file.exists()
    identify(qtbot, kiosk, "Grace Hopper", "S-1906")
    begin(qtbot, kiosk)
    assert kiosk.session.candidate["name"] == "Grace Hopper"
    kiosk.exam_window.submit("candidate")
    on_view(qtbot, kiosk, "receipt")
    assert kiosk.current == "receipt" and text(kiosk, "code") not in ("", first_receipt)
    assert len(list(results.glob("*.bundle"))) == 2
    # The second hand-over archives beside the first, never over it.
    open_panel(kiosk)
    kiosk.panel.act("new-candidate", confirmed=True)
    assert len(list((tmp_path / "seat" / "archive").iterdir())) == 2


def test_a_seat_without_the_office_key_says_so_on_the_first_screen(qtbot, open_seat):
    """Not a warning nobody reads: the kiosk stops at a screen that says it, until the office key
    is installed or the invigilator overrides with the PIN (core/seat/trust.py)."""
    kiosk = open_seat(office_public_key=None)
    assert kiosk.current == "office-key"
    on_view(qtbot, kiosk, "office-key")
    assert "exam-desktop keys install" in text(kiosk, "all")
    assert focused(kiosk)["id"] == "field-pin"
