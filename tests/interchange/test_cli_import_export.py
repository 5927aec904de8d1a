"""`exam-desktop import` and `exam-desktop export` as a teacher runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import BANKS, shared_path

from exam_desktop.cli import main
from exam_desktop.core.bank import load_bank

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange"


def test_import_writes_a_valid_bank_and_prints_the_report(tmp_path, capsys) -> None:
    source = shared_path("fixtures", "gift-parser-ide", "pass", "giftFormatPhpExamples.gift")
    bank = tmp_path / "grant.md"
    assert main(["import", str(source), "-o", str(bank)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {bank}: giftFormatPhpExamples — 10 questions" in out
    assert f"{source}:35: question 'Jesus' hometown (Short answer ex.)': answer 'Nazereth' worth 75%" in out
    assert "set to 60 minutes" in out
    exam = load_bank(bank)
    assert exam.duration_minutes == 60 and len(exam.questions) == 10


def test_import_saves_embedded_images_next_to_the_bank(tmp_path, capsys) -> None:
    bank = tmp_path / "signals" / "signals.md"
    assert main(["import", str(DATA / "moodle-sample.xml"), "-o", str(bank)]) == 0
    assert (bank.parent / "images" / "delta.png").read_bytes().startswith(b"\x89PNG")
    assert "saved 1 embedded file(s)" in capsys.readouterr().out


def test_malformed_input_exits_non_zero_with_file_and_line_and_no_traceback(tmp_path) -> None:
    bad = tmp_path / "bad.gift"
    bad.write_text("::Q1:: 1+1~2 {T}\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "exam_desktop", "import", str(bad), "-o", str(tmp_path / "b.md")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert f"{bad}:1: unescaped '~' in the question text" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "b.md").exists()


def test_a_file_that_is_not_the_claimed_format_is_said_so(tmp_path, capsys) -> None:
    assert (
        main(["import", str(DATA / "moodle-sample.xml"), "--from", "aiken", "-o", str(tmp_path / "x.md")])
        == 1
    )
    assert "is not an Aiken file: its content looks like a Moodle XML file" in capsys.readouterr().err


def test_an_existing_bank_is_not_overwritten_without_force(tmp_path, capsys) -> None:
    bank = tmp_path / "kept.md"
    bank.write_text("mine", encoding="utf-8")
    assert main(["import", str(DATA / "moodle-sample.xml"), "-o", str(bank)]) == 1
    assert bank.read_text(encoding="utf-8") == "mine"
    assert "--force" in capsys.readouterr().err


def test_export_then_import_through_the_cli(tmp_path, capsys) -> None:
    xml = tmp_path / "dl.xml"
    assert main(["export", str(BANKS / "dl-exam-it.md"), "--to", "moodle-xml", "-o", str(xml)]) == 0
    out = capsys.readouterr().out
    assert "not carried over or changed" in out and "select exactly 6" in out
    assert main(["import", str(xml), "-o", str(tmp_path / "dl.md")]) == 0
    original, back = load_bank(BANKS / "dl-exam-it.md"), load_bank(tmp_path / "dl.md")
    assert [q.id for q in back.questions] == [q.id for q in original.questions if q.id != "model-summary"]


def _gift(tmp_path: Path) -> Path:
    source = tmp_path / "a.gift"
    source.write_text("::Q1:: 1+1? {=2 ~3}\n", encoding="utf-8")
    return source


def test_an_output_that_is_a_folder_or_a_device_is_refused_in_one_sentence(tmp_path, capsys) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    bank = BANKS / "sample-every-kind.md"
    assert main(["export", str(bank), "--to", "qti", "-o", str(folder), "--force"]) == 1
    assert f"{folder} is a folder" in capsys.readouterr().err
    assert main(["import", str(_gift(tmp_path)), "-o", str(folder), "--force"]) == 1
    assert f"{folder} is a folder" in capsys.readouterr().err
    assert main(["import", str(_gift(tmp_path)), "-o", "/dev/full", "--force"]) == 1
    assert "/dev/full is not a regular file" in capsys.readouterr().err
    assert main(["import", str(_gift(tmp_path)), "-o", "/proc/nosuch/bank.md", "--force"]) == 1
    assert "Cannot write /proc/nosuch/bank.md" in capsys.readouterr().err
    assert list(folder.iterdir()) == []


def test_export_refuses_a_missing_folder_instead_of_creating_it(tmp_path, capsys) -> None:
    target = tmp_path / "nosuch" / "x.zip"
    assert main(["export", str(BANKS / "sample-every-kind.md"), "--to", "qti", "-o", str(target)]) == 1
    assert f"The folder {target.parent} does not exist." in capsys.readouterr().err
    assert not target.parent.exists()


def test_a_binary_file_is_said_not_to_be_a_text_format(tmp_path, capsys) -> None:
    blob = tmp_path / "a.gift"
    blob.write_bytes(bytes(range(256)) * 8)
    assert main(["import", str(blob), "-o", str(tmp_path / "b.md")]) == 1
    err = capsys.readouterr().err
    assert "is not a text format this app reads" in err and "syntax" not in err
    assert not (tmp_path / "b.md").exists()
