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
