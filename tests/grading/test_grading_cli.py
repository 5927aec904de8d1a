"""The grader from the command line: real signed bundles in, scores, CSV and reports out."""

from __future__ import annotations

import csv
import random
import shutil
import zipfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grading_sample import (
    PERFECT,
    RELU,
    SIX_RIGHT,
    answers,
    corrected_key,
    write_bundle_file,
    write_key,
)

from exam_desktop.cli import main
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.results import exam_results
from exam_desktop.grading.simulate import write_simulated_session


@pytest.fixture
def workspace(tmp_path):
    key_path = write_key(tmp_path)
    return tmp_path, key_path, load_key_file(key_path)


def grade(*args: str) -> int:
    return main(["grade", *map(str, args)])


def results_of(db_path):
    db = GraderDB.open(db_path)
    try:
        return exam_results(db, db.exam())
    finally:
        db.close()


def test_scripted_candidates_round_trip_to_the_expected_scores(workspace, capsys):
    tmp, key_path, key = workspace
    relu = [row[:] for row in RELU]
    relu[1][1] = "-3"
    folder = tmp / "usb"
    write_bundle_file(key, folder, "ada@uni.it", answers(**PERFECT))
    write_bundle_file(
        key,
        folder,
        "bo@uni.it",
        answers(
            vanish=[*SIX_RIGHT, "f", "g"],  # six right and two extra marks: 4/6 of 3 = 2
            mlp="3,855",  # thousands separator: full 2
            lr="0.49",  # at the edge of 0.5 ± 0.01: 1
            relu=relu,  # one wrong cell of nine: 8/9 of 3
            hpo="bayesian  OPTIMISATION",  # case and spaces ignored: 1
            dont_know=["maxpool"],  # a quarter of 1
        ),
    )
    write_bundle_file(
        key,
        folder,
        "cy@uni.it",
        answers(vanish=[*SIX_RIGHT[:4], "f"], lr="0.5101", minibatch="a"),  # 1.5, 0, 0
    )
    db_path = tmp / "grader.db"
    assert grade("import", "--key", key_path, folder, "--db", db_path) == 0
    assert "3 imported." in capsys.readouterr().out

    by_email = {r.candidate.fields["email"]: r for r in results_of(db_path)}
    assert by_email["ada@uni.it"].total == 13.0
    bo = by_email["bo@uni.it"].scores
    assert {q: bo[q].points for q in ("vanish", "mlp", "lr", "relu", "hpo", "maxpool")} == {
        "vanish": 2.0,
        "mlp": 2.0,
        "lr": 1.0,
        "relu": 2.6667,
        "hpo": 1.0,
        "maxpool": 0.25,
    }
    assert by_email["bo@uni.it"].total == 8.9167
    assert by_email["cy@uni.it"].total == 1.5


def test_tampered_foreign_duplicate_and_second_bundles(workspace, capsys):
    tmp, key_path, key = workspace
    folder = tmp / "usb"
    good = write_bundle_file(key, folder, "ada@uni.it", answers(**PERFECT))
    # The same bytes under another name (copied twice onto the stick).
    shutil.copy(good, folder / "copy-of-ada.bundle")
    # A second, different session of the same candidate (a restart, or a replayed old bundle).
    write_bundle_file(key, folder, "ada@uni.it", answers(minibatch="a"), seed=2)
    # One byte changed inside the archive.
    data = bytearray(write_bundle_file(key, tmp / "other", "bo@uni.it", answers(**PERFECT)).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / "bo-tampered.bundle").write_bytes(bytes(data))
    # A genuine bundle of another exam package.
    other_key = load_key_file(write_key(tmp / "elsewhere", install=False))
    write_bundle_file(other_key, folder, "cy@uni.it", answers(**PERFECT))

    db_path = tmp / "grader.db"
    assert grade("import", "--key", key_path, folder, "--db", db_path) == 1  # some were rejected
    out = capsys.readouterr().out
    assert "1 imported, 1 already imported, 1 quarantined, 2 rejected." in out
    assert f"This bundle belongs to exam grading-sample, package {other_key.package_hash[:12]}…" in out
    assert "bo-tampered.bundle" in out

    # Importing the whole folder again changes nothing.
    grade("import", "--key", key_path, folder, "--db", db_path)
    assert "3 already imported, 2 rejected." in capsys.readouterr().out
    assert len(results_of(db_path)) == 1

    assert grade("quarantine", "--db", db_path) == 0
    listing = capsys.readouterr().out
    receipt = listing.split()[0]
    assert "Candidate 1 already has another bundle" in listing
    assert grade("quarantine", "--accept", receipt, "--db", db_path) == 0
    (result,) = results_of(db_path)
    assert result.responses["minibatch"].value == "a"


