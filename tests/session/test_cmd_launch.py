"""`exam-desktop launch` refuses, with one clear sentence, what must never reach the kiosk."""

from __future__ import annotations

import pytest
from sessiontools import build

from exam_desktop.cli import main


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("package"))


def launch(capsys, *argv: object) -> tuple[int, str]:
    code = main(["launch", *map(str, argv)])
    return code, capsys.readouterr().err


def test_a_package_with_one_flipped_byte_is_refused(built, tmp_path, capsys):
    damaged = tmp_path / "damaged.exam"
    data = bytearray(built.package.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    code, err = launch(capsys, damaged, "--data-dir", tmp_path, "--pin", "1234")
    assert code == 1
    assert "signature is not valid" in err and "Traceback" not in err
    assert not (tmp_path / "sessions").exists(), "nothing was started"


def test_without_any_invigilator_pin_the_exam_does_not_start(built, tmp_path, capsys):
    code, err = launch(capsys, built.package, "--data-dir", tmp_path)
    assert code == 1 and "No invigilator PIN" in err


def test_unknown_incident_rules_are_refused(built, tmp_path, capsys):
    code, err = launch(
        capsys, built.package, "--data-dir", tmp_path, "--pin", "1", "--policy", "alt-tab=lock"
    )
    assert code == 1 and "'alt-tab' is not an incident kind" in err


def test_a_machine_that_fails_the_preflight_does_not_start(built, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    code, err = launch(capsys, built.package, "--data-dir", blocker / "data", "--pin", "1234")
    assert code == 1
    assert "This machine is not ready for the exam" in err and "cannot be written" in err


def test_on_a_screen_the_refusal_is_shown_in_the_exams_language(tmp_path, capsys, monkeypatch):
    """A kiosk session has no terminal: the refusal is also put on screen (gui/kiosk.py
    RefusalWindow, drawn in every language by tests/session/test_exam_day_screens.py), in the
    language of the package's header when that can be read."""
    import dataclasses

    from sessiontools import ML_BANK

    from exam_desktop.cli import cmd_launch
    from exam_desktop.core.bank import load_bank
    from exam_desktop.gui import kiosk

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(cmd_launch, "on_screen", lambda: True)
    monkeypatch.setattr(kiosk, "show_refusal", lambda text, language="en": shown.append((text, language)))
    italian = build(tmp_path / "it", exam=dataclasses.replace(load_bank(ML_BANK), language="it"))
    code, err = launch(capsys, italian.package, "--data-dir", tmp_path / "seat")  # no PIN
    assert code == 1 and shown == [(err.split(": ", 1)[1].strip(), "it")]
    not_a_package = tmp_path / "notes.exam"
    not_a_package.write_text("not an exam package")
    assert launch(capsys, not_a_package, "--data-dir", tmp_path / "seat", "--pin", "1")[0] == 1
    assert shown[-1][1] == "en"
