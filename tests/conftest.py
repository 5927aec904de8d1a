"""Test setup shared by the whole suite: Qt runs offscreen, data goes to temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()

REPO = Path(__file__).resolve().parent.parent
BANKS = REPO / "banks"
SHARED = Path(os.environ.get("EXAM_DESKTOP_SHARED") or REPO.parent / "shared")  # fixtures, schemas


def pytest_configure(config):
    """The seat refuses memory-only storage (tmpfs), so on machines whose /tmp is one the tests'
    folders go to the repository's own disk instead (git-ignored `out/pytest-tmp`)."""
    import tempfile

    from exam_desktop.core.seat.preflight import storage_kind

    if config.option.basetemp is None and storage_kind(Path(tempfile.gettempdir()))[0] != "local":
        config.option.basetemp = str(REPO / "out" / "pytest-tmp")


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path_factory, monkeypatch):
    """Every test gets its own data and cache folders; nothing touches the user's home."""
    root = tmp_path_factory.mktemp("appdata")
    monkeypatch.setenv("EXAM_DESKTOP_DATA", str(root / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "cache"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips (or fails under CI=true) when the workplace folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must run the fixture-based tests")
        pytest.skip(f"{path} not present (a clone outside the workplace has no ../shared)")
    return path
