"""A seat puts the candidate's notes in the results bundle only when the bank says so."""

from __future__ import annotations

import dataclasses

import pytest
from sessiontools import ML_BANK, FakeTime, build, settings

from exam_desktop.core.bank import load_bank
from exam_desktop.core.sealed.bundle import read_bundle
from exam_desktop.core.seat.session import ExamSession


@pytest.mark.parametrize("travel", [True, False])
def test_notes_travel_only_when_the_bank_says_so(tmp_path, travel):
    exam = dataclasses.replace(load_bank(ML_BANK), notes_in_bundle=travel)
    built = build(tmp_path / "package", exam=exam)
    clock = FakeTime()
    session = ExamSession(settings(built, tmp_path / "data", clock, results_dir=tmp_path))
    session.preflight()
    first, second = (q.id for q in exam.questions[:2])
    session.identify({"name": "Ada Lovelace", "student_id": "S-1815"})
    session.unlock(built.start_code)
    session.enter_kiosk()
    session.run()
    saving = session.saving  # what the exam window writes through
    saving.remember_aids(first, {"notes": "check the bias terms", "struck": ["b"], "highlights": []})
    saving.remember_aids(second, {"notes": "", "struck": ["a"], "highlights": [[0, 4]]})
    written = session.submit()
    bundle = read_bundle(written.path, exam_id=exam.id, package_hash=session.package_hash)
    assert bundle.notes == ({first: "check the bias terms"} if travel else {})
    session.close()
