"""Damaged files never crash the import: either a bank that passes the bank check, or a clear error.

Each case takes a valid file (GIFT and text2qti fixtures, our Moodle XML and QTI samples), damages it
a little (characters inserted, deleted, cut out, chosen among the formats' control characters), and
imports it. Seeded, so a failure can be replayed.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import shared_path

from exam_desktop.core.bank import parse_bank, write_bank
from exam_desktop.core.errors import KnownError
from exam_desktop.interchange import import_data

DATA = Path(__file__).resolve().parent.parent / "data" / "interchange"
DAMAGE = list("{}=~#:\\%->[]\n $()<>/&;\"'_*`0123456789.abcT")


def damaged(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(out) + 1)
        roll = rng.random()
        if roll < 0.4:
            out[at:at] = rng.choice(DAMAGE).encode()
        elif roll < 0.8 and out:
            del out[min(at, len(out) - 1)]
        else:
            del out[at : at + rng.randint(0, 20)]
    return bytes(out)


@pytest.mark.parametrize("seed", range(4))
def test_damaged_files_import_cleanly_or_are_refused_clearly(seed: int) -> None:
    fixtures = shared_path("fixtures")
    sources = sorted(
        [
            *fixtures.glob("gift-parser-ide/pass/*.gift"),
            *fixtures.glob("text2qti/*.txt"),
            DATA / "moodle-sample.xml",
            *DATA.glob("qti/*.xml"),
        ]
    )
    rng = random.Random(seed)
    for _ in range(100):
        source = rng.choice(sources)
        data = damaged(source.read_bytes(), rng)
        try:
            result = import_data(data, source.name)
        except KnownError as exc:
            assert str(exc).strip()
            continue
        parse_bank(write_bank(result.exam), "damaged.md")  # raises if the bank would not load
