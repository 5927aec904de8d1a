"""SIGKILL at random moments while a scripted candidate answers: nothing acknowledged is lost."""

from __future__ import annotations

import pytest
from killtools import kill_rounds
from sessiontools import build


@pytest.mark.slow
def test_twenty_kills_lose_no_acknowledged_answer_and_no_time(tmp_path):
    built = build(tmp_path / "package")
    report = kill_rounds(built.package, tmp_path / "data", built.start_code, rounds=20, seed=3)
    assert report.problems == []
    assert report.rounds == 20
    assert report.answers_acknowledged > 100, "the candidate answered between the kills"
    assert report.worst_time_error_s <= 2.0
