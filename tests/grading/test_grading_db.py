"""The grader database: filing verified bundles, hand grades, overrides, quarantine, regrades."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field

import pytest
from grading_sample import PERFECT, RELU, SIX_RIGHT, answers, sample_exam

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import NumericAnswer, exam_from_dict, exam_to_dict
from exam_desktop.core.responses import Response
from exam_desktop.grading.db import GraderDatabaseError, GraderDB
from exam_desktop.grading.importer import (
    accept_quarantined,
    file_verified_bundle,
    reject_quarantined,
)
from exam_desktop.grading.regrade import commit_regrade, plan_regrade
from exam_desktop.grading.results import exam_results


@dataclass
class VerifiedBundle:
    """What core.sealed.bundle.read_bundle returns once a bundle's signature and hashes check out."""

    manifest: dict
    responses: dict[str, Response]
    receipt: str = ""
    sha256: str = field(default="")

    def __post_init__(self):
        digest = hashlib.sha256(
            json.dumps([self.manifest, {k: v.value for k, v in self.responses.items()}]).encode()
        ).hexdigest()
        self.sha256 = self.sha256 or digest
        self.receipt = self.receipt or digest[:8].upper()


def bundle(email: str, **values) -> VerifiedBundle:
    return VerifiedBundle({"candidate": {"name": email.split("@")[0], "email": email}}, answers(**values))


@pytest.fixture
def db(tmp_path):
    grader_db = GraderDB.open(tmp_path / "grader.db")
    grader_db.put_exam(sample_exam(), "package-hash", "key-1")
    yield grader_db
    grader_db.close()


def file(db, b: VerifiedBundle):
    return file_verified_bundle(db, sample_exam(), b, f"{b.receipt}.bundle")


def only_result(db):
    (result,) = exam_results(db, sample_exam())
    return result


def test_a_perfect_candidate_gets_every_automatic_point_and_waits_for_hand_grading(db):
    outcome = file(db, bundle("ada@uni.it", **PERFECT))
    assert (outcome.outcome, outcome.candidate) == ("imported", "Candidate 1")
    result = only_result(db)
    assert result.total == 13.0  # 16 points, of which essay (2) and the manual blank (1) by hand
    assert result.max_total == 16.0
    assert sorted(result.to_grade) == ["gans", "summary"]
    assert result.per_tag["cnn"].points == 5.0  # maxpool 1 + relu 3 + template shape blank 1


def test_tricky_rules_end_up_in_the_stored_scores(db):
    relu = [row[:] for row in RELU]
    relu[2][1] = "3"
    file(
        db,
        bundle(
            "bo@uni.it",
            vanish=[*SIX_RIGHT, "f", "g"],  # six right and two extra marks: 4/6 of 3
            mlp="3790",  # the accepted approximation: half of 2
            lr="0.51",  # exactly at the tolerance edge
            relu=relu,  # one wrong cell of nine: 8/9 of 3
            dont_know=["minibatch"],  # a quarter of 1
        ),
    )
    scores = only_result(db).scores
    assert scores["vanish"].points == 2.0
    assert scores["mlp"].points == 1.0
    assert scores["lr"].points == 1.0
    assert scores["relu"].points == 2.6667
    assert (scores["minibatch"].points, scores["minibatch"].status) == (0.25, "dont-know")
    assert scores["gans"].status == "unanswered"
    assert only_result(db).total == 6.9167


def test_the_same_bundle_twice_is_imported_once(db):
    b = bundle("ada@uni.it", **PERFECT)
    file(db, b)
    again = file(db, b)
    assert (again.outcome, again.candidate) == ("already-imported", "Candidate 1")
    assert len(exam_results(db, sample_exam())) == 1


def test_a_second_bundle_of_the_same_candidate_waits_in_quarantine(db):
    first = bundle("ada@uni.it", **PERFECT)
    second = bundle("ADA@uni.it ", **{**PERFECT, "minibatch": "a"})
    file(db, first)
    outcome = file(db, second)
    assert outcome.outcome == "quarantined"
    assert "Candidate 1 already has another bundle" in outcome.reason
    assert only_result(db).total == 13.0  # the first bundle still counts
    assert [b["receipt"] for b in db.bundles("quarantined")] == [second.receipt]


