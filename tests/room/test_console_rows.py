"""The console's table follows the room without work on the window's thread: the rows are built on
their own thread (`ViewSnapshots`), and the table model copies only the cells that changed, so a
status from one seat repaints that seat's cells, never the whole table, and seats needing attention
still come first."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from exam_desktop.room.protocol import parse_seat_message, seat_message
from exam_desktop.room.view import RoomView, ViewSnapshots

NOW = 1_800_000_000.0
KEYS = {f"seat-{i:02d}": Ed25519PrivateKey.generate() for i in range(1, 7)}


SENT = [0.0]


def status(seat: str, *, sent_at: float = NOW, **changes: object):
    fields = {
        "state": "running",
        "exam_id": "exam-a",
        "session_id": f"session-{seat}",
        "candidate": {"name": f"Candidate {seat}", "student_id": seat.upper()},
        "answered": 2,
        "questions": 10,
        "flagged": 0,
        "time_left_s": 1800.0,
        "ends_at": None,
        "extensions_s": 0.0,
        "last_save_at": NOW - 1,
        "incidents": 0,
        "latest_incident": None,
        "errors": [],
        "hand": None,
        "collected": False,
        "receipt": None,
        "interval_s": 2.0,
        "announcements": 0,
    }
    fields.update(changes)
    message = parse_seat_message(seat_message("status", seat, KEYS[seat], **fields), "status", seat)
    SENT[0] += 0.001  # each status a moment after the one before (a late older one is ignored)
    return dataclasses.replace(message, sent_at=sent_at + SENT[0])


def room_view(clock: list[float]) -> RoomView:
    view = RoomView(wall=lambda: clock[0])
    for seat in KEYS:
        view.update_status(status(seat))
    return view


def wait_for(predicate, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("not within the time")


# ------------------------------------------------------------------------------------ Qt-free


def test_snapshots_are_built_on_their_own_thread_after_a_change_and_say_attention_first():
    clock = [NOW]
    view = room_view(clock)
    threads: list[str] = []

    def shape(data: dict, rank: int) -> tuple[str, int]:
        threads.append(threading.current_thread().name)
        return data["seat"], rank

    snapshots = ViewSnapshots(view, shape, min_interval_s=0.01, every_s=30).start()
    try:
        first = wait_for(snapshots.take)
        assert [seat for seat, _ in first.rows] == sorted(KEYS)
        assert snapshots.take() is None  # handed over once
        view.update_status(status("seat-05", state="locked", latest_incident="focus-lost"))
        locked = wait_for(snapshots.take)
        assert locked.rows[0] == ("seat-05", 0)  # rank 0: locked comes first
        assert locked.version == view.version
        assert set(threads) == {"room-view-snapshots"}
    finally:
        snapshots.stop()
    assert not snapshots._thread.is_alive()


def test_snapshots_move_on_with_the_clock_without_a_message():
    clock = [NOW]
    view = room_view(clock)
    snapshots = ViewSnapshots(view, lambda data, rank: data, min_interval_s=0.01, every_s=0.05).start()
    try:
        wait_for(snapshots.take)
        clock[0] = NOW + 60  # a minute later, no status: the time left went down by a minute
        later = wait_for(lambda: (s := snapshots.take()) and s.at == NOW + 60 and s)
        assert {row["time_left_s"] for row in later.rows} == {1740.0}
    finally:
        snapshots.stop()


def test_a_failing_row_does_not_stop_the_snapshots():
    clock = [NOW]
    view = room_view(clock)
    calls = {"n": 0}

    def shape(data: dict, rank: int) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("one bad row")
        return data["seat"]

    snapshots = ViewSnapshots(view, shape, min_interval_s=0.01, every_s=0.05).start()
    try:
        assert wait_for(snapshots.take).rows == sorted(KEYS)
        assert "one bad row" in snapshots.problem
    finally:
        snapshots.stop()


# ------------------------------------------------------------------------------------ the model


@pytest.fixture
def table(qtbot):
    from exam_desktop.gui.room_console import SeatFilter, SeatTableModel

    model = SeatTableModel()
    proxy = SeatFilter()
    proxy.setSourceModel(model)
    return model, proxy


def shown(view: RoomView, now: float):
    from exam_desktop.gui.room_console import shown_row

    return [shown_row(row.to_json(now), rank) for row, rank in view.ranked_rows(now)]


def seats_in_order(proxy) -> list[str]:
    return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]


@pytest.mark.gui
def test_one_seats_status_changes_only_its_own_cells_never_a_reset(table):
    model, proxy = table
    clock = [NOW]
    view = room_view(clock)
    model.show(shown(view, NOW))
    assert seats_in_order(proxy) == sorted(KEYS)
    changes: list[tuple[int, int, int, int]] = []
    resets: list[str] = []
    model.dataChanged.connect(
        lambda tl, br, roles: changes.append((tl.row(), tl.column(), br.row(), br.column()))
    )
    model.modelReset.connect(lambda: resets.append("reset"))
    model.layoutChanged.connect(lambda *_: resets.append("layout"))
    proxy.modelReset.connect(lambda: resets.append("proxy reset"))

    view.update_status(status("seat-03", answered=5))  # one seat answered three more
    assert model.show(shown(view, NOW)) == 1
    assert changes == [(2, 3, 2, 3)]  # seat-03's "Answered" cell, nothing else
    assert proxy.index(2, 3).data() == "5 of 10"
    assert resets == []

    changes.clear()
    assert model.show(shown(view, NOW)) == 0  # nothing new: nothing emitted
    assert changes == []


@pytest.mark.gui
def test_a_seat_needing_attention_moves_first_and_keeps_its_selection(table, qtbot):
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QTableView

    model, proxy = table
    clock = [NOW]
    view = room_view(clock)
    model.show(shown(view, NOW))
    table_view = QTableView()
    qtbot.addWidget(table_view)
    table_view.setModel(proxy)
    selection = table_view.selectionModel()
    selection.select(
        proxy.index(3, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert proxy.index(3, 0).data() == "seat-04"
    resets: list[str] = []
    proxy.modelReset.connect(lambda: resets.append("reset"))

    view.update_status(status("seat-04", hand={"id": 1, "raised_at": NOW}))
    view.update_status(status("seat-06", state="locked", latest_incident="focus-lost"))
    model.show(shown(view, NOW))
    assert seats_in_order(proxy) == ["seat-06", "seat-04", "seat-01", "seat-02", "seat-03", "seat-05"]
    assert proxy.index(0, 2).data() == "Locked — focus-lost"
    assert "hand raised" in proxy.index(1, 8).data()
    assert [proxy.index(i.row(), 0).data() for i in selection.selectedRows()] == ["seat-04"]
    assert resets == []

    clock[0] = NOW + 3600  # an hour without a status: every seat is offline, in seat order
    model.show(shown(view, clock[0]))
    assert seats_in_order(proxy)[0] == "seat-06"  # still locked: locked before offline
    assert seats_in_order(proxy)[1:] == ["seat-01", "seat-02", "seat-03", "seat-04", "seat-05"]
    assert model.rows == [r.to_json(clock[0]) for r in view.rows(clock[0])]


@pytest.mark.gui
def test_new_seats_are_inserted_rows_and_the_filters_follow_changes(table):
    model, proxy = table
    clock = [NOW]
    view = RoomView(wall=lambda: clock[0])
    inserted: list[int] = []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append(last - first + 1))
    view.update_status(status("seat-02"))
    model.show(shown(view, NOW))
    view.update_status(status("seat-01"))
    view.update_status(status("seat-03"))
    model.show(shown(view, NOW))
    assert inserted == [1, 1, 1]
    assert seats_in_order(proxy) == ["seat-01", "seat-02", "seat-03"]

    proxy.set_category("Submitted")
    assert seats_in_order(proxy) == []
    view.update_status(status("seat-02", state="submitted", sent_at=NOW + 1))
    model.show(shown(view, NOW))
    assert seats_in_order(proxy) == ["seat-02"]  # the filter saw the change of state
    proxy.set_category("All seats")
    proxy.set_text("candidate seat-03")
    assert seats_in_order(proxy) == ["seat-03"]
