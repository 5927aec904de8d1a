"""Identification typed by candidates reaches grade CSVs as text, never as a spreadsheet formula."""

from __future__ import annotations

import csv
import random

from grading_sample import PERFECT, answers, write_key

from exam_desktop.cli import main
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.simulate import simulated_bundle

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example","x")',
    "+SUM(1,1)",
    "-2+3",
    "@SUM(A1)",
    "\tTab",
    "\rReturn",
]


def test_formula_like_names_are_neutralised_in_both_exports(tmp_path, capsys):
    key_path = write_key(tmp_path)
    key = load_key_file(key_path)
    folder = tmp_path / "usb"
    folder.mkdir()
    for n, name in enumerate(HOSTILE_NAMES):
        candidate = {"name": name, "email": f"=cand{n}@uni.it" if n == 0 else f"c{n}@uni.it"}
        (folder / f"{n}.bundle").write_bytes(
            simulated_bundle(key, candidate, answers(**PERFECT), random.Random(n))
        )
    db = tmp_path / "g.db"
    assert main(["grade", "import", "--key", str(key_path), str(folder), "--db", str(db)]) == 0
    assert (
        main(
            [
                "grade",
                "export",
                "--db",
                str(db),
                "--csv",
                str(tmp_path / "r.csv"),
                "--moodle",
                str(tmp_path / "m.csv"),
            ]
        )
        == 0
    )

    with (tmp_path / "r.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = sorted(row["name"] for row in rows)
    assert names == sorted("'" + n for n in HOSTILE_NAMES)
    assert all(not row["name"].startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows)
    assert {row["total"] for row in rows} == {rows[0]["total"]} and float(
        rows[0]["total"]
    ) > 0  # numbers stay numbers

    with (tmp_path / "m.csv").open(newline="", encoding="utf-8") as f:
        moodle = list(csv.reader(f))
    assert ["'=cand0@uni.it", moodle[1][1]] in moodle[1:]
    assert not list(tmp_path.glob(".*.tmp"))  # written whole, through a temporary file