def test_accepting_a_quarantined_bundle_keeps_hand_grades_of_unchanged_answers(db):
    file(db, bundle("ada@uni.it", **PERFECT))
    second = bundle(
        "ada@uni.it", **{**PERFECT, "minibatch": "a", "summary": {"shape": "?", "formula": "25*3"}}
    )
    file(db, second)
    candidate = only_result(db).candidate
    db.grade_by_hand(candidate.id, "gans", 1.5, grader="mb", comment="no minimax")
    db.grade_by_hand(candidate.id, "summary", 1.0)

    accept_quarantined(db, second.receipt.lower())

    result = only_result(db)
    assert result.candidate.bundle_sha256 == second.sha256
    assert result.scores["gans"].manual_points == 1.5  # same essay: grade kept
    assert result.scores["summary"].needs_grading  # the template changed: grade it again
    assert result.total == 13.0 - 1 - 1 + 1.5
    statuses = {b["sha256"]: b["status"] for b in db.bundles()}
    assert statuses[second.sha256] == "imported"
    assert sorted(statuses.values()) == ["imported", "superseded"]


def test_rejecting_a_quarantined_bundle_drops_its_answers(db):
    file(db, bundle("ada@uni.it", **PERFECT))
    second = bundle("ada@uni.it", minibatch="a")
    file(db, second)
    reject_quarantined(db, second.receipt)
    assert db.bundle(second.sha256)["status"] == "rejected"
    assert db.responses(second.sha256) == {}
    with pytest.raises(KnownError, match="No quarantined bundle"):
        accept_quarantined(db, second.receipt)


def test_hand_grades_and_overrides(db):
    file(db, bundle("ada@uni.it", **PERFECT))
    cid = only_result(db).candidate.id
    db.grade_by_hand(cid, "gans", 2, grader="mb", comment="complete")
    db.grade_by_hand(cid, "summary", 0.5)
    assert only_result(db).total == 15.5
    assert only_result(db).complete

    with pytest.raises(KnownError, match="between 0 and 2"):
        db.grade_by_hand(cid, "gans", 3)
    with pytest.raises(KnownError, match="between 0 and 0"):
        db.grade_by_hand(cid, "minibatch", 1)  # automatic: only an override changes it
    with pytest.raises(KnownError, match="needs a reason"):
        db.override(cid, "mlp", 1, "  ")

    db.override(cid, "mlp", 1, "units missing", grader="mb")
    score = db.score(cid, "mlp")
    assert (score.points, score.override_reason) == (1.0, "units missing")
    assert only_result(db).total == 14.5


def test_regrade_shows_what_would_change_and_commits_only_when_asked(db):
    file(db, bundle("ada@uni.it", **PERFECT))
    file(db, bundle("bo@uni.it", **{**PERFECT, "mlp": "3900"}))
    file(db, bundle("cy@uni.it", minibatch="a"))
    bo = exam_results(db, sample_exam())[1].candidate
    db.override(bo.id, "minibatch", 0.5, "crossed out")

    # The key is corrected: 3900 becomes fully right, and "a" is accepted for the mini-batches.
    new_exam = exam_from_dict(exam_to_dict(sample_exam()))
    new_exam.question("mlp").answer.answers.append(NumericAnswer(3900))
    new_exam.question("minibatch").answer.choices[0].correct = True

    plan = plan_regrade(db, new_exam, "package-hash", "key-2")
    changes = {c.label: (c.old_total, c.new_total) for c in plan.changes}
    assert changes == {"Candidate 2": (11.5, 12.5), "Candidate 3": (0.0, 1.0)}
    # Candidate 2's override on the mini-batches stays: only the numeric question moves.
    assert plan.changes[0].questions == {"mlp": (1.0, 2.0)}
    assert "2 of 3 candidates change." in plan.table()
    assert exam_results(db, sample_exam())[2].total == 0.0  # nothing committed yet

    commit_regrade(db, plan)
    totals = [r.total for r in exam_results(db, db.exam())]
    assert totals == [13.0, 12.5, 1.0]
    assert db.exam_row()["key_sha256"] == "key-2"
    (history,) = db.regrades(sample_exam().id)
    assert json.loads(history["changes_json"])[1]["after"] == 1.0


