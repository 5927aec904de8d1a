"""Bank syntax for candidate tools, the formula sheet and shared passages (docs/bank-format.md)."""

from __future__ import annotations

import pytest

from exam_desktop.core.bank.parser import parse_bank
from exam_desktop.core.bank.writer import write_bank
from exam_desktop.core.errors import BankError
from exam_desktop.core.model import to_dict

HEAD = """---
id: t
title: T
duration: 30
{front}---
"""

BANK = (
    HEAD.format(front="tools: calculator scientific, notes, highlighter, eliminator, formula-sheet\n")
    + """
# Formula sheet {formula-sheet}

$$\\sigma(x) = \\frac{1}{1 + e^{-x}}$$

# Pooling input {#pool-input passage}

A 2 x 2 max pooling with stride 2 runs over this input:

```figure grid
1 2
3 4
```

# Questions

## Max {#max numeric passage=pool-input}
The output?

answer: 4

## No calculator {#plain single tools=-calculator}
Pick.

- [x] a
- [ ] b

## Only notes {#notes-only truefalse tools=notes}
True?

answer: true

## Nothing {#bare essay tools=none}
Write.
"""
)


def problems(text: str) -> list[str]:
    with pytest.raises(BankError) as caught:
        parse_bank(text, "bank.md")
    return [str(p) for p in caught.value.problems]


def test_tools_formula_sheet_and_passages_are_read():
    exam = parse_bank(BANK, "bank.md")
    assert exam.tools == ["calculator", "notes", "highlighter", "eliminator", "formula-sheet"]
    assert exam.calculator == "scientific"
    assert "\\sigma(x)" in exam.formula_sheet
    (passage,) = exam.passages
    assert (passage.id, passage.title, len(passage.figures)) == ("pool-input", "Pooling input", 1)
    assert passage.figures[0].cells == [["1", "2"], ["3", "4"]]
    assert [s.title for s in exam.sections] == ["Questions"]  # shared blocks are not pages
    tools = {q.id: exam.tools_for(q) for q in exam.questions}
    assert tools["max"] == exam.tools
    assert tools["plain"] == ["notes", "highlighter", "eliminator", "formula-sheet"]
    assert tools["notes-only"] == ["notes"]
    assert tools["bare"] == []
    assert exam.question("max").passages == ["pool-input"]


def test_a_question_can_add_a_tool_the_exam_does_not_offer():
    exam = parse_bank(
        HEAD.format(front="tools: notes\n") + "## Q {#q numeric tools=+calculator}\nx\n\nanswer: 1\n"
    )
    assert exam.tools_for(exam.questions[0]) == ["notes", "calculator"]
    assert exam.calculator == "basic"


def test_tools_and_passages_survive_being_written_back():
    exam = parse_bank(BANK, "bank.md")
    again = parse_bank(write_bank(exam), "again.md")

    def content(e):
        data = to_dict(e)
        for s in data["sections"]:
            for q in s["questions"]:
                q["line"] = 0
        for p in data["passages"]:
            p["line"] = 0
        return data

    assert content(again) == content(exam)


def test_candidates_keep_tools_and_passages():
    exam = parse_bank(BANK, "bank.md").candidate_copy()
    assert exam.passages[0].figures and exam.formula_sheet and exam.tools


@pytest.mark.parametrize(
    ("front", "body", "expected"),
    [
        ("tools: calculator, abacus\n", "", "bank.md:5: unknown tool 'abacus'"),
        ("tools: calculator graphing\n", "", "bank.md:5: the calculator is 'calculator basic' or"),
        ("tools: notes, notes\n", "", "bank.md:5: tool 'notes' is listed twice"),
        ("tools: formula-sheet\n", "", "bank.md:1: tools lists formula-sheet but the bank has no"),
        (
            "",
            "# F {formula-sheet}\n\nx\n\n# S\n",
            "bank.md:1: the bank has a formula sheet: add formula-sheet",
        ),
        (
            "",
            "# P {passage}\n\nx\n\n# S\n",
            "bank.md:7: a passage's heading is '# Title {#passage-id passage}'",
        ),
        (
            "",
            "# P {#p passage}\n\nx\n\n# P2 {#p passage}\n\ny\n\n# S\n",
            "bank.md:11: passage 'p' is defined twice",
        ),
        ("", "# P {#p passage}\n\n# S\n", "bank.md:7: passage 'p' is empty"),
        (
            "",
            "# P {#p passage}\n\nx\n",
            "bank.md:11: a passage or formula sheet ends at the next '# ' heading",
        ),
    ],
)
def test_mistakes_are_reported_with_their_line(front, body, expected):
    text = HEAD.format(front=front) + "\n" + body + "\n## Q {#q essay}\nWrite.\n"
    assert any(p.startswith(expected) for p in problems(text)), problems(text)


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ("tools=abacus", "bank.md:7: unknown tool 'abacus' in tools="),
        ("tools=notes,-calculator", "bank.md:7: tools=notes,-calculator: either list the tools"),
        ("passage=nowhere", "bank.md:7: passage 'nowhere' is not defined"),
    ],
)
def test_question_attribute_mistakes_are_reported_with_their_line(attrs, expected):
    text = HEAD.format(front="tools: notes\n") + f"## Q {{#q essay {attrs}}}\nWrite.\n"
    assert any(p.startswith(expected) for p in problems(text)), problems(text)
