"""Driving the kiosk's screens from tests, in the real page: type into a field, press a button
(DOM events) or a key (real key events to the web view), then wait until the kiosk has answered
and the page says the answer is on view (`KioskWindow.shown_screen`, numbered by `sent`/`seen`).
Never a sleep."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest

from exam_desktop.gui.kiosk import KioskWindow

TIMEOUT_MS = 20_000


def run_js(kiosk: Any, source: str) -> Any:
    """The value of the JS function body `source` in the kiosk's page (or a refusal window's)."""
    result: dict[str, Any] = {}
    loop = QEventLoop()

    def got(value: Any) -> None:
        result["value"] = value
        loop.quit()

    kiosk.page.view.locked_page.runJavaScript(f"JSON.stringify((() => {{ {source} }})())", 0, got)
    QTimer.singleShot(TIMEOUT_MS, loop.quit)
    if "value" not in result:
        loop.exec()
    assert "value" in result, f"no answer from the page for: {source}"
    value = result["value"]
    return json.loads(value) if isinstance(value, str) else None


def until(qtbot: Any, condition: Callable[[], bool]) -> None:
    """Run the event loop until `condition()` holds: pytest-qt's wait, or (in a child process
    without pytest, `qtbot` None) the same with a local event loop."""
    if qtbot is not None:
        qtbot.waitUntil(condition, timeout=TIMEOUT_MS)
        return
    deadline = QDeadlineTimer(TIMEOUT_MS)
    while not condition():
        assert not deadline.hasExpired(), "the page did not answer"
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)


def on_view(qtbot: Any, kiosk: KioskWindow, name: str) -> None:
    """Wait until the page shows screen `name` as the kiosk last drew it."""
    try:
        until(
            qtbot, lambda: kiosk.current == name and (name == "invigilator" or 0 < kiosk.seen == kiosk.sent)
        )
    except Exception as exc:
        shown = kiosk.screens.get(kiosk.current, {})
        raise AssertionError(
            f"waited for {name!r}; the kiosk shows {kiosk.current!r} ({shown.get('error') or shown.get('text')!r}),"
            f" drawn {kiosk.sent}, on view {kiosk.seen}"
        ) from exc


def answered(qtbot: Any, kiosk: KioskWindow, before: int) -> None:
    """Wait until a screen drawn after `before` (a value of `kiosk.sent`) is on view."""
    until(qtbot, lambda: kiosk.sent > before and kiosk.seen == kiosk.sent)


def type_into(kiosk: KioskWindow, field: str, text: str) -> None:
    """Put `text` in the screen's field `field` as typing does (focus, value, input event)."""
    found = run_js(
        kiosk,
        f"const e = document.getElementById({json.dumps('field-' + field)}); if (!e) return false;"
        f" e.focus(); e.value = {json.dumps(text)}; e.dispatchEvent(new Event('input', {{bubbles: true}}));"
        " return true;",
    )
    assert found, f"no field {field!r} on {kiosk.current}"


def value_of(kiosk: KioskWindow, field: str) -> str:
    return run_js(kiosk, f"return document.getElementById({json.dumps('field-' + field)}).value")


def press(qtbot: Any, kiosk: KioskWindow, button: str, *, wait: bool = True) -> None:
    """Click the screen's button `button` and wait for the kiosk's answer on view."""
    before = kiosk.sent
    found = run_js(
        kiosk,
        f"const b = document.getElementById({json.dumps('kiosk-' + button)}); if (!b) return false;"
        " b.click(); return true;",
    )
    assert found, f"no button {button!r} on {kiosk.current}"
    if wait:
        answered(qtbot, kiosk, before)


def key(
    qtbot: Any,
    kiosk: KioskWindow,
    key: Qt.Key,
    *,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    wait: bool = True,
) -> None:
    """A real key press to the web view (where the page has its focus), then the kiosk's answer."""
    before = kiosk.sent
    target = kiosk.page.view.focusProxy() or kiosk.page.view
    QTest.keyClick(target, key, modifier)
    if wait:
        answered(qtbot, kiosk, before)


def text(kiosk: KioskWindow, part: str) -> str:
    """The text the screen shows in `part`: "title", "error", "warning", "note", "code", "html"
    or "all"; "" when the screen has no such part."""
    selector = "#kiosk" if part == "all" else f"#kiosk-{part}"
    return run_js(
        kiosk, f"const e = document.querySelector({json.dumps(selector)}); return e ? e.innerText : ''"
    )


def button(kiosk: KioskWindow, name: str) -> dict[str, Any] | None:
    """The screen's button `name`: its label, whether it is enabled and keyboard-focusable."""
    return run_js(
        kiosk,
        f"const b = document.getElementById({json.dumps('kiosk-' + name)}); if (!b) return null;"
        " return {label: b.textContent, enabled: !b.disabled, focusable: b.tabIndex >= 0};",
    )


def focused(kiosk: KioskWindow) -> dict[str, Any]:
    """The page's focused element: its tag, id and accessible name (the label tied to it)."""
    return run_js(
        kiosk,
        "const e = document.activeElement; const l = e && e.labels && e.labels[0];"
        " return {tag: e ? e.tagName.toLowerCase() : '', id: e ? e.id : '',"
        " label: l ? l.textContent : (e && e.getAttribute('aria-label')) || ''};",
    )


# ------------------------------------------------------------------------------- common steps


def override_office_key(qtbot: Any, kiosk: KioskWindow, pin: str) -> None:
    """The invigilator starts a seat that has no office key installed, with the PIN."""
    on_view(qtbot, kiosk, "office-key")
    type_into(kiosk, "pin", pin)
    type_into(kiosk, "who", "A. Invigilator")
    type_into(kiosk, "reason", "office key not installed on this seat")
    press(qtbot, kiosk, "override")


def identify(qtbot: Any, kiosk: KioskWindow, name: str = "Alan Turing", student_id: str = "S-1912") -> None:
    on_view(qtbot, kiosk, "identify")
    type_into(kiosk, "name", name)
    type_into(kiosk, "student_id", student_id)
    press(qtbot, kiosk, "continue")


def enter_code(qtbot: Any, kiosk: KioskWindow, code: str) -> None:
    """Type the start code and press Start; returns once it is checked and the answer is on view."""
    on_view(qtbot, kiosk, "waiting")
    type_into(kiosk, "start-code", code)
    checked = start_code_watch(kiosk)
    press(qtbot, kiosk, "start", wait=False)
    code_checked(qtbot, kiosk, checked)


def start_code_watch(kiosk: KioskWindow) -> list[bool]:
    """Collects the kiosk's `start_code_checked` results from now on."""
    checked: list[bool] = []
    kiosk.start_code_checked.connect(checked.append)
    return checked


def code_checked(qtbot: Any, kiosk: KioskWindow, checked: list[bool]) -> None:
    """Wait until a start code watched by `checked` has been checked and the screen after it is on
    view (checking derives the code's key on a worker thread)."""
    until(qtbot, lambda: bool(checked) and kiosk.seen == kiosk.sent)


def begin(qtbot: Any, kiosk: KioskWindow, code: str | None = None) -> None:
    """Type the start code (the package's, by default) and begin the exam; returns once it is up."""
    enter_code(qtbot, kiosk, code or kiosk.built.start_code)  # type: ignore[attr-defined]
    assert kiosk.current == "instructions", (kiosk.current, text(kiosk, "error"))
    ready: list[bool] = []
    kiosk.exam_ready.connect(lambda: ready.append(True))
    press(qtbot, kiosk, "begin", wait=False)
    until(qtbot, lambda: bool(ready))
