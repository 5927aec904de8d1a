"""A room's files: `room.json` for the seats, the console's private material, the broker's files.

`init_room(ROOM/, ...)` makes, once per room:

| file | who reads it | what it holds |
|---|---|---|
| `room.json` | every seat (copied to it) and the console | room id, broker address, the room CA's certificate, the seats' broker account, the console's Ed25519 public key, the exam (optional) |
| `console.key` | the console only | the console's Ed25519 signing key, encrypted with the passphrase (the office key's format, core/sealed/keys.py); the console's broker password is derived from it |
| `broker/` | the broker (embedded or an external Mosquitto) | `mosquitto.conf`, `passwd` (hashes only), `acl`, `ca.crt`, `server.crt`, `server.key` |
| `results/` | the collector | the bundles collected over the room |

The room CA's private key is used once, to sign the broker's certificate (for the broker address
given, localhost and 127.0.0.1), and is not kept: nobody can issue another certificate seats would
trust. A room whose broker moves is made anew (`room init`) and its room.json copied to the seats.

The seats share one broker account (`seat`); the ACL lets a client write only under the topic named
by its own client id (= the seat name), so a seat publishes only under its own topic. What a stolen
`room.json` allows is in docs/trust-model.md. `load_room(path)` reads `room.json` strictly and says in
one sentence what is wrong with a missing or damaged file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

from exam_desktop.core.errors import KnownError
from exam_desktop.core.sealed.keys import (
    DEFAULT_SCRYPT,
    KeyProblem,
    ScryptParams,
    b64,
    encrypt_private_key,
    fingerprint,
    load_office_private_key,
    public_key_bytes,
    public_key_from_bytes,
    unb64,
)

ROOM_FILE = "room.json"
CONSOLE_KEY_FILE = "console.key"
BROKER_DIR = "broker"
RESULTS_DIR = "results"
ROOM_FORMAT = "exam-desktop room"
DEFAULT_PORT = 8883
SEAT_USER = "seat"
CONSOLE_USER = "console"
MAX_ROOM_FILE_BYTES = 256 * 1024
SEAT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
MAX_PACKET_BYTES = 70 * 1024 * 1024  # a bundle (64 MB at most) and its envelope


class RoomProblem(KnownError):
    """A room's files are missing, damaged or do not fit together; the message says which."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> BrokerAddress:
        host, _, port = text.rpartition(":")
        if not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
            raise RoomProblem(f"The broker address {text!r} is not HOST:PORT (for example 10.0.0.5:8883).")
        return cls(host.strip("[]"), int(port))


@dataclass(frozen=True)
class RoomConfig:
    """room.json, read and checked."""

    path: Path
    room_id: str
    name: str
    broker: BrokerAddress
    ca_pem: str
    seat_user: str
    seat_password: str
    console_public_key: Ed25519PublicKey
    exam_id: str | None = None
    package_sha256: str | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def topic_root(self) -> str:
        return f"exam-room/{self.room_id}"

    def tls_context(self) -> ssl.SSLContext:
        """TLS that trusts the room's own CA only (pinned), with the broker's name checked."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=self.ca_pem)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    @property
    def console_fingerprint(self) -> str:
        return fingerprint(self.console_public_key)


@dataclass(frozen=True)
class ConsoleSecrets:
    """What only the console holds: the signing key, and the broker password derived from it."""

    signing_key: Ed25519PrivateKey

    @property
    def broker_user(self) -> str:
        return CONSOLE_USER

    @property
    def broker_password(self) -> str:
        return console_broker_password(self.signing_key)


def console_broker_password(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return hmac.new(raw, b"exam-desktop room console broker password", hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------
# Making a room


def init_room(
    folder: Path,
    passphrase: str,
    *,
    broker: BrokerAddress | None = None,
    exam_package: Path | None = None,
    name: str = "",
    kdf: ScryptParams = DEFAULT_SCRYPT,
) -> RoomConfig:
    """Create a room in `folder` (refused if one is there already); returns its room.json."""
    folder = Path(folder)
    if not passphrase:
        raise RoomProblem("The passphrase is empty. Choose one to protect the room console's key.")
    if (folder / ROOM_FILE).exists() or (folder / CONSOLE_KEY_FILE).exists():
        raise RoomProblem(
            f"{folder} already holds a room. A room's keys are never overwritten: choose another "
            "folder, or move the old room away first."
        )
    broker = broker or BrokerAddress(default_host(), DEFAULT_PORT)
    exam_id = package_sha = None
    if exam_package is not None:
        from exam_desktop.core.sealed.package import read_package_header

        exam_id = read_package_header(exam_package).exam_id
        package_sha = hashlib.sha256(Path(exam_package).read_bytes()).hexdigest()
    room_id = secrets.token_hex(4)
    console_key = Ed25519PrivateKey.generate()
    seat_password = secrets.token_urlsafe(24)
    ca_key, ca_cert = _make_ca(room_id)
    server_key, server_cert = _make_server_cert(ca_key, ca_cert, broker.host)
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    room = {
        "format": ROOM_FORMAT,
        "version": 1,
        "room_id": room_id,
        "name": name or f"room {room_id}",
        "broker": {"host": broker.host, "port": broker.port},
        "ca_certificate": ca_pem,
        "seat_credentials": {"user": SEAT_USER, "password": seat_password},
        "console_public_key": b64(public_key_bytes(console_key.public_key())),
        "exam": {"exam_id": exam_id, "package_sha256": package_sha} if exam_id else None,
    }
    try:
        (folder / BROKER_DIR).mkdir(parents=True, exist_ok=True)
        (folder / RESULTS_DIR).mkdir(exist_ok=True)
        _write_private(folder / CONSOLE_KEY_FILE, encrypt_private_key(console_key, passphrase, kdf))
        broker_dir = folder / BROKER_DIR
        (broker_dir / "ca.crt").write_text(ca_pem, encoding="ascii")
        (broker_dir / "server.crt").write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
        _write_private(
            broker_dir / "server.key",
            server_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        _write_private(
            broker_dir / "passwd",
            (
                f"{SEAT_USER}:{mosquitto_password_hash(seat_password)}\n"
                f"{CONSOLE_USER}:{mosquitto_password_hash(console_broker_password(console_key))}\n"
            ).encode("ascii"),
        )
        (folder / ROOM_FILE).write_text(json.dumps(room, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise RoomProblem(f"Could not write the room to {folder}: {exc.strerror}.") from exc
    config = load_room(folder / ROOM_FILE)
    write_broker_config(config)
    return config


def default_host() -> str:
    """This machine's name, which seats on the LAN can usually resolve."""
    return socket.gethostname() or "localhost"


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o600)


