"""A crash at submit never costs an answer, never leaves a partial file, never makes a second bundle."""

from __future__ import annotations

import os

import pytest
from sessiontools import FakeTime, build, settings
from submittools import export_rounds, submit_rounds, temporary_files

import exam_desktop.core.sealed.bundle as bundle_module
from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.atomic import (
    clean_partial_files,
    partial_files,
    temporary_name,
    write_atomically,
)
from exam_desktop.core.sealed.bundle import local_bundle_dir, read_bundle
from exam_desktop.core.seat.session import ExamSession

CANDIDATE = {"name": "Ada Lovelace", "student_id": "S-1815"}


class Killed(BaseException):
    """Stands in for SIGKILL in-process: nothing after it runs, no `except Exception` sees it."""


def test_a_crash_between_the_two_copies_reuses_the_signed_bundle(tmp_path, monkeypatch):
    built = build(tmp_path / "package")
    clock = FakeTime()
    results = tmp_path / "stick"
    results.mkdir()
    session = ExamSession(settings(built, tmp_path / "data", clock, results_dir=results))
    session.preflight()
    session.identify(CANDIDATE)
    session.unlock(built.start_code)
    session.enter_kiosk()
    session.run()
    question = built.exam.questions[0]
    session.save_answer(Response(question.id, question.answer.choices[0].id))

    real = bundle_module.write_atomically
    writes = []

    def dies_on_the_stick(folder, name, data, **kw):
        if folder == results:  # the local copy is written; the machine dies writing the stick
            (folder / dead_writers(temporary_name(name))).write_bytes(data[: len(data) // 2])
            raise Killed
        writes.append(name)
        return real(folder, name, data, **kw)

    monkeypatch.setattr(bundle_module, "write_atomically", dies_on_the_stick)
    with pytest.raises(Killed):
        session.submit()
    session.store.close()  # the process is gone
    local = list(local_bundle_dir(tmp_path / "data").iterdir())
    assert len(local) == 1
    monkeypatch.setattr(bundle_module, "write_atomically", real)
    assert len(partial_files(results)) == 1

    again = ExamSession(settings(built, tmp_path / "data", clock, results_dir=results))
    again.preflight()
    again.identify()
    again.unlock(built.start_code)
    assert again.plan.submitted
    written = again.submit()
    assert sorted(local_bundle_dir(tmp_path / "data").iterdir()) == local  # the same file, not a second
    assert written.path.read_bytes() == local[0].read_bytes()
    assert read_bundle(written.path).responses[question.id].value == question.answer.choices[0].id
    assert temporary_files(results, tmp_path / "data") == []
    assert [p.name for p in results.iterdir()] == [local[0].name]
    again.close()


def dead_writers(name: str) -> str:
    """The temporary name a writer on this machine with a process id no longer running uses."""
    return name.replace(f".{os.getpid()}.", ".999999999.")


def test_leftovers_of_dead_writers_are_removed_and_a_living_writers_kept(tmp_path):
    dead = tmp_path / dead_writers(temporary_name("x.bundle"))
    dead.write_bytes(b"half")
    mine = tmp_path / temporary_name("y.bundle")
    mine.write_bytes(b"in progress")
    other_machine = tmp_path / ".z.bundle.another-host.1.0123abcd.tmp"
    other_machine.write_bytes(b"a seat sharing the folder")
    assert partial_files(tmp_path) == [dead]
    assert clean_partial_files(tmp_path) == [dead]
    assert sorted(temporary_files(tmp_path)) == sorted([mine, other_machine])
    write_atomically(tmp_path, "z.bundle", b"whole")
    assert (tmp_path / "z.bundle").read_bytes() == b"whole"
    assert sorted(temporary_files(tmp_path)) == sorted([mine, other_machine])


@pytest.mark.slow
def test_kills_during_submit_and_export_lose_nothing(tmp_path):
    built = build(tmp_path / "package")
    report = submit_rounds(
        built.package, tmp_path / "submit", built.start_code, 8, seed=5, essay_bytes=1_000_000
    )
    assert report.problems == []
    assert (report.rounds, report.lost_answers, report.partial_files, report.second_bundles) == (8, 0, 0, 0)
    assert report.answers_acknowledged >= 8 * len(built.exam.questions)
    exports = export_rounds(tmp_path / "submit" / "seat-0", tmp_path / "export", 4, seed=5)
    assert exports.problems == [] and exports.partial_files == 0 and exports.export_rounds == 4
