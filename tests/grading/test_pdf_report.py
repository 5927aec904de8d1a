"""PDF feedback: one A4 PDF per candidate with page numbers, and the class summary (QtWebEngine)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from grading_sample import write_key

from exam_desktop.cli import main
from exam_desktop.core.sealed.package import load_key_file
from exam_desktop.grading.simulate import write_simulated_session

pytestmark = pytest.mark.gui
OUT = Path(__file__).resolve().parents[2] / "out"


@pytest.fixture
def poppler():
    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        pytest.skip(
            "poppler-utils (pdftotext, pdftoppm) is not installed: scripts/system-deps.sh installs it"
        )


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_report_pdf_writes_a4_feedback_with_page_numbers_and_a_class_summary(tmp_path, capsys, poppler, qapp):
    key_path = write_key(tmp_path)
    write_simulated_session(load_key_file(key_path), tmp_path / "usb", 4, seed=5)
    db = tmp_path / "g.db"
    assert main(["grade", "import", "--key", str(key_path), str(tmp_path / "usb"), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["grade", "report", "--pdf", str(tmp_path / "pdf"), "--db", str(db)]) == 0
    assert "4 candidate PDF files and class-summary.pdf (A4)" in capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "pdf").iterdir())
    assert files == [f"candidate-00{n}.pdf" for n in range(1, 5)] + ["class-summary.pdf"]

    first = tmp_path / "pdf" / "candidate-001.pdf"
    info = subprocess.run(["pdfinfo", str(first)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert "(A4)" in info and pages >= 2
    text = pdf_text(first)
    assert "Deep Learning — grading sample" in text and "Score per domain" in text
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "\\(" not in text  # math typeset before printing, not left as TeX
    # The other candidates' pages are swapped into the loaded one: each PDF is its own candidate's.
    third = pdf_text(tmp_path / "pdf" / "candidate-003.pdf")
    assert "Student 003" in third and "Student 001" not in third and "Page 1 of" in third
    summary = pdf_text(tmp_path / "pdf" / "class-summary.pdf")
    assert "exam report" in summary and "facility" in summary and "Page 1 of" in summary
    assert "options" in summary and "chosen" in summary  # the last column fits the page, not clipped

    OUT.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", str(first), str(OUT / "feedback-pdf")],
        check=True,
    )
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "70",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "pdf" / "class-summary.pdf"),
            str(OUT / "class-summary-pdf"),
        ],
        check=True,
    )
