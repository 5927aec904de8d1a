"""A practice run's answer file: made while the first question is on screen, every answer kept."""

from __future__ import annotations

import subprocess
import sys

import pytest

from exam_desktop.core.responses import Response
from exam_desktop.core.seat.saving import PageState, PracticeAnswers
from exam_desktop.core.seat.storage_errors import StorageWriteError


def test_a_new_practice_file_is_made_on_a_worker_thread_and_keeps_the_answers(tmp_path):
    path = tmp_path / "practice" / "ml-test.sqlite"
    answers = PracticeAnswers.new(path)
    assert not path.exists()  # nothing made before the window asks for it
    assert answers.saved_responses() == {}
    assert answers.page_state() == PageState()
    answers.open_in_background()
    answers.save_answer(Response("q1", "b"))  # waits for the file if it is still being made
    answers.remember_position("q1")
    answers.close()
    with PracticeAnswers.open(path) as again:
        assert again.saved_responses()["q1"].value == "b"
        assert again.page_state().position == "q1"


def test_a_practice_file_that_cannot_be_made_fails_the_first_save_and_is_made_once_it_can(tmp_path):
    in_the_way = tmp_path / "practice"
    in_the_way.write_text("a file where the folder should be")
    path = in_the_way / "ml-test.sqlite"
    answers = PracticeAnswers.new(path)
    answers.open_in_background()
    with pytest.raises(StorageWriteError, match="cannot be created"):
        answers.save_answer(Response("q1", "b"))
    in_the_way.unlink()  # the folder can be made now; the window's retry saves the answer
    answers.save_answer(Response("q1", "b"))
    answers.close()
    with PracticeAnswers.open(path) as again:
        assert again.saved_responses()["q1"].value == "b"


def test_an_existing_practice_file_is_opened_with_what_it_holds(tmp_path):
    path = tmp_path / "run.sqlite"
    with PracticeAnswers.open(path) as first:
        first.save_answer(Response("q2", "a"))
    answers = PracticeAnswers.new(path)
    try:
        assert answers.saved_responses()["q2"].value == "a"
    finally:
        answers.close()


def test_the_exam_window_loads_without_the_answer_files_libraries():
    """Start-up: the window's modules do not import sqlite-utils (a tenth of a second)."""
    code = "import sys, exam_desktop.gui.exam_window; print('sqlite_utils' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_closing_a_practice_file_that_could_not_be_made_makes_none_and_raises_nothing(tmp_path):
    in_the_way = tmp_path / "practice"
    in_the_way.write_text("a file where the folder should be")
    answers = PracticeAnswers.new(in_the_way / "ml-test.sqlite")
    answers.open_in_background()
    answers.close()
    assert in_the_way.is_file()


def test_a_practice_file_the_disk_refuses_while_it_is_made_fails_the_save_and_is_made_later(tmp_path):
    """SQLite creates the file before the disk refuses to write its schema (a file-size limit);
    the half-made file is removed, so the next try makes it anew instead of finding it damaged."""
    import textwrap

    path = tmp_path / "practice" / "ml-test.sqlite"
    code = f"""
        import resource, signal
        from exam_desktop.core.responses import Response
        from exam_desktop.core.seat.saving import PracticeAnswers
        from exam_desktop.core.seat.storage_errors import StorageWriteError
        path = {str(path)!r}
        answers = PracticeAnswers.new(path)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY))
        answers.open_in_background()
        try:
            answers.save_answer(Response("q1", "b"))
            print("saved anyway")
        except StorageWriteError as exc:
            print("refused:", exc.reason)
        import os
        print("left:", sorted(os.listdir(os.path.dirname(path))))
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        answers.save_answer(Response("q1", "b"))
        answers.close()
        print("saved")
        """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "refused: refused" in result.stdout and "left: []" in result.stdout
    assert "saved" in result.stdout.splitlines()[-1]
    with PracticeAnswers.open(path) as again:
        assert again.saved_responses()["q1"].value == "b"
