"""Scoring rules, with hand-computed expectations for the tricky ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from exam_desktop.core.model import (
    Blank,
    Choice,
    Essay,
    Exam,
    Matrix,
    MultipleChoice,
    Numeric,
    NumericAnswer,
    Question,
    Section,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
)
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import score_exam, score_question


def question(answer, points: float = 1.0, tags: list[str] | None = None, qid: str = "q") -> Question:
    return Question(qid, qid, points, "stem", answer, tags=tags or [])


def points(q: Question, value, **kwargs) -> float:
    return score_question(q, Response(q.id, value), **kwargs).points


# -- seed 004: "six and only six are correct; if you mark more, these count as errors" ---------

SIX_CORRECT = [f"c{i}" for i in range(6)]
SIX_WRONG = [f"w{i}" for i in range(6)]


def six_and_only_six(scoring="per-option") -> Question:
    choices = [Choice(i, i, correct=True) for i in SIX_CORRECT] + [Choice(i, i) for i in SIX_WRONG]
    return question(
        MultipleChoice(choices, select_exactly=6, scoring=scoring, right=1 / 6, wrong=-1 / 6),
        points=3,
    )


def test_six_right_earns_all_three_points():
    assert points(six_and_only_six(), SIX_CORRECT) == 3.0


def test_six_right_and_two_extra_marks_lose_two_sixths():
    # 6 * 1/6 - 2 * 1/6 = 4/6 of 3 points
    assert points(six_and_only_six(), SIX_CORRECT + SIX_WRONG[:2]) == 2.0


def test_four_right_one_wrong():
    # (4 - 1) / 6 of 3 points
    assert points(six_and_only_six(), SIX_CORRECT[:4] + SIX_WRONG[:1]) == 1.5


def test_seven_picks_count_the_extra_as_an_error():
    assert points(six_and_only_six(), SIX_CORRECT + SIX_WRONG[:1]) == 2.5


def test_mostly_wrong_picks_stop_at_the_floor():
    assert points(six_and_only_six(), SIX_CORRECT[:1] + SIX_WRONG) == 0.0


def test_default_marks_are_one_over_correct_and_minus_that():
    choices = [Choice(i, i, correct=True) for i in SIX_CORRECT] + [Choice(i, i) for i in SIX_WRONG]
    q = question(MultipleChoice(choices, select_exactly=6, scoring="per-option"), points=3)
    assert points(q, SIX_CORRECT[:4] + SIX_WRONG[:1]) == 1.5


def test_option_weight_overrides_the_default_marks():
    choices = [
        Choice("a", "a", correct=True, weight=0.75),
        Choice("b", "b", correct=True),
        Choice("c", "c", weight=-0.25),
    ]
    q = question(MultipleChoice(choices, scoring="per-option"), points=2)
    assert points(q, ["a"]) == 1.5
    assert points(q, ["a", "b"]) == 2.0  # 0.75 + 0.5, capped at the points
    assert points(q, ["b", "c"]) == 0.5  # 0.5 - 0.25


def test_negative_floor_allows_negative_marks():
    choices = [Choice("a", "a", correct=True), Choice("b", "b"), Choice("c", "c")]
    q = question(MultipleChoice(choices, scoring="per-option", wrong=-0.5, floor=-0.5), points=2)
    assert points(q, ["b", "c"]) == -1.0


def test_all_or_nothing_needs_exactly_the_correct_set():
    q = six_and_only_six("all-or-nothing")
    assert points(q, SIX_CORRECT) == 3.0
    assert points(q, SIX_CORRECT[:5]) == 0.0
    assert points(q, SIX_CORRECT + SIX_WRONG[:1]) == 0.0


def test_partial_scoring_subtracts_wrong_picks():
    choices = [Choice("a", "", True), Choice("b", "", True), Choice("c", ""), Choice("d", "")]
    q = question(MultipleChoice(choices, scoring="partial"), points=4)
    assert points(q, ["a"]) == 2.0
    assert points(q, ["a", "b", "c"]) == 2.0
    assert points(q, ["a", "c", "d"]) == 0.0


def test_unknown_and_repeated_option_ids_earn_nothing():
    q = six_and_only_six()
    assert points(q, SIX_CORRECT[:3] + SIX_CORRECT[:3] + ["zz"]) == 1.5


# -- single, true/false -------------------------------------------------------------------------


def test_single_choice():
    q = question(SingleChoice([Choice("a", "a"), Choice("b", "b", correct=True)]), points=2)
    assert points(q, "b") == 2.0
    assert points(q, "a") == 0.0


def test_true_false():
    q = question(TrueFalse(answer=False))
    assert points(q, False) == 1.0
    assert points(q, True) == 0.0


# -- numeric ------------------------------------------------------------------------------------


def test_numeric_exact_accepts_other_spellings():
    q = question(Numeric([NumericAnswer(3855)]))
    assert points(q, "3855") == 1.0
    assert points(q, "3855.0") == 1.0
    assert points(q, "3856") == 0.0


def test_numeric_tolerance_edge_is_inclusive_and_just_beyond_is_not():
    q = question(Numeric([NumericAnswer(0.5, tolerance=0.01)]), points=2)
    assert points(q, "0.51") == 2.0  # 0.51 - 0.5 is 0.010000000000000009 in floats
    assert points(q, "0.49") == 2.0
    assert points(q, "0.5101") == 0.0
    assert points(q, "0.4899") == 0.0


def test_numeric_relative_tolerance():
    q = question(Numeric([NumericAnswer(200, tolerance=0.02, relative=True)]))  # 200 ± 4
    assert points(q, "204") == 1.0
    assert points(q, "196") == 1.0
    assert points(q, "204.01") == 0.0


def test_numeric_best_weight_wins():
    q = question(Numeric([NumericAnswer(3800, tolerance=100, weight=0.5), NumericAnswer(3855)]), points=2)
    assert points(q, "3855") == 2.0  # matches both: the full answer wins over the first listed
    assert points(q, "3790") == 1.0
    assert points(q, "3000") == 0.0


def test_numeric_text_that_is_not_a_number_scores_zero():
    q = question(Numeric([NumericAnswer(1)]))
    s = score_question(q, Response("q", "about one"))
    assert (s.points, s.status) == (0.0, "auto")


def test_numeric_uses_the_exam_language():
    q = question(Numeric([NumericAnswer(0.5)]))
    assert points(q, "0,5", language="it") == 1.0


# -- matrix -------------------------------------------------------------------------------------

RELU_KEY = [[5, 0, 1], [2, 3, 0], [0, -3, 4]]


def cells(rows):
    return [[str(x) for x in row] for row in rows]


def test_matrix_one_wrong_cell_of_nine():
    q = question(Matrix(3, 3, RELU_KEY), points=3)
    answer = cells(RELU_KEY)
    answer[2][1] = "3"  # sign error in one cell
    assert points(q, answer) == round(3 * 8 / 9, 4)


def test_matrix_all_or_nothing_and_tolerance():
    q = question(Matrix(3, 3, RELU_KEY, tolerance=0.1, scoring="all-or-nothing"), points=3)
    near = cells(RELU_KEY)
    near[0][0] = "5.1"
    assert points(q, near) == 3.0
    near[0][0] = "5.2"
    assert points(q, near) == 0.0


def test_matrix_missing_cells_are_wrong():
    q = question(Matrix(2, 2, [[1, 2], [3, 4]]), points=4)
    assert points(q, [["1", "2"], ["3"]]) == 3.0
    assert points(q, [["1", ""], []]) == 1.0


# -- template, short, essay ---------------------------------------------------------------------


def summary_template() -> Question:
    return question(
        Template(
            "conv1 [[shape]] [[formula]] [[params]]",
            [
                Blank("shape", ["(None, 128, 256, 16)"]),
                Blank("formula", manual=True),
                Blank("params", ["1216"]),
            ],
        ),
        points=3,
    )


def test_template_blanks_split_points_and_leave_manual_ones_pending():
    s = score_question(
        summary_template(),
        Response("q", {"shape": "(none,  128, 256,16)", "formula": "5*5*3*16+16", "params": "1216"}),
    )
    # "(none,  128, 256,16)": case and runs of spaces are ignored, but a missing space is not
    assert s.points == 1.0
    assert s.pending == 1.0
    assert s.status == "manual-pending"
    assert dict(s.blanks) == {"shape": False, "formula": None, "params": True}


def test_template_empty_manual_blank_needs_no_grader():
    s = score_question(
        summary_template(),
        Response("q", {"shape": " (None, 128,   256, 16) ", "formula": "", "params": "12"}),
    )
    assert (s.points, s.pending, s.status) == (1.0, 0.0, "auto")


def test_template_case_sensitive_blank():
    q = question(Template("[[x]]", [Blank("x", ["ReLU"], case_sensitive=True)]))
    assert points(q, {"x": "ReLU"}) == 1.0
    assert points(q, {"x": "relu"}) == 0.0


def test_short_text_wildcard_and_case():
    q = question(ShortText(["Bayesian optimi*ation"]))
    assert points(q, "bayesian   Optimization") == 1.0
    assert points(q, "Bayesian optimisation ") == 1.0
    assert points(q, "grid search") == 0.0
    strict = question(ShortText(["Adam"], case_sensitive=True))
    assert points(strict, "Adam") == 1.0
    assert points(strict, "adam") == 0.0


def test_short_text_treats_regex_characters_literally():
    q = question(ShortText(["O(n^2)"]))
    assert points(q, "o(n^2)") == 1.0
    assert points(q, "On^2") == 0.0


def test_essay_waits_for_a_grader():
    s = score_question(question(Essay(), points=2), Response("q", "Two networks compete..."))
    assert (s.points, s.pending, s.status) == (0.0, 2.0, "manual-pending")


# -- don't know, unanswered, exam totals ----------------------------------------------------------


def test_dont_know_and_unanswered():
    q = question(SingleChoice([Choice("a", "a", True), Choice("b", "b")]), points=2)
    dont_know = score_question(q, Response("q", None, dont_know=True), dont_know_score=0.25)
    assert (dont_know.points, dont_know.status) == (0.5, "dont-know")
    assert score_question(q, Response("q", None)).status == "unanswered"
    assert score_question(q, Response("q", [])).status == "unanswered"
    assert score_question(q, None).status == "unanswered"
    assert score_question(question(Essay()), Response("q", "   ")).status == "unanswered"


def test_exam_totals_per_tag_and_dont_know_score():
    exam = Exam(
        "e",
        "E",
        60,
        [
            Section(
                "s",
                [
                    question(SingleChoice([Choice("a", "", True), Choice("b", "")]), 2, ["cnn"], "q1"),
                    question(TrueFalse(True), 1, ["cnn", "rnn"], "q2"),
                    question(Essay(), 3, ["rnn"], "q3"),
                    question(TrueFalse(False), 1, [], "q4"),
                ],
            )
        ],
        allow_dont_know=True,
        dont_know_score=0.5,
    )
    score = score_exam(
        exam,
        {
            "q1": Response("q1", "a"),
            "q2": Response("q2", None, dont_know=True),
            "q3": Response("q3", "An essay"),
        },
    )
    assert score.total == 2.5
    assert score.max_total == 7.0
    assert score.per_question["q4"].status == "unanswered"
    assert (score.per_tag["cnn"].points, score.per_tag["cnn"].max_points) == (2.5, 3.0)
    assert (score.per_tag["rnn"].points, score.per_tag["rnn"].max_points) == (0.5, 4.0)
    assert score.pending == 3.0
    assert not score.complete


def test_points_are_rounded_to_four_decimals():
    choices = [Choice(str(i), "", True) for i in range(3)] + [Choice("x", "")]
    q = question(MultipleChoice(choices, scoring="partial"), points=1)
    assert points(q, ["0"]) == 0.3333


@settings(max_examples=200, deadline=None)
@given(
    picks=st.lists(st.sampled_from(SIX_CORRECT + SIX_WRONG + ["zz"]), max_size=14),
    scoring=st.sampled_from(["all-or-nothing", "partial", "per-option"]),
)
def test_a_multiple_choice_score_stays_between_the_floor_and_the_points(picks, scoring):
    q = six_and_only_six(scoring)
    earned = points(q, picks)
    assert 0.0 <= earned <= 3.0
    if set(picks) >= set(SIX_CORRECT) and not set(picks) & set(SIX_WRONG):
        assert earned == 3.0
