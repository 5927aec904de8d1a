"""The Markdown bank format: every kind parses to the right model, every mistake is reported
with the right line, and no input makes the parser fail with anything but a BankError."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exam_desktop.cli import main
from exam_desktop.core.bank import parse_bank, write_bank
from exam_desktop.core.errors import BankError
from exam_desktop.core.model import (
    Essay,
    GridFigure,
    IoUFigure,
    Matrix,
    MatrixFigure,
    MultipleChoice,
    Numeric,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
    figure_token,
    to_dict,
)

FRONT = "---\nid: t\ntitle: T\nduration: 30m\n---\n"


def bank(body: str, front: str = FRONT) -> str:
    return front + textwrap.dedent(body)


def parse(body: str):
    return parse_bank(bank(body), "t.md")


def problems(text: str) -> list[str]:
    with pytest.raises(BankError) as info:
        parse_bank(text, "t.md")
    return [str(p) for p in info.value.problems]


# --- metadata and structure -------------------------------------------------------------------


def test_front_matter_sections_and_instructions():
    exam = parse_bank(
        textwrap.dedent(
            """\
            ---
            id: dlai-2021
            title: DLAI (14 September 2021)
            duration: 1h45
            language: it
            dont-know: yes
            dont-know-score: 1/4
            rating: yes
            field: name | Full name
            field: seat | Seat | optional
            ---
            Answer every question.

            # Page one
            Intro of page one.

            ## Q {#q1 essay}
            Why?

            # Page two

            ## R {#q2 essay points=2.5}
            How?
            """
        ),
        "t.md",
    )
    assert (exam.id, exam.title, exam.duration_minutes, exam.language) == (
        "dlai-2021",
        "DLAI (14 September 2021)",
        105,
        "it",
    )
    assert exam.allow_dont_know and exam.allow_rating and exam.dont_know_score == 0.25
    assert [(f.id, f.label, f.required) for f in exam.candidate_fields] == [
        ("name", "Full name", True),
        ("seat", "Seat", False),
    ]
    assert exam.instructions == "Answer every question."
    assert [s.title for s in exam.sections] == ["Page one", "Page two"]
    assert exam.sections[0].intro == "Intro of page one."
    assert [q.points for q in exam.questions] == [1.0, 2.5]
    assert exam.questions[1].line == 22


@pytest.mark.parametrize(("text", "minutes"), [("1h45", 105), ("90m", 90), ("120", 120), ("2h", 120)])
def test_durations(text, minutes):
    exam = parse_bank(f"---\nid: t\ntitle: T\nduration: {text}\n---\n## Q {{#q essay}}\nx\n")
    assert exam.duration_minutes == minutes


# --- every kind -------------------------------------------------------------------------------


def test_single_choice_with_math_and_multiline_option():
    exam = parse(
        r"""
        ## Gradient {#g single points=2 tags=dl,math}
        What is $\frac{\partial L}{\partial x}$?

        - [ ] influence of the loss on the pixels
        - [x] influence of the pixels on the loss
          $$\frac{\partial L}{\partial x}$$
        - [ ] none

        ### Explanation
        The derivative of the loss with respect to the input.
        """
    )
    q = exam.question("g")
    assert isinstance(q.answer, SingleChoice)
    assert [c.id for c in q.answer.choices] == ["a", "b", "c"]
    assert [c.correct for c in q.answer.choices] == [False, True, False]
    assert (
        q.answer.choices[1].text
        == "influence of the pixels on the loss\n$$\\frac{\\partial L}{\\partial x}$$"
    )
    assert q.stem == r"What is $\frac{\partial L}{\partial x}$?"
    assert q.explanation.startswith("The derivative")
    assert q.tags == ["dl", "math"] and q.points == 2


def test_multiple_choice_per_option_scoring_and_weights():
    exam = parse(
        """
        ## Six {#six multiple points=3 select=2 scoring=per-option right=1/2 wrong=-50% floor=0}
        - [x] a
        - [x] b
        - [ ] c {weight=-0.25}
        """
    )
    a = exam.question("six").answer
    assert isinstance(a, MultipleChoice)
    assert (a.select_exactly, a.scoring, a.right, a.wrong, a.floor) == (2, "per-option", 0.5, -0.5, 0)
    assert [c.weight for c in a.choices] == [None, None, -0.25]
    assert a.choices[2].text == "c"


def test_true_false_numeric_short_essay():
    exam = parse(
        """
        ## TF {#tf truefalse}
        Max pooling needs the argmax positions.

        answer: vero

        ## Num {#num numeric unit=params}
        How many?

        answer: 3855
        answer: 0.5 ± 2%
        answer: 3800 +- 10 {weight=50%}
        answer: 1..2

        ## Short {#s short case=sensitive}
        answer: Bayesian optimization
        answer: Bayes*

        ## Essay {#e essay min-words=50 max-words=200}
        Discuss.

        ### Rubric
        - 1 pt: pros
        """
    )
    assert exam.question("tf").answer == TrueFalse(True)
    num = exam.question("num").answer
    assert isinstance(num, Numeric) and num.unit == "params"
    assert [(n.value, n.tolerance, n.relative, n.weight) for n in num.answers] == [
        (3855, 0, False, 1),
        (0.5, 0.02, True, 1),
        (3800, 10, False, 0.5),
        (1.5, 0.5, False, 1),
    ]
    short = exam.question("s").answer
    assert short == ShortText(["Bayesian optimization", "Bayes*"], case_sensitive=True)
    essay = exam.question("e").answer
    assert essay == Essay(50, 200, "- 1 pt: pros")


def test_matrix_and_template():
    exam = parse(
        """
        ## ReLU {#relu matrix tolerance=0.5 scoring=all-or-nothing}
        Gradient?

        ```answer
        5 0 1
        2 3 0
        0 -3 4
        ```

        ## Summary {#sum template points=2}
        ```template
        conv1 (Conv2D)  [[shape]]  [[params]]
        ```

        blank shape: (None, 128, 256, 16) | (None,128,256,16) {case}
        blank params: manual {width=24}

        ### Rubric
        5*5*3*16 + 16
        """
    )
    m = exam.question("relu").answer
    assert m == Matrix(3, 3, [[5, 0, 1], [2, 3, 0], [0, -3, 4]], 0.5, "all-or-nothing")
    t = exam.question("sum").answer
    assert isinstance(t, Template)
    assert t.text == "conv1 (Conv2D)  [[shape]]  [[params]]"
    assert [(b.name, b.accepted, b.manual, b.case_sensitive) for b in t.blanks] == [
        ("shape", ["(None, 128, 256, 16)", "(None,128,256,16)"], False, True),
        ("params", [], True, False),
    ]
    assert t.rubric == "5*5*3*16 + 16"
    assert [b.width for b in t.blanks] == [0, 24]
    assert not exam.question("sum").auto_graded


def test_figures_in_stem_and_options():
    exam = parse(
        """
        ## Pool {#pool single}
        Max pooling of:

        ```figure grid
        2 1 3 5
        8 1 0 2
        4 7 3 1
        4 3 0 9
        highlight: 0 0 2 2 | orange
        ```

        - [x]
          ```figure grid
          8 5
          7 9
          ```
        - [ ]
          ```figure matrix
          name: y
          3 2.5
          ```

        ## IoU {#iou single}
        ```figure iou
        grid: 10 x 8
        box: Ground truth | 1 1 5 4 | blue
        box: Prediction | 3 2 5 4 | green
        caption: blue is the ground truth
        ```

        - [x] IoU < 0.45
        - [ ] IoU = 1
        """
    )
    pool = exam.question("pool")
    assert pool.stem == f"Max pooling of:\n\n{figure_token(0)}"
    grid = pool.figures[0]
    assert isinstance(grid, GridFigure) and grid.cells[3] == ["4", "3", "0", "9"]
    assert (grid.highlights[0].row, grid.highlights[0].rows, grid.highlights[0].color) == (0, 2, "orange")
    assert pool.answer.choices[0].text == figure_token(1)
    assert pool.figures[1].cells == [["8", "5"], ["7", "9"]]
    assert isinstance(pool.figures[2], MatrixFigure) and pool.figures[2].name == "y"
    iou = exam.question("iou").figures[0]
    assert isinstance(iou, IoUFigure) and (iou.grid_width, iou.grid_height) == (10, 8)
    assert [(b.label, b.x, b.y, b.color) for b in iou.boxes] == [
        ("Ground truth", 1, 1, "blue"),
        ("Prediction", 3, 2, "green"),
    ]
    assert iou.caption == "blue is the ground truth"


def test_code_blocks_and_comments_stay_out_of_the_structure():
    exam = parse(
        """
        ## Code {#code essay}
        <!-- a note for authors -->
        Look:

        ```python
        # a comment, not a section
        ## not a question {#x single}
        - [x] not an option
        answer: not an answer
        ```
        """
    )
    q = exam.question("code")
    assert "# a comment, not a section" in q.stem and "answer: not an answer" in q.stem
    assert "note for authors" not in q.stem
    assert len(exam.questions) == 1


# --- problems, with their lines ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("## Q {#q foo}\n", 6, "unknown question kind 'foo'"),
        ("## Q {single}\n- [x] a\n- [ ] b\n", 6, "has no id"),
        ("## Q\n", 6, "attribute block"),
        ("## Q {#q single}\n- [ ] a\n- [ ] b\n", 6, "no correct option"),
        ("## Q {#q single}\n- [x] a\n- [x] b\n", 6, "2 options are marked correct"),
        ("## Q {#q multiple select=3}\n- [x] a\n- [x] b\n- [ ] c\n", 6, "select=3 but 2 options"),
        ("## Q {#q single colour=red}\n- [x] a\n- [ ] b\n", 6, "unknown attribute 'colour'"),
        ("## Q {#q numeric}\nx\n\nanswer: 0.5 ± abc\n", 9, "tolerance 'abc'"),
        ("## Q {#q numeric}\nanswer: 3,5\n", 7, "answer '3,5' is not a number"),
        ("## Q {#q numeric}\nx\n", 6, "at least one 'answer: VALUE'"),
        ("## Q {#q truefalse}\nanswer: maybe\n", 7, "'maybe' is not true or false"),
        ("## Q {#q template}\n```template\n[[a]] [[b]]\n```\nblank a: x\n", 7, "blank [[b]] has no"),
        ("## Q {#q template}\n```template\n[[a]]\n```\nblank a:\n", 10, "blank 'a' has no accepted answer"),
        (
            "## Q {#q template}\n```template\n[[a]]\n```\nblank a: x\nblank zz: y\n",
            11,
            "blank 'zz' is not in",
        ),
        ("## Q {#q matrix}\n```answer\n1 2\n3\n```\n", 9, "this row has 1 cells"),
        ("## Q {#q matrix}\n```answer\n1 x\n```\n", 8, "matrix cell 'x'"),
        ("## Q {#q essay}\n```figure pie\n1\n```\n", 7, "unknown figure 'figure pie'"),
        ("## Q {#q essay}\n```figure grid\n1 2\n3\n```\n", 9, "this grid row has 1 cells"),
        (
            "## Q {#q essay}\n```figure iou\ngrid: 4 x 4\nbox: A | 0 0 2 2 | blue\nbox: B | 3 3 2 2 | green\n```\n",
            10,
            "box 'B' does not fit",
        ),
        ("## Q {#q essay}\n```figure iou\ngrid: 4 x 4\nbox: A | 0 0 2 2\n```\n", 7, "at least two boxes"),
        (
            "## Q {#q essay}\n```figure grid\n1 2\nhighlight: 1 1 2 2\n```\n",
            9,
            "highlight 1 1 2 2 is outside",
        ),
        ("## Q {#q essay}\n- [x] a\n", 7, "has no '- [ ]' options"),
        ("## Q {#q short}\n### Rubric\nx\n", 7, "a rubric belongs to"),
        ("## Q {#q essay}\n```python\nx\n", 9, "never closed"),
        ("## Q {#q essay points=lots}\n", 6, "points 'lots' is not a number"),
    ],
)
def test_each_problem_has_its_line(body, line, message):
    found = problems(FRONT + body)
    assert any(p.startswith(f"t.md:{line}: ") and message in p for p in found), found


def test_front_matter_problems():
    found = problems("---\nid: bad id\nduration: soon\nwhen: now\n---\n## Q {#q essay}\n")
    assert "t.md:2: exam id 'bad id' may use only letters, digits, '-', '_', '.'" in found
    assert "t.md:3: duration 'soon' is not like 1h45, 90m or 120" in found
    assert any(p.startswith("t.md:4: unknown front-matter key 'when'") for p in found)
    assert "t.md:1: the front matter has no 'title:'" in found
    assert problems("no front matter\n")[0].startswith("t.md:1: a bank starts with front matter")


def test_duplicate_id_names_both_lines():
    found = problems(FRONT + "## A {#q essay}\nx\n\n## B {#q essay}\ny\n")
    assert found == ["t.md:9: duplicate question id 'q' (first at line 6)"]


def test_three_mistakes_three_messages_and_check_exits_nonzero(tmp_path, capsys):
    path = tmp_path / "broken.md"
    path.write_text(
        FRONT
        + "## A {#a single}\n- [ ] x\n- [ ] y\n\n"  # no correct option (line 6)
        + "## B {#b numeric}\nanswer: ten\n\n"  # not a number (line 11)
        + "## C {#c sorting}\n"  # unknown kind (line 13)
    )
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert [line.split(":")[1] for line in lines] == ["6", "11", "13"]
    assert all(line.startswith(f"{path}:") for line in lines)
    assert "INVALID — 3 problems" in out


def test_check_valid_bank_summary(tmp_path, capsys):
    path = tmp_path / "ok.md"
    path.write_text(FRONT + "## A {#a truefalse points=2}\nanswer: yes\n\n## B {#b essay}\nWhy?\n")
    assert main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "valid — T — 2 questions (1 essay, 1 truefalse), 3 points, 30 min" in out


def test_check_missing_file_is_a_sentence_not_a_traceback(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.md")]) == 1
    out = capsys.readouterr()
    assert "no such file" in out.out and "Traceback" not in out.err


# --- round trip and robustness ----------------------------------------------------------------

FULL = bank(
    """
    Instructions.

    # One

    ## S {#s single points=2 tags=a,b}
    Stem $x$.

    - [ ] no
    - [x] yes
      ```figure grid
      1 2
      3 4
      highlight: 0 0 1 1 | red
      ```

    ### Explanation
    Because.

    ## M {#m multiple select=2 scoring=per-option right=1/6 wrong=-1/6 floor=0}
    - [x] a
    - [x] b {weight=1/3}
    - [ ] c

    # Two

    ## N {#n numeric}
    answer: 0.5 ± 2%
    answer: 1..3 {weight=50%}

    ## X {#x matrix tolerance=0.1}
    ```figure iou
    grid: 6 x 6
    box: GT | 0 0 3 3 | blue
    box: P | 1 1 3 3 | green
    ```

    ```answer
    1 0.5
    -2 3
    ```

    ## T {#t template}
    ```template
    a = [[one]]; b = [[two]]
    ```

    blank one: 1 | one
    blank two: manual {width=12}

    ### Rubric
    two is 2

    ## E {#e essay max-words=10}
    ### Rubric
    ok

    ## Ma {#ma matching scoring=all-or-nothing}
    - one => 1
    - two => 2
    - => 3

    ## O {#o ordering}
    1. b
    2. a
    """
)


def normalized(exam):
    data = to_dict(exam)
    data["source"] = ""
    for section in data["sections"]:
        for q in section["questions"]:
            q["line"] = 0
    return data


def test_write_bank_round_trip():
    exam = parse_bank(FULL, "full.md")
    again = parse_bank(write_bank(exam), "again.md")
    assert normalized(again) == normalized(exam)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_or_bank_error(text: str) -> None:
    try:
        parse_bank(text, "fuzz.md")
    except BankError as exc:
        assert exc.problems and all(p.line >= 1 for p in exc.problems)


@pytest.mark.slow
@SETTINGS
@given(st.text(max_size=400))
def test_random_text_gives_an_exam_or_a_bank_error(text):
    parse_or_bank_error(text)


@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_mutated_banks_give_an_exam_or_a_bank_error(data):
    lines = FULL.split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "garble", "swap"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "garble":
            pos = data.draw(st.integers(0, max(len(lines[i]), 0)))
            junk = data.draw(st.text(alphabet="{}[]#x=|-`~:.0123456789 \\$", max_size=5))
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    parse_or_bank_error("\n".join(lines))


def test_matching_and_ordering():
    exam = parse(
        """
        ## Match {#match matching points=2}
        Match each layer to its role.

        - MaxPooling2D => downsamples
        - Conv2D => extracts local features
        - => normalises activations

        ## Order {#order ordering scoring=per-position}
        Put the steps in order.

        1. Forward pass
        2. Compute the loss
        3. Backward pass
        """
    )
    match = exam.question("match").answer
    assert match.prompts == ["MaxPooling2D", "Conv2D"]
    # options sorted, so their order never gives the key away; the distractor is one of them
    assert match.options == ["downsamples", "extracts local features", "normalises activations"]
    assert match.key == [0, 1]
    assert match.strip_key().key == []
    order = exam.question("order").answer
    assert order.items == ["Forward pass", "Compute the loss", "Backward pass"]
    assert order.scoring == "per-position"
    assert order.strip_key().items == ["Backward pass", "Compute the loss", "Forward pass"]
    assert exam.question("match").stem == "Match each layer to its role."


def test_matching_and_ordering_problems():
    found = problems(FRONT + "## M {#m matching}\n- a => x\n\n## O {#o ordering}\n1. a\n2. a\n")
    assert any(p.startswith("t.md:6: a matching question needs at least two") for p in found), found
    assert "t.md:11: item 'a' is listed twice" in found
