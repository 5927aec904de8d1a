"""Marking by several markers, offline, from 40 simulated candidates to the CSV: two markers grade the
same essay packet blind, the lead imports their signed marks, reads the agreement, reconciles, exports;
then a key correction is regraded (what-if) and committed."""

from __future__ import annotations

import csv
import json

import pytest
from grading_sample import GRADING_BANK, write_key

from exam_desktop.cli import main
from exam_desktop.core.sealed.keys import ScryptParams, create_office_keys, load_office_private_key
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.marking import cohen_kappa, marks_history
from exam_desktop.grading.results import exam_results
from exam_desktop.grading.simulate import write_simulated_session

PASSPHRASE = "a long office passphrase"


def grade(capsys, *argv) -> tuple[int, str]:
    code = main(["grade", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out + err


def mark_packet(db_path, rule) -> None:
    """A marker grading their packet (as the grading window stores marks: by hand, with rubric levels)."""
    db = GraderDB.open(db_path)
    exam = db.exam()
    for c in db.candidates(exam.id):
        score = db.score(c.id, "gans")
        if score.status == "manual-pending":
            points = rule(int(c.identity[1:]))
            db.grade_by_hand(
                c.id, "gans", points, grader="", comment=f"{points:g} of 2", rubric={"c1": min(points, 1.0)}
            )
    db.close()


def test_forty_candidates_double_marked_blind_then_reconciled_and_exported(tmp_path, capsys):
    office = create_office_keys(tmp_path / "office", PASSPHRASE, params=ScryptParams(n=2**10))
    (tmp_path / "pass.txt").write_text(PASSPHRASE + "\n")
    key_path = write_key(tmp_path, office=load_office_private_key(office.private_path, PASSPHRASE))
    write_simulated_session(load_key_file(key_path), tmp_path / "usb", 40, seed=3)
    lead = tmp_path / "grader.db"
    assert grade(capsys, "import", "--key", key_path, tmp_path / "usb", "--db", lead)[0] == 0

    # The lead hands the same essay question to two markers, as two packets.
    code, out = grade(
        capsys, "packet", "--question", "gans", "--marker", "ann", "-o", tmp_path / "ann.packet", "--db", lead
    )
    assert code == 0 and "for ann" in out
    assert (
        grade(
            capsys,
            "packet",
            "--question",
            "gans",
            "--marker",
            "bob",
            "-o",
            tmp_path / "bob.packet",
            "--db",
            lead,
        )[0]
        == 0
    )
    packet = json.loads((tmp_path / "ann.packet").read_text())
    text = json.dumps(packet)
    db = GraderDB.open(lead)
    people = exam_results(db, db.exam())
    db.close()
    assert not any(p.candidate.fields["email"] in text or p.candidate.fields["name"] in text for p in people)
    assert {a["question_id"] for a in packet["answers"]} == {"gans"}  # only what ann marks
    assert "manual_points" not in text and 'points": 1' not in text  # nobody's marks in it
    essays = len(packet["answers"])
    assert essays > 20

    # Each marker loads their packet into their own database and marks it; they disagree on some.
    for name, rule in (
        ("ann", lambda n: [0, 0.5, 1, 1.5, 2][n % 5]),
        ("bob", lambda n: [0, 0.5, 1, 1.5, 2][n % 5]),
    ):
        assert (
            grade(
                capsys, "mark", tmp_path / f"{name}.packet", "--db", tmp_path / f"{name}.db", "--no-window"
            )[0]
            == 0
        )
        mark_packet(tmp_path / f"{name}.db", rule)
    # Tokens differ between packets (a marker cannot line theirs up with the other's), so the two
    # rules above give different marks to the same candidate: blind, and disagreeing on purpose.
    for name in ("ann", "bob"):
        code, out = grade(
            capsys, "marks", "export", "--db", tmp_path / f"{name}.db", "-o", tmp_path / f"{name}.marks"
        )
        assert code == 0 and f"{essays} marks" in out

    code, out = grade(capsys, "marks", "import", tmp_path / "ann.marks", tmp_path / "bob.marks", "--db", lead)
    assert code == 0, out
    assert f"ann.marks (ann): {essays} new, 0 already imported; {essays} now count" in out
    assert (
        f"bob.marks (bob): {essays} new, 0 already imported; 0 now count, {essays} double-marked wait" in out
    )
    # Importing again changes nothing.
    code, out = grade(capsys, "marks", "import", tmp_path / "bob.marks", "--db", lead)
    assert code == 0 and f"0 new, {essays} already imported" in out

    # A changed mark for the same answer by the same marker is a conflict, never overwritten.
    bob = GraderDB.open(tmp_path / "bob.db")
    first = bob.candidates(bob.exam().id)[0]
    before = bob.score(first.id, "gans").manual_points
    bob.grade_by_hand(first.id, "gans", 2.0 if before != 2.0 else 0.0)
    bob.close()
    grade(capsys, "marks", "export", "--db", tmp_path / "bob.db", "-o", tmp_path / "bob2.marks")
    code, out = grade(capsys, "marks", "import", tmp_path / "bob2.marks", "--db", lead)
    assert (
        code == 1 and "1 in conflict (kept the earlier mark)" in out and f"bob gave {before:g} before" in out
    )
    # A marks file altered after signing is refused.
    altered = json.loads((tmp_path / "ann.marks").read_text())
    altered["marks"][0]["points"] = 2
    (tmp_path / "forged.marks").write_text(json.dumps(altered))
    code, out = grade(capsys, "marks", "import", tmp_path / "forged.marks", "--db", lead)
    assert code == 1 and "signature" in out and "not valid" in out

    # Agreement per question: exact share, mean difference, kappa.
    code, out = grade(capsys, "agreement", "--db", lead)
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("gans"))
    assert "ann / bob" in row and f"{essays:>8}" in row

    # Reconcile: within half a point the mean counts; the rest are listed for the lead.
    code, out = grade(capsys, "reconcile", "--threshold", "0.5", "--db", lead)
    assert code == 0 and "differ by more than 0.5 points" in out
    listed = [line.split() for line in out.splitlines() if line.startswith("  Candidate")]
    assert listed
    # Points above the question's maximum (2) and a negative threshold are refused, nothing stored.
    code, out = grade(
        capsys, "--grader", "lead", "reconcile", "--decide", listed[0][1], "gans", "9", "--db", lead
    )
    assert code == 1 and "between 0 and 2" in out and "gans: 9" not in out
    code, out = grade(capsys, "reconcile", "--threshold", "-3", "--db", lead)
    assert code == 1 and "--threshold" in out and "negative" in out
    for _, number, _, *_ in listed:
        code, out = grade(
            capsys, "--grader", "lead", "reconcile", "--decide", number, "gans", "1", "--db", lead
        )
        assert code == 0 and f"Candidate {number} gans: 1" in out
    assert "No disagreement is left." in out

    db = GraderDB.open(lead)
    results = exam_results(db, db.exam())
    assert not any("gans" in r.to_grade for r in results)
    settled = next(r for r in results if "gans" in r.scores and r.scores["gans"].status == "manual-pending")
    history = marks_history(db, settled.candidate.id, "gans")
    assert {h["marker"] for h in history} == {"ann", "bob"} and all(
        h["at"] and "c1" in h["rubric"] for h in history
    )
    for r in results:  # the template's manual blank, graded by the lead as usual
        for qid in r.to_grade:
            db.grade_by_hand(r.candidate.id, qid, 0.5, grader="lead")
    db.close()
    assert grade(capsys, "export", "--csv", tmp_path / "grades.csv", "--db", lead)[0] == 0
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40 and all(row["to grade"] == "" for row in rows)

    # A key correction: the regrade shows what would change, then commits it.
    bank = tmp_path / "corrected.md"
    bank.write_text(GRADING_BANK.replace("points=2 tags=mlp", "points=3 tags=mlp"))
    code, out = grade(
        capsys,
        "key",
        "--bank",
        bank,
        "--key",
        key_path,
        "-o",
        tmp_path / "new.key",
        "--office-key",
        office.private_path,
        "--passphrase-file",
        tmp_path / "pass.txt",
    )
    assert code == 0 and "mlp: points 2 → 3" in out
    code, out = grade(capsys, "regrade", "--key", tmp_path / "new.key", "--db", lead)
    assert code == 0 and "candidates change." in out and "--commit" in out
    before = [float(r["total"]) for r in rows]
    assert grade(capsys, "regrade", "--key", tmp_path / "new.key", "--commit", "--db", lead)[0] == 0
    assert grade(capsys, "export", "--csv", tmp_path / "after.csv", "--db", lead)[0] == 0
    with open(tmp_path / "after.csv", newline="") as f:
        after = [float(r["total"]) for r in csv.DictReader(f)]
    assert sum(after) > sum(before) and all(a >= b for a, b in zip(after, before))


@pytest.mark.parametrize(
    ("pairs", "kappa"),
    [
        ([(1, 1), (0, 0), (1, 1), (0, 0)], 1.0),
        ([(1, 0), (0, 1), (1, 0), (0, 1)], -1.0),
        ([(1, 1), (1, 0), (0, 1), (0, 0)], 0.0),
        ([(2, 2), (2, 2)], None),  # one value everywhere: kappa is undefined
    ],
)
def test_cohen_kappa(pairs, kappa):
    assert cohen_kappa(pairs) == kappa


def test_a_mark_never_replaces_a_grade_given_in_the_lead_database(tmp_path, capsys):
    from grading_sample import PERFECT, answers, write_bundle_file

    key_path = write_key(tmp_path)
    key = load_key_file(key_path)
    for n, essay in enumerate(["Two networks.", "A minimax game.", "Images."]):
        write_bundle_file(key, tmp_path / "usb", f"c{n}@uni.it", answers(**{**PERFECT, "gans": essay}))
    lead = tmp_path / "grader.db"
    grade(capsys, "import", "--key", key_path, tmp_path / "usb", "--db", lead)
    grade(
        capsys, "packet", "--question", "gans", "--marker", "ann", "-o", tmp_path / "ann.packet", "--db", lead
    )
    grade(capsys, "mark", tmp_path / "ann.packet", "--db", tmp_path / "ann.db", "--no-window")
    mark_packet(tmp_path / "ann.db", lambda n: 2.0)
    grade(capsys, "marks", "export", "--db", tmp_path / "ann.db", "-o", tmp_path / "ann.marks")
    db = GraderDB.open(lead)
    first = db.candidates(db.exam().id)[0]
    db.grade_by_hand(first.id, "gans", 0.5, grader="lead")  # graded here meanwhile
    db.close()
    code, out = grade(capsys, "marks", "import", tmp_path / "ann.marks", "--db", lead)
    assert code == 1 and "Candidate 1 gans: graded here by lead (0.5); ann's 2 is kept beside it" in out
    db = GraderDB.open(lead)
    assert db.score(first.id, "gans").manual_points == 0.5
    assert [h["points"] for h in marks_history(db, first.id, "gans")] == [2.0]
    assert [db.score(c.id, "gans").manual_points for c in db.candidates(db.exam().id)[1:]] == [2.0, 2.0]
    db.close()
