"""Result bundles: written safely twice, read back only when genuine, complete and unaltered."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.archive import read_archive, write_archive
from exam_desktop.core.sealed.bundle import (
    MEMBERS,
    BundleRejected,
    ResultsNotWritten,
    SessionInfo,
    bundle_bytes,
    export_bundles,
    read_bundle,
    receipt_code,
    write_bundle,
)
from exam_desktop.core.sealed.keys import CODE_ALPHABET, canonical_json, new_session_key
from exam_desktop.core.seat.answer_file import AnswerStore

EXAM_ID = "dl-midterm"
PACKAGE_HASH = "5" * 64
BINDING_KEY = bytes(range(32))
CANDIDATE = {"name": "Ada Lovelace", "student_id": "S-1815", "seat": "B12"}
SESSION = SessionInfo(
    id="c0ffee00-1234",
    nonce="n0nce-42",
    started_at="2026-11-22T09:00:00+00:00",
    ended_at="2026-11-22T10:45:00+00:00",
    extensions=[{"at": "2026-11-22T10:00:00+00:00", "seconds": 600, "reason": "fire alarm"}],
)


@pytest.fixture(scope="module")
def session_data(tmp_path_factory):
    """Answers and a hash-chained journal from a real answer database."""
    store = AnswerStore.open(tmp_path_factory.mktemp("session") / "answers.db")
    store.append_event("timer_started", {"duration_s": 6300})
    store.save_response(Response("q1", "b"))
    store.save_response(Response("q2", ["a", "c"], flagged=True))
    store.save_response(Response("q3", "3,855"))
    store.save_response(Response("q4", [["5", "0"], ["2", "0"]], rating=4))
    store.save_response(Response("q5", {"shape": "(None, 128)"}))
    store.save_response(Response("q6", "", dont_know=True))
    store.append_event("submitted", {})
    responses, events = store.responses(), store.events()
    store.close()
    return responses, events


@pytest.fixture(scope="module")
def session_key():
    return new_session_key()


def make_bundle(session_data, session_key, **overrides) -> bytes:
    responses, events = session_data
    arguments = {
        "exam_id": EXAM_ID,
        "package_hash": PACKAGE_HASH,
        "candidate": CANDIDATE,
        "session": SESSION,
        "responses": responses,
        "events": events,
        "session_key": session_key,
        "binding_key": BINDING_KEY,
    }
    return bundle_bytes(**(arguments | overrides))


@pytest.fixture(scope="module")
def valid(session_data, session_key) -> bytes:
    return make_bundle(session_data, session_key)


def write(tmp_path, session_data, session_key, results: Path | None):
    responses, events = session_data
    return write_bundle(
        results,
        tmp_path / "local",
        exam_id=EXAM_ID,
        package_hash=PACKAGE_HASH,
        candidate=CANDIDATE,
        session=SESSION,
        responses=responses,
        events=events,
        session_key=session_key,
        binding_key=BINDING_KEY,
    )


def rebuilt(valid: bytes, session_key=None, **changes: bytes) -> bytes:
    """The bundle with members replaced, re-signed with `session_key` when given."""
    members = read_archive(valid, MEMBERS)
    members.update(changes)
    if session_key is not None:
        members["signature"] = session_key.sign(members["manifest.json"])
    return write_archive(members)


def test_round_trip_keeps_everything(tmp_path, session_data, session_key):
    results = tmp_path / "usb"
    results.mkdir()
    written = write(tmp_path, session_data, session_key, results)
    assert written.path.parent == results and written.local_path.parent == tmp_path / "local"
    assert written.path.read_bytes() == written.local_path.read_bytes()
    assert "S-1815" in written.path.name and written.receipt in written.path.name
    bundle = read_bundle(written.path, exam_id=EXAM_ID, package_hash=PACKAGE_HASH, binding_key=BINDING_KEY)
    responses, events = session_data
    assert bundle.responses == responses
    assert bundle.events == events
    assert bundle.candidate == CANDIDATE
    assert bundle.session == dataclasses.asdict(SESSION)
    assert bundle.receipt == written.receipt and bundle.sha256 == written.sha256
    assert bundle.bound_to_package
    assert re.fullmatch(rf"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}", bundle.receipt)
    assert [p.name for p in results.iterdir()] == [written.path.name]  # no temporary files left


def test_manifest_records_session_key_statement_and_hashes(valid, session_key):
    manifest = json.loads(read_archive(valid, MEMBERS)["manifest.json"])
    assert manifest["exam_id"] == EXAM_ID and manifest["package_sha256"] == PACKAGE_HASH
    assert set(manifest["files"]) == {"answers.json", "journal.json"}
    for part in (SESSION.id, SESSION.nonce, EXAM_ID, manifest["session_public_key"]):
        assert part in manifest["statement"]
    assert manifest["session"]["app_version"]


def test_each_launch_signs_with_its_own_key(session_data):
    first = read_bundle(make_bundle(session_data, new_session_key()))
    second = read_bundle(make_bundle(session_data, new_session_key()))
    assert first.manifest["session_public_key"] != second.manifest["session_public_key"]


def test_receipt_comes_from_the_bundle_hash():
    assert receipt_code("00" * 32) != receipt_code("00" * 31 + "01")
    assert len(receipt_code("ab" * 32)) == 9


def test_altered_manifest_is_a_bad_signature(valid):
    members = read_archive(valid, MEMBERS)
    manifest = json.loads(members["manifest.json"])
    manifest["candidate"]["name"] = "Someone Else"
    with pytest.raises(BundleRejected, match=r"^bad signature$"):
        read_bundle(rebuilt(valid, **{"manifest.json": canonical_json(manifest)}))


def test_replaced_answers_are_a_hash_mismatch(valid):
    members = read_archive(valid, MEMBERS)
    answers = json.loads(members["answers.json"])
    answers["q1"]["value"] = "a"
    with pytest.raises(BundleRejected, match=r"^hash mismatch for answers.json$"):
        read_bundle(rebuilt(valid, **{"answers.json": canonical_json(answers)}))


def test_bundle_of_another_exam_or_package_is_rejected(valid):
    with pytest.raises(BundleRejected, match=r"^wrong exam \(expected other-exam, got dl-midterm\)$"):
        read_bundle(valid, exam_id="other-exam")
    with pytest.raises(BundleRejected, match=r"^wrong package"):
        read_bundle(valid, package_hash="6" * 64)


def test_session_key_not_vouched_for_by_the_package_is_rejected(session_data, session_key, valid):
    with pytest.raises(BundleRejected, match="bad binding"):
        read_bundle(valid, binding_key=bytes(32))
    unbound = make_bundle(session_data, session_key, binding_key=None)
    assert not read_bundle(unbound).bound_to_package
    with pytest.raises(BundleRejected, match="bad binding"):
        read_bundle(unbound, binding_key=BINDING_KEY)


def test_broken_journal_chain_names_the_entry(session_data, session_key):
    responses, events = session_data
    altered = [dict(e) for e in events]
    altered[3]["data"] = {**altered[3]["data"], "value_sha256": "0" * 64}
    # Signed by the session key: the machine itself exported a journal altered in its database.
    bundle = make_bundle((responses, altered), session_key)
    with pytest.raises(BundleRejected, match=r"^broken journal chain at entry 4$"):
        read_bundle(bundle)
    with pytest.raises(BundleRejected, match=r"^broken journal chain at entry 2$"):
        read_bundle(make_bundle((responses, [events[0], *events[2:]]), session_key))


def test_not_a_zip_is_a_malformed_archive(tmp_path):
    path = tmp_path / "x.bundle"
    path.write_text("hello")
    with pytest.raises(BundleRejected, match=r"^malformed archive: "):
        read_bundle(path)


def test_unexpected_or_extra_member_is_rejected(valid):
    members = read_archive(valid, MEMBERS)
    renamed = {("notes.txt" if k == "journal.json" else k): v for k, v in members.items()}
    with pytest.raises(BundleRejected, match=re.escape("unexpected member 'notes.txt'")):
        read_bundle(write_archive(renamed))
    with pytest.raises(BundleRejected, match=re.escape("unexpected member 'notes.txt'")):
        read_bundle(write_archive(members | {"notes.txt": b"hi"}))
    with pytest.raises(BundleRejected, match="too many members"):  # notes.json is the one optional member
        read_bundle(write_archive(members | {"notes.txt": b"hi", "more.txt": b"hi"}))


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    kind = rng.randrange(4)
    if kind == 0:  # one byte replaced
        position = rng.randrange(len(out))
        out[position] = (out[position] + rng.randrange(1, 256)) % 256
    elif kind == 1:  # one bit flipped
        position = rng.randrange(len(out))
        out[position] ^= 1 << rng.randrange(8)
    elif kind == 2:  # a few bytes overwritten
        position = rng.randrange(len(out) - 4)
        out[position : position + 4] = bytes(b ^ rng.randrange(1, 256) for b in out[position : position + 4])
    else:  # truncated or extended
        cut = rng.randrange(len(out))
        return bytes(out[:cut]) if rng.random() < 0.5 else bytes(out) + rng.randbytes(rng.randrange(1, 9))
    return bytes(out)


@pytest.mark.slow
def test_thousand_random_mutations_are_all_rejected_with_a_reason(valid):
    """Half mutate the file's bytes; half mutate one member and re-zip it cleanly, so the
    signature, hash and parsing layers are reached rather than only the zip checksums."""
    rng = random.Random(20261122)
    members = read_archive(valid, MEMBERS)
    reasons: Counter[str] = Counter()
    for round_ in range(1000):
        if round_ % 2:
            name = rng.choice(MEMBERS)
            data = write_archive(members | {name: mutate(members[name], rng)})
        else:
            data = mutate(valid, rng)
        with pytest.raises(BundleRejected) as caught:
            read_bundle(data)
        reason = str(caught.value)
        reasons[re.split(r"[:(]", reason)[0].strip()] += 1
    assert sum(reasons.values()) == 1000
    for expected in (
        "malformed archive",
        "bad signature",
        "hash mismatch for answers.json",
        "hash mismatch for journal.json",
    ):
        assert reasons[expected] > 0, reasons


def test_missing_results_folder_keeps_the_local_copy(tmp_path, session_data, session_key):
    results = tmp_path / "usb-stick-not-mounted"
    with pytest.raises(ResultsNotWritten) as caught:
        write(tmp_path, session_data, session_key, results)
    message = str(caught.value)
    assert "safe in the local copy" in message and "export-results" in message
    written = caught.value.written
    assert written.path is None and not results.exists()  # never created on the local disk
    assert read_bundle(written.local_path).receipt == written.receipt


def test_export_copies_local_bundles_again(tmp_path, session_data, session_key):
    with pytest.raises(ResultsNotWritten) as caught:
        write(tmp_path, session_data, session_key, tmp_path / "missing")
    local = caught.value.written.local_path
    tampered = local.with_name("tampered.bundle")
    manifest = read_archive(local, MEMBERS)["manifest.json"]
    tampered.write_bytes(rebuilt(local.read_bytes(), **{"manifest.json": manifest.replace(b"Ada", b"Bob")}))
    results = tmp_path / "usb"
    results.mkdir()
    outcomes = {o.source.name: o for o in export_bundles(tmp_path / "local", results)}
    assert outcomes[local.name].ok and outcomes[local.name].target.read_bytes() == local.read_bytes()
    assert not outcomes["tampered.bundle"].ok
    assert "bad signature" in outcomes["tampered.bundle"].message
    assert sorted(p.name for p in results.iterdir()) == [local.name]
    again = export_bundles(tmp_path / "local", results)  # idempotent
    assert [o.ok for o in again if o.source == local] == [True]


@pytest.fixture
def full_stick(tmp_path):
    """A real 8 KiB filesystem standing in for a nearly full USB stick (needs mount rights)."""
    import subprocess

    mount_point = tmp_path / "stick"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small filesystem here (needs root with mount rights)")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def test_full_results_folder_keeps_the_local_copy(tmp_path, session_data, session_key, full_stick):
    responses, events = session_data
    essay = {"q7": Response("q7", "A long essay. " * 2000)}  # ~28 KB: does not fit on the stick
    with pytest.raises(ResultsNotWritten, match="no space left on device") as caught:
        write_bundle(
            full_stick,
            tmp_path / "local",
            exam_id=EXAM_ID,
            package_hash=PACKAGE_HASH,
            candidate=CANDIDATE,
            session=SESSION,
            responses=responses | essay,
            events=events,
            session_key=session_key,
        )
    assert list(full_stick.iterdir()) == []  # no half-written file left on the stick
    local = caught.value.written.local_path
    assert read_bundle(local).responses["q7"].value.startswith("A long essay.")


def test_a_broken_journal_gets_no_receipt_unless_the_damage_travels_with_it(
    tmp_path, session_data, session_key
):
    responses, events = session_data
    altered = [dict(e) for e in events]
    altered[1]["type"] = "something_else"
    common = {
        "exam_id": EXAM_ID,
        "package_hash": PACKAGE_HASH,
        "candidate": CANDIDATE,
        "session": SESSION,
        "responses": responses,
        "events": altered,
        "session_key": session_key,
    }
    with pytest.raises(BundleRejected, match=r"^broken journal chain at entry 2$"):
        write_bundle(None, tmp_path / "local", **common)
    assert not (tmp_path / "local").exists() or not list((tmp_path / "local").iterdir())

    damage = {"journal_entries": [2], "answers": [], "facts": [], "note": "entry 2 was altered"}
    written = write_bundle(None, tmp_path / "local", **common, damage=damage)
    bundle = read_bundle(written.local_path)
    assert bundle.damage == damage and bundle.responses == responses

    wrong = {**damage, "journal_entries": [3]}
    with pytest.raises(BundleRejected, match="broken journal chain at entry 2"):
        write_bundle(None, tmp_path / "elsewhere", **common, damage=wrong)


@pytest.mark.parametrize("member", ["manifest.json", "answers.json", "journal.json"])
def test_deeply_nested_json_is_rejected_not_a_crash(valid, session_key, member):
    nested = b"[" * 100_000 + b"]" * 100_000
    members = read_archive(valid, MEMBERS)
    if member != "manifest.json":  # signed as if the machine wrote it: the parser must still cope
        manifest = json.loads(members["manifest.json"])
        manifest["files"][member] = hashlib.sha256(nested).hexdigest()
        members["manifest.json"] = canonical_json(manifest)
    members[member] = nested
    members["signature"] = session_key.sign(members["manifest.json"])
    with pytest.raises(BundleRejected, match=f"{member} is not valid"):
        read_bundle(write_archive(members))
