"""A seat serves the package's figures (drawn at build) and its images from memory: the candidate's
process never loads matplotlib and writes nothing but the answer file."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sessiontools import CHEAP

from exam_desktop.core.bank import load_bank
from exam_desktop.core.sealed.package import build_package

pytestmark = pytest.mark.gui

BANK = """---
id: figures-and-images
title: Figures and images
language: en
duration: 10m
---
# Pictures

## A grid and a photo {#pictures single points=1}
Which value is highlighted? ![the board](pictures/board.png)

```figure grid
2 1
8 4
highlight: 1 0 1 1 | orange
```

- [x] 8
- [ ] 4
"""


def png(width: int, height: int) -> bytes:
    """A small grey PNG, written by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_the_seat_draws_nothing_and_writes_only_its_answer_file(tmp_path):
    bank = tmp_path / "bank" / "pictures.md"
    (bank.parent / "pictures").mkdir(parents=True)
    bank.write_text(BANK)
    (bank.parent / "pictures" / "board.png").write_bytes(png(40, 30))
    key = Ed25519PrivateKey.generate()
    built = build_package(load_bank(bank), key, kdf=CHEAP)  # figures drawn here, at build
    package = tmp_path / "pictures.exam"
    package.write_bytes(built.package_bytes)
    public = tmp_path / "office-public.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    data = tmp_path / "seat"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        MPLCONFIGDIR=str(tmp_path / "mpl"),
    )
    child = Path(__file__).with_name("seat_child.py")
    run = subprocess.run(
        [sys.executable, str(child), str(package), built.start_code, str(public), str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["matplotlib"] == []
    images = dict(report["images"])
    figures = [src for src in images if src.startswith("exam://app/figure/")]
    photos = [src for src in images if src.startswith("exam://app/image/")]
    assert figures and all(images[src] > 0 for src in figures), images  # the drawn grid is shown
    assert photos and all(images[src] == 40 for src in photos), images  # so is the bank's image
    assert all(
        name.split("/")[-1].endswith((".sqlite", ".sqlite-wal", ".sqlite-shm")) for name in report["files"]
    ), report["files"]
    # The app's cache holds no drawn figure (the OpenGL driver may keep its own shader cache there).
    assert [name for name in report["cache"] if name.startswith("exam-desktop")] == []
    assert not (tmp_path / "mpl").exists()
