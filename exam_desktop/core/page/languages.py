"""The languages exam-desktop speaks: a bank's `language:` (and a question's `lang=`) must be one.

A code is a BCP 47 tag like ``it`` or ``it-IT``; its first part picks the interface text
(core/page/strings.py). Babel's CLDR data says whether a code names a language at all, so a bank
can be told "xx is not a language" apart from "Spanish is not supported yet".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

SUPPORTED = ("en", "it", "fr")  # a table of interface text exists for each


def base_language(code: str) -> str:
    """``it-IT`` → ``it``; lower case, ``_`` read as ``-``."""
    return code.strip().lower().replace("_", "-").split("-")[0]


def babel_locale(code: str) -> Locale:
    """The CLDR locale for `code` (English when it is not a known locale)."""
    from babel import Locale, UnknownLocaleError  # when first needed: ~40 ms at start otherwise

    try:
        return Locale.parse(code.strip().replace("-", "_") or "en")
    except (UnknownLocaleError, ValueError):
        return Locale("en")


def language_problem(code: str) -> str | None:
    """Why `code` cannot be an exam's language, or None when it can.

    Whether a code names a language at all comes from the English locale's list of language names
    (CLDR), so only the supported languages' locale data needs to ship with the app."""
    from babel import Locale, UnknownLocaleError

    base = base_language(code)
    if base in SUPPORTED:
        try:
            Locale.parse(code.strip().replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            return f"'{code}' is not a language code (use one of: {', '.join(SUPPORTED)})"
        return None
    names = Locale("en").languages
    if not base.isalpha() or base not in names:
        return f"'{code}' is not a language code (use one of: {', '.join(SUPPORTED)})"
    return f"{names[base]} ('{code}') is not supported yet (supported: {', '.join(SUPPORTED)})"