def _make_ca(room_id: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"exam-desktop room {room_id} CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_server_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, host: str
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2 * 365))
        .add_extension(x509.SubjectAlternativeName(list(dict.fromkeys(names))), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def mosquitto_password_hash(password: str, *, iterations: int = 101) -> str:
    """A password file entry Mosquitto 2 reads: `$7$` = PBKDF2-HMAC-SHA512 (as `mosquitto_passwd`)."""
    salt = os.urandom(12)
    derived = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, dklen=64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(derived).decode()}"


def acl_text(room: RoomConfig) -> str:
    """The broker ACL: the console reads the room and writes commands; a seat (client id = seat
    name) writes only its own status, presence, acknowledgements and bundle, reads only its commands."""
    root = room.topic_root
    return (
        "# exam-desktop room ACL (made by `exam-desktop room init`)\n"
        f"user {CONSOLE_USER}\n"
        f"topic read {root}/#\n"
        f"topic write {root}/seat/+/cmd/#\n"
        "\n"
        "# seats: one account, each client only under the topic of its own client id\n"
        f"pattern write {root}/seat/%c/status\n"
        f"pattern write {root}/seat/%c/presence\n"
        f"pattern write {root}/seat/%c/ack\n"
        f"pattern write {root}/seat/%c/bundle\n"
        f"pattern read {root}/seat/%c/cmd/#\n"
    )


def mosquitto_config_text(
    room: RoomConfig, *, data_dir: Path | None = None, bind: str | None = None, run_as_root: bool = False
) -> str:
    """A working mosquitto.conf for this room: TLS listener, password file, ACL file, persistence."""
    broker_dir = room.folder.resolve() / BROKER_DIR
    data_dir = Path(data_dir or broker_dir / "data").resolve()
    host = room.broker.host
    if bind is None:
        bind = "127.0.0.1" if host in ("localhost", "127.0.0.1") else ""
    lines = [
        "# exam-desktop room broker (made by `exam-desktop room init`; see docs/room.md)",
        *(
            ["# run as root: the key files below are readable by their owner only", "user root"]
            if run_as_root
            else []
        ),
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {broker_dir / 'passwd'}",
        f"acl_file {broker_dir / 'acl'}",
        f"listener {room.broker.port}{' ' + bind if bind else ''}",
        f"cafile {broker_dir / 'ca.crt'}",
        f"certfile {broker_dir / 'server.crt'}",
        f"keyfile {broker_dir / 'server.key'}",
        "tls_version tlsv1.2",
        "require_certificate false",
        "persistence true",
        f"persistence_location {data_dir}/",
        "# retained statuses, commands and bundles survive a broker restart",
        "autosave_interval 2",
        f"max_packet_size {MAX_PACKET_BYTES}",
        "max_queued_messages 1000",
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages true",
    ]
    return "\n".join(lines) + "\n"


