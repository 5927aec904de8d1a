"""`room init` makes a room whose files fit together; a wrong room.json is one clear sentence."""

from __future__ import annotations

import json

import pytest
from roomtools import PASSPHRASE, built, make_room, room  # noqa: F401 (fixtures)

from exam_desktop.core.sealed.keys import WrongPassphrase
from exam_desktop.room.config import BrokerAddress, RoomProblem, load_console_secrets, load_room


def test_a_room_holds_what_seats_and_console_need(room, built):
    data = json.loads(room.path.read_text())
    assert set(data) >= {"broker", "ca_certificate", "seat_credentials", "console_public_key"}
    assert room.exam_id == built.exam_id
    assert "PRIVATE" not in room.path.read_text(), "no private key travels to the seats"
    for name in ("mosquitto.conf", "passwd", "acl", "ca.crt", "server.crt", "server.key"):
        assert (room.folder / "broker" / name).is_file(), name
    passwd = (room.folder / "broker" / "passwd").read_text()
    assert room.seat_password not in passwd and passwd.count("$7$101$") == 2, "hashes only"
    acl = (room.folder / "broker" / "acl").read_text()
    assert f"pattern write {room.topic_root}/seat/%c/status" in acl


def test_the_console_key_needs_the_passphrase(room):
    assert load_console_secrets(room, PASSPHRASE).broker_password
    with pytest.raises(WrongPassphrase):
        load_console_secrets(room, "not it")


def test_a_room_is_never_overwritten(room, built):
    with pytest.raises(RoomProblem, match="already holds a room"):
        make_room(room.folder, built.package)


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (None, "There is no room file"),
        (b"{not json", "is damaged: it is not JSON \\(line 1, column 2\\)"),
        (b'{"format": "something else", "version": 1}', "not an exam-desktop room file"),
        (b"x" * 300_000, "too large"),
    ],
)
def test_a_wrong_room_file_is_one_sentence(tmp_path, content, sentence):
    path = tmp_path / "room.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RoomProblem, match=sentence) as refused:
        load_room(path)
    assert "\n" not in str(refused.value)


def test_a_room_file_with_a_field_missing_says_which(room, tmp_path):
    data = json.loads(room.path.read_text())
    del data["ca_certificate"]
    path = tmp_path / "room.json"
    path.write_text(json.dumps(data))
    with pytest.raises(RoomProblem, match="'ca_certificate' is missing"):
        load_room(path)


def test_room_status_without_a_broker_is_one_sentence(room, tmp_path, capsys):
    from exam_desktop.cli import main

    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    code = main(["room", "status", str(room.folder), "--passphrase-file", str(passphrase)])
    err = capsys.readouterr().err
    assert code == 1 and "cannot be reached (connection refused)" in err and "room serve" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("text", ["nonsense", "host:", ":8883", "host:99999", "host:0", "host:port"])
def test_a_broker_address_needs_host_and_port(text):
    with pytest.raises(RoomProblem, match="is not HOST:PORT"):
        BrokerAddress.parse(text)


def test_room_init_checks_the_package_before_asking_the_passphrase(tmp_path, capsys, monkeypatch):
    from exam_desktop.cli import main

    monkeypatch.delenv("EXAM_DESKTOP_PASSPHRASE", raising=False)
    not_a_package = tmp_path / "passwd"
    not_a_package.write_text("root:x:0:0:root:/root:/bin/bash\n")
    code = main(["room", "init", "-o", str(tmp_path / "R"), "--exam", str(not_a_package)])
    err = capsys.readouterr().err
    assert code == 1 and str(not_a_package) in err and "passphrase" not in err
    assert not (tmp_path / "R").exists()
