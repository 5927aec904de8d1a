"""Keys and the small cryptographic vocabulary shared by packages and bundles.

- The **exam office key**: an Ed25519 pair. The private key lives in a PEM-armoured file encrypted
  with a passphrase (scrypt + ChaCha20-Poly1305); the public key and its short fingerprint go to
  lab machines and graders.
- **Session keys**: a fresh Ed25519 pair per launch of an exam, used to sign its result bundle.
- **Codes** people type or copy: start codes, receipt codes and fingerprints, all in groups of four
  from an alphabet without the look-alikes 0/O, 1/I/L.
- **scrypt** parameters travel with whatever they protect, so they can be raised later.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from exam_desktop.core.canonical import canonical_json, strict_json
from exam_desktop.core.errors import KnownError
from exam_desktop.core.sealed.archive import read_regular_file
from exam_desktop.core.sealed.atomic import write_atomically

__all__ = ["canonical_json", "strict_json"]  # part of the sealed files' vocabulary too

# Typeable codes: no 0/O, 1/I/L. 31 symbols, so 16 of them carry 79 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
START_CODE_LENGTH = 16

OFFICE_PRIVATE_KEY_NAME = "office-private.pem"
OFFICE_PUBLIC_KEY_NAME = "office-public.pem"
MIN_PASSPHRASE_LENGTH = 10  # characters; a passphrase of a few words, not a PIN
_PRIVATE_ARMOUR = "EXAM-DESKTOP ENCRYPTED OFFICE KEY"


class KeyProblem(KnownError):
    """A key file is missing, unreadable or not a key of the expected kind."""


class WrongPassphrase(KnownError):
    """The passphrase does not open the office private key."""


# --------------------------------------------------------------------------------------------
# Encoding helpers


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, length: int | None = None) -> bytes:
    """Decode base64 from untrusted data; ValueError if it is not (or not `length` bytes)."""
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    data = base64.b64decode(text.encode("ascii"), validate=True)
    if length is not None and len(data) != length:
        raise ValueError(f"expected {length} bytes, got {len(data)}")
    return data


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Codes


def group(code: str, size: int = 4) -> str:
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def new_start_code() -> str:
    """A random start code, e.g. ``K7QM-2XHC-9RTA-PW4E`` (16 symbols, about 79 bits)."""
    return group("".join(secrets.choice(CODE_ALPHABET) for _ in range(START_CODE_LENGTH)))


def normalize_code(typed: str) -> str:
    """What a person typed, without spaces or dashes, upper case (``k7qm 2xhc`` -> ``K7QM2XHC``)."""
    return "".join(ch for ch in typed.upper() if ch not in " -\t\n")


def digest_code(digest: bytes, length: int) -> str:
    """`length` symbols of the code alphabet drawn from a digest (receipts, fingerprints)."""
    number = int.from_bytes(digest, "big")
    symbols = []
    for _ in range(length):
        number, index = divmod(number, len(CODE_ALPHABET))
        symbols.append(CODE_ALPHABET[index])
    return group("".join(symbols))


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_bytes(data: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(data)


def fingerprint(key: Ed25519PublicKey) -> str:
    """A short, readable fingerprint of a public key: 16 symbols of its SHA-256, in groups of 4."""
    return digest_code(hashlib.sha256(public_key_bytes(key)).digest(), 16)


def verify_signature(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def new_session_key() -> Ed25519PrivateKey:
    """A fresh signing key for one launch of an exam (never stored beyond that session)."""
    return Ed25519PrivateKey.generate()


# --------------------------------------------------------------------------------------------
# scrypt


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost parameters; memory used is 128 * n * r bytes."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    # Upper bounds accepted from files, so a hostile header cannot ask for absurd work.
    MAX_N = 2**20
    MAX_MEMORY = 512 * 1024 * 1024

    def derive(self, secret: bytes, salt: bytes, length: int = 32) -> bytes:
        return hashlib.scrypt(
            secret,
            salt=salt,
            n=self.n,
            r=self.r,
            p=self.p,
            maxmem=128 * self.n * self.r * self.p + 16 * 1024 * 1024,
            dklen=length,
        )

    def to_dict(self) -> dict[str, Any]:
        return {"name": "scrypt", **asdict(self)}

    @classmethod
    def from_dict(cls, data: Any) -> ScryptParams:
        """From untrusted data; ValueError if not sane scrypt parameters."""
        if not isinstance(data, dict) or data.get("name") != "scrypt":
            raise ValueError("unknown key derivation")
        n, r, p = data.get("n"), data.get("r"), data.get("p")
        if not all(type(v) is int for v in (n, r, p)):
            raise ValueError("scrypt parameters must be integers")
        assert isinstance(n, int) and isinstance(r, int) and isinstance(p, int)
        if not (2 <= n <= cls.MAX_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 4):
            raise ValueError("scrypt parameters out of range")
        if 128 * n * r > cls.MAX_MEMORY:
            raise ValueError("scrypt parameters ask for too much memory")
        return cls(n, r, p)


DEFAULT_SCRYPT = ScryptParams()


def hash_secret(secret: str, params: ScryptParams = DEFAULT_SCRYPT) -> dict[str, Any]:
    """A salted scrypt hash of a short secret (an invigilator PIN), ready to store in JSON."""
    salt = os.urandom(16)
    return {
        "kdf": params.to_dict(),
        "salt": b64(salt),
        "hash": b64(params.derive(secret.encode("utf-8"), salt)),
    }


def check_secret(secret: str, stored: dict[str, Any]) -> bool:
    """Whether `secret` matches a `hash_secret` record."""
    params = ScryptParams.from_dict(stored["kdf"])
    derived = params.derive(secret.encode("utf-8"), unb64(stored["salt"]))
    return secrets.compare_digest(derived, unb64(stored["hash"]))


# --------------------------------------------------------------------------------------------
# The exam office key pair


@dataclass(frozen=True)
class OfficeKeyFiles:
    private_path: Path
    public_path: Path
    fingerprint: str


def create_office_keys(
    directory: Path, passphrase: str, *, params: ScryptParams = DEFAULT_SCRYPT
) -> OfficeKeyFiles:
    """Create the exam office key pair in `directory`; refuses to overwrite an existing pair."""
    if not passphrase:
        raise KeyProblem("The passphrase is empty. Choose a passphrase to protect the office key.")
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise KeyProblem(
            f"The passphrase has {len(passphrase)} characters; the office key needs at least "
            f"{MIN_PASSPHRASE_LENGTH} (a few words are easy to remember)."
        )
    directory = Path(directory)
    private_path = directory / OFFICE_PRIVATE_KEY_NAME
    public_path = directory / OFFICE_PUBLIC_KEY_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise KeyProblem(
                f"{path} already exists. Keys are never overwritten: choose another folder with "
                "--dir, or move the old keys away first."
            )
    key = Ed25519PrivateKey.generate()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_private_file(private_path, encrypt_private_key(key, passphrase, params))
        public_path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    except OSError as exc:
        raise KeyProblem(f"Could not write the keys to {directory}: {exc.strerror}.") from exc
    return OfficeKeyFiles(private_path, public_path, fingerprint(key.public_key()))


def encrypt_private_key(key: Ed25519PrivateKey, passphrase: str, params: ScryptParams) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    aead = ChaCha20Poly1305(params.derive(passphrase.encode("utf-8"), salt))
    body = canonical_json(
        {
            "kdf": params.to_dict(),
            "salt": b64(salt),
            "nonce": b64(nonce),
            "ciphertext": b64(aead.encrypt(nonce, raw, _PRIVATE_ARMOUR.encode())),
        }
    )
    text = b64(body)
    lines = [f"-----BEGIN {_PRIVATE_ARMOUR}-----"]
    lines += [text[i : i + 64] for i in range(0, len(text), 64)]
    lines += [f"-----END {_PRIVATE_ARMOUR}-----", ""]
    return "\n".join(lines).encode("ascii")


def load_office_private_key(path: Path, passphrase: str) -> Ed25519PrivateKey:
    """Open the office private key; `WrongPassphrase` if the passphrase does not fit."""
    path = Path(path)
    text = _read_text(path, "office private key")
    lines = text.strip().splitlines()
    if len(lines) < 3 or lines[0] != f"-----BEGIN {_PRIVATE_ARMOUR}-----":
        raise KeyProblem(
            f"{path} is not an exam office private key (expected a file made by "
            f"`exam-desktop keys init`, named {OFFICE_PRIVATE_KEY_NAME})."
        )
    try:
        body = strict_json(unb64("".join(lines[1:-1])))
        params = ScryptParams.from_dict(body["kdf"])
        salt, nonce = unb64(body["salt"]), unb64(body["nonce"], 12)
        ciphertext = unb64(body["ciphertext"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyProblem(f"{path} is damaged ({exc}); restore it from your backup.") from exc
    try:
        raw = ChaCha20Poly1305(params.derive(passphrase.encode("utf-8"), salt)).decrypt(
            nonce, ciphertext, _PRIVATE_ARMOUR.encode()
        )
    except InvalidTag:
        raise WrongPassphrase(f"The passphrase does not open {path}. Check it and try again.") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Load an office public key (PEM, as written by `keys init`)."""
    path = Path(path)
    text = _read_text(path, "office public key")
    try:
        key = serialization.load_pem_public_key(text.encode("ascii", "replace"))
    except ValueError:
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem(f"{path} is not an exam office public key ({OFFICE_PUBLIC_KEY_NAME}).")
    return key


