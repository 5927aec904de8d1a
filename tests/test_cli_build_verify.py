"""The exam office's and graders' commands: keys init, build, verify, export-results."""

from __future__ import annotations

import contextlib
import io
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BANKS

from exam_desktop.cli import main
from exam_desktop.core.bank import load_bank
from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.archive import read_archive, write_archive
from exam_desktop.core.sealed.bundle import MEMBERS, ResultsNotWritten, SessionInfo, write_bundle
from exam_desktop.core.sealed.keys import (
    ScryptParams,
    installed_office_key,
    load_public_key,
    new_session_key,
)
from exam_desktop.core.sealed.package import PackageRejected, build_package, load_key_file, open_package
from exam_desktop.core.seat.answer_file import AnswerStore

BANK = BANKS / "ml-engineers-test.md"
START_CODE = re.compile(r"^    ([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})$", re.M)


@dataclass
class Office:
    root: Path
    passphrase: Path
    keys_output: str
    build_output: str


def quietly(*argv: object) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([str(a) for a in argv])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Office:
    """An office key pair made with `keys init` and a package built from the ML bank."""
    root = tmp_path_factory.mktemp("office")
    passphrase = root / "passphrase.txt"
    passphrase.write_text("a long office passphrase\n")
    code, keys_output = quietly("keys", "init", "--dir", root / "keys", "--passphrase-file", passphrase)
    assert code == 0
    code, build_output = quietly(
        "build",
        BANK,
        "-o",
        root / "ml.exam",
        "--key",
        root / "keys" / "office-private.pem",
        "--passphrase-file",
        passphrase,
        "--pin",
        "2468",
        "--shuffle",
        "--draw",
        "4",
        "--extra-time-allowed",
        "--results-dir",
        "/media/usb",
    )
    assert code == 0, build_output
    return Office(root, passphrase, keys_output, build_output)


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_keys_init_build_and_open(office, capsys):
    root, out = office.root, office.keys_output
    fingerprint = re.search(r"Fingerprint.*?([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})", out).group(1)
    public = root / "keys" / "office-public.pem"
    assert run(capsys, "keys", "fingerprint", public)[1].strip() == fingerprint

    out = office.build_output
    assert fingerprint in out
    (start_code,) = START_CODE.findall(out)  # printed exactly once
    assert out.count(start_code) == 1

    opened = open_package(root / "ml.exam", start_code, office_public_key=load_public_key(public))
    assert opened.exam.id == "ml-engineers-test"
    header = opened.header
    assert header.check_pin("2468") and header.results_dir == "/media/usb"
    assert (header.options.shuffle_choices, header.options.draw) == (True, 4)
    key = load_key_file(root / "ml.key", office_public_key=load_public_key(public))
    assert key.package_hash == opened.package_hash
    assert key.exam.question("gradient-interpretation").answer.choices[1].correct


def test_existing_keys_and_packages_are_not_overwritten(office, capsys):
    root, passphrase = office.root, office.passphrase
    code, _, err = run(capsys, "keys", "init", "--dir", root / "keys", "--passphrase-file", passphrase)
    assert code == 1 and "already exists" in err
    before = (root / "ml.exam").read_bytes()
    code, _, err = run(
        capsys,
        "build",
        BANK,
        "-o",
        root / "ml.exam",
        "--key",
        root / "keys" / "office-private.pem",
        "--passphrase-file",
        passphrase,
    )
    assert code == 1 and "--force" in err
    assert (root / "ml.exam").read_bytes() == before


def test_wrong_passphrase_is_one_clear_line(office, capsys, tmp_path):
    root = office.root
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it\n")
    code, _, err = run(
        capsys,
        "build",
        BANK,
        "-o",
        tmp_path / "x.exam",
        "--key",
        root / "keys" / "office-private.pem",
        "--passphrase-file",
        wrong,
    )
    assert code == 1
    assert err.startswith("exam-desktop build: The passphrase does not open") and "Traceback" not in err
    assert not (tmp_path / "x.exam").exists() and not (tmp_path / "x.key").exists()


