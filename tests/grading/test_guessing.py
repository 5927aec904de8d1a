"""The scoring-rule simulator: what guessing, "I don't know yet" and half-knowledge give, exactly."""

from __future__ import annotations

import math

import pytest
from grading_sample import GRADING_BANK

from exam_desktop.cli import main
from exam_desktop.core.bank import parse_bank
from exam_desktop.grading.guessing import chances_table, exam_chances

HEAD = "---\nid: g\ntitle: Guessing\nduration: 10m\n{extra}---\n# A\n\n"
TRUE_FALSE = "## T{n} {{#t{n} truefalse}}\nTrue?\n\nanswer: true\n\n"


def bank(body: str, extra: str = "") -> object:
    return parse_bank(HEAD.format(extra=extra) + body, "g.md")


def test_ten_true_false_questions_pass_by_guessing_as_the_binomial_says():
    exam = bank("".join(TRUE_FALSE.format(n=n) for n in range(10)))
    chances = exam_chances(exam, "60%")
    assert chances.exact and chances.guesser.mean == pytest.approx(5.0)
    assert chances.guesser.sd == pytest.approx(math.sqrt(10 * 0.25))
    assert chances.guesser_passes == pytest.approx(sum(math.comb(10, k) for k in range(6, 11)) / 1024)
    # Knowing each answer with probability 1/2 and guessing the rest: right with probability 3/4.
    assert chances.half_passes == pytest.approx(
        sum(math.comb(10, k) * 0.75**k * 0.25 ** (10 - k) for k in range(6, 11))
    )


def test_negative_marks_and_select_exactly_as_the_real_rules_score_them():
    exam = parse_bank(GRADING_BANK, "grading-sample.md")
    vanish = next(q for q in exam_chances(exam).questions if q.question_id == "vanish")
    # Six of twelve picked at random (select=6): k right ones score (k - (6 - k)) / 6 * 3, floor 0.
    expected = sum(
        math.comb(6, k) * math.comb(6, 6 - k) * max(0.0, (2 * k - 6) / 6 * 3) for k in range(7)
    ) / math.comb(12, 6)
    assert vanish.exact and vanish.guesser.mean == pytest.approx(expected)
    gans = next(q for q in exam_chances(exam).questions if q.question_id == "gans")
    assert not gans.guessable and gans.guesser.mean == 0
    chances = exam_chances(exam)
    assert chances.dont_know == pytest.approx(0.25 * 16)  # dont-know-score: 0.25 everywhere


def test_check_scoring_prints_the_table_and_the_pass_chance(tmp_path, capsys):
    path = tmp_path / "g.md"
    path.write_text(HEAD.format(extra="") + "".join(TRUE_FALSE.format(n=n) for n in range(4)))
    assert main(["check", "--scoring", str(path), "--pass", "3"]) == 0
    out = capsys.readouterr().out
    assert "t0" in out and "0.50 ± 0.50" in out
    assert "Pass mark 3 of 4 points (75%): reached by guessing alone with probability 31.25%" in out
    assert main(["check", "--scoring", str(path), "--pass", "120%"]) == 1
    assert "outside 0..4 points" in capsys.readouterr().err


def test_the_dont_know_column_is_blank_where_the_exam_does_not_offer_it(tmp_path, capsys):
    path = tmp_path / "g.md"
    path.write_text(HEAD.format(extra="") + TRUE_FALSE.format(n=0))
    assert main(["check", "--scoring", str(path)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("t0"))
    assert "0.00" not in row and "0.50 ± 0.50" in row
    exam = parse_bank(GRADING_BANK, "grading-sample.md")  # offers it: the column shows the points
    assert "4.00" in next(
        line for line in chances_table(exam_chances(exam)).splitlines() if line.startswith("exam")
    )


def test_pass_without_scoring_is_refused(tmp_path, capsys):
    path = tmp_path / "g.md"
    path.write_text(HEAD.format(extra="") + TRUE_FALSE.format(n=0))
    assert main(["check", str(path), "--pass", "60%"]) == 1
    assert "--pass needs --scoring" in capsys.readouterr().err