def install_office_key(public_key_path: Path, data_dir: Path) -> str:
    """Trust this office public key on this machine (lab or grader); returns its fingerprint."""
    key = load_public_key(public_key_path)
    target = Path(data_dir) / OFFICE_PUBLIC_KEY_NAME
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(
            target.parent,
            target.name,
            key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        )
    except OSError as exc:
        raise KeyProblem(f"Could not install the key in {target.parent}: {exc.strerror}.") from exc
    return fingerprint(key)


def installed_office_key(data_dir: Path) -> Ed25519PublicKey | None:
    """The office public key this machine trusts (see `install_office_key`), or None."""
    path = Path(data_dir) / OFFICE_PUBLIC_KEY_NAME
    return load_public_key(path) if path.exists() else None


def trusted_office_key(data_dir: Path, named: Path | None = None) -> Ed25519PublicKey:
    """The office key a grader checks key files against: `named` (--office-key), else the one
    installed on this machine; `KeyProblem` when there is neither."""
    if named is not None:
        return load_public_key(named)
    key = installed_office_key(data_dir)
    if key is None:
        raise KeyProblem(
            "No exam office key is installed on this machine, so nothing proves who signed the "
            "key file. Install the office public key with `exam-desktop keys install "
            f"{OFFICE_PUBLIC_KEY_NAME}` (check its fingerprint with the exam office), or name it "
            "with --office-key."
        )
    return key


