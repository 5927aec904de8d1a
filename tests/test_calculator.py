"""The candidates' calculator (core/page/calculator.py): simpleeval behind the exam's number format."""

from __future__ import annotations

import math

import pytest

from exam_desktop.core.page.calculator import CalculationError, calculate


@pytest.mark.parametrize(
    ("text", "mode", "language", "shown"),
    [
        ("20*50+50+50*50+50+50*5+5", "basic", "en", "3855"),
        ("20×50 + 50 + 50·50 + 50 + 50·5 + 5", "basic", "en", "3855"),
        ("(5*5*3+1)*16", "basic", "en", "1216"),
        ("2,5 × 3", "basic", "it", "7,5"),
        ("1 ÷ 4", "basic", "it", "0,25"),
        ("0.1 + 0.2", "basic", "en", "0.3"),
        ("√16 + sqrt(9)", "basic", "en", "7"),
        ("2^10", "scientific", "en", "1024"),
        ("5!", "scientific", "en", "120"),
        ("log(8; 2)", "scientific", "it", "3"),
        ("ln(e) + log(1000)", "scientific", "en", "4"),
        ("root(27, 3)", "scientific", "en", "3"),
        ("sin(pi/2)", "scientific", "en", "1"),
    ],
)
def test_computes_in_the_exams_number_format(text, mode, language, shown):
    assert calculate(text, mode=mode, language=language).text == shown


def test_the_last_answer_is_ans():
    assert calculate("ans / 5", answer=3855.0).value == 771


@pytest.mark.parametrize(
    ("text", "mode", "reason"),
    [
        ("__import__('os')", "scientific", "unknown"),
        ("(1).__class__", "scientific", "syntax"),
        ("'a' * 3", "basic", "syntax"),
        ("[1, 2]", "basic", "syntax"),
        ("1/0", "basic", "zero"),
        ("2**99999999", "scientific", "too_big"),
        ("fact(171)", "scientific", "too_big"),
        ("sqrt(-1)", "basic", "domain"),
        ("2^10", "basic", "not_offered"),
        ("sin(1)", "basic", "unknown"),
        ("1 +", "basic", "syntax"),
        ("1" * 600, "basic", "too_long"),
    ],
)
def test_refuses_what_is_not_arithmetic(text, mode, reason):
    with pytest.raises(CalculationError) as caught:
        calculate(text, mode=mode)
    assert caught.value.reason == reason


def test_results_are_finite_numbers():
    assert math.isfinite(calculate("1e300", mode="basic").value)
    with pytest.raises(CalculationError):
        calculate("1e308 * 10")
