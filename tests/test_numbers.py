"""The numeric field reads what candidates type and says clearly when it cannot."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam_desktop.core.errors import KnownError
from exam_desktop.core.numbers import NumberNotReadable, format_number, parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3855", 3855.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("-1e-3", -0.001),
        ("2.5E+3", 2500.0),
        ("+7", 7.0),
        ("  42  ", 42.0),
        ("\u22123.5", -3.5),  # unicode minus sign
        ("3,855", 3855.0),
        ("1,234,567.25", 1234567.25),
        ("3 855", 3855.0),
        ("3\u202f855", 3855.0),  # narrow no-break space, as word processors group
        ("-0", 0.0),
    ],
)
def test_english_reads_what_people_type(text, expected):
    assert parse_number(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,5", 3.5),
        ("1.234,5", 1234.5),
        ("1.234.567", 1234567.0),
        ("1 234,5", 1234.5),
        ("0,001", 0.001),
        ("2,5e-3", 0.0025),
        ("0.5", 0.5),  # a lone dot is a decimal point, as in code
        ("-1e-3", -0.001),
        (",5", 0.5),
    ],
)
def test_italian_reads_a_decimal_comma(text, expected):
    assert parse_number(text, "it") == pytest.approx(expected)


def test_other_comma_languages_and_regions():
    assert parse_number("3,5", "de") == 3.5
    assert parse_number("3,5", "fr-CH") == 3.5
    assert parse_number("3,5", "it_IT") == 3.5


@pytest.mark.parametrize(
    "text",
    [
        "1.2.3",
        "abc",
        "",
        "   ",
        "-",
        ".",
        "1e",
        "e5",
        "3,5",
        "12,34",
        "1,2345",
        "nan",
        "inf",
        "0x10",
        "1/2",
        "5 %",
        "1..2",
    ],
)
def test_english_rejects_what_is_not_a_number(text):
    with pytest.raises(NumberNotReadable):
        parse_number(text, "en")


@pytest.mark.parametrize("text", ["1,234.5", "1,2,3", "abc", "1.23.4,5"])
def test_italian_rejects_what_is_not_a_number(text):
    with pytest.raises(NumberNotReadable):
        parse_number(text, "it")


def test_the_message_says_what_is_wrong_and_how_to_write_it():
    with pytest.raises(KnownError) as caught:
        parse_number("1.2.3")
    assert str(caught.value) == "“1.2.3” is not a number. Type digits, with a decimal point like 0.5."


def test_the_italian_hint_asks_for_a_decimal_comma():
    with pytest.raises(NumberNotReadable) as caught:
        parse_number("abc", "it")
    assert "virgola decimale" in str(caught.value) and "0,5" in str(caught.value)


def test_an_empty_answer_is_called_empty():
    with pytest.raises(NumberNotReadable, match="empty"):
        parse_number("  ")


def test_an_overflowing_exponent_is_refused():
    with pytest.raises(NumberNotReadable, match="too large"):
        parse_number("1e999")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_written_by_repr_reads_back(value):
    for language in ("en", "it"):
        assert parse_number(repr(value), language) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_reads_back_in_its_language(value):
    for language in ("en", "it"):
        parsed = parse_number(format_number(value, language), language)
        assert parsed == value and math.copysign(1, parsed) == math.copysign(1, value)


def test_format_number_uses_the_language_decimal_mark():
    assert format_number(0.5, "it") == "0,5"
    assert format_number(3855.0, "en") == "3855"
