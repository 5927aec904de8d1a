"""Numbers as people type them: `3855`, `0.5`, `.5`, `-1e-3`, `3,5` in Italian, `1 234,5`.

The exam's language decides the decimal separator. In English a comma groups thousands
(`3,855`); in comma-decimal languages (Italian, German, French, ...) a comma is the decimal mark and a
dot groups thousands (`1.234,5`) — except that a single dot with no comma is read as a decimal point
(`0.5`, as a programming language writes it), which is what candidates mean in technical exams.
Spaces (also non-breaking and thin ones) may group thousands in every language.
"""

from __future__ import annotations

import math
import re

from exam_desktop.core.errors import KnownError

# Languages whose decimal mark is a comma (ISO 639-1; a region such as "it-CH" is ignored).
COMMA_DECIMAL_LANGUAGES = frozenset(
    "it de fr es pt nl ru uk pl cs sk sl hr sr bs bg ro hu el tr sv da fi nb nn no is et lv lt "
    "ca gl eu id vi az kk be mk sq".split()
)

_MINUS_SIGNS = "\u2212\ufe63\uff0d\u2012\u2013"  # minus sign, small and full-width minus, figure and en dash
_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]")
_SHAPE = re.compile(r"^(?P<sign>[+-]?)(?P<mantissa>[0-9., ]+?)(?:[eE](?P<exponent>[+-]?[0-9]+))?$")
_DIGITS = re.compile(r"^[0-9]*$")

_MESSAGES = {
    "en": {
        "empty": "The answer is empty. Type a number, with a decimal point like 0.5.",
        "unreadable": "“{text}” is not a number. Type digits, with a decimal point like 0.5.",
        "unreadable_comma": "“{text}” is not a number. Type digits, with a decimal comma like 0,5.",
        "too_large": "“{text}” is too large a number. Check the exponent.",
    },
    "it": {
        "empty": "La risposta è vuota. Scrivi un numero, con la virgola decimale come 0,5.",
        "unreadable": "“{text}” non è un numero. Scrivi solo cifre, con la virgola decimale come 0,5.",
        "unreadable_comma": "“{text}” non è un numero. Scrivi solo cifre, con la virgola decimale come 0,5.",
        "too_large": "“{text}” è un numero troppo grande. Controlla l'esponente.",
    },
}


class NumberNotReadable(KnownError):
    """What the candidate typed cannot be read as a number; the message says how to write one."""

    def __init__(self, message: str, text: str = ""):
        super().__init__(message)
        self.text = text


def uses_decimal_comma(language: str) -> bool:
    return language.lower().replace("_", "-").split("-")[0] in COMMA_DECIMAL_LANGUAGES


def parse_number(text: str, language: str = "en") -> float:
    """The number in `text`, read with `language`'s decimal mark; raises NumberNotReadable."""
    decimal_comma = uses_decimal_comma(language)
    cleaned = _SPACES.sub(" ", text).strip()
    for minus in _MINUS_SIGNS:
        cleaned = cleaned.replace(minus, "-")
    if not cleaned:
        raise NumberNotReadable(_message(language, "empty"), text)
    shape = _SHAPE.match(cleaned)
    number = _mantissa(shape.group("mantissa"), decimal_comma) if shape else None
    if shape is None or number is None:
        key = "unreadable_comma" if decimal_comma else "unreadable"
        raise NumberNotReadable(_message(language, key, text=cleaned), text)
    value = float(f"{shape.group('sign')}{number}e{shape.group('exponent') or 0}")
    if math.isinf(value):
        raise NumberNotReadable(_message(language, "too_large", text=cleaned), text)
    return value


def _mantissa(mantissa: str, decimal_comma: bool) -> str | None:
    """`mantissa` as `int.frac` with a decimal point, or None if its separators make no sense."""
    decimal, group = (",", ".") if decimal_comma else (".", ",")
    if decimal_comma and "," not in mantissa and mantissa.count(".") == 1:
        decimal, group = ".", ","  # a lone dot: a decimal point, as in 0.5
    whole, _, fraction = mantissa.partition(decimal)
    if decimal in fraction or not _DIGITS.match(fraction):
        return None
    digits = whole if _DIGITS.match(whole) else _ungroup(whole, group)
    if digits is None or not (digits or fraction):
        return None
    return f"{digits or '0'}.{fraction or '0'}"


def _ungroup(whole: str, group: str) -> str | None:
    """`1,234,567` or `1 234 567` (groups of three, one kind of separator) as plain digits."""
    if whole == "":
        return ""
    for separator in (group, " "):
        if re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(separator)}[0-9]{{3}})+", whole):
            return whole.replace(separator, "")
    return None


def _message(language: str, key: str, **values: str) -> str:
    base = language.lower().replace("_", "-").split("-")[0]
    return _MESSAGES.get(base, _MESSAGES["en"])[key].format(**values)


def format_number(value: float, language: str = "en") -> str:
    """A number as the candidate would write it in `language` (shortest form, no grouping)."""
    text = repr(float(value))
    if text.endswith(".0") and "e" not in text:
        text = text[:-2]
    return text.replace(".", ",") if uses_decimal_comma(language) else text
