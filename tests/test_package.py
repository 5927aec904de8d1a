"""Candidate packages: nothing secret inside, only the start code opens them, no change passes."""

from __future__ import annotations

import base64
import hashlib
import random

import pytest
from conftest import BANKS
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.core.bank import load_bank, parse_bank
from exam_desktop.core.model import (
    Choice,
    Exam,
    MatrixFigure,
    Ordering,
    Question,
    Section,
    SingleChoice,
    to_dict,
)
from exam_desktop.core.sealed.keys import (
    ScryptParams,
    canonical_json,
    fingerprint,
    new_start_code,
    public_key_bytes,
)
from exam_desktop.core.sealed.package import (
    MAGIC,
    KeyFileRejected,
    PackageNotBuilt,
    PackageRejected,
    StartCodeRejected,
    build_package,
    load_key_file,
    open_package,
    package_content,
    read_package_header,
)

CHEAP = ScryptParams(n=2**10, r=8, p=1)

CANARY_BANK = """---
id: canary-exam
title: Canary exam
duration: 30m
field: name | Full name
field: student_id | Student ID
---
Read every question. VISIBLE-CANARY-INSTRUCTIONS
<!-- COMMENT-CANARY-TOP -->

# Page one

## Pick one {#q-single single points=2 tags=canaries}
Visible stem VISIBLE-CANARY-STEM.
<!-- COMMENT-CANARY-KEY the key is beta -->

```figure matrix
name: VISIBLEFIGURE
1 2
3 4
```

- [ ] Option alpha
- [x] Option beta

### Explanation
EXPLANATION-CANARY-SINGLE, with a figure only the explanation shows:

```figure matrix
name: EXPLANATIONFIGURECANARY
5 6
7 8
```

## Pick some {#q-multi multiple points=3 scoring=per-option right=1/2 wrong=-1/2}
Which ones?

- [x] Right one {weight=0.371946}
- [ ] Wrong one
- [x] Also right

## True or false {#q-tf truefalse}
The sky is blue.

answer: true

### Explanation
EXPLANATION-CANARY-TF

## A number {#q-num numeric unit=m}
How far?

answer: 918273.645 ± 0.001

## A matrix {#q-mat matrix tolerance=0.5}
Fill it in.

```answer
531246.25 642135.75
1 2
```

## Blanks {#q-tpl template points=2}
Complete the code.

```template
shape = [[shape]]   params = [[params]]
```

blank shape: BLANK-CANARY-ANSWER
blank params: manual

### Rubric
RUBRIC-CANARY-TEMPLATE

## Short {#q-short short}
Name it.

answer: SHORT-CANARY-ANSWER

## Essay {#q-essay essay max-words=100}
Discuss.

### Rubric
RUBRIC-CANARY-ESSAY
"""

COMMENTS = ["COMMENT-CANARY-TOP", "COMMENT-CANARY-KEY"]  # notes to authors, dropped by the parser
KEYED = [
    "EXPLANATION-CANARY-SINGLE",
    "EXPLANATIONFIGURECANARY",
    "EXPLANATION-CANARY-TF",
    "FEEDBACK-CANARY",
    "371946",
    "918273",
    "531246",
    "642135",
    "BLANK-CANARY-ANSWER",
    "RUBRIC-CANARY-TEMPLATE",
    "SHORT-CANARY-ANSWER",
    "RUBRIC-CANARY-ESSAY",
]
SECRETS = COMMENTS + KEYED
VISIBLE = ["VISIBLE-CANARY-INSTRUCTIONS", "VISIBLE-CANARY-STEM", "VISIBLEFIGURE", "Option beta"]


@pytest.fixture(scope="module")
def office_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def canary_exam() -> Exam:
    exam = parse_bank(CANARY_BANK, "canary.md")
    exam.question("q-single").answer.choices[0].feedback = "FEEDBACK-CANARY"
    return exam


@pytest.fixture(scope="module")
def built(canary_exam, office_key):
    return build_package(canary_exam, office_key, kdf=CANARY_KDF, pin="PIN-CANARY-8472")


CANARY_KDF = CHEAP


def variants(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.lower().encode()]


def test_no_key_explanation_or_rubric_anywhere_in_the_package(built):
    content = package_content(built.package_bytes, built.start_code)
    for secret in SECRETS:
        for form in variants(secret):
            assert form not in built.package_bytes, secret
            assert form not in content, secret
    assert b"PIN-CANARY-8472" not in built.package_bytes
    for visible in VISIBLE:  # the search does find what is meant to be there
        assert visible.encode() in content, visible


def test_the_grader_key_file_holds_every_secret(built):
    for secret in KEYED + VISIBLE:
        assert secret.encode() in built.key_file_bytes, secret
    assert built.start_code.encode() not in built.key_file_bytes
    assert built.start_code.replace("-", "").encode() not in built.key_file_bytes


