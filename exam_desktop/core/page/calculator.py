"""The candidates' calculator: an expression in the exam's number format, evaluated by `simpleeval`.

The page sends what the candidate typed (`2,5 × 3` in Italian, `2.5 * 3` in English); this module
turns the calculator's symbols into the expression language of simpleeval (a maintained, sandboxed
evaluator over Python's own `ast` parser: no `eval`, no names or functions but the ones given here)
and formats the result as the candidate writes numbers. A basic calculator has the four operations,
parentheses, square roots and the last answer; a scientific one adds powers, roots, exp/log, trig
(radians) and factorials.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import simpleeval

from exam_desktop.core.numbers import format_number, uses_decimal_comma

MAX_LENGTH = 500  # characters of one expression
MAX_FACTORIAL = 170  # the largest n whose n! is a finite float


class CalculationError(Exception):
    """The expression cannot be computed; `reason` names the sentence (strings `calc_<reason>`)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Result:
    value: float
    text: str  # in the exam's number format


def _factorial(n: float) -> float:
    if n != int(n) or n < 0:
        raise CalculationError("domain")
    if n > MAX_FACTORIAL:
        raise CalculationError("too_big")
    return float(math.factorial(int(n)))


def _root(x: float, n: float = 2) -> float:
    if n == 0:
        raise CalculationError("domain")
    if x < 0 and n % 2 == 1:
        return -((-x) ** (1 / n))
    return x ** (1 / n)


def _log(x: float, base: float = 10) -> float:
    return math.log(x, base)


BASIC_FUNCTIONS: dict[str, Callable[..., float]] = {"sqrt": math.sqrt}
SCIENTIFIC_FUNCTIONS: dict[str, Callable[..., float]] = {
    **BASIC_FUNCTIONS,
    "root": _root,
    "exp": math.exp,
    "ln": math.log,
    "log": _log,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "abs": abs,
    "fact": _factorial,
}
BASIC_OPERATORS = {
    ast.Add: simpleeval.op.add,
    ast.Sub: simpleeval.op.sub,
    ast.Mult: simpleeval.op.mul,
    ast.Div: simpleeval.op.truediv,
    ast.USub: simpleeval.op.neg,
    ast.UAdd: simpleeval.op.pos,
}
SCIENTIFIC_OPERATORS = {**BASIC_OPERATORS, ast.Pow: simpleeval.safe_power}

_SYMBOLS = {"×": "*", "·": "*", "∙": "*", "÷": "/", "−": "-", "–": "-", "π": "pi", "√": "sqrt", ":": "/"}
_FACTORIAL = re.compile(r"(\d+(?:\.\d+)?|ans|pi|e)\s*!")  # 5! -> fact(5); a bracket needs fact(...)
_BARE_ROOT = re.compile(r"sqrt\s*(\d+(?:\.\d+)?|ans|pi|e)\b")  # √2 -> sqrt(2)


def to_expression(text: str, language: str) -> str:
    """The candidate's text in simpleeval's syntax (decimal point, `**` powers, named functions)."""
    expression = text.strip()
    for symbol, replacement in _SYMBOLS.items():
        expression = expression.replace(symbol, replacement)
    if uses_decimal_comma(language):
        expression = expression.replace(",", ".").replace(";", ",")  # a dot stays a decimal point
    expression = expression.replace("^", "**")
    expression = _FACTORIAL.sub(r"fact(\1)", expression)
    return _BARE_ROOT.sub(r"sqrt(\1)", expression)


def calculate(
    text: str,
    *,
    mode: str = "basic",
    language: str = "en",
    answer: float | None = None,
) -> Result:
    """Evaluate the candidate's `text`; raises CalculationError with the reason when it cannot."""
    if len(text) > MAX_LENGTH:
        raise CalculationError("too_long")
    scientific = mode == "scientific"
    names: dict[str, float] = {"ans": answer if answer is not None else 0.0}
    if scientific:
        names.update(pi=math.pi, e=math.e)
    evaluator = simpleeval.SimpleEval(
        operators=SCIENTIFIC_OPERATORS if scientific else BASIC_OPERATORS,
        functions=SCIENTIFIC_FUNCTIONS if scientific else BASIC_FUNCTIONS,
        names=names,
    )
    try:
        value = evaluator.eval(to_expression(text, language))
    except CalculationError:
        raise
    except ZeroDivisionError:
        raise CalculationError("zero") from None
    except (simpleeval.NumberTooHigh, OverflowError):
        raise CalculationError("too_big") from None
    except simpleeval.OperatorNotDefined:
        raise CalculationError("not_offered") from None
    except (simpleeval.NameNotDefined, simpleeval.FunctionNotDefined) as exc:
        raise CalculationError(
            "unknown", str(getattr(exc, "name", "") or getattr(exc, "func_name", ""))
        ) from None
    except (ValueError, ArithmeticError):
        raise CalculationError("domain") from None
    except (SyntaxError, simpleeval.InvalidExpression, TypeError, KeyError, AttributeError):
        raise CalculationError("syntax") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CalculationError("syntax")
    try:
        number = float(value)
    except OverflowError:
        raise CalculationError("too_big") from None
    if not math.isfinite(number):
        raise CalculationError("too_big")
    shown = float(f"{number:.12g}")  # 0.1 + 0.2 shows 0.3
    return Result(number, format_number(shown, language))
