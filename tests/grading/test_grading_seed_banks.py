"""Every bank in banks/: perfect and empty candidates round-trip through signed bundles and the
grader to the points a person expects, and their feedback pages show every question."""

from __future__ import annotations

import random

import pytest
from conftest import BANKS
from grading_sample import write_bundle_file, write_key

from exam_desktop.core.bank import find_banks, load_bank
from exam_desktop.core.model import Essay, Exam, Template
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.feedback import write_feedback
from exam_desktop.grading.importer import file_sha256, import_bundles
from exam_desktop.grading.results import exam_results
from exam_desktop.grading.simulate import simulated_responses

BANK_FILES = find_banks([BANKS])


def expected_automatic_points(exam: Exam) -> float:
    """A perfect candidate's points before hand grading: all but essays and manual blanks."""
    total = 0.0
    for q in exam.questions:
        if isinstance(q.answer, Essay):
            continue
        if isinstance(q.answer, Template) and q.answer.blanks:
            share = q.points / len(q.answer.blanks)
            total += share * sum(1 for b in q.answer.blanks if not b.manual)
        else:
            total += q.points
    return round(total, 4)


@pytest.mark.parametrize("bank", BANK_FILES, ids=[b.stem for b in BANK_FILES])
def test_perfect_and_empty_candidates_of_every_bank(bank, tmp_path):
    exam = load_bank(bank)
    key_path = write_key(tmp_path, exam)
    key = load_key_file(key_path)
    perfect = simulated_responses(key.exam, random.Random(1), ability=1.0)
    write_bundle_file(key, tmp_path / "usb", "ada@uni.it", perfect)
    write_bundle_file(key, tmp_path / "usb", "bo@uni.it", {})

    db = GraderDB.open(tmp_path / "grader.db")
    try:
        outcomes = import_bundles(db, key, file_sha256(key_path), [tmp_path / "usb"])
        assert [o.outcome for o in outcomes] == ["imported", "imported"]
        by_email = {r.candidate.fields.get("email"): r for r in exam_results(db, key.exam)}
        assert by_email["ada@uni.it"].total == expected_automatic_points(key.exam)
        assert by_email["bo@uni.it"].total == 0.0
        assert by_email["bo@uni.it"].complete  # nothing written, nothing to grade by hand

        pages = write_feedback(key.exam, exam_results(db, key.exam), tmp_path / "feedback")
    finally:
        db.close()
    page = pages[0].read_text(encoding="utf-8")
    assert page.count('<section class="question"') == len(key.exam.questions)