def test_a_regrade_key_for_another_package_is_refused(db):
    with pytest.raises(KnownError, match="different exam package"):
        plan_regrade(db, sample_exam(), "another-package", "key-2")


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "grader.db"
    GraderDB.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('exam-desktop-grader', 'm999_from_the_future', 'later')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(GraderDatabaseError, match="newer version"):
        GraderDB.open(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "grades.db"
    path.write_bytes(b"this is a spreadsheet, not a database" * 100)
    with pytest.raises(GraderDatabaseError, match="not a grader database"):
        GraderDB.open(path)


def test_the_grading_core_does_not_load_qt():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import exam_desktop.core.scoring, exam_desktop.grading.importer, exam_desktop.grading.regrade\n"
        "import exam_desktop.grading.export, exam_desktop.grading.feedback, exam_desktop.grading.stats\n"
        "from exam_desktop.grading.stats import png_bytes, score_histogram\n"
        "png_bytes(score_histogram([], 10))\n"
        "print('PySide6' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


ODD_VALUES = [[["a"]], [{"x": 1}], {"a": [1]}, 3.5, False, "zz", [None, 7], {"shape": 5}]


@pytest.mark.parametrize("odd", ODD_VALUES, ids=[repr(v)[:12] for v in ODD_VALUES])
def test_answers_of_the_wrong_shape_score_nothing_and_break_no_report(db, odd, tmp_path):
    """A signed bundle proves who sent it, not that their machine was honest: any JSON may come."""
    from exam_desktop.core.page.answer_view import key_html, response_html
    from exam_desktop.grading.feedback import write_feedback
    from exam_desktop.grading.stats import item_statistics

    values = {q.id: odd for q in sample_exam().questions}
    file(db, VerifiedBundle({"candidate": {"email": "odd@uni.it"}}, answers(**values)))
    file(db, bundle("ada@uni.it", **PERFECT))
    odd_result, perfect = exam_results(db, sample_exam())
    auto = {q: s.points for q, s in odd_result.scores.items() if s.status == "auto"}
    assert set(auto.values()) <= {0.0}
    for q in sample_exam().questions:
        response_html(q, odd_result.responses.get(q.id))
        key_html(q)
    assert len(item_statistics(sample_exam(), [odd_result, perfect])) == 9
    write_feedback(sample_exam(), [odd_result], tmp_path / "feedback")


def test_matching_and_ordering_answers_are_shown_marked():
    from exam_desktop.core.model import Matching, Ordering, Question
    from exam_desktop.core.page.answer_view import key_html, response_html

    matching = Question("m", "M", 2, "", Matching(["Conv2D", "MaxPool"], ["downsamples", "features"], [1, 0]))
    shown = response_html(matching, Response("m", [1, 1]))
    assert shown.count('class="right"') == 1 and shown.count('class="wrong"') == 1
    assert "features" in key_html(matching)
    ordering = Question("o", "O", 1, "", Ordering(["forward", "loss", "backward"]))
    shown = response_html(ordering, Response("o", ["forward", "backward", "loss"]))
    assert shown.count('class="right"') == 1 and shown.count('class="wrong"') == 2


def test_feedback_pages_speak_the_exam_language(db, tmp_path):
    import dataclasses

    from exam_desktop.grading.feedback import write_feedback

    file(db, bundle("ada@uni.it", **PERFECT))
    italian = dataclasses.replace(sample_exam(), language="it")
    (page, *_) = write_feedback(italian, exam_results(db, sample_exam()), tmp_path / "feedback")
    text = page.read_text(encoding="utf-8")
    assert '<html lang="it">' in text
    for words in ("Cosa hai selezionato", "Risposta corretta", "Domanda 1 di", "Punteggio per argomento"):
        assert words in text
    for english in ("What you selected", "Correct answer", "Score per domain"):
        assert english not in text


def test_a_database_of_the_first_version_opens_with_its_grades_kept(tmp_path):
    """Written before rubric levels, notes, the comment bank and several markers existed."""
    import sqlite_utils

    from exam_desktop.grading.db import MIGRATIONS

    path = tmp_path / "grader.db"
    conn = sqlite3.connect(path, isolation_level=None)
    old = sqlite_utils.Database(conn)
    MIGRATIONS.apply(old, stop_before="m002_marking")
    version_1 = GraderDB(old, path)  # the first schema, filled as the app of then did
    version_1.put_exam(sample_exam(), "package-hash", "key-1")
    file(version_1, bundle("ada@uni.it", **PERFECT))
    version_1.execute(
        "UPDATE scores SET manual_points = 1.5, grader = 'mb', comment = 'ok' WHERE question_id = 'gans'"
    )
    assert {m.name for m in MIGRATIONS.applied(old)} == {"m001_initial"}
    version_1.close()

    db = GraderDB.open(path)
    (ada,) = db.candidates(sample_exam().id)
    score = db.score(ada.id, "gans")
    assert (score.manual_points, score.grader, score.comment) == (1.5, "mb", "ok")
    assert db.rubric_levels(ada.id, "gans") == {} and db.annotations(ada.id, "gans") == []
    db.add_annotation(ada.id, "gans", 0, 3, "Two", "why two?")
    assert db.place(sample_exam().id, "mb") is None
    db.close()


def test_a_new_grader_database_is_readable_by_its_owner_only(tmp_path) -> None:
    db = GraderDB.open(tmp_path / "grader.db")  # it will hold the answer key
    try:
        assert (tmp_path / "grader.db").stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "grader.db-wal").stat().st_mode & 0o777 == 0o600
    finally:
        db.close()