def test_passphrase_from_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EXAM_DESKTOP_PASSPHRASE", "from the environment")
    code, _out, _ = run(capsys, "keys", "init", "--dir", tmp_path)
    assert code == 0 and (tmp_path / "office-private.pem").exists()


def session_bundles(office, results: Path, local: Path) -> list[Path]:
    """Two candidates submit the package built above."""
    root = office.root
    key = load_key_file(root / "ml.key")
    paths = []
    for number, student in enumerate(["S-001", "S-002"]):
        store = AnswerStore.open(root / f"{student}.db")
        store.save_response(Response("gradient-interpretation", "b"))
        store.append_event("submitted", {})
        try:
            written = write_bundle(
                results,
                local,
                exam_id=key.exam.id,
                package_hash=key.package_hash,
                candidate={"name": f"Candidate {number}", "student_id": student},
                session=SessionInfo(uuid.uuid4().hex, uuid.uuid4().hex, "t0", "t1"),
                responses=store.responses(),
                events=store.events(),
                session_key=new_session_key(),
                binding_key=key.binding_key,
            )
            paths.append(written.path)
        except ResultsNotWritten as exc:
            paths.append(exc.written.local_path)
        store.close()
    return paths


def test_verify_reports_each_bundle(office, capsys, tmp_path):
    root = office.root
    results = tmp_path / "results"
    results.mkdir()
    good, other = session_bundles(office, results, tmp_path / "local")
    members = read_archive(other, MEMBERS)
    other.write_bytes(write_archive(members | {"answers.json": members["answers.json"] + b" "}))

    code, _, err = run(capsys, "verify", results, "--key", root / "ml.key")
    assert code == 1 and "No exam office key is installed" in err  # nothing proves who signed it
    public = root / "keys" / "office-public.pem"
    code, out, _ = run(capsys, "verify", results, "--key", root / "ml.key", "--office-key", public)
    lines = out.splitlines()
    assert code == 1 and len(lines) == 2
    valid = next(line for line in lines if str(good) in line)
    assert valid.startswith("valid") and "Candidate 0" in valid and "receipt" in valid
    invalid = next(line for line in lines if str(other) in line)
    assert invalid.startswith("INVALID") and invalid.endswith("hash mismatch for answers.json")

    assert run(capsys, "verify", good, "--key", root / "ml.key", "--office-key", public)[0] == 0
    code, out, _ = run(capsys, "verify", good, "--exam-id", "another-exam")
    assert code == 1 and "wrong exam (expected another-exam, got ml-engineers-test)" in out


def test_export_results_copies_what_the_stick_missed(office, capsys, tmp_path):
    data = tmp_path / "data"
    local = data / "bundles"
    kept = session_bundles(office, tmp_path / "stick-not-mounted", local)
    stick = tmp_path / "stick"
    stick.mkdir()
    code, out, _ = run(capsys, "export-results", "--data-dir", data, "--to", stick)
    assert code == 0 and out.count("copied") == 2
    assert sorted(p.name for p in stick.iterdir()) == sorted(p.name for p in kept)
    assert run(capsys, "verify", stick)[0] == 0
    code, _, err = run(capsys, "export-results", "--data-dir", data, "--to", tmp_path / "nowhere")
    assert code == 1 and "does not exist" in err


def test_lab_machine_trusts_only_the_installed_office_key(office, capsys, tmp_path):
    lab_data = tmp_path / "lab"
    assert installed_office_key(lab_data) is None
    public = office.root / "keys" / "office-public.pem"
    code, out, _ = run(capsys, "keys", "install", public, "--data-dir", lab_data)
    fingerprint = re.search(r"Fingerprint.*?([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})", office.keys_output)
    assert code == 0 and fingerprint.group(1) in out
    trusted = installed_office_key(lab_data)
    (start_code,) = START_CODE.findall(office.build_output)
    assert open_package(office.root / "ml.exam", start_code, trusted).exam.id == "ml-engineers-test"

    rogue = build_package(load_bank(BANK), new_session_key(), kdf=ScryptParams(n=2**10))
    with pytest.raises(PackageRejected, match="signed by another key"):
        open_package(rogue.package_bytes, rogue.start_code, trusted)
