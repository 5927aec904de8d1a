"""The exam window as a screen reader finds it: run under Xvfb with Qt's AT-SPI bridge on.

`python atspi_child.py BANK ANSWER_FILE` opens the real exam window (QT_QPA_PLATFORM=xcb, a
session D-Bus with the AT-SPI bus on it), prints `READY` once the first question is typeset, then
obeys one command per line on stdin and answers on stdout:
`go QUESTION_ID` -> `SHOWN QUESTION_ID`; `click SELECTOR` -> `SAVED` once the answer file holds it;
`notice TEXT` -> `NOTICED` once the page shows the notice (a time warning, say).
It exits when stdin closes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pagetools import click, open_window
from PySide6.QtCore import QSocketNotifier

from exam_desktop.core.bank import load_bank
from exam_desktop.gui.application import qt_application
from exam_desktop.gui.preview import wait_for


def main(bank: str, answer_file: str) -> int:
    app = qt_application()
    window = open_window(load_bank(Path(bank)), Path(answer_file))
    window.activateWindow()

    saves: list[bool] = []  # recorded before each command runs: the page may answer at once
    shown: list[str] = []
    window.saved.connect(lambda: saves.append(True))
    window.shown.connect(lambda view, question_id: shown.append(question_id))

    def obey() -> None:
        line = sys.stdin.readline()
        if not line:
            notifier.setEnabled(False)
            window.close()
            window.saving.close()
            app.quit()
            return
        verb, _, argument = line.strip().partition(" ")
        if verb == "go":
            shown.clear()
            window.go_to(argument)
            if argument not in shown:
                wait_for(
                    window.shown, lambda view, question_id: question_id == argument, f"showing {argument}"
                )
            print("SHOWN", argument, flush=True)
        elif verb == "click":
            before = len(saves)
            click(window, argument)
            if len(saves) == before:
                wait_for(window.saved, lambda: True, "saving")
            print("SAVED", flush=True)
        elif verb == "notice":
            window.show_notice(argument)
            print("NOTICED", flush=True)

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(obey)
    print("READY", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
