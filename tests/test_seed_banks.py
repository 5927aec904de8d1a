"""Golden tests of the seed exams in banks/: structure, points and every answer key, hard-coded.

The keys below were worked out from the seed documents (answer marks, explanations) or computed
(parameter counts, shapes, receptive field, pooling, IoU); a change to a bank that alters any of them
must be deliberate and show up here.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import BANKS

from exam_desktop.core.bank import load_bank, parse_bank, write_bank
from exam_desktop.core.model import (
    Exam,
    GridFigure,
    IoUFigure,
    Matrix,
    MultipleChoice,
    Numeric,
    Question,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
    figure_token,
    to_dict,
)
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import score_question

SEED_BANKS = ["ml-engineers-test", "dlai-2021-09-14", "dl-assessment", "dl-exam-it"]


def load(name: str) -> Exam:
    return load_bank(BANKS / f"{name}.md")


def key_of(question: Question) -> Any:
    """The answer key in a compact, readable form: correct option texts, values, cells, answers."""
    answer = question.answer
    if isinstance(answer, SingleChoice):
        (correct,) = [c.text for c in answer.choices if c.correct]
        return correct
    if isinstance(answer, MultipleChoice):
        return [c.text for c in answer.choices if c.correct]
    if isinstance(answer, TrueFalse):
        return answer.answer
    if isinstance(answer, Numeric):
        return [(a.value, a.tolerance, a.weight) for a in answer.answers]
    if isinstance(answer, Matrix):
        return answer.key
    if isinstance(answer, ShortText):
        return answer.accepted
    if isinstance(answer, Template):
        return {b.name: "manual" if b.manual else b.accepted for b in answer.blanks}
    return None  # essays: graded by hand


def key_response(question: Question) -> Response:
    """What a candidate who knows the key would answer (manual blanks get text for a grader)."""
    answer = question.answer
    value: Any
    if isinstance(answer, SingleChoice):
        value = next(c.id for c in answer.choices if c.correct)
    elif isinstance(answer, MultipleChoice):
        value = [c.id for c in answer.choices if c.correct]
    elif isinstance(answer, TrueFalse):
        value = answer.answer
    elif isinstance(answer, Numeric):
        value = f"{answer.answers[0].value:g}"
    elif isinstance(answer, Matrix):
        value = [[f"{cell:g}" for cell in row] for row in answer.key]
    elif isinstance(answer, ShortText):
        value = answer.accepted[0]
    elif isinstance(answer, Template):
        value = {b.name: "see rubric" if b.manual else b.accepted[0] for b in answer.blanks}
    else:
        pytest.fail(f"{question.id} is not auto-graded")
    return Response(question.id, value)


def choice_id(question: Question, text: str) -> str:
    return next(c.id for c in question.answer.choices if c.text == text)


# --- every seed bank ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SEED_BANKS)
def test_seed_bank_is_valid_and_complete(name):
    exam = load(name)
    assert exam.id == name
    for question in exam.questions:
        if question.kind == "essay":
            assert question.answer.rubric.strip(), f"{question.id} has no rubric for graders"
        else:
            assert question.explanation.strip(), f"{question.id} has no explanation"


@pytest.mark.parametrize("name", SEED_BANKS)
def test_the_key_earns_every_automatic_point(name):
    """Answering with the key scores full marks: the keys are written in a form the scorer accepts."""
    exam = load(name)
    for question in exam.questions:
        if question.kind == "essay":
            continue
        score = score_question(question, key_response(question), language=exam.language)
        if isinstance(question.answer, Template) and not question.auto_graded:
            blanks = question.answer.blanks
            automatic = sum(not b.manual for b in blanks) / len(blanks) * question.points
            assert score.status == "manual-pending"
            assert score.points == pytest.approx(automatic, abs=1e-3)
            assert score.pending == pytest.approx(question.points - automatic, abs=1e-3)
        else:
            assert (score.status, score.points) == ("auto", question.points), question.id


@pytest.mark.parametrize("name", SEED_BANKS)
def test_seed_bank_survives_being_written_back(name):
    """An author who saves a seed exam from the app gets the same exam back."""

    def content(exam: Exam) -> Any:
        data = to_dict(exam)
        data["source"] = ""
        for section in data["sections"]:
            for question in section["questions"]:
                question["line"] = 0
        for passage in data["passages"]:
            passage["line"] = 0
        return data

    exam = load(name)
    assert content(parse_bank(write_bank(exam), f"{name}.md")) == content(exam)


# --- Machine Learning Engineers Test (seeds 000 + 001) -----------------------------------------


def test_ml_engineers_test():
    exam = load("ml-engineers-test")
    assert (exam.title, exam.duration_minutes, exam.language) == (
        "Machine Learning Engineers Test",
        105,
        "en",
    )
    assert exam.candidate_fields == []
    assert len(exam.sections) == 1
    assert [(q.id, q.kind, q.points) for q in exam.questions] == [
        ("gradient-interpretation", "single", 1),
        ("end-to-end", "truefalse", 1),
        ("malicious-attack", "single", 1),
        ("what-layer", "single", 1),
        ("maxpool-backprop", "truefalse", 1),
        ("deployment-problems", "multiple", 1),
    ]
    assert exam.total_points == 6
    assert all(q.tags == ["deep-learning"] for q in exam.questions)
    keys = {q.id: key_of(q) for q in exam.questions}
    assert keys == {
        "gradient-interpretation": "It quantifies the influence of the image's pixels on the loss function's value.",
        "end-to-end": False,
        # Not C, which the answer-marked copy shows checked: C pushes the prediction away from
        # "iguana". A keeps the image a cat and pulls the prediction towards "iguana".
        "malicious-attack": "A",
        "what-layer": "A $3 \\times 3$ transposed convolutional layer with 32 filters, stride 2 and "
        '"same" padding',
        "maxpool-backprop": True,
        "deployment-problems": [
            (
                "The distribution of real world data might be different from the distribution of "
                "data in your\ndataset, so your model might not perform well on it."
            ),
        ],
    }
    attack = exam.question("malicious-attack")
    assert r"\lVert x - x_{cat} \rVert_2^2 + \lVert \hat{y} - y_{iguana} \rVert_2^2" in attack.stem


# --- DLAI (14 September 2021) (seed 002) ------------------------------------------------------


def test_dlai_written_exam():
    exam = load("dlai-2021-09-14")
    assert (exam.title, exam.duration_minutes, exam.language) == (
        "DLAI (14 September 2021)",
        90,
        "en",
    )
    assert [q.id for q in exam.questions if "calculator" in exam.tools_for(q)] == [
        "self-attention-parameters"
    ]
    assert [(f.id, f.label, f.required) for f in exam.candidate_fields] == [
        ("name", "Name", True),
        ("email", "Email", True),
        ("class", "Class", True),
        ("teacher", "Teacher", True),
        ("date", "Date", True),
    ]
    assert [(s.title, len(s.questions)) for s in exam.sections] == [("Part 1", 5), ("Part 2", 2)]
    assert "applying for the role of machine-learning engineer here at Tesla" in exam.sections[1].intro
    assert [q.kind for q in exam.questions] == ["numeric"] + ["essay"] * 6
    assert [q.points for q in exam.questions] == [4, 6, 6, 8, 4, 6, 6]
    assert exam.total_points == 40
    # 7 heads of dimension 10 (10 is not divisible by 7): Q, K, V per head 10x10 + 10,
    # output 70x10 + 10 -> 3*7*110 + 710 = 3020; without biases 3*7*100 + 700 = 2800.
    assert key_of(exam.question("self-attention-parameters")) == [(3020, 0, 1), (2800, 0, 1)]
    # the lost multi-head figure is reconstructed as a text diagram, a passage beside both questions
    # that are about it (the second said "shown above" about it)
    (model,) = exam.passages
    assert "shared backbone" in model.text
    assert [q.id for q in exam.questions if q.passages == [model.id]] == [
        "multi-head-model",
        "temporal-predictions",
    ]


def test_self_attention_answer_does_not_accept_a_sequence_length_dependent_count():
    question = load("dlai-2021-09-14").question("self-attention-parameters")
    assert score_question(question, Response(question.id, "3020")).points == 4
    assert score_question(question, Response(question.id, "2800")).points == 4
    # a count that grows with the 16 positions (16 * 3020) is wrong
    assert score_question(question, Response(question.id, "48320")).points == 0


# --- Deep Learning assessment (seed 003) -----------------------------------------------------


DL_ASSESSMENT_KEYS: dict[str, Any] = {
    "minibatches": "`num_minibatches = np.ceil(m/64)`",
    "shrink-channels": "A 1x1 convolutional layer",
    "iou": "IoU < 0.45",
    "bidirectional-rnn": ["Machine translation", "Video classification"],
    "transfer-learning": "Keep only the pre-trained model's first few layers, add a layer, and "
    "fine-tune only the last layer.",
    "relu-backprop": [[5, 0, 1], [2, 3, 0], [0, -3, 4]],
    "gaussian-init": "```python\ninit = np.random.randn()\ninit = 5*init\n```",
    "batch-size": "a more precise but slower update.",
    "hyperparameter-optimization": [
        "Bayesian optimization",
        "Bayesian optimisation",
        "Bayesian",
        "Bayesian search",
        "Bayesian optimi*",
        "Bayesian hyperparameter optimi*",
    ],
    "gradient-interpretation": "It quantifies the influence of the image's pixels on the loss function's value.",
    "mlp-parameters": [(3855, 0, 1)],  # 20*50+50 + 50*50+50 + 50*5+5
    "multi-label-activation": "Sigmoid",
    "maxpool-backprop": True,
    "max-pooling": figure_token(1),  # the grid 8 5 / 7 9, checked below
    "sequence-tagging": "If the window size of the CNN is small (let's say 3), the FCNN will likely "
    'perform better than\nthe CNN on long sequences such as "I am not sure I '
    'am available this summer, but I hope I could go to\nVenezuela".',
    "padding": "To avoid shrinking the width and height.",
    "cnn-invariance": "It is translation invariant.",
    "weight-sharing": "It increases bias.",
    "conv-parameters": "30",
}


def test_dl_assessment():
    exam = load("dl-assessment")
    assert (exam.title, exam.duration_minutes, exam.language) == ("Deep Learning", 30, "en")
    assert exam.allow_dont_know and exam.allow_rating and exam.dont_know_score == 0
    assert exam.candidate_fields == []
    assert len(exam.sections) == 1
    assert len(exam.questions) == 19
    assert exam.tools == ["eliminator", "notes", "highlighter"]
    # the calculator only on the two parameter counts
    assert [q.id for q in exam.questions if "calculator" in exam.tools_for(q)] == [
        "mlp-parameters",
        "conv-parameters",
    ]
    assert [q.kind for q in exam.questions] == [
        "single",
        "single",
        "single",
        "multiple",
        "single",
        "matrix",
        "single",
        "single",
        "short",
        "single",
        "numeric",
        "single",
        "truefalse",
        "single",
        "single",
        "single",
        "single",
        "single",
        "single",
    ]
    assert all(q.points == 1 and q.tags == ["deep-learning"] for q in exam.questions)
    assert exam.total_points == 19
    assert {q.id: key_of(q) for q in exam.questions} == DL_ASSESSMENT_KEYS


def test_dl_assessment_iou_figure_matches_the_keyed_range():
    question = load("dl-assessment").question("iou")
    (figure,) = question.figures
    assert isinstance(figure, IoUFigure)
    truth, prediction = figure.boxes
    assert (truth.color, prediction.color) == ("blue", "green")
    assert (truth.width, truth.height) == (prediction.width, prediction.height)
    overlap_w = min(truth.x + truth.width, prediction.x + prediction.width) - max(truth.x, prediction.x)
    overlap_h = min(truth.y + truth.height, prediction.y + prediction.height) - max(truth.y, prediction.y)
    intersection = max(overlap_w, 0) * max(overlap_h, 0)
    union = 2 * truth.width * truth.height - intersection
    assert intersection / union == pytest.approx(1 / 3)
    assert key_of(question) == "IoU < 0.45"


def test_dl_assessment_max_pooling_grids():
    question = load("dl-assessment").question("max-pooling")
    grid, *choices = question.figures
    assert all(isinstance(f, GridFigure) for f in question.figures)
    assert grid.cells == [
        ["2", "1", "3", "5"],
        ["8", "1", "0", "2"],
        ["4", "7", "3", "1"],
        ["4", "3", "0", "9"],
    ]
    assert [c.cells for c in choices] == [
        [["8", "5"], ["7", "9"]],
        [["12", "10"], ["18", "13"]],
        [["11", "11"], ["15", "16"]],
        [["3", "2.5"], ["4.5", "3.2"]],
    ]
    # 2x2 max pooling with stride 2, computed from the input grid
    values = [[float(c) for c in row] for row in grid.cells]
    pooled = [
        [max(values[r][c], values[r][c + 1], values[r + 1][c], values[r + 1][c + 1]) for c in (0, 2)]
        for r in (0, 2)
    ]
    assert pooled == [[float(c) for c in row] for row in choices[0].cells]
    assert [c.text for c in question.answer.choices] == [figure_token(i) for i in (1, 2, 3, 4)]
    assert question.answer.choices[0].correct


def test_dl_assessment_free_answers():
    exam = load("dl-assessment")
    hpo = exam.question("hyperparameter-optimization")
    for typed in ("Bayesian optimization", "bayesian optimisation", "Bayesian Optimization (BO)"):
        assert score_question(hpo, Response(hpo.id, typed)).points == 1, typed
    for typed in ("Grid search", "random search", "manual search"):
        assert score_question(hpo, Response(hpo.id, typed)).points == 0, typed
    mlp = exam.question("mlp-parameters")
    assert score_question(mlp, Response(mlp.id, "3805")).points == 0  # the seed's wrong answer
    relu = exam.question("relu-backprop")
    one_cell_wrong = [["5", "3", "1"], ["2", "3", "0"], ["0", "-3", "4"]]
    assert score_question(relu, Response(relu.id, one_cell_wrong)).points == pytest.approx(8 / 9, abs=1e-3)


# --- Italian exam (seed 004) -------------------------------------------------------------------


VANISHING_CORRECT = [
    "The activation functions used for neurons",
    "The output values of neurons during training",
    "The distribution of the weights during training",
    "The initialization of the weights",
    "The depth of the network",
    "The average gradient norm during training",
]

SUMMARY_BLANKS: dict[str, Any] = {
    "conv1_size": ["128, 256, 16", "128,256,16", "[128, 256, 16]", "[128,256,16]"],
    "conv1_formula": "manual",
    "conv1_params": ["1216", "1,216", "1.216"],  # 5*5*3*16 + 16
    "mp1_size": ["64, 128, 16", "64,128,16", "[64, 128, 16]", "[64,128,16]"],
    "conv2_size": ["64, 128, 32", "64,128,32", "[64, 128, 32]", "[64,128,32]"],
    "conv2_formula": "manual",
    "conv2_params": ["4640", "4,640", "4.640"],  # 3*3*16*32 + 32
    "mp2_size": ["32, 64, 32", "32,64,32", "[32, 64, 32]", "[32,64,32]"],
    "dropout_size": ["32, 64, 32", "32,64,32", "[32, 64, 32]", "[32,64,32]"],
    "conv3_size": ["32, 64, 128", "32,64,128", "[32, 64, 128]", "[32,64,128]"],
    "conv3_formula": "manual",
    "conv3_params": ["4224", "4,224", "4.224"],  # 1*1*32*128 + 128
    "batchNorm_size": ["32, 64, 128", "32,64,128", "[32, 64, 128]", "[32,64,128]"],
    "batchNorm_formula": "manual",
    "batchNorm_params": ["512"],  # 4*128
    "convt1_size": ["64, 128, 32", "64,128,32", "[64, 128, 32]", "[64,128,32]"],
    "convt1_formula": "manual",
    "convt1_params": ["36896", "36,896", "36.896"],  # 3*3*128*32 + 32
    "convt2_size": ["128, 256, 16", "128,256,16", "[128, 256, 16]", "[128,256,16]"],
    "convt2_formula": "manual",
    "convt2_params": ["4624", "4,624", "4.624"],  # 3*3*32*16 + 16
    "output_size": ["128, 256, 3", "128,256,3", "[128, 256, 3]", "[128,256,3]"],
    "output_formula": "manual",
    "output_params": ["51"],  # 1*1*16*3 + 3
    "total_params": ["52163", "52,163", "52.163"],
    "trainable_params": ["51907", "51,907", "51.907"],  # all but batchNorm's moving mean/variance
    "non_trainable_params": ["256"],
}


def test_dl_exam_it():
    exam = load("dl-exam-it")
    assert (exam.duration_minutes, exam.language) == (90, "it")
    assert [(f.id, f.required) for f in exam.candidate_fields] == [
        ("name", True),
        ("student_id", True),
    ]
    assert [(s.title, [q.id for q in s.questions]) for s in exam.sections] == [
        ("Question 1: Deep Learning Warm-up", ["vanishing-gradients", "rnn-lstm"]),
        (
            "Question 2: Convolutional Neural Networks",
            ["model-summary", "receptive-field", "network-tasks", "inception", "gans"],
        ),
        ("Attention models", ["ntm", "transformer"]),
    ]
    # The Keras model is a passage shown beside the three questions about it, not a page intro.
    assert exam.sections[1].intro == ""
    (model,) = exam.passages
    assert (model.id, model.title) == ("keras-model", "The Keras model")
    assert "tfkl.Conv2DTranspose(filters = 3" in model.text
    assert [q.id for q in exam.questions if q.passages == ["keras-model"]] == [
        "model-summary",
        "receptive-field",
        "network-tasks",
    ]
    # A calculator only where the candidate counts parameters.
    assert exam.tools == ["notes", "highlighter", "eliminator"]
    assert [q.id for q in exam.questions if "calculator" in exam.tools_for(q)] == ["model-summary"]
    assert [(q.kind, q.points) for q in exam.questions] == [
        ("multiple", 3),
        ("essay", 3),
        ("template", 5),
        ("single", 1),
        ("multiple", 1),
        ("multiple", 1),
        ("essay", 2),
        ("essay", 2),
        ("essay", 2),
    ]
    assert exam.total_points == 20

    vanishing = exam.question("vanishing-gradients").answer
    assert (vanishing.select_exactly, vanishing.scoring, vanishing.floor) == (6, "per-option", 0)
    assert (vanishing.right, vanishing.wrong) == (pytest.approx(1 / 6), pytest.approx(-1 / 6))
    assert len(vanishing.choices) == 12
    assert key_of(exam.question("vanishing-gradients")) == VANISHING_CORRECT

    assert key_of(exam.question("model-summary")) == SUMMARY_BLANKS
    # conv1 5x5 -> mp 2x2/2 -> conv2 3x3 -> mp 2x2/2 -> conv3 1x1: 1 + 4 + 1 + 2*2 + 1*2 = 12
    assert key_of(exam.question("receptive-field")) == "12 x 12"
    assert key_of(exam.question("network-tasks")) == [
        "determining the image regions covered by cars, by persons and anything else",
        "determining all the pixels covered by road, sky or others",
    ]
    assert key_of(exam.question("inception")) == [
        "it uses multiple convolutional filters of different sizes in parallel",
        "it leverages 1x1 convolutions to reduce the computational burden",
    ]


def test_vanishing_gradients_extra_and_wrong_marks_cost_points():
    question = load("dl-exam-it").question("vanishing-gradients")
    right = [choice_id(question, text) for text in VANISHING_CORRECT]
    wrong = [c.id for c in question.answer.choices if not c.correct]

    def points(picked: list[str]) -> float:
        return score_question(question, Response(question.id, picked)).points

    assert points(right) == 3
    assert points(right[:5]) == pytest.approx(2.5)  # one missing: -1/6 of 3 points
    assert points(right[:5] + wrong[:1]) == pytest.approx(2.0)  # one swapped for a wrong one
    assert points(right + wrong[:1]) == pytest.approx(2.5)  # a seventh mark counts as an error
    assert points(wrong) == 0  # never below the floor


def test_model_summary_accepts_the_usual_ways_of_writing_shapes_and_counts():
    question = load("dl-exam-it").question("model-summary")
    typed = {
        "conv1_size": "[128, 256, 16]",
        "conv1_params": "1.216",
        "total_params": "52,163",
        "mp1_size": "64,128,16",
    }
    score = score_question(question, Response(question.id, typed), language="it")
    per_blank = 5 / len(question.answer.blanks)
    assert score.points == pytest.approx(4 * per_blank, abs=1e-3)
    wrong = {"conv1_size": "128, 256, 3", "convt1_params": "36864"}  # bias forgotten
    assert score_question(question, Response(question.id, wrong), language="it").points == 0
