"""QTI import keeps the scoring it reads (mapping bounds and default, case, match_correct against
map_response), QTI 3.0 items import, images keep their paths and come along, and a standard
multi-response item goes QTI -> bank -> QTI without a crash."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from exam_desktop.cli import main
from exam_desktop.core.bank import load_bank, parse_bank, write_bank
from exam_desktop.core.model import (
    DragWords,
    Essay,
    Matching,
    MultipleChoice,
    Ordering,
    ShortText,
    SingleChoice,
    Template,
)
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import score_question
from exam_desktop.interchange import export_exam, import_data, import_file

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def package(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def imported(name: str):
    path = DATA / "qti-scoring" / name
    return import_data(path.read_bytes(), path)


def score(question, value) -> float:
    return score_question(question, Response(question.id, value)).points


def test_a_mapping_default_value_costs_a_wrong_pick_as_in_the_file() -> None:
    q = imported("penalty-default.xml").exam.questions[0]
    assert isinstance(q.answer, MultipleChoice) and q.points == 4
    assert score(q, ["a", "b"]) == 4  # both primes: 2 + 2
    assert score(q, ["a", "c"]) == 0  # 2 - 2, as the QTI engine scores it
    assert score(q, ["c"]) == -2  # the mapping's lowerBound, not 0 and not full marks
    again = parse_bank(write_bank(imported("penalty-default.xml").exam), "x.md").questions[0]
    assert score(again, ["c"]) == -2  # and the written bank keeps it


def test_match_correct_on_a_text_entry_is_case_sensitive_and_ignores_the_mapping() -> None:
    q = imported("case-match.xml").exam.questions[0]
    assert isinstance(q.answer, ShortText)
    assert (q.answer.accepted, q.answer.case_sensitive) == (["Na"], True)
    assert score(q, "Na") == 1 and score(q, "na") == 0 and score(q, "NA") == 0


def test_match_correct_on_a_multiple_response_is_all_or_nothing_and_exports_again() -> None:
    result = imported("multiple-match-correct.xml")
    q = result.exam.questions[0]
    assert isinstance(q.answer, MultipleChoice) and q.answer.scoring == "all-or-nothing"
    assert score(q, ["a"]) == 0 and score(q, ["a", "b"]) == 1
    exported = export_exam(result.exam, "qti")  # once a crash (zip() of unequal lengths)
    back = import_data(exported.data, "back.zip").exam.questions[0]
    assert back.answer.scoring == "all-or-nothing" and [c.correct for c in back.answer.choices] == [
        True,
        True,
        False,
    ]
    assert score(back, ["a", "b"]) == 1 and score(back, ["a"]) == 0


def test_an_export_scores_as_the_bank_does(tmp_path) -> None:
    """Points come back as points (no template worth 1), weights and bounds as written."""
    exam = load_bank(DATA / "export-defects.md")
    back = {q.id: q for q in import_data(export_exam(exam, "qti").data, "d.zip").exam.questions}
    for q in exam.questions:
        assert back[q.id].points == q.points
    assert score(back["aon"], ["a", "b"]) == 2 and score(back["aon"], ["a"]) == 0
    assert score(back["uneven"], ["a", "d"]) == 0 and score(back["uneven"], ["a", "b", "c"]) == 1


def test_qti_3_items_of_every_supported_interaction_import_and_the_rest_is_named() -> None:
    folder = DATA / "qti3"
    result = import_data(package({p.name: p.read_bytes() for p in folder.glob("*.xml")}), "qti3.zip")
    kinds = {q.id: q for q in result.exam.questions}
    assert set(kinds) == {"q3-choice", "q3-entry", "q3-essay", "q3-inline", "q3-match", "q3-order", "q3-gaps"}
    choice = kinds["q3-choice"]
    assert isinstance(choice.answer, SingleChoice) and choice.points == 2
    assert [c.correct for c in choice.answer.choices] == [False, True]
    assert "11 Earth diameters" in choice.explanation
    assert kinds["q3-entry"].answer.accepted == ["Paris"]
    assert isinstance(kinds["q3-essay"].answer, Essay) and "Rayleigh" in kinds["q3-essay"].answer.rubric
    inline = kinds["q3-inline"].answer
    assert isinstance(inline, Template)
    assert [(b.name, b.options, b.accepted) for b in inline.blanks] == [
        ("temp", ["50", "100"], ["100"]),
        ("unit", [], ["C"]),
    ]
    match = kinds["q3-match"].answer
    assert isinstance(match, Matching) and match.scoring == "all-or-nothing" and "Bern" in match.options
    assert isinstance(kinds["q3-order"].answer, Ordering) and kinds["q3-order"].answer.items == [
        "an atom",
        "a cell",
        "a planet",
    ]
    gaps = kinds["q3-gaps"].answer
    assert isinstance(gaps, DragWords) and gaps.key == ["winter", "summer"] and "autumn" in gaps.words
    assert result.report.mentions("hotspot interactions have no kind in this app yet: not imported")
    single = import_data((folder / "choice.xml").read_bytes(), "choice.xml")  # a lone QTI 3 item too
    assert single.exam.questions[0].id == "q3-choice"


def test_a_single_item_keeps_its_image_path_and_the_image_comes_along(tmp_path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "sign.png").write_bytes(PNG)
    item = tmp_path / "object-image.xml"
    item.write_bytes((DATA / "qti-scoring" / "object-image.xml").read_bytes())
    result = import_file(item)
    stem = result.exam.questions[0].stem
    assert "![A red octagon](images/sign.png)" in stem  # an <object> image, at the path written
    assert result.files == {"images/sign.png": PNG}
    # without the file next to the item, the report says so (and `check` will fail on the bank)
    missing = import_data(item.read_bytes(), tmp_path / "elsewhere" / "object-image.xml")
    assert missing.files == {} and missing.report.mentions("image 'images/sign.png' is not in the file")


def test_image_paths_do_not_grow_on_round_trips(tmp_path) -> None:
    bank = tmp_path / "bank.md"
    (tmp_path / "images" / "sub").mkdir(parents=True)
    (tmp_path / "images" / "sub" / "mark.png").write_bytes(PNG)
    bank.write_text(
        "---\nid: pics\ntitle: Pictures\nduration: 5m\n---\n## Mark {#mark single}\nWhich mark?\n\n"
        "![a mark](images/sub/mark.png)\n\n- [x] this\n- [ ] that\n",
        encoding="utf-8",
    )
    exam = load_bank(bank)
    for fmt, name in (("qti", "p.zip"), ("moodle-xml", "p.xml")):
        once = import_data(export_exam(exam, fmt).data, tmp_path / name)
        assert once.files == {"images/sub/mark.png": PNG}, fmt
        assert "](images/sub/mark.png)" in once.exam.questions[0].stem, fmt
        folder = tmp_path / fmt
        (folder / "images" / "sub").mkdir(parents=True)
        (folder / "images" / "sub" / "mark.png").write_bytes(PNG)
        (folder / "bank.md").write_text(write_bank(once.exam), encoding="utf-8")
        twice = import_data(export_exam(load_bank(folder / "bank.md"), fmt).data, tmp_path / name)
        assert twice.files == once.files and twice.exam.questions[0].stem == once.exam.questions[0].stem


def test_check_fails_when_a_referenced_image_is_missing(tmp_path, capsys) -> None:
    bank = tmp_path / "bank.md"
    bank.write_text(
        "---\nid: pics\ntitle: Pictures\nduration: 5m\n---\n## Sign {#sign single}\n"
        'Look: <img src="images/sign.png" alt="sign"> and ![x](images/other.png)\n\n- [x] yes\n- [ ] no\n',
        encoding="utf-8",
    )
    assert main(["check", str(bank)]) == 1
    out = capsys.readouterr().out
    assert f"{bank}: INVALID — 2 problems" in out
    assert f"{bank}:6: image 'images/sign.png' not found next to the bank" in out
    assert f"{bank}:6: image 'images/other.png' not found next to the bank" in out
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "sign.png").write_bytes(PNG)
    (tmp_path / "images" / "other.png").write_bytes(PNG)
    assert main(["check", str(bank)]) == 0
