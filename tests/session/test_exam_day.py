"""Exam day on a seat as people live it: a safe end, fair time, many sittings (offscreen kiosk)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication, QPushButton
from sessiontools import PIN, FakeTime, build, screenshot, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from pagetools import TIMEOUT_MS  # noqa: E402

from exam_desktop.core.seat.incidents import SessionRules  # noqa: E402
from exam_desktop.core.seat.session import ExamSession  # noqa: E402
from exam_desktop.gui.kiosk import KioskWindow, open_kiosk  # noqa: E402

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


def identify(kiosk: KioskWindow, name: str = "Alan Turing", student_id: str = "S-1912") -> None:
    kiosk.fields["name"].setText(name)
    kiosk.fields["student_id"].setText(student_id)
    kiosk.findChild(QPushButton, "identify-continue").click()


def begin(qtbot, kiosk: KioskWindow) -> None:
    kiosk.code.setText(kiosk.built.start_code)
    kiosk.code_button.click()
    assert kiosk.current == "instructions"
    with qtbot.waitSignal(kiosk.exam_ready, timeout=TIMEOUT_MS):
        kiosk.begin_button.click()


def open_panel(kiosk: KioskWindow) -> None:
    kiosk.open_invigilator_panel()
    kiosk.panel.pin.setText(PIN)
    kiosk.panel.check_pin()
    kiosk.panel.who.setText("A. Invigilator")
    kiosk.panel.reason.setText("recorded reason")


def shot(qtbot, kiosk: KioskWindow, name: str, web: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(qtbot, kiosk, SHOTS / f"{name}.png", kiosk.exam_window if web else None)


# -------------------------------------------------------------------------------- a safe end


def test_time_up_while_typing_shows_saving_then_a_receipt_no_key_can_close(qtbot, open_seat):
    time = FakeTime()
    kiosk = open_seat(time=time)
    identify(kiosk)
    begin(qtbot, kiosk)
    time.advance(kiosk.session.clock.remaining() + 1)
    kiosk.exam_window.tick()
    assert kiosk.current == "time-up"
    shot(qtbot, kiosk, "time-up")
    for key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_A):  # still typing
        qtbot.keyClick(QApplication.focusWidget() or kiosk, key)
    assert kiosk.current == "time-up" and kiosk.isVisible()
    with qtbot.waitSignal(kiosk.shown_screen, timeout=TIMEOUT_MS) as shown:
        pass
    assert shown.args == ["receipt"]
    written = kiosk.session.written
    assert kiosk.receipt_code.text() == written.receipt
    focused = QApplication.focusWidget()
    assert not isinstance(focused, QPushButton), focused
    for key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
        qtbot.keyClick(focused or kiosk, key)
    assert kiosk.current == "receipt" and kiosk.isVisible()
    shot(qtbot, kiosk, "receipt")
    assert kiosk.session.submitted_reason == "time"


def test_ending_the_exam_and_permitting_quit_ask_the_invigilator_to_confirm(qtbot, open_seat):
    kiosk = open_seat()
    identify(kiosk)
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
    identify(kiosk)
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
    warning = kiosk.preflight_warning
    assert not warning.isHidden()
    assert str(tmp_path / "usb-stick") in warning.text() and str(tmp_path / "seat") in warning.text()
    needed = warning.heightForWidth(warning.width())
    assert warning.height() >= needed, "the warning is shown whole"
    shot(qtbot, kiosk, "identify-results-warning")
    identify(kiosk)
    assert kiosk.current == "waiting", "the exam can go ahead"
