"""Bundles made by someone who holds the package: validly signed and bound, hostile inside.

A candidate who unlocked the package has its binding key, so they can sign a bundle the grader
accepts as theirs. Whatever such a bundle holds must be refused alone, with its reason, while the
genuine bundles in the same folder import and grade; exports and reports then run on what was
imported. Bundles here are real archives signed with real Ed25519 keys.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import json
import os
import random
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grading_sample import PERFECT, answers, install_office, write_bundle_file, write_key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exam_desktop.cli import main
from exam_desktop.core.sealed.archive import write_archive
from exam_desktop.core.sealed.bundle import (
    BUNDLE_FORMAT,
    BundleRejected,
    SessionInfo,
    read_bundle,
    session_statement,
)
from exam_desktop.core.sealed.keys import b64, canonical_json, fingerprint, public_key_bytes
from exam_desktop.core.sealed.package import GraderKey, load_key_file
from exam_desktop.grading.db import GraderDB
from exam_desktop.grading.importer import import_bundles
from exam_desktop.grading.simulate import journal

SESSION = SessionInfo(id="s-hostile", nonce="n" * 32, started_at="2026-02-09T09:00:00", ended_at="x")


def crafted(
    key: GraderKey,
    *,
    answers_text: bytes | None = None,
    journal_text: bytes | None = None,
    manifest_changes: dict | None = None,
    session_changes: dict | None = None,
) -> bytes:
    """A bundle signed and bound exactly as a seat does, with members written by hand."""
    session_key = Ed25519PrivateKey.generate()
    if answers_text is None:
        answers_text = canonical_json({q: dataclasses.asdict(r) for q, r in answers(minibatch="b").items()})
    if journal_text is None:
        from datetime import UTC, datetime

        journal_text = canonical_json(journal(answers(minibatch="b"), datetime(2026, 2, 9, tzinfo=UTC)))
    session = {**dataclasses.asdict(SESSION), **(session_changes or {})}
    public = session_key.public_key()
    statement = session_statement(public, session["id"], session["nonce"], key.exam.id, key.package_hash)
    manifest = {
        "format": BUNDLE_FORMAT,
        "version": 1,
        "exam_id": key.exam.id,
        "package_sha256": key.package_hash,
        "candidate": {"name": "Mallory", "email": "mallory@uni.it"},
        "session": session,
        "files": {
            "answers.json": hashlib.sha256(answers_text).hexdigest(),
            "journal.json": hashlib.sha256(journal_text).hexdigest(),
        },
        "session_public_key": b64(public_key_bytes(public)),
        "statement": statement,
        "package_binding": b64(hmac.new(key.binding_key, statement.encode(), hashlib.sha256).digest()),
        **(manifest_changes or {}),
    }
    # json.dumps, not canonical_json: the text may hold what Python cannot encode (surrogates)
    manifest_text = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return write_archive(
        {
            "manifest.json": manifest_text,
            "answers.json": answers_text,
            "journal.json": journal_text,
            "signature": session_key.sign(manifest_text),
        }
    )


def answer_text(value_json: str, *, rating: str = "null") -> bytes:
    return (
        '{"minibatch":{"dont_know":false,"flagged":false,"question_id":"minibatch","rating":'
        f'{rating},"value":{value_json}}}}}'
    ).encode()


HOSTILE = {
    "nested 500 deep": lambda key: crafted(key, answers_text=answer_text("[" * 500 + "]" * 500)),
    "a 4,000-digit number": lambda key: crafted(key, answers_text=answer_text("9" * 4000)),
    "a rating over 2^63": lambda key: crafted(key, answers_text=answer_text('"b"', rating=str(2**63 + 1))),
    "a huge float": lambda key: crafted(key, answers_text=answer_text("1e999")),
    "a lone surrogate in a name": lambda key: crafted(
        key, manifest_changes={"candidate": {"name": "\ud800", "email": "x@uni.it"}}
    ),
    "a NUL in a name": lambda key: crafted(
        key, manifest_changes={"candidate": {"name": "a\x00b", "email": "y"}}
    ),
    "a deep journal": lambda key: crafted(
        key,
        journal_text=b'[{"seq":1,"at_wall":"t","type":"x","prev_hash":"0","hash":"0","data":'
        + b"[" * 5000
        + b"]" * 5000
        + b"}]",
    ),
    "an unknown manifest field": lambda key: crafted(key, manifest_changes={"extra": "x" * 10}),
    "an answer filed under another id": lambda key: crafted(
        key,
        answers_text=b'{"vanish":{"dont_know":false,"flagged":false,"question_id":"minibatch","rating":null,"value":"b"}}',
    ),
    "a bad ended_by": lambda key: crafted(key, session_changes={"ended_by": "magic"}),
    "a text flag": lambda key: crafted(
        key,
        answers_text=b'{"minibatch":{"dont_know":"yes","flagged":false,"question_id":"minibatch","rating":null,"value":"b"}}',
    ),
    "invalid UTF-8": lambda key: crafted(key, answers_text=answer_text('"b"').replace(b'"b"', b'"\xff"')),
}


@pytest.fixture
def workspace(tmp_path):
    key_path = write_key(tmp_path)
    return tmp_path, key_path, load_key_file(key_path)


def test_crafted_signed_bundles_are_rejected_alone_and_the_batch_imports(workspace, capsys):
    tmp, key_path, key = workspace
    folder = tmp / "usb"
    for n in range(20):
        write_bundle_file(key, folder, f"student{n:02d}@uni.it", answers(**PERFECT), seed=n)
    for name, make in HOSTILE.items():
        (folder / f"zz-{name.replace(' ', '-')}.bundle").write_bytes(make(key))

    db_path = tmp / "grader.db"
    assert main(["grade", "import", "--key", str(key_path), str(folder), "--db", str(db_path)]) == 1
    out = capsys.readouterr().out
    assert f"20 imported, {len(HOSTILE)} rejected." in out
    rejected = [line for line in out.splitlines() if line.startswith("rejected")]
    assert len(rejected) == len(HOSTILE)
    assert all("could not process" not in line for line in rejected), rejected  # each has its reason
    assert any("nested more than" in line for line in rejected)
    assert any("digits" in line for line in rejected)
    assert any(f"number {2**63 + 1} is out of range" in line for line in rejected)
    assert any("lone surrogate" in line for line in rejected)

    assert main(["grade", "export", "--csv", str(tmp / "out.csv"), "--db", str(db_path)]) == 0
    with (tmp / "out.csv").open(encoding="utf-8") as f:
        assert len(list(csv.reader(f))) == 21
    assert main(["grade", "report", "--feedback", str(tmp / "fb"), "--db", str(db_path)]) == 0


def test_a_fault_on_one_bundle_rejects_only_that_bundle(workspace, monkeypatch):
    """Even a failure nobody foresaw (here: scoring raising) sets one bundle aside, not the batch."""
    tmp, _key_path, key = workspace
    folder = tmp / "usb"
    write_bundle_file(key, folder, "ada@uni.it", answers(**PERFECT))
    write_bundle_file(key, folder, "zed@uni.it", answers(mlp="unlucky"))
    import exam_desktop.grading.importer as importer

    real = importer.score_exam

    def fragile(exam, responses, presented=None):
        if responses.get("mlp") and responses["mlp"].value == "unlucky":
            raise RecursionError("maximum recursion depth exceeded")
        return real(exam, responses, presented)

    monkeypatch.setattr(importer, "score_exam", fragile)
    db = GraderDB.open(tmp / "grader.db")
    try:
        results = import_bundles(db, key, "k", [folder])
        assert sorted(r.outcome for r in results) == ["imported", "rejected"]
        bad = next(r for r in results if r.outcome == "rejected")
        assert "could not process this bundle (RecursionError)" in bad.reason
        assert len(db.execute("SELECT * FROM candidates").fetchall()) == 1
        assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == len(PERFECT)
    finally:
        db.close()


def test_a_key_file_signed_by_another_office_is_refused(workspace, capsys):
    tmp, key_path, key = workspace
    write_bundle_file(key, tmp / "usb", "ada@uni.it", answers(**PERFECT))
    rogue = Ed25519PrivateKey.generate()

    # Exam A's key file, its answer key changed, re-signed by another office key.
    raw = json.loads(key_path.read_bytes())
    raw.pop("signature")
    mlp = next(q for s in raw["exam"]["sections"] for q in s["questions"] if q["id"] == "mlp")
    mlp["answer"]["answers"][0]["value"] = 1.0
    raw["office_public_key"] = b64(public_key_bytes(rogue.public_key()))
    raw["office_fingerprint"] = fingerprint(rogue.public_key())
    raw["signature"] = b64(rogue.sign(canonical_json(raw)))
    forged = tmp / "forged.key"
    forged.write_bytes(canonical_json(raw))
    assert load_key_file(forged).exam.id == key.exam.id  # a valid file on its own
    code = main(["grade", "import", "--key", str(forged), str(tmp / "usb"), "--db", str(tmp / "g.db")])
    err = capsys.readouterr().err
    assert code == 1 and "signed by another key" in err and not (tmp / "g.db").exists()
    code = main(["verify", "--key", str(forged), str(tmp / "usb")])
    assert code == 1 and "signed by another key" in capsys.readouterr().err

    (Path(os.environ["EXAM_DESKTOP_DATA"]) / "office-public.pem").unlink()
    code = main(["grade", "import", "--key", str(key_path), str(tmp / "usb"), "--db", str(tmp / "g.db")])
    assert code == 1 and "No exam office key is installed" in capsys.readouterr().err
    install_office(rogue)  # a grader who trusts only the rogue key refuses the genuine file too
    code = main(["grade", "import", "--key", str(key_path), str(tmp / "usb"), "--db", str(tmp / "g.db")])
    assert code == 1 and "signed by another key" in capsys.readouterr().err


def test_verify_refuses_a_fifo_and_a_device_without_hanging(tmp_path, capsys):
    fifo = tmp_path / "stuck.bundle"
    os.mkfifo(fifo)
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(main(["verify", str(fifo), "/dev/zero"])))
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # unblock the reader before failing
        with open(fifo, "wb"):
            pass
        worker.join()
        pytest.fail("verify blocked on a FIFO")
    out = capsys.readouterr().out
    assert result == [1]
    assert out.count("not a regular file") == 2, out


@pytest.fixture(scope="module")
def fuzz_key(tmp_path_factory) -> GraderKey:
    """One exam key for every fuzzed bundle (building a package per example would dominate)."""
    return load_key_file(write_key(tmp_path_factory.mktemp("fuzz-key"), install=False))


any_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=30)  # surrogates too
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=json_values,
    candidate=st.dictionaries(st.text(max_size=12), st.text(max_size=20) | json_values, max_size=3),
    rating=st.none() | st.integers(min_value=-(2**70), max_value=2**70) | json_values,
    extension=st.fixed_dictionaries(
        {"at": st.text(max_size=5), "seconds": st.none() | st.floats() | st.integers(), "reason": any_text}
    )
    | json_values,
)
def test_fuzzed_signed_bundles_are_read_or_refused_never_a_crash(
    tmp_path_factory, fuzz_key, value, candidate, rating, extension
):
    tmp = tmp_path_factory.mktemp("fuzz")
    key = fuzz_key
    item = {
        "question_id": "minibatch",
        "value": value,
        "dont_know": False,
        "flagged": False,
        "rating": rating,
    }
    answers_text = json.dumps({"minibatch": item}, sort_keys=True, separators=(",", ":")).encode()
    data = crafted(
        key,
        answers_text=answers_text,
        manifest_changes={"candidate": candidate},
        session_changes={"extensions": [extension]},
    )
    try:
        bundle = read_bundle(
            data, exam_id=key.exam.id, package_hash=key.package_hash, binding_key=key.binding_key
        )
    except BundleRejected:
        return
    (tmp / "one.bundle").write_bytes(data)
    db = GraderDB.open(tmp / "g.db")
    try:
        (result,) = import_bundles(db, key, "k", [tmp / "one.bundle"])
        assert result.outcome in ("imported", "rejected")
        assert "could not process" not in result.reason
    finally:
        db.close()
    assert bundle.responses["minibatch"].value == value


def test_genuine_random_answers_still_import(workspace):
    """The bounds refuse nothing a seat writes: a simulated session of 30 imports whole."""
    tmp, _key_path, key = workspace
    from exam_desktop.grading.simulate import write_simulated_session

    write_simulated_session(key, tmp / "sim", 30, seed=random.randrange(1000))
    db = GraderDB.open(tmp / "g.db")
    try:
        assert {r.outcome for r in import_bundles(db, key, "k", [tmp / "sim"])} == {"imported"}
    finally:
        db.close()
