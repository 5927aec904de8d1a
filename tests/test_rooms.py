"""The tree's rooms keep their promises: the Qt-free rooms load no Qt, every gui module is Qt, and
no room imports from a room above it. Modules are discovered from the tree, never listed by hand."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "exam_desktop"

# Each room and the rooms it may import from (itself included). Lower rooms never import higher ones.
ROOMS: dict[str, set[str]] = {
    "core": {"core"},  # the exam's vocabulary: model, responses, numbers, scoring, journal
    "core.bank": {"core", "core.bank", "core.page"},  # a bank may be in the languages the page speaks
    "core.page": {"core", "core.page"},
    "core.sealed": {"core", "core.sealed", "core.page"},  # a package carries figures drawn at build
    "core.seat": {"core", "core.seat", "core.sealed", "core.page"},
    "interchange": {"core", "core.bank", "core.page", "interchange"},
    "grading": {"core", "core.bank", "core.page", "core.sealed", "grading"},
    "room": {"core", "core.page", "core.sealed", "core.seat", "room"},
    "gui": {"core", "core.bank", "core.page", "core.sealed", "core.seat", "grading", "room", "gui"},
    "cli": {
        "core",
        "core.bank",
        "core.page",
        "core.sealed",
        "core.seat",
        "grading",
        "room",
        "interchange",
        "gui",
        "cli",
    },
}
SHARED = {
    "",
    "paths",
    "__main__",
}  # the package itself (its version), paths and `python -m`: usable from every room
QT_FREE = [room for room in ROOMS if room != "gui"]


def modules() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def room_of(module: str) -> str:
    """exam_desktop.core.seat.session -> core.seat; exam_desktop.core.model -> core."""
    parts = module.split(".")[1:]
    if parts[:1] == ["core"]:
        return "core." + parts[1] if len(parts) > 2 or (len(parts) == 2 and is_package(parts)) else "core"
    return parts[0] if parts else ""


def is_package(parts: list[str]) -> bool:
    return (PACKAGE.joinpath(*parts) / "__init__.py").is_file()


def source_of(module: str) -> Path:
    relative = Path(*module.split(".")[1:])
    package = PACKAGE / relative / "__init__.py"
    return package if package.is_file() else (PACKAGE / relative).with_suffix(".py")


def imported(module: str) -> set[str]:
    """Every exam_desktop module that `module` imports, at the top or inside a function."""
    tree = ast.parse(source_of(module).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("exam_desktop")}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.startswith("exam_desktop")
        ):
            names.add(node.module)
            names |= {
                f"{node.module}.{a.name}" for a in node.names if source_exists(f"{node.module}.{a.name}")
            }
    return names


def source_exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative / "__init__.py").is_file() or (PACKAGE / relative).with_suffix(".py").is_file()


def test_rooms_are_found():
    rooms = {room_of(m) for m in modules()}
    assert {"core", "core.bank", "core.page", "core.seat", "core.sealed", "gui", "cli"} <= rooms
    assert rooms - SHARED <= set(ROOMS), f"a room with no rule in ROOMS: {rooms - SHARED - set(ROOMS)}"


@pytest.mark.parametrize("module", modules())
def test_no_room_imports_from_a_room_above_it(module):
    room = room_of(module)
    if room in SHARED:
        return
    wrong = sorted(m for m in imported(module) if room_of(m) not in ROOMS[room] | SHARED)
    assert not wrong, f"{module} (room {room}) imports {wrong}"


QT_GUARD = "exam_desktop.gui.pyside_refcounts"  # a guard for PySide6 itself, run before Qt loads


@pytest.mark.parametrize(
    "module", [m for m in modules() if room_of(m) == "gui" and m not in ("exam_desktop.gui", QT_GUARD)]
)
def test_every_gui_module_is_qt(module):
    """A module without Qt belongs in a Qt-free room, not in gui/."""
    tree = ast.parse(source_of(module).read_text(encoding="utf-8"))
    uses_qt = any(
        (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PySide6"))
        or (isinstance(node, ast.Import) and any(a.name.startswith("PySide6") for a in node.names))
        or (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("exam_desktop.gui"))
        for node in tree.body
    )
    assert uses_qt, f"{module} imports no Qt: move it to the Qt-free room it belongs to"


@pytest.mark.parametrize("room", [r for r in QT_FREE if any(room_of(m) == r for m in modules())])
def test_qt_free_rooms_load_no_qt(room):
    """Each module of the room imported in a fresh interpreter; the first that loads Qt is named."""
    names = [m for m in modules() if room_of(m) == room]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "    if any(m.startswith('PySide6') or m.startswith('shiboken6') for m in sys.modules):\n"
        "        print(name); break\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "", f"importing {run.stdout.strip()} loaded Qt"


def test_importing_any_gui_module_loads_qt():
    code = f"import {QT_GUARD}, sys; assert 'PySide6.QtCore' in sys.modules, 'no Qt'"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_the_candidate_kiosk_does_not_load_matplotlib():
    code = "import exam_desktop.gui.kiosk, sys; assert 'matplotlib' not in sys.modules, 'matplotlib'"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
