"""The page is locked: bank HTML runs nothing and fetches nothing; no navigation, popups or menus;
the bridge accepts only its own messages."""

from __future__ import annotations

import pytest
from pagetools import close_window, js, open_window
from PySide6.QtCore import Qt
from PySide6.QtWebEngineCore import QWebEnginePage

from exam_desktop.core.bank import parse_bank
from exam_desktop.gui.bridge import Bridge, js_call

pytestmark = pytest.mark.gui

HOSTILE_BANK = """\
---
id: hostile
title: Hostile bank
duration: 10m
---
# Page

## Scripts everywhere {#s1 single points=1}
Before <script>window.pwned = 1; document.title = "pwned";</script> after.

<img src="http://127.0.0.1:9/tracker.png" onerror="window.pwned = 2">
<a href="http://127.0.0.1:9/away">a link away</a>
<iframe src="http://127.0.0.1:9/frame"></iframe>
<style>body { display: none; }</style>

![remote](http://127.0.0.1:9/remote.png)

- [x] <b onmouseover="window.pwned = 3">bold</b>
- [ ] option <img src="x" onerror="window.pwned = 4">
"""


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    exam = parse_bank(HOSTILE_BANK, "hostile.md")
    window = open_window(exam, tmp_path_factory.mktemp("candidate") / "answers.sqlite")
    yield window
    close_window(window)


def test_scripts_and_remote_urls_in_a_bank_run_nothing_and_fetch_nothing(window):
    assert js(window, "return typeof window.pwned") == "undefined"
    assert js(window, "return document.title") == "Hostile bank"
    assert (
        js(window, "return document.querySelectorAll('#view script, #view iframe, #view style').length") == 0
    )
    sources = js(
        window,
        "return [...document.querySelectorAll('[src], [href]')].map(e => e.getAttribute('src') || e.getAttribute('href'))",
    )
    assert not [s for s in sources if "127.0.0.1" in s]
    assert (
        js(
            window,
            "return [...document.querySelectorAll('#view *')].some(e => [...e.attributes].some(a => a.name.startsWith('on')))",
        )
        is False
    )
    assert window.view.blocker.blocked == []  # nothing was even attempted
    assert "after." in js(window, "return document.querySelector('.stem').textContent")  # the text stays
    assert js(window, "return getComputedStyle(document.body).display") == "block"


def test_the_page_cannot_navigate_away_or_open_windows(qtbot, window):
    js(window, "window.location.href = 'http://127.0.0.1:9/away'; return true;")
    qtbot.waitUntil(lambda: "http://127.0.0.1:9/away" in window.page.refused_navigations, timeout=5000)
    assert js(window, "return window.open('exam://app/shell.html') === null") is True
    assert js(window, "return location.href") == "exam://app/shell.html"
    assert js(window, "return typeof exam.showQuestion") == "function"  # still the live exam page


def test_no_context_menu_and_no_dev_tools(window):
    assert window.view.contextMenuPolicy() == Qt.ContextMenuPolicy.NoContextMenu
    assert window.page.devToolsPage() is None


def test_the_profile_blocks_every_request_outside_the_app(qtbot, window):
    # A page in the same profile without the shell's own content policy: the profile still blocks.
    other = QWebEnginePage(window.view.profile)
    with qtbot.waitSignal(other.loadFinished, timeout=10000):
        other.setHtml('<img src="http://127.0.0.1:9/pixel.png">')
    qtbot.waitUntil(lambda: "http://127.0.0.1:9/pixel.png" in window.view.blocker.blocked, timeout=5000)
    other.deleteLater()


def test_the_bridge_rejects_unknown_or_malformed_messages_and_drops_them_after_teardown(qapp):
    bridge = Bridge()
    received = []
    bridge.post('{"type": "ready"}')  # before the window listens: kept, handed over
    bridge.set_handler(lambda kind, data: received.append((kind, data)))
    assert received == [("ready", {})]
    received.clear()
    bridge.post('{"type": "flag", "question_id": "q1", "flagged": true}')
    bridge.post('{"type": "eval", "code": "import os"}')
    bridge.post("not json")
    bridge.post('["flag"]')
    assert received == [("flag", {"question_id": "q1", "flagged": True})]
    assert len(bridge.rejected) == 3
    bridge.close()
    bridge.post('{"type": "flag", "question_id": "q1", "flagged": false}')
    assert len(received) == 1


def test_the_kiosk_screens_messages_go_to_their_own_handler_and_the_exam_never_sees_them(qapp):
    bridge = Bridge()
    exam, screens, loaded = [], [], []
    bridge.loaded.connect(lambda: loaded.append(True))
    bridge.route({"kiosk_action", "kiosk_shown"}, lambda kind, data: screens.append(kind))
    bridge.post('{"type": "ready"}')  # the page is up, whoever listens
    bridge.post('{"type": "kiosk_action", "screen": "identify", "action": "continue", "values": {}}')
    assert loaded == [True] and bridge.is_loaded and screens == ["kiosk_action"]
    bridge.set_handler(lambda kind, data: exam.append(kind))  # the exam window takes the page over
    bridge.post('{"type": "kiosk_shown", "screen": "exam", "seq": 7}')
    bridge.post('{"type": "flag", "question_id": "q1", "flagged": true}')
    assert exam == ["ready", "flag"] and screens == ["kiosk_action", "kiosk_shown"]


def test_values_reach_js_only_json_encoded():
    assert js_call("exam.showNotice", "');alert(1);//</script>") == (
        """exam.showNotice("');alert(1);//</script>");"""
    )
    with pytest.raises(ValueError):
        js_call("alert(1);exam.showNotice", "x")