def write_broker_config(room: RoomConfig, *, data_dir: Path | None = None, bind: str | None = None) -> Path:
    """(Re)write broker/acl and broker/mosquitto.conf with this folder's absolute paths."""
    broker_dir = room.folder / BROKER_DIR
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    try:
        (broker_dir / "acl").write_text(acl_text(room), encoding="utf-8")
        Path(data_dir or broker_dir / "data").mkdir(parents=True, exist_ok=True)
        conf = broker_dir / "mosquitto.conf"
        conf.write_text(
            mosquitto_config_text(room, data_dir=data_dir, bind=bind, run_as_root=root), encoding="utf-8"
        )
    except OSError as exc:
        raise RoomProblem(f"Could not write the broker files to {broker_dir}: {exc.strerror}.") from exc
    return conf


# --------------------------------------------------------------------------------------------
# Reading a room


def load_room(path: Path) -> RoomConfig:
    """Read room.json (or a folder holding it); RoomProblem with one sentence if it is not right."""
    path = Path(path)
    if path.is_dir():
        path = path / ROOM_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RoomProblem(f"There is no room file {path} (make one with `exam-desktop room init`).") from None
    except OSError as exc:
        raise RoomProblem(f"Cannot read the room file {path}: {exc.strerror}.") from None
    if len(data) > MAX_ROOM_FILE_BYTES:
        raise RoomProblem(f"{path} is too large to be a room file.")
    try:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or raw.get("format") != ROOM_FORMAT:
            raise ValueError("it is not an exam-desktop room file")
        if raw.get("version") != 1:
            raise ValueError(f"its version {raw.get('version')!r} is not one this app reads")
        broker = raw["broker"]
        host, port = broker["host"], broker["port"]
        if not isinstance(host, str) or not host or type(port) is not int or not 0 < port < 65536:
            raise ValueError("the broker address is not valid")
        ca_pem = raw["ca_certificate"]
        if not isinstance(ca_pem, str):
            raise ValueError("the CA certificate is missing")
        x509.load_pem_x509_certificate(ca_pem.encode("ascii"))
        credentials = raw["seat_credentials"]
        user, password = credentials["user"], credentials["password"]
        if not isinstance(user, str) or not isinstance(password, str):
            raise ValueError("the seat credentials are not valid")
        console_key = public_key_from_bytes(unb64(raw["console_public_key"], 32))
        room_id = raw["room_id"]
        if not isinstance(room_id, str) or not re.fullmatch(r"[0-9a-f]{8}", room_id):
            raise ValueError("the room id is not valid")
        exam = raw.get("exam") or {}
        exam_id, package_sha = exam.get("exam_id"), exam.get("package_sha256")
        name = raw.get("name") or f"room {room_id}"
    except json.JSONDecodeError as exc:
        raise RoomProblem(
            f"The room file {path} is damaged: it is not JSON (line {exc.lineno}, column {exc.colno})."
        ) from None
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise RoomProblem(f"The room file {path} is damaged: {_why(exc)}.") from None
    return RoomConfig(
        path=path,
        room_id=room_id,
        name=str(name),
        broker=BrokerAddress(host, port),
        ca_pem=ca_pem,
        seat_user=user,
        seat_password=password,
        console_public_key=console_key,
        exam_id=exam_id if isinstance(exam_id, str) else None,
        package_sha256=package_sha if isinstance(package_sha, str) else None,
    )


def load_console_secrets(room: RoomConfig, passphrase: str) -> ConsoleSecrets:
    """Open ROOM/console.key; its public key must be the one room.json announces."""
    path = room.folder / CONSOLE_KEY_FILE
    if not path.is_file():
        raise RoomProblem(
            f"{path} is missing: the room console runs on the machine where `room init` made the room."
        )
    try:
        key = load_office_private_key(path, passphrase)
    except KeyProblem:
        raise RoomProblem(f"{path} is not a room console key (made by `exam-desktop room init`).") from None
    if public_key_bytes(key.public_key()) != public_key_bytes(room.console_public_key):
        raise RoomProblem(f"{path} does not belong to the room in {room.path} (another room's key).")
    return ConsoleSecrets(key)


def check_seat_name(name: str) -> str:
    if not SEAT_NAME.fullmatch(name):
        raise RoomProblem(
            f"The seat name {name!r} is not usable: letters, digits, '.', '_' and '-', up to 40 characters."
        )
    return name


def default_seat_name() -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", socket.gethostname().split(".")[0]).strip("-.")[:40]
    return name or "seat"


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing"
    return str(exc) or type(exc).__name__


def describe(value: Any) -> str:  # for log lines about untrusted values
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."