def test_a_simulated_session_of_forty_is_exported_and_reported(workspace, capsys):
    tmp, key_path, key = workspace
    write_simulated_session(key, tmp / "usb", 40, seed=11)
    db_path = tmp / "grader.db"
    assert grade("import", "--key", key_path, tmp / "usb", "--db", db_path) == 0

    # Essays graded by hand (here straight through the database, as the window does).
    db = GraderDB.open(db_path)
    for result in exam_results(db, db.exam()):
        for qid in result.to_grade:
            pending = result.scores[qid].pending
            db.grade_by_hand(result.candidate.id, qid, pending / 2, grader="test")
    db.close()
    results = results_of(db_path)
    assert all(r.complete for r in results)

    assert grade("export", "--csv", tmp / "out.csv", "--moodle", tmp / "moodle.csv", "--db", db_path) == 0
    with open(tmp / "out.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40
    first = results[0]
    assert rows[0]["email"] == first.candidate.fields["email"]
    assert float(rows[0]["total"]) == first.total
    assert float(rows[0]["vanish"]) == first.scores["vanish"].points
    assert float(rows[0]["grade"]) == round(first.total / 16 * 100, 2)
    with open(tmp / "moodle.csv", newline="") as f:
        moodle = list(csv.reader(f))
    assert moodle[0] == ["Email address", "Deep Learning — grading sample"]
    assert moodle[1] == [
        first.candidate.fields["email"],
        f"{first.total:.4f}".rstrip("0").rstrip("."),
    ]

    assert grade("report", "--feedback", tmp / "feedback", "--stats", tmp / "stats", "--db", db_path) == 0
    page = (tmp / "feedback" / "candidate-001.html").read_text()
    assert "What you selected" in page and "Correct answer" in page
    assert "Score per domain" in page
    assert '<span class="arithmatex">' in page  # math left for the bundled MathJax
    assert (tmp / "feedback" / "mathjax" / "tex-svg.js").stat().st_size > 1_000_000
    report = (tmp / "stats" / "exam-report.html").read_text()
    assert report.count("data:image/png;base64,") == 2
    assert "facility" in report and "discrimination" in report
    assert (tmp / "stats" / "score-histogram.png").read_bytes().startswith(b"\x89PNG")


def test_regrade_from_the_command_line_needs_commit(tmp_path, capsys):
    office = Ed25519PrivateKey.generate()
    key_path = write_key(tmp_path, office=office)
    write_bundle_file(load_key_file(key_path), tmp_path / "usb", "ada@uni.it", answers(mlp="3900"))
    db_path = tmp_path / "grader.db"
    grade("import", "--key", key_path, tmp_path / "usb", "--db", db_path)
    capsys.readouterr()

    def accept_3900(exam: dict) -> None:
        mlp = next(q for s in exam["sections"] for q in s["questions"] if q["id"] == "mlp")
        mlp["answer"]["answers"].append({"value": 3900, "tolerance": 0, "relative": False, "weight": 1})

    new_key = corrected_key(key_path, office, accept_3900)
    # The old key no longer matches the database's: importing with it again says what to do.
    assert grade("import", "--key", new_key, tmp_path / "usb", "--db", db_path) == 1
    assert "grade regrade --key NEW.key" in capsys.readouterr().err

    assert grade("regrade", "--key", new_key, "--db", db_path) == 0
    out = capsys.readouterr().out
    assert "Candidate 1" in out and "+1" in out and "--commit" in out
    assert results_of(db_path)[0].total == 1.0
    assert grade("regrade", "--key", new_key, "--commit", "--db", db_path) == 0
    assert results_of(db_path)[0].total == 2.0
    assert grade("import", "--key", new_key, tmp_path / "usb", "--db", db_path) == 0


def test_random_byte_mutations_are_all_rejected_and_nothing_partial_is_imported(workspace):
    tmp, key_path, key = workspace
    good = write_bundle_file(key, tmp / "src", "ada@uni.it", answers(**PERFECT)).read_bytes()
    folder = tmp / "mutants"
    folder.mkdir()
    rng = random.Random(20260209)
    for i in range(1000):
        data = bytearray(good)
        for _ in range(rng.choice([1, 1, 1, 2, 8])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if bytes(data) == good:
            continue
        (folder / f"m{i:04d}.bundle").write_bytes(bytes(data))
    db_path = tmp / "grader.db"
    assert grade("import", "--key", key_path, folder, "--db", db_path) == 1
    db = GraderDB.open(db_path)
    try:
        statuses = {row["status"] for row in db.bundles()}
        reasons = [row["reason"] for row in db.bundles()]
        assert statuses == {"rejected"}
        assert all(reasons)
        assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM candidates").fetchone()[0] == 0
    finally:
        db.close()


def test_hostile_files_are_rejected_and_nothing_is_extracted(workspace, capsys):
    tmp, key_path, key = workspace
    folder = tmp / "usb"
    good = write_bundle_file(key, tmp / "elsewhere", "ada@uni.it", answers(**PERFECT))
    folder.mkdir()
    (folder / "link.bundle").symlink_to(good)
    with zipfile.ZipFile(folder / "escape.bundle", "w") as z:
        z.writestr("../../outside.txt", b"written outside")
        z.writestr("/etc/evil", b"absolute")
    with zipfile.ZipFile(folder / "bomb.bundle", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("answers.json", b"\0" * (200 * 1024 * 1024))
    (folder / "empty.bundle").write_bytes(b"")
    before = sorted(p for p in tmp.rglob("*"))

    db_path = tmp / "grader.db"
    assert grade("import", "--key", key_path, folder, "--db", db_path) == 1
    out = capsys.readouterr().out
    assert "4 rejected." in out
    assert "link.bundle: a symbolic link, not a file" in out
    created = sorted(set(tmp.rglob("*")) - set(before))
    assert all(p.name.startswith("grader.db") for p in created)
    assert not (tmp.parent / "outside.txt").exists()


def test_a_bundle_is_found_by_its_receipt_code(workspace, capsys):
    tmp, key_path, key = workspace
    write_bundle_file(key, tmp / "usb", "ada@uni.it", answers(**PERFECT))
    db_path = tmp / "grader.db"
    grade("import", "--key", key_path, tmp / "usb", "--db", db_path)
    capsys.readouterr()
    (result,) = results_of(db_path)
    db = GraderDB.open(db_path)
    receipt = db.bundle(result.candidate.bundle_sha256)["receipt"]
    db.close()

    assert grade("receipt", receipt.lower().replace("-", " "), "--db", db_path) == 0
    out = capsys.readouterr().out
    assert "Candidate 1 (the bundle that counts) — name: Ada, email: ada@uni.it" in out
    assert grade("receipt", "AAAA-BBBB", "--db", db_path) == 1
    assert "No bundle with receipt AAAA-BBBB" in capsys.readouterr().err


def test_commands_on_a_missing_database_say_what_to_do(tmp_path, capsys):
    missing = tmp_path / "nowhere.db"
    assert grade("--db", missing) == 1
    assert grade("export", "--csv", tmp_path / "x.csv", "--db", missing) == 1
    err = capsys.readouterr().err
    assert err.count("import bundles first") == 2
    assert not missing.exists()
