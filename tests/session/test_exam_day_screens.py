"""Every kiosk screen in English, Italian and French at 1280×800 and 1920×1080, saved as PNG for
people to look at (out/exam-day/screens/, or $EXAM_DESKTOP_SCREENSHOTS). Each screen also asserts
that it speaks the exam's language."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest
from kiosktools import button, enter_code, on_view, press, run_js, text, type_into
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication
from sessiontools import ML_BANK, PIN, FakeTime, build, screenshot, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from pagetools import TIMEOUT_MS, js

from exam_desktop.core.bank import load_bank
from exam_desktop.core.page.strings import strings_for
from exam_desktop.core.sealed.roster import parse_roster
from exam_desktop.core.seat.incidents import SessionRules
from exam_desktop.core.seat.session import ExamSession
from exam_desktop.gui.kiosk import KioskWindow, RefusalWindow

pytestmark = [pytest.mark.gui, pytest.mark.slow]
SHOTS = (
    Path(
        os.environ.get("EXAM_DESKTOP_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "out" / "exam-day"
    )
    / "screens"
)
SIZES = ((1280, 800), (1920, 1080))
NAMES = {
    "en": ("Grace Hopper", "S-1906"),
    "it": ("Maria Gaetana Agnesi", "S-1718"),
    "fr": ("Émilie du Châtelet", "S-1706"),
}
INSTRUCTIONS = {
    "en": "Answer every question. Calculators are not allowed.\n\n"
    + "\n".join(f"{i}. Rule number {i} of the exam room." for i in range(1, 13)),
    "it": "Rispondi a tutte le domande. Le calcolatrici non sono ammesse.\n\n"
    + "\n".join(f"{i}. Regola numero {i} dell'aula d'esame." for i in range(1, 13)),
    "fr": "Répondez à toutes les questions. Les calculatrices sont interdites.\n\n"
    + "\n".join(f"{i}. Règle numéro {i} de la salle d'examen." for i in range(1, 13)),
}


def shoot(qtbot, kiosk: KioskWindow, language: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    web = kiosk.current == "exam"
    if kiosk.current not in ("exam", "invigilator"):
        on_view(qtbot, kiosk, kiosk.current)
    for width, height in SIZES:
        kiosk.resize(width, height)
        QApplication.processEvents()
        path = SHOTS / f"{language}-{width}x{height}-{name}.png"
        screenshot(qtbot, kiosk, path, kiosk.exam_window if web else None)
        if kiosk.current not in ("exam", "invigilator"):
            whole = (
                "const b = document.querySelector('.kiosk-box'); return b.scrollHeight <= b.clientHeight + 1"
            )
            assert run_js(kiosk, whole), f"{name} at {width}×{height}: nothing cut off"


def page(kiosk: KioskWindow, script: str):
    return js(kiosk.exam_window, script if script.startswith("return") else script + "; return null")


@pytest.mark.parametrize("language", ["en", "it", "fr"])
def test_every_kiosk_screen_in_the_exam_language_at_two_sizes(qtbot, tmp_path, language):
    s = strings_for(language)
    name, student_id = NAMES[language]
    exam = dataclasses.replace(load_bank(ML_BANK), language=language, instructions=INSTRUCTIONS[language])
    roster = parse_roster(f"candidate_id,extra_time,breaks,break_minutes\n{student_id},25%,1,10\n")
    built = build(tmp_path / "package", exam=exam, roster=roster, results_dir=str(tmp_path / "usb-stick"))
    time = FakeTime()
    rules = SessionRules.parse("focus-lost=lock")
    kiosk = KioskWindow(ExamSession(settings(built, tmp_path / "seat", time, rules=rules)), full_screen=False)
    try:
        kiosk.built = built
        kiosk.start()
        on_view(qtbot, kiosk, "identify")
        assert "usb-stick" in text(kiosk, "warning")
        assert button(kiosk, "continue")["label"] == s["continue"]
        assert s["identify_prompt"] in text(kiosk, "all")
        assert run_js(kiosk, "return document.documentElement.lang") == language
        type_into(kiosk, "name", name)
        shoot(qtbot, kiosk, language, "01-identify")
        type_into(kiosk, "student_id", student_id)
        press(qtbot, kiosk, "continue")
        enter_code(qtbot, kiosk, "AAAA-BBBB-CCCC-DDDD")
        assert button(kiosk, "back")["label"] == s["back_correct"]
        assert text(kiosk, "error") == s["code_rejected"]
        assert (
            run_js(kiosk, "return document.querySelector('label[for=field-start-code]').textContent")
            == (s["start_code"])
        )
        shoot(qtbot, kiosk, language, "02-start-code")
        enter_code(qtbot, kiosk, built.start_code)
        assert kiosk.current == "instructions" and button(kiosk, "begin")["label"] == s["begin"]
        last_rule = INSTRUCTIONS[language].splitlines()[-1].split(". ", 1)[1]
        assert last_rule in text(kiosk, "html"), "the instructions are there whole"
        shoot(qtbot, kiosk, language, "03-instructions")
        with qtbot.waitSignal(kiosk.exam_ready, timeout=TIMEOUT_MS):
            press(qtbot, kiosk, "begin", wait=False)
        assert (
            page(kiosk, "return document.getElementById('candidate').textContent") == f"{name} · {student_id}"
        )
        shoot(qtbot, kiosk, language, "04-exam")
        page(kiosk, "document.getElementById('instructions-open').click()")
        shoot(qtbot, kiosk, language, "05-instructions-reopened")
        page(kiosk, "document.getElementById('instructions-close').click()")

        app = QApplication.instance()
        app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)
        app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
        assert s["locked_clock_stopped"] in page(
            kiosk, "return document.getElementById('lock-text').textContent"
        )
        shoot(qtbot, kiosk, language, "06-locked")
        desk = kiosk.session.desk
        desk.open(PIN)
        desk.unlock("A. Invigilator", "false alarm")
        desk.pause("A. Invigilator", "fire drill")
        kiosk._apply_desk_state()
        assert page(kiosk, "return document.getElementById('lock-text').textContent") == s["paused"]
        shoot(qtbot, kiosk, language, "07-paused")
        desk.resume("A. Invigilator", "drill over")
        kiosk._apply_desk_state()
        page(kiosk, "document.getElementById('break-start').click()")
        qtbot.waitUntil(lambda: desk.state.on_break, timeout=TIMEOUT_MS)
        shoot(qtbot, kiosk, language, "08-break")
        page(kiosk, "document.getElementById('break-end').click()")
        qtbot.waitUntil(lambda: not desk.state.on_break, timeout=TIMEOUT_MS)

        time.advance(kiosk.session.clock.remaining() + 1)
        kiosk.exam_window.tick()
        assert kiosk.current == "time-up"
        shoot(qtbot, kiosk, language, "09-time-up")
        on_view(qtbot, kiosk, "receipt")
        assert "usb-stick" in text(kiosk, "note"), "the results folder was missing"
        assert text(kiosk, "code") == kiosk.session.written.receipt
        shoot(qtbot, kiosk, language, "10-receipt")
        kiosk.show_message(s["saved_here_title"], kiosk.session.results_warning, closable=True)
        assert button(kiosk, "close")["label"] == s["close"]
        shoot(qtbot, kiosk, language, "11-error")
        kiosk.open_invigilator_panel()
        kiosk.panel.pin.setText(PIN)
        kiosk.panel.check_pin()
        kiosk.panel.buttons["new-candidate"].click()
        assert kiosk.panel.buttons["new-candidate"].text() == s["inv_new-candidate"]
        shoot(qtbot, kiosk, language, "12-invigilator-new-candidate")
    finally:
        kiosk.finished = True
        kiosk.close()
        kiosk.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.mark.parametrize("language", ["en", "it", "fr"])
def test_the_office_key_override_and_the_refusal_in_the_exam_language(qtbot, tmp_path, language):
    s = strings_for(language)
    exam = dataclasses.replace(load_bank(ML_BANK), language=language)
    built = build(tmp_path / "package", exam=exam)
    session = ExamSession(settings(built, tmp_path / "seat", FakeTime(), office_public_key=None))
    kiosk = KioskWindow(session, full_screen=False)
    refusal = RefusalWindow("The package exam.exam cannot be read: it is not an exam package.", language)
    try:
        kiosk.start()
        on_view(qtbot, kiosk, "office-key")
        assert text(kiosk, "title") == s["office_key_title"]
        assert button(kiosk, "override")["label"] == s["override_start"]
        shoot(qtbot, kiosk, language, "00-office-key")
        refusal.resize(1280, 800)
        refusal.show()
        on_view(qtbot, refusal, "message")
        assert (
            run_js(refusal, "return document.getElementById('kiosk-title').textContent")
            == s["cannot_start_title"]
        )
        assert run_js(refusal, "return document.getElementById('kiosk-close').textContent") == s["close"]
        for width, height in SIZES:
            refusal.resize(width, height)
            QApplication.processEvents()
            screenshot(qtbot, refusal, SHOTS / f"{language}-{width}x{height}-13-cannot-start.png")
        run_js(refusal, "document.getElementById('kiosk-close').click(); return true")
        qtbot.waitUntil(lambda: not refusal.isVisible(), timeout=TIMEOUT_MS)
    finally:
        refusal.close()
        refusal.deleteLater()
        kiosk.close()
        kiosk.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
