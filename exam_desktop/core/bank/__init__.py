"""Markdown question banks: `load_bank`/`parse_bank` read them, `write_bank` writes them."""

from exam_desktop.core.bank.parser import load_bank, missing_images, parse_bank
from exam_desktop.core.bank.writer import write_bank

__all__ = ["find_banks", "load_bank", "missing_images", "parse_bank", "summarize", "write_bank"]

from collections import Counter
from pathlib import Path

from exam_desktop.core.model import Exam


def find_banks(paths: list[str | Path]) -> list[Path]:
    """Bank files named by `paths`: files as given, folders searched for `*.md` (README.md aside)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.md") if p.name.lower() != "readme.md" and p.is_file())
        else:
            found.append(path)
    return found


def summarize(exam: Exam) -> str:
    """One line: questions per kind, total points, duration."""
    kinds = Counter(q.kind for q in exam.questions)
    by_kind = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    hours, minutes = divmod(exam.duration_minutes, 60)
    duration = f"{hours}h{minutes:02d}" if hours else f"{minutes} min"
    points = exam.total_points
    points_text = f"{points:g} point" + ("" if points == 1 else "s")
    n = len(exam.questions)
    return (
        f"{exam.title} — {n} question{'s' if n != 1 else ''} ({by_kind}), {points_text}, "
        f"{duration}, {len(exam.sections)} page{'s' if len(exam.sections) != 1 else ''}"
    )
