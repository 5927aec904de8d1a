"""Failures a grader or the exam office meets, each said once in one sentence: passphrases without a
terminal or at end of input, short passphrases, key files others can read, a batch of bundles
imported with the key of another package, counts that match what was written, ungraded items."""

from __future__ import annotations

import csv
import os
import pty
import random
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grading_sample import PERFECT, answers, write_bundle_file, write_key

from exam_desktop.cli import main
from exam_desktop.core.sealed.keys import private_file_warning
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.results import exam_results
from exam_desktop.grading.simulate import simulated_bundle
from exam_desktop.grading.stats import item_statistics


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_no_terminal_for_the_passphrase_is_one_sentence(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("EXAM_DESKTOP_PASSPHRASE", raising=False)
    code, _, err = run(capsys, "keys", "init", "--dir", tmp_path / "keys")
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--passphrase-file" in err and "EXAM_DESKTOP_PASSPHRASE" in err
    assert not (tmp_path / "keys").exists()


def test_end_of_input_at_the_passphrase_prompt_is_one_sentence(tmp_path):
    """Ctrl+D typed on a real (pseudo-)terminal at the prompt of `keys init`."""
    env = {k: v for k, v in os.environ.items() if k != "EXAM_DESKTOP_PASSPHRASE"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command with the pty as its terminal
        os.execve(
            sys.executable,
            [sys.executable, "-m", "exam_desktop", "keys", "init", "--dir", str(tmp_path / "keys")],
            env,
        )
    output = b""
    while b"passphrase:" not in output:
        output += os.read(fd, 1024)
    os.write(fd, b"\x04")  # Ctrl+D
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    text = output.decode()
    assert os.waitstatus_to_exitcode(status) == 1
    assert "end of input" in text and "Traceback" not in text and "internal error" not in text


def test_an_empty_passphrase_file_is_said_to_be_empty(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    code, _, err = run(
        capsys, "keys", "init", "--dir", tmp_path / "keys", "--passphrase-file", tmp_path / "empty.txt"
    )
    assert code == 1 and f"{tmp_path / 'empty.txt'} is empty" in err


def test_a_short_passphrase_is_refused(tmp_path, capsys):
    short = tmp_path / "pass.txt"
    short.write_text("x\n")
    code, _, err = run(capsys, "keys", "init", "--dir", tmp_path / "keys", "--passphrase-file", short)
    assert code == 1 and "at least 10" in err
    assert not (tmp_path / "keys").exists()


def test_key_files_are_private_and_a_readable_one_is_warned_about(tmp_path, capsys):
    passphrase = tmp_path / "pass.txt"
    passphrase.write_text("a long office passphrase\n")
    keys = tmp_path / "keys"
    assert run(capsys, "keys", "init", "--dir", keys, "--passphrase-file", passphrase)[0] == 0
    assert (keys / "office-private.pem").stat().st_mode & 0o777 == 0o600
    bank = tmp_path / "bank.md"
    bank.write_text(
        "---\nid: tiny\ntitle: Tiny\nduration: 10m\n---\n# A\n\n## Q {#q truefalse}\nTrue?\n\nanswer: true\n"
    )
    built = run(
        capsys,
        "build",
        bank,
        "-o",
        tmp_path / "tiny.exam",
        "--key",
        keys / "office-private.pem",
        "--passphrase-file",
        passphrase,
    )
    assert built[0] == 0 and "warning" not in built[2]
    key_file = tmp_path / "tiny.key"
    assert key_file.stat().st_mode & 0o777 == 0o600

    key_file.chmod(0o644)  # copied carelessly
    _code, _, err = run(
        capsys,
        "grade",
        "import",
        "--key",
        key_file,
        "--office-key",
        keys / "office-public.pem",
        tmp_path,
        "--db",
        tmp_path / "g.db",
    )
    assert f"warning: {key_file} can be read by other users" in err and "chmod 600" in err
    # Only key files and private keys are warned about: never a public key or a file that is no key.
    (keys / "office-private.pem").chmod(0o644)
    assert "chmod 600" in (private_file_warning(keys / "office-private.pem") or "")
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (tmp_path / "passwd").chmod(0o644)
    (keys / "office-public.pem").chmod(0o644)
    assert private_file_warning(keys / "office-public.pem") is None
    assert private_file_warning(tmp_path / "passwd") is None


def test_bundles_of_another_package_are_diagnosed_once(tmp_path, capsys):
    office = Ed25519PrivateKey.generate()  # one exam office built both packages
    ours = write_key(tmp_path / "ours", office=office)
    theirs = load_key_file(write_key(tmp_path / "theirs", office=office), office.public_key())
    for n in range(5):
        write_bundle_file(theirs, tmp_path / "usb", f"c{n}@uni.it", answers(**PERFECT))
    code, out, _ = run(capsys, "grade", "import", "--key", ours, tmp_path / "usb", "--db", tmp_path / "g.db")
    assert code == 1
    lines = out.strip().splitlines()
    assert lines == [
        f"These 5 bundles belong to exam grading-sample, package {theirs.package_hash[:12]}…; "
        f"the key file {ours} is for exam grading-sample, package "
        f"{load_key_file(ours, office.public_key()).package_hash[:12]}…. Import them with the key file built with "
        "their package (or into another database with --db).",
        "5 rejected.",
    ]
    # With the right key they import (a rejected bundle is not remembered as bad).
    theirs_path = tmp_path / "theirs" / "exam.key"
    code, out, _ = run(
        capsys, "grade", "import", "--key", theirs_path, tmp_path / "usb", "--db", tmp_path / "t.db"
    )
    assert code == 0 and out.strip() == "5 imported."


def test_moodle_export_counts_the_rows_it_wrote(tmp_path, capsys):
    key_path = write_key(tmp_path)
    key = load_key_file(key_path)
    for n in range(3):
        write_bundle_file(key, tmp_path / "usb", f"c{n}@uni.it", answers(**PERFECT))
    nameless = simulated_bundle(key, {"name": "No Email", "email": ""}, answers(**PERFECT), random.Random(4))
    (tmp_path / "usb" / "nameless.bundle").write_bytes(nameless)
    db = tmp_path / "g.db"
    assert run(capsys, "grade", "import", "--key", key_path, tmp_path / "usb", "--db", db)[0] == 0
    code, out, err = run(capsys, "grade", "export", "--moodle", tmp_path / "m.csv", "--db", db)
    assert code == 0
    with open(tmp_path / "m.csv", newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert len(rows) == 3
    assert "(3 candidates; 1 of 4 left out, see the warnings)" in out
    assert "has no email: left out" in err


def test_statistics_leave_ungraded_answers_out_and_say_so(tmp_path, capsys):
    key_path = write_key(tmp_path, office=Ed25519PrivateKey.generate())
    key = load_key_file(key_path)
    for n in range(6):
        write_bundle_file(key, tmp_path / "usb", f"c{n}@uni.it", answers(**PERFECT), seed=n)
    db_path = tmp_path / "g.db"
    run(capsys, "grade", "import", "--key", key_path, tmp_path / "usb", "--db", db_path)
    db = GraderDB.open(db_path)
    results = exam_results(db, db.exam())
    gans = next(i for i in item_statistics(db.exam(), results) if i.question_id == "gans")
    assert (gans.facility, gans.discrimination, gans.ungraded) == (None, None, 6)  # not "0 = hard"
    db.grade_by_hand(results[0].candidate.id, "gans", 2)
    db.grade_by_hand(results[1].candidate.id, "gans", 1)
    results = exam_results(db, db.exam())
    gans = next(i for i in item_statistics(db.exam(), results) if i.question_id == "gans")
    assert (gans.facility, gans.ungraded) == (0.75, 4)  # from the two graded essays only
    db.close()
    assert run(capsys, "grade", "report", "--stats", tmp_path / "stats", "--db", db_path)[0] == 0
    report = (tmp_path / "stats" / "exam-report.html").read_text()
    assert "are left out of the item figures" in report and "not counted as zero" in report
    # Beside each item's facility, what guessing gets from its scoring rules.
    assert "<th>by guessing</th>" in report and "Scoring rules: guessing everything at random" in report
