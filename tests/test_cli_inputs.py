"""Every bad input the fault campaign tried gets one clear sentence and a non-zero exit."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BANKS

from exam_desktop.cli import main
from exam_desktop.core.responses import Response
from exam_desktop.core.seat.answer_file import AnswerStore
from exam_desktop.core.seat.storage_errors import StorageWriteError

BANK = BANKS / "ml-engineers-test.md"


def run(capsys, *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.err


def one_sentence(err: str, prefix: str) -> None:
    assert err.startswith(f"exam-desktop {prefix}: ") and "Traceback" not in err
    assert err.count("\n") == 1, err


@pytest.fixture
def binary(tmp_path) -> Path:
    path = tmp_path / "binary.dat"
    path.write_bytes(bytes(range(256)) * 4)
    return path


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    root = tmp_path_factory.mktemp("office")
    (root / "pass.txt").write_text("a passphrase\n")
    assert (
        main(["keys", "init", "--dir", str(root / "keys"), "--passphrase-file", str(root / "pass.txt")]) == 0
    )
    assert (
        main(
            [
                "build",
                str(BANK),
                "-o",
                str(root / "ml.exam"),
                "--key",
                str(root / "keys" / "office-private.pem"),
                "--passphrase-file",
                str(root / "pass.txt"),
                "--pin",
                "2468",
            ]
        )
        == 0
    )
    return root


def test_a_binary_passphrase_file(capsys, office, binary, tmp_path):
    code, err = run(
        capsys,
        "build",
        BANK,
        "-o",
        tmp_path / "x.exam",
        "--key",
        office / "keys" / "office-private.pem",
        "--passphrase-file",
        binary,
    )
    assert code == 1 and "is not a text file" in err
    one_sentence(err, "build")


def test_a_binary_policy_file(capsys, office, binary, tmp_path):
    code, err = run(
        capsys, "launch", office / "ml.exam", "--data-dir", tmp_path, "--pin", "1", "--policy", binary
    )
    assert code == 1 and "is not a text file" in err
    one_sentence(err, "launch")


def test_export_to_a_place_that_cannot_hold_a_file(capsys):
    code, err = run(capsys, "export", BANK, "--to", "qti", "-o", "/proc/x.zip")
    assert code == 1 and "Cannot write /proc/x.zip" in err
    one_sentence(err, "export")


def test_simulate_into_an_existing_file(capsys, office, tmp_path):
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    public = office / "keys" / "office-public.pem"
    code, err = run(
        capsys, "grade", "simulate", "--key", office / "ml.key", "--office-key", public, "-o", existing
    )
    assert code == 1 and "is a file, not a folder" in err and existing.read_text() == "mine"
    one_sentence(err, "grade")


def test_preview_into_an_existing_file(capsys, tmp_path):
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    code, err = run(capsys, "preview", BANK, "--png", existing)
    assert code == 1 and "is a file, not a folder" in err and existing.read_text() == "mine"
    one_sentence(err, "preview")


def test_grade_import_into_a_foreign_database_changes_nothing(capsys, office, tmp_path):
    foreign = tmp_path / "photos.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    before = foreign.read_bytes()
    public = office / "keys" / "office-public.pem"
    code, err = run(
        capsys,
        "grade",
        "import",
        "--key",
        office / "ml.key",
        "--office-key",
        public,
        "--db",
        foreign,
        tmp_path,
    )
    assert code == 1 and "not a grader database: nothing was changed" in err
    assert foreign.read_bytes() == before
    one_sentence(err, "grade")


def test_a_package_header_missing_a_field_names_it(capsys, tmp_path):
    """Signed by the office key but written by an older or broken tool: the field is named."""
    import json
    import struct

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from exam_desktop.core.bank import load_bank
    from exam_desktop.core.sealed.keys import ScryptParams, canonical_json
    from exam_desktop.core.sealed.package import MAGIC, build_package

    office_key = Ed25519PrivateKey.generate()
    data = build_package(
        load_bank(BANK), office_key, kdf=ScryptParams(n=2**10), draw_figures=False
    ).package_bytes
    at = len(MAGIC)
    (length,) = struct.unpack_from(">I", data, at)
    header = json.loads(data[at + 4 : at + 4 + length])
    del header["results_dir"]
    new_header = canonical_json(header)
    body = MAGIC + struct.pack(">I", len(new_header)) + new_header + data[at + 4 + length : -64]
    package = tmp_path / "old.exam"
    package.write_bytes(body + office_key.sign(body))
    code, err = run(capsys, "launch", package, "--data-dir", tmp_path / "seat", "--pin", "1")
    assert code == 1 and "the field 'results_dir' is missing" in err
    one_sentence(err, "launch")


def test_a_read_only_answer_file_says_the_exam_cannot_start(tmp_path):
    point = tmp_path / "ro"
    point.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(point)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a filesystem here to make read-only (needs root with mount rights)")
    try:
        path = point / "answers.sqlite"
        with AnswerStore.open(path) as store:
            store.save_response(Response("q1", "kept"))
        subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
        with pytest.raises(StorageWriteError) as caught:
            AnswerStore.open(path)
        text = str(caught.value)
        assert "cannot be written (the answer file is read-only), so the exam cannot start" in text
        assert "Your last change" not in text and "tries again" not in text
    finally:
        subprocess.run(["umount", str(point)], check=True)
    assert os.path.isdir(point)


def test_a_fifo_package_and_a_device_key_file_are_refused_without_hanging(capsys, tmp_path):
    import threading

    fifo = tmp_path / "stuck.exam"
    os.mkfifo(fifo)
    codes: list[int] = []

    def both() -> None:
        codes.append(main(["launch", str(fifo), "--data-dir", str(tmp_path / "seat"), "--pin", "1"]))
        codes.append(main(["verify", "--key", "/dev/zero", "--office-key", "/dev/zero", str(tmp_path)]))

    worker = threading.Thread(target=both)
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():
        with open(fifo, "wb"):
            pass
        worker.join()
        pytest.fail("a FIFO or a device blocked the command")
    err = capsys.readouterr().err
    assert codes == [1, 1]
    assert err.count("not a regular file") == 2, err


def test_a_closed_output_pipe_ends_the_command_quietly() -> None:
    import sys

    run = subprocess.Popen(
        [sys.executable, "-m", "exam_desktop", "check", str(BANK), "--scoring"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert run.stdout is not None and run.stderr is not None
    run.stdout.close()  # as `| head` does once it has its lines
    with run.stderr:
        err = run.stderr.read().decode()
    run.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert run.returncode == 141


def test_a_command_loads_only_its_own_verb_and_help_lists_every_verb():
    """`exam-desktop check` does not load the key, room or grading verbs (a quicker start)."""
    code = (
        "import sys\n"
        "from exam_desktop.cli import main\n"
        "main(['check', 'banks/ml-engineers-test.md'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('exam_desktop.cli.cmd_')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=BANKS.parent
    )
    assert out.stdout.strip().splitlines()[-1] == "['exam_desktop.cli.cmd_check']"
    listed = subprocess.run(
        [sys.executable, "-m", "exam_desktop", "--help"], capture_output=True, text=True, check=True
    ).stdout
    verbs = {line.split()[0] for line in listed.splitlines() if line.startswith("    ") and line.split()}
    assert {"build", "check", "demo", "export-results", "grade", "keys", "launch", "room", "verify"} <= verbs
    wrong = subprocess.run([sys.executable, "-m", "exam_desktop", "chek"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "invalid choice: 'chek'" in wrong.stderr and "'check'" in wrong.stderr
    near = subprocess.run(
        [sys.executable, "-m", "exam_desktop", "export_results"], capture_output=True, text=True
    )
    assert near.returncode == 2 and "'export-results'" in near.stderr and "'check'" in near.stderr