def test_right_code_opens_the_candidate_exam(built, canary_exam):
    opened = open_package(built.package_bytes, built.start_code)
    assert to_dict(opened.exam) == to_dict(canary_exam.candidate_copy())
    single = opened.exam.question("q-single")
    assert [c.correct for c in single.answer.choices] == [False, False]
    assert single.explanation == ""
    assert opened.exam.question("q-essay").answer.rubric == ""
    assert opened.package_hash == hashlib.sha256(built.package_bytes).hexdigest()


def test_code_typed_loosely_still_opens(built):
    typed = built.start_code.lower().replace("-", " ")
    assert open_package(built.package_bytes, typed).exam.id == "canary-exam"


def test_wrong_code_is_rejected(built):
    with pytest.raises(StartCodeRejected, match="does not open the exam"):
        open_package(built.package_bytes, new_start_code())


@pytest.mark.parametrize("typed", ["", "1234", "ABCD-EFGH-JKMN-PQR0", "ABCD-EFGH-JKMN-PQRS-T"])
def test_malformed_code_is_rejected_without_work(built, typed):
    with pytest.raises(StartCodeRejected, match="not a start code"):
        open_package(built.package_bytes, typed)


def test_every_flipped_byte_is_rejected_before_decryption(built):
    package = built.package_bytes
    positions = range(len(package))
    if len(package) > 6000:  # a seeded sample keeps big packages fast
        positions = sorted(random.Random(7).sample(positions, 6000))
    for position in positions:
        damaged = bytearray(package)
        damaged[position] ^= 1 << (position % 8)
        with pytest.raises(PackageRejected):
            # a wrong code would raise StartCodeRejected: PackageRejected proves no decryption ran
            open_package(bytes(damaged), new_start_code())


@pytest.mark.parametrize("cut", [0, 5, len(MAGIC) + 2, 200, -65, -1])
def test_truncated_or_extended_package_is_rejected(built, cut):
    with pytest.raises(PackageRejected):
        open_package(built.package_bytes[:cut], built.start_code)
    with pytest.raises(PackageRejected):
        open_package(built.package_bytes + b"\0", built.start_code)


def test_package_resigned_with_another_key_is_rejected(built, office_key):
    intruder = Ed25519PrivateKey.generate()
    body = built.package_bytes[:-64]
    with pytest.raises(PackageRejected, match="signature is not valid"):
        open_package(body + intruder.sign(body), built.start_code)
    # Swap the header's public key too: refused against the office key the lab machine trusts.
    old, new = (k.public_key() for k in (office_key, intruder))
    swapped = body.replace(
        base64.b64encode(public_key_bytes(old)), base64.b64encode(public_key_bytes(new))
    ).replace(fingerprint(old).encode(), fingerprint(new).encode())
    assert len(swapped) == len(body) and swapped != body
    forged = swapped + intruder.sign(swapped)
    with pytest.raises(PackageRejected, match="signed by another key"):
        open_package(forged, built.start_code, office_public_key=office_key.public_key())
    with pytest.raises(PackageRejected, match="signed by another key"):
        read_package_header(forged, office_public_key=office_key.public_key())


def test_header_is_readable_before_the_start_code(built, office_key):
    header = read_package_header(built.package_bytes, office_public_key=office_key.public_key())
    assert (header.exam_id, header.title, header.duration_minutes) == (
        "canary-exam",
        "Canary exam",
        30,
    )
    assert [f.id for f in header.candidate_fields] == ["name", "student_id"]
    assert header.office_fingerprint == fingerprint(office_key.public_key())
    assert header.check_pin("PIN-CANARY-8472")
    assert not header.check_pin("PIN-CANARY-8473")


def test_options_travel_in_header_and_key_file(canary_exam, office_key, tmp_path):
    built = build_package(
        canary_exam,
        office_key,
        kdf=CHEAP,
        shuffle_choices=True,
        draw=3,
        extra_time_allowed=True,
        results_dir="/media/results",
    )
    header = read_package_header(built.package_bytes)
    assert (header.options.shuffle_choices, header.options.draw) == (True, 3)
    assert header.options.extra_time_allowed and header.results_dir == "/media/results"
    assert not header.has_pin and not header.check_pin("")
    (tmp_path / "exam.key").write_bytes(built.key_file_bytes)
    assert load_key_file(tmp_path / "exam.key").options == header.options


@pytest.mark.parametrize("draw", [0, 9])
def test_drawing_more_questions_than_the_bank_has_is_refused(canary_exam, office_key, draw):
    with pytest.raises(PackageNotBuilt, match="the bank has 8"):
        build_package(canary_exam, office_key, kdf=CHEAP, draw=draw)