def write_private_file(path: Path, data: bytes) -> Path:
    """Write `path` readable by its owner only (0600), whole or not at all (temporary file, fsync,
    rename): office private keys and grader key files, which hold the answers."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def private_file_warning(path: Path) -> str | None:
    """A sentence if others than the owner may read `path` and it is a grader key file or an
    office private key, else None (a public key, or a file that is not a key at all, which reading
    it will refuse)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return None  # reading it will say what is wrong
    if mode & 0o077 == 0:
        return None
    try:
        data = read_regular_file(Path(path), 256 * 1024 * 1024, ValueError)
    except ValueError:
        return None
    if f"-----BEGIN {_PRIVATE_ARMOUR}-----".encode() not in data[:256] and (
        b'"exam-desktop grader key"' not in data
    ):
        return None
    return (
        f"{path} can be read by other users of this machine (mode {mode & 0o777:o}); "
        f"restrict it with: chmod 600 {path}"
    )


def _read_text(path: Path, what: str) -> str:
    try:
        data = read_regular_file(path, 64 * 1024, ValueError)  # no FIFO, no /dev/zero
    except ValueError as exc:
        if str(exc) == "no such file":
            raise KeyProblem(f"The {what} {path} does not exist.") from None
        if str(exc).startswith("larger than"):
            raise KeyProblem(f"{path} is too large to be a {what}.") from None
        raise KeyProblem(f"Could not read the {what} {path}: {exc}.") from None
    return data.decode("utf-8", "replace")
