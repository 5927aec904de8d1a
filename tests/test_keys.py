"""The exam office key pair, codes people type, and salted PIN hashes."""

from __future__ import annotations

import re

import pytest

from exam_desktop.core.sealed.keys import (
    CODE_ALPHABET,
    KeyProblem,
    ScryptParams,
    WrongPassphrase,
    check_secret,
    create_office_keys,
    fingerprint,
    hash_secret,
    load_office_private_key,
    load_public_key,
    new_session_key,
    new_start_code,
    normalize_code,
)

CHEAP = ScryptParams(n=2**10, r=8, p=1)
GROUPED = re.compile(rf"^[{CODE_ALPHABET}]{{4}}(-[{CODE_ALPHABET}]{{4}})*$")


def test_office_keys_open_with_their_passphrase_and_sign(tmp_path):
    files = create_office_keys(tmp_path, "correct horse", params=CHEAP)
    private = load_office_private_key(files.private_path, "correct horse")
    public = load_public_key(files.public_path)
    public.verify(private.sign(b"exam"), b"exam")  # raises if the pair does not match
    assert fingerprint(public) == files.fingerprint
    assert GROUPED.match(files.fingerprint) and len(files.fingerprint) == 19


def test_private_key_file_is_encrypted(tmp_path):
    files = create_office_keys(tmp_path, "correct horse", params=CHEAP)
    private = load_office_private_key(files.private_path, "correct horse")
    from cryptography.hazmat.primitives import serialization

    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    stored = files.private_path.read_bytes()
    assert raw not in stored and raw.hex().encode() not in stored
    assert files.private_path.stat().st_mode & 0o077 == 0


def test_wrong_passphrase_is_a_clear_error(tmp_path):
    files = create_office_keys(tmp_path, "correct horse", params=CHEAP)
    with pytest.raises(WrongPassphrase, match="passphrase does not open"):
        load_office_private_key(files.private_path, "wrong horse")


def test_existing_keys_are_never_overwritten(tmp_path):
    first = create_office_keys(tmp_path, "one two three", params=CHEAP)
    with pytest.raises(KeyProblem, match="already exists"):
        create_office_keys(tmp_path, "two three four", params=CHEAP)
    assert load_office_private_key(first.private_path, "one two three")


def test_empty_passphrase_is_refused(tmp_path):
    with pytest.raises(KeyProblem, match="empty"):
        create_office_keys(tmp_path, "", params=CHEAP)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "does not exist"), (b"hello", "not an exam office private key")],
)
def test_missing_or_foreign_private_key(tmp_path, content, message):
    path = tmp_path / "office-private.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KeyProblem, match=message):
        load_office_private_key(path, "x")


def test_damaged_private_key_says_so(tmp_path):
    files = create_office_keys(tmp_path, "pw is long enough", params=CHEAP)
    lines = files.private_path.read_text().splitlines()
    lines[1] = lines[1][:10] + "!!" + lines[1][12:]
    files.private_path.write_text("\n".join(lines))
    with pytest.raises(KeyProblem, match="damaged"):
        load_office_private_key(files.private_path, "pw")


def test_public_key_file_of_another_kind_is_refused(tmp_path):
    path = tmp_path / "office-public.pem"
    path.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(KeyProblem, match="not an exam office public key"):
        load_public_key(path)


def test_fingerprints_differ_between_keys():
    a, b = new_session_key().public_key(), new_session_key().public_key()
    assert fingerprint(a) == fingerprint(a)
    assert fingerprint(a) != fingerprint(b)


def test_start_codes_are_typeable_and_random():
    codes = {new_start_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert GROUPED.match(code) and len(code) == 19
        assert not set(code) & set("0O1IL")
    # every symbol of the alphabet turns up: the codes use all of it
    assert set("".join(codes).replace("-", "")) == set(CODE_ALPHABET)


def test_typed_codes_are_normalised():
    assert normalize_code(" k7qm 2xhc-9rta\tpw4e ") == "K7QM2XHC9RTAPW4E"


def test_pin_hash_is_salted_and_checks():
    first, second = hash_secret("4711", CHEAP), hash_secret("4711", CHEAP)
    assert first["hash"] != second["hash"]  # salted
    assert check_secret("4711", first) and check_secret("4711", second)
    assert not check_secret("4712", first)


def test_hostile_scrypt_parameters_are_refused():
    for bad in (
        {"name": "scrypt", "n": 2**30, "r": 8, "p": 1},
        {"name": "scrypt", "n": 1000, "r": 8, "p": 1},
        {"name": "scrypt", "n": 2**20, "r": 32, "p": 1},
        {"name": "pbkdf2", "n": 2**10, "r": 8, "p": 1},
    ):
        with pytest.raises(ValueError):
            ScryptParams.from_dict(bad)
    assert ScryptParams.from_dict(CHEAP.to_dict()) == CHEAP
