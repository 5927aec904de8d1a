"""Reads an application's accessibility tree over AT-SPI, as Orca does (runs under /usr/bin/python3).

Needs Debian's python3-pyatspi (pyatspi and gir1.2-atspi-2.0 are for the system Python, not the
project's virtual environment) and DBUS_SESSION_BUS_ADDRESS of a bus with the AT-SPI bus on it.

`atspi_reader.py tree APP` prints the tree of application APP's windows (frames, as a screen
reader's review walks them) as one JSON object per line, a node being {"role", "name",
"description", "depth"}, then `END`.
`atspi_reader.py listen APP` prints `LISTENING`, then one JSON line per announcement or text
change of APP ({"event", "text", "politeness"}), as a screen reader hears them, until stdin closes.
"""

from __future__ import annotations

import json
import sys

import pyatspi
from gi.repository import GLib


def application(name):
    desktop = pyatspi.Registry.getDesktop(0)
    for app in desktop:
        if app is not None and app.name == name:
            return app
    return None


def tree(name):
    app = application(name)
    if app is None:
        print(json.dumps({"error": f"no application {name!r} on the AT-SPI bus"}), flush=True)
        return 1
    stack = [
        (window, 1)
        for window in reversed(list(app))
        if window is not None and window.getRoleName() == "frame"
    ]
    while stack:
        node, depth = stack.pop()
        try:
            line = {
                "role": node.getRoleName(),
                "name": node.name or "",
                "description": node.description or "",
                "depth": depth,
            }
            children = [child for child in node if child is not None]
        except Exception:  # a node that went away while being read
            continue
        print(json.dumps(line), flush=True)
        stack.extend((child, depth + 1) for child in reversed(children))
    print("END", flush=True)
    return 0


def listen(name):
    def heard(event):
        try:
            if event.source.getApplication().name != name:
                return
            text = event.any_data if isinstance(event.any_data, str) else ""
            line = {"event": event.type, "text": text, "politeness": event.detail1}
        except Exception:  # the source went away
            return
        print(json.dumps(line), flush=True)

    pyatspi.Registry.registerEventListener(heard, "object:announcement", "object:text-changed:insert")
    loop = GLib.MainLoop()

    def stdin_closed(*_):
        loop.quit()
        return False

    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.IO_IN | GLib.IO_HUP, stdin_closed)
    print("LISTENING", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    mode, app_name = sys.argv[1:3]
    sys.exit(tree(app_name) if mode == "tree" else listen(app_name))
