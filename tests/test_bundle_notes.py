"""Candidates' private notes in a result bundle: only when the bank lets them travel, and signed."""

from __future__ import annotations

import re

import pytest

from exam_desktop.core.responses import Response
from exam_desktop.core.sealed.archive import read_archive, write_archive
from exam_desktop.core.sealed.bundle import (
    ALLOWED,
    NOTES,
    BundleRejected,
    SessionInfo,
    bundle_bytes,
    read_bundle,
)
from exam_desktop.core.sealed.keys import new_session_key
from exam_desktop.core.seat.answer_file import AnswerStore

SESSION = SessionInfo("s-1", "n-1", "2026-11-22T09:00:00+00:00", "2026-11-22T10:00:00+00:00")


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    store = AnswerStore.open(tmp_path_factory.mktemp("notes") / "answers.db")
    store.append_event("submitted", {})
    store.save_response(Response("iou", "a"))
    data = store.responses(), store.events()
    store.close()
    return data


def make(journal, notes):
    responses, events = journal
    return bundle_bytes(
        exam_id="e",
        package_hash="5" * 64,
        candidate={"name": "Ada"},
        session=SESSION,
        responses=responses,
        events=events,
        session_key=new_session_key(),
        notes=notes,
    )


def test_notes_travel_when_given(journal):
    bundle = read_bundle(make(journal, {"iou": "IoU = 1/3"}))
    assert bundle.notes == {"iou": "IoU = 1/3"}
    assert bundle.responses["iou"].value == "a"


def test_no_notes_member_without_them(journal):
    data = make(journal, None)
    assert NOTES not in read_archive(data, ALLOWED)
    assert read_bundle(data).notes == {}


def test_changed_notes_are_caught(journal):
    members = read_archive(make(journal, {"iou": "mine"}), ALLOWED)
    members[NOTES] = b'{"iou":"someone else\'s"}'
    with pytest.raises(BundleRejected, match=re.escape("hash mismatch for notes.json")):
        read_bundle(write_archive(members))


def test_notes_added_to_a_bundle_without_them_are_refused(journal):
    members = read_archive(make(journal, None), ALLOWED)
    members = {
        **{k: v for k, v in members.items() if k != "signature"},
        NOTES: b"{}",
        "signature": members["signature"],
    }
    with pytest.raises(BundleRejected, match=re.escape("notes.json and the manifest disagree")):
        read_bundle(write_archive(members))
