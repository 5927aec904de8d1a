"""A corrected key for a package already handed out (`grade key`), then regrade what-if and commit."""

from __future__ import annotations

import pytest
from grading_sample import GRADING_BANK, answers, write_bundle_file, write_key

from exam_desktop.cli import main
from exam_desktop.core.sealed.keys import ScryptParams, create_office_keys, load_office_private_key
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.results import exam_results

PASSPHRASE = "a long office passphrase"


@pytest.fixture
def office(tmp_path):
    files = create_office_keys(tmp_path / "office", PASSPHRASE, params=ScryptParams(n=2**10))
    (tmp_path / "pass.txt").write_text(PASSPHRASE + "\n")
    key_path = write_key(tmp_path, office=load_office_private_key(files.private_path, PASSPHRASE))
    return tmp_path, key_path, files.private_path


def make_key(capsys, tmp, key_path, private, bank_text: str, name: str = "new.key"):
    bank = tmp / "corrected.md"
    bank.write_text(bank_text)
    argv = ["grade", "key", "--bank", bank, "--key", key_path, "-o", tmp / name]
    argv += ["--office-key", private, "--passphrase-file", tmp / "pass.txt"]
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_corrected_key_regrades_what_if_then_commits(office, capsys):
    tmp, key_path, private = office
    key = load_key_file(key_path)
    for n, mlp in enumerate(["3900", "3855", "42"]):
        write_bundle_file(key, tmp / "usb", f"c{n}@uni.it", answers(mlp=mlp), seed=n)
    db_path = tmp / "grader.db"
    assert main(["grade", "import", "--key", str(key_path), str(tmp / "usb"), "--db", str(db_path)]) == 0
    capsys.readouterr()

    corrected = GRADING_BANK.replace("answer: 3800 ± 100 {weight=50%}", "answer: 3900")
    code, out, _ = make_key(capsys, tmp, key_path, private, corrected)
    assert code == 0, out
    assert "mlp: answer" in out and "regrade --key" in out
    new_key = load_key_file(tmp / "new.key")
    assert new_key.package_hash == key.package_hash and new_key.binding_key == key.binding_key
    assert (tmp / "new.key").stat().st_mode & 0o777 == 0o600

    assert main(["grade", "regrade", "--key", str(tmp / "new.key"), "--db", str(db_path)]) == 0
    table = capsys.readouterr().out
    # c0 answered 3900: half marks (1 of 2) before, full marks after; nobody else moves.
    assert "Candidate 1" in table and "+1" in table and "1 of 3 candidates change." in table
    db = GraderDB.open(db_path)
    assert [r.scores["mlp"].points for r in exam_results(db, db.exam())] == [1.0, 2.0, 0.0]  # unchanged
    db.close()
    assert main(["grade", "regrade", "--key", str(tmp / "new.key"), "--commit", "--db", str(db_path)]) == 0
    db = GraderDB.open(db_path)
    assert [r.scores["mlp"].points for r in exam_results(db, db.exam())] == [2.0, 2.0, 0.0]
    assert len(db.regrades(db.exam().id)) == 1
    db.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("What are GANs?", "What are VAEs?"), "changes what candidates saw (question gans, stem)"),
        (("- [ ] `np.floor(n/64)`\n", ""), "changes what candidates saw (question minibatch, answer"),
        (("## Learning rate {#lr", "## Learning rate {#lr2"), "other questions than the package"),
        (("duration: 1h", "duration: 2h"), "changes what candidates saw (duration_minutes)"),
        (("id: grading-sample", "id: other-exam"), "is exam other-exam; the key is for exam grading-sample"),
    ],
)
def test_changes_a_key_cannot_make_are_refused(office, capsys, change, message):
    tmp, key_path, private = office
    code, _, err = make_key(capsys, tmp, key_path, private, GRADING_BANK.replace(*change))
    assert code == 1 and message in err, err
    assert not (tmp / "new.key").exists()


def test_the_same_key_or_another_office_key_is_refused(office, capsys, tmp_path):
    tmp, key_path, private = office
    code, _, err = make_key(capsys, tmp, key_path, private, GRADING_BANK)
    assert code == 1 and "nothing to correct" in err
    other = create_office_keys(tmp / "other", PASSPHRASE, params=ScryptParams(n=2**10))
    corrected = GRADING_BANK.replace("points=2 tags=mlp", "points=3 tags=mlp")
    code, _, err = make_key(capsys, tmp, key_path, other.private_path, corrected)
    assert code == 1 and "signed by another office key" in err
    code, out, _ = make_key(capsys, tmp, key_path, private, corrected)
    assert code == 0 and "mlp: points 2 → 3" in out
