"""The exam's language: `check` refuses codes it cannot show, plurals and numbers by locale (Babel),
a third language from a translation file."""

from __future__ import annotations

import re
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


def test_plurals_and_numbers_follow_the_language_by_babel():
    from exam_desktop.core.page.question_data import format_points
    from exam_desktop.core.page.strings import number, plural, strings_for

    it, en, fr = strings_for("it-IT"), strings_for("en"), strings_for("fr")
    assert plural(it, "confirm_submit_open", 1).startswith("1 domanda è")
    assert plural(it, "confirm_submit_open", 3).startswith("3 domande sono")
    assert plural(it, "minutes", 1) == "1 minuto" and plural(en, "minutes", 1) == "1 minute"
    assert format_points(2.37, it) == "(2,37 punti)" and format_points(1, it) == "(1 punto)"
    assert format_points(2.5, en) == "2.5 points"
    assert plural(fr, "minutes", 0) == "0 minute", "French counts 0 as singular (CLDR)"
    assert number(9.7, "it") == "9,7" and number(1234.5, "en") == "1,234.5"


def test_french_comes_from_a_translation_file_and_covers_every_text():
    from babel.messages.pofile import read_po

    from exam_desktop.core.page.strings import EN, TRANSLATIONS_DIR, strings_for

    with (TRANSLATIONS_DIR / "fr.po").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    entries = {m.context: m for m in catalog if m.id}
    texts = {k for k, v in EN.items() if v and not k.startswith("_")}
    assert texts <= set(entries), f"keys missing from fr.po: {sorted(texts - set(entries))}"
    for key, message in entries.items():
        placeholders = set(re.findall(r"\{\w+\}", message.string or ""))
        assert placeholders <= set(re.findall(r"\{\w+\}", EN[key])) | {"{n}"}, key
    fr = strings_for("fr-FR")
    assert fr["begin"] == "Commencer l'examen" and fr["_language"] == "fr"


def test_the_practice_score_reads_with_a_decimal_comma_in_italian():
    from conftest import BANKS

    from exam_desktop.core import scoring
    from exam_desktop.core.page.practice_results import results_page
    from exam_desktop.core.page.question_data import QuestionPages
    from exam_desktop.core.page.strings import strings_for
    from exam_desktop.core.responses import Response

    exam = load_bank(BANKS / "dl-exam-it.md")
    question = exam.question("vanishing-gradients")
    right = [c.id for c in question.answer.choices if c.correct][:5]
    responses = {q.id: Response(q.id) for q in exam.questions}
    responses[question.id] = Response(question.id, right)
    score = scoring.score_exam(exam, responses)
    page = results_page(exam, QuestionPages(exam, strings_for("it"), lambda *a: "", None), responses, score)
    assert re.search(r"Punteggio: \d+,\d+ su \d+ punti", page["score_text"]), page["score_text"]