def test_key_file_loads_and_names_its_package(built, canary_exam, office_key, tmp_path):
    path = tmp_path / "exam.key"
    path.write_bytes(built.key_file_bytes)
    key = load_key_file(path, office_public_key=office_key.public_key())
    assert to_dict(key.exam) == to_dict(canary_exam)
    assert key.package_hash == hashlib.sha256(built.package_bytes).hexdigest()
    assert key.binding_key == open_package(built.package_bytes, built.start_code).binding_key
    with pytest.raises(KeyFileRejected, match="signed by another key"):
        load_key_file(path, office_public_key=Ed25519PrivateKey.generate().public_key())


def test_altered_key_file_is_rejected(built, tmp_path):
    path = tmp_path / "exam.key"
    path.write_bytes(built.key_file_bytes.replace(b"SHORT-CANARY-ANSWER", b"SHORT-CANARY-ANSWEX"))
    with pytest.raises(KeyFileRejected, match="altered"):
        load_key_file(path)
    path.write_bytes(built.key_file_bytes[:100])
    with pytest.raises(KeyFileRejected, match="not a readable grader key file"):
        load_key_file(path)


def test_figures_only_explanations_show_are_dropped_and_tokens_renumbered():
    figures = [MatrixFigure([["1"]], name=n) for n in ("stem", "explained", "option")]
    question = Question(
        "q",
        "Q",
        1,
        "Look: @@figure:0@@",
        SingleChoice([Choice("a", "see @@figure:2@@", correct=True), Choice("b", "no")]),
        figures=figures,
        explanation="because @@figure:1@@",
    )
    ordering = Question(
        "order",
        "Order",
        1,
        "Sort them.",
        Ordering(["first", "second @@figure:1@@"]),
        figures=[MatrixFigure([["9"]], name="feedback only"), MatrixFigure([["8"]], name="item")],
        explanation="@@figure:0@@",
    )
    exam = Exam("e", "E", 10, [Section("S", [question, ordering])])
    visible = exam.candidate_copy().question("q")
    assert [f.name for f in visible.figures] == ["stem", "option"]
    assert visible.stem == "Look: @@figure:0@@"
    assert visible.answer.choices[0].text == "see @@figure:1@@"
    assert exam.question("q").figures == figures  # the original is untouched
    visible = exam.candidate_copy().question("order")
    assert [f.name for f in visible.figures] == ["item"]
    assert "second @@figure:0@@" in visible.answer.items


def test_rendered_figures_are_shipped(built):
    from exam_desktop.core.page.figures import figure_id

    opened = open_package(built.package_bytes, built.start_code)
    (figure,) = opened.exam.question("q-single").figures
    assert opened.figures[figure_id(figure)].lstrip().startswith(("<?xml", "<svg"))
    assert "VISIBLEFIGURE" in opened.figures[figure_id(figure)]


def test_only_images_candidates_see_are_shipped(office_key, tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "seen.png").write_bytes(b"\x89PNG seen")
    (tmp_path / "images" / "answer.png").write_bytes(b"\x89PNG IMAGE-CANARY")
    bank = tmp_path / "bank.md"
    bank.write_text(
        "---\nid: img\ntitle: Images\nduration: 10m\n---\n\n"
        "## Look {#q1 short}\n![a plot](images/seen.png)\n\nanswer: x\n\n"
        "### Explanation\n![the answer](images/answer.png)\n"
    )
    built = build_package(load_bank(bank), office_key, kdf=CHEAP)
    opened = open_package(built.package_bytes, built.start_code)
    assert opened.images == {"images/seen.png": b"\x89PNG seen"}
    assert b"IMAGE-CANARY" not in package_content(built.package_bytes, built.start_code)


def test_image_outside_the_bank_folder_is_refused(office_key, tmp_path):
    (tmp_path / "secret.png").write_bytes(b"x")
    (tmp_path / "bank").mkdir()
    bank = tmp_path / "bank" / "bank.md"
    bank.write_text(
        "---\nid: img\ntitle: Images\nduration: 10m\n---\n\n"
        "## Look {#q1 short}\n![a plot](../secret.png)\n\nanswer: x\n"
    )
    exam = load_bank(bank)
    with pytest.raises(PackageNotBuilt, match="outside the bank's folder"):
        build_package(exam, office_key, kdf=CHEAP)


def test_real_bank_round_trips_with_default_kdf(office_key):
    exam = load_bank(BANKS / "ml-engineers-test.md")
    built = build_package(exam, office_key)
    header = read_package_header(built.package_bytes)
    assert header.raw["kdf"]["n"] >= 2**17  # the memory-hard default, stored with the package
    opened = open_package(built.package_bytes, built.start_code, office_key.public_key())
    assert to_dict(opened.exam) == to_dict(exam.candidate_copy())
    content = package_content(built.package_bytes, built.start_code)
    explanations = [q.explanation for q in exam.questions if q.explanation]
    assert explanations
    for text in explanations:  # as JSON writes it, so escaping cannot hide a leak
        assert canonical_json(text)[1:-1] in built.key_file_bytes
        assert canonical_json(text)[1:-1] not in content
