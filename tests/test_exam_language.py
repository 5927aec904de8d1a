"""The exam's language: `check` refuses codes it cannot show, plurals and numbers by locale (Babel),
a third language from a translation file."""

from __future__ import annotations

from pathlib import Path

import pytest

from exam_desktop.cli import main
from exam_desktop.core.bank import load_bank

BANK = """---
id: t
title: T
duration: {duration}
language: {language}
---

## Q {{#q1 single{attrs}}}

Text

- [x] a
- [ ] b
"""


def write(tmp_path: Path, duration="1h15", language="en", attrs="") -> Path:
    path = tmp_path / "bank.md"
    path.write_text(BANK.format(duration=duration, language=language, attrs=attrs), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("language", "said"),
    [("xx", "'xx' is not a language code"), ("es", "Spanish ('es') is not supported yet")],
)
def test_check_refuses_a_language_it_cannot_show_at_its_line(tmp_path, capsys, language, said):
    path = write(tmp_path, language=language)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:5: language: {said}" in out


def test_check_refuses_minutes_of_60_or_more_after_hours_at_its_line(tmp_path, capsys):
    path = write(tmp_path, duration="1h75")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:4: duration '1h75': the minutes after 'h' must be under 60" in out
    assert "no 'duration:'" not in out, "one mistake, one message"


@pytest.mark.parametrize("language", ["fr", "it-IT", "en"])
def test_supported_languages_and_long_durations_pass(tmp_path, language):
    exam = load_bank(write(tmp_path, duration="2h15", language=language))
    assert exam.duration_minutes == 135 and exam.language == language


def test_a_question_marks_its_own_language_for_the_page(tmp_path, capsys):
    from exam_desktop.core.page.question_data import QuestionPages
    from exam_desktop.core.page.strings import strings_for

    exam = load_bank(write(tmp_path, language="it", attrs=" lang=fr"))
    assert exam.questions[0].lang == "fr"
    pages = QuestionPages(exam, strings_for("it"), lambda *a: "", None)
    assert pages.question("q1")["lang"] == "fr"
    assert main(["check", str(write(tmp_path, attrs=" lang=zz"))]) == 1
    assert "lang=zz: 'zz' is not a language code" in capsys.readouterr().out
