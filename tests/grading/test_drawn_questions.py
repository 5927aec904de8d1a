"""A package that draws N questions per candidate: each candidate is graded on the questions they
were given (recorded, signed, in their bundle), not on the whole pool."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grading_sample import sample_exam, write_key

from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.bundle import SessionInfo, bundle_bytes
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.feedback import write_feedback
from exam_desktop.grading.importer import file_sha256, import_bundles
from exam_desktop.grading.results import exam_results
from exam_desktop.grading.simulate import journal
from exam_desktop.grading.stats import item_statistics


def drawn_bundle(key, folder, email, questions, responses):
    start = datetime(2026, 2, 9, 9, 0, tzinfo=UTC)
    session = SessionInfo(
        id=f"s-{email}",
        nonce="ab" * 16,
        started_at=start.isoformat(),
        ended_at=start.isoformat(),
        questions=questions,
    )
    data = bundle_bytes(
        exam_id=key.exam.id,
        package_hash=key.package_hash,
        candidate={"name": email, "email": email},
        session=session,
        responses=responses,
        events=journal(responses, start),
        session_key=Ed25519PrivateKey.generate(),
        binding_key=key.binding_key,
    )
    path = folder / f"{email}.bundle"
    path.write_bytes(data)
    return path


def test_candidates_are_graded_on_the_questions_they_drew(tmp_path):
    key_path = write_key(tmp_path, sample_exam())
    key = load_key_file(key_path)
    usb = tmp_path / "usb"
    usb.mkdir()
    # Ada drew two questions (3 + 1 points) and got both right; Bo drew one other (2 points).
    drawn_bundle(
        key,
        usb,
        "ada@uni.it",
        ["maxpool", "minibatch"],
        {"maxpool": Response("maxpool", True), "minibatch": Response("minibatch", "b")},
    )
    drawn_bundle(key, usb, "bo@uni.it", ["mlp"], {"mlp": Response("mlp", "3855")})

    db = GraderDB.open(tmp_path / "grader.db")
    try:
        assert [o.outcome for o in import_bundles(db, key, file_sha256(key_path), [usb])] == ["imported"] * 2
        results = {r.candidate.fields["email"]: r for r in exam_results(db, key.exam)}
        ada, bo = results["ada@uni.it"], results["bo@uni.it"]
        assert (ada.total, ada.max_total, ada.grade(100)) == (2.0, 2.0, 100.0)
        assert (bo.total, bo.max_total, bo.grade(100)) == (2.0, 2.0, 100.0)
        assert set(ada.scores) == {"maxpool", "minibatch"} and ada.complete

        items = {i.question_id: i for i in item_statistics(key.exam, list(results.values()))}
        assert items["maxpool"].facility == 1.0 and items["maxpool"].answered == 1
        assert items["vanish"].facility is None  # nobody drew it: no statistics, not "0 % right"

        pages = write_feedback(key.exam, list(results.values()), tmp_path / "feedback")
    finally:
        db.close()
    ada_page = next(p for p in pages if "ada" in p.read_text(encoding="utf-8").lower())
    text = ada_page.read_text(encoding="utf-8")
    assert text.count('<section class="question"') == 2 and "Question 2 of 2" in text
