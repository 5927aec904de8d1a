"""Item statistics and the exam report (HTML with embedded plots).

Per question, over all candidates:
  facility index     mean points / maximum points (1 = everyone right, 0 = nobody)
  discrimination     upper–lower 27 % index: mean facility among the 27 % of candidates with the
                     highest totals minus that among the 27 % with the lowest (-1..1; below 0.2 is
                     worth a look). Shown next to it, the corrected point-biserial correlation
                     (the item's points against the total of the other items).
  option counts      how often each option was chosen (choice and true/false questions), and how
                     many said "I don't know yet" or left it blank.

Answers still waiting for a grader (an essay nobody has marked yet) are left out of an item's
facility and discrimination, and counted apart: they are not zeros.

Plots are drawn on `matplotlib.figure.Figure` objects (no pyplot) and embedded as PNG.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam, MultipleChoice, SingleChoice, TrueFalse
from exam_desktop.core.page.answer_view import escaped, picked_ids
from exam_desktop.grading.guessing import ExamChances, QuestionChances, exam_chances
from exam_desktop.grading.results import CandidateResult

UPPER_LOWER_FRACTION = 0.27


@dataclass(frozen=True)
class ItemStats:
    question_id: str
    title: str
    kind: str
    max_points: float
    answered: int
    facility: float | None
    discrimination: float | None
    point_biserial: float | None
    option_counts: dict[str, int] = field(default_factory=dict)  # option label -> times chosen
    dont_know: int = 0
    unanswered: int = 0
    ungraded: int = 0  # answers still waiting for a grader, left out of the figures above


def item_statistics(exam: Exam, results: list[CandidateResult]) -> list[ItemStats]:
    totals = [r.total for r in results]
    n = len(results)
    k = max(1, round(UPPER_LOWER_FRACTION * n)) if n >= 2 else 0
    # Ranked by share of their points: with a drawn subset, candidates' maxima can differ.
    ranked = sorted(range(n), key=lambda i: results[i].grade(1.0))
    lower, upper = ranked[:k], ranked[-k:] if k else []
    items = []
    for q in exam.questions:
        # Only the candidates who were given the question (a package may draw N per candidate).
        given = [i for i, r in enumerate(results) if q.id in r.scores]
        graded = [i for i in given if not results[i].scores[q.id].needs_grading]
        fraction = {i: results[i].scores[q.id].points / q.points if q.points else 0.0 for i in graded}
        points = [results[i].scores[q.id].points for i in graded]
        up = [fraction[i] for i in upper if i in fraction]
        low = [fraction[i] for i in lower if i in fraction]
        counts, dont_know, unanswered = _option_counts(q, [results[i] for i in given])
        items.append(
            ItemStats(
                question_id=q.id,
                title=q.title,
                kind=q.kind,
                max_points=q.points,
                answered=len(given) - dont_know - unanswered,
                facility=_mean(list(fraction.values())),
                discrimination=(sum(up) / len(up) - sum(low) / len(low) if up and low and n >= 4 else None),
                point_biserial=_correlation(points, [totals[i] - p for i, p in zip(graded, points)]),
                option_counts=counts,
                dont_know=dont_know,
                unanswered=unanswered,
                ungraded=len(given) - len(graded),
            )
        )
    return items


def _option_counts(q, results: list[CandidateResult]) -> tuple[dict[str, int], int, int]:
    counts: dict[str, int] = {}
    if isinstance(q.answer, (SingleChoice, MultipleChoice)):
        counts = {c.id: 0 for c in q.answer.choices}
    elif isinstance(q.answer, TrueFalse):
        counts = {"true": 0, "false": 0}
    dont_know = unanswered = 0
    for r in results:
        response = r.responses.get(q.id)
        if response is not None and response.dont_know:
            dont_know += 1
        elif response is None or not response.answered:
            unanswered += 1
        elif isinstance(q.answer, (SingleChoice, MultipleChoice)):
            for choice_id in picked_ids(response.value) & counts.keys():
                counts[choice_id] += 1
        elif isinstance(q.answer, TrueFalse) and isinstance(response.value, bool):
            counts["true" if response.value else "false"] += 1
    return counts, dont_know, unanswered


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


# --------------------------------------------------------------------------------------------
# Plots


def score_histogram(results: list[CandidateResult], max_total: float) -> Figure:
    fig = Figure(figsize=(6.4, 3.2), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    totals = [r.total for r in results]
    bins = min(20, max(5, math.ceil(max_total))) if max_total else 10
    ax.hist(totals, bins=bins, range=(0, max_total or 1), color="#1f6fc5", edgecolor="white")
    ax.set_xlabel("total points")
    ax.set_ylabel("candidates")
    ax.set_title(f"Scores of {len(totals)} candidates (max {max_total:g})")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def difficulty_plot(items: list[ItemStats]) -> Figure:
    fig = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    # Points are labelled Q1, Q2, ... (the question's number in the exam, as in the report's
    # table): ids are too long to stay readable where several items overlap.
    shown = [
        (f"Q{n}", i.facility, i.discrimination)
        for n, i in enumerate(items, start=1)
        if i.facility is not None and i.discrimination is not None
    ]
    ax.axhspan(-1, 0.2, color="#fbe9e7", zorder=0)
    ax.scatter([f for _, f, _ in shown], [d for _, _, d in shown], color="#1f6fc5", zorder=2)
    for label, f, d in shown:
        ax.annotate(label, (f, d), fontsize=8, xytext=(4, 3), textcoords="offset points")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.axhline(0, color="#8a93a3", linewidth=0.8)
    ax.set_xlabel("facility index (share of points earned)")
    ax.set_ylabel("discrimination (upper − lower 27 %)")
    ax.set_title("Item difficulty vs discrimination (shaded: below 0.2)")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def png_bytes(fig: Figure, dpi: int = 120) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# The report


def write_exam_report(exam: Exam, results: list[CandidateResult], folder: Path) -> Path:
    """Write `folder/exam-report.html` (plots embedded) and the plots as PNG files beside it."""
    if not results:
        raise KnownError("No candidate has been imported yet: there is nothing to report on.")
    folder = Path(folder)
    items = item_statistics(exam, results)
    max_total = exam.total_points
    histogram = png_bytes(score_histogram(results, max_total))
    scatter = png_bytes(difficulty_plot(items))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "score-histogram.png").write_bytes(histogram)
        (folder / "difficulty-discrimination.png").write_bytes(scatter)
        path = folder / "exam-report.html"
        path.write_text(_report_html(exam, results, items, histogram, scatter), encoding="utf-8")
    except OSError as exc:
        raise KnownError(f"Cannot write the report into {folder}: {exc.strerror}.") from None
    return path


def _report_html(
    exam: Exam,
    results: list[CandidateResult],
    items: list[ItemStats],
    histogram: bytes,
    scatter: bytes,
) -> str:
    totals = sorted(r.total for r in results)
    n = len(totals)
    mean = sum(totals) / n
    median = (totals[(n - 1) // 2] + totals[n // 2]) / 2
    sd = math.sqrt(sum((t - mean) ** 2 for t in totals) / n)
    pending = sum(1 for r in results if not r.complete)
    chances = exam_chances(exam)
    guessed = {q.question_id: q for q in chances.questions}
    rows = []
    for number, i in enumerate(items, start=1):
        q = exam.question(i.question_id)
        flag = ' class="flag"' if i.discrimination is not None and i.discrimination < 0.2 else ""
        rows.append(
            f"<tr{flag}><td>Q{number}</td><td>{escaped(i.question_id)}</td><td>{escaped(i.title)}</td>"
            f"<td>{i.kind}</td><td>{i.max_points:g}</td><td>{_fmt(i.facility)}</td>"
            f"<td>{_guess(guessed[i.question_id])}</td>"
            f"<td>{_fmt(i.discrimination)}</td><td>{_fmt(i.point_biserial)}</td>"
            f"<td>{i.answered}</td><td>{i.dont_know}</td><td>{i.unanswered}</td>"
            f"<td>{i.ungraded or ''}</td><td>{_options(q, i)}</td></tr>"
        )
    ungraded = sum(i.ungraded for i in items)
    pending_note = (
        f'<p class="pending">{pending} candidate(s) still have answers to grade by hand: those '
        f"{ungraded} answers are left out of the item figures (column “not graded”), not counted as "
        "zero; totals and the histogram include only the points awarded so far.</p>"
        if pending
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escaped(exam.title)} — exam report</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; color: #1d2330; margin: 2rem auto; max-width: 72rem;
        padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #d5d9e0; padding: .3rem .5rem; text-align: left;
          vertical-align: top; }}
th {{ background: #f4f6f9; }}
tr.flag td {{ background: #fdf1ef; }}
.options span {{ display: inline-block; margin-right: .6rem; white-space: nowrap; }}
.options .correct {{ font-weight: 600; color: #2a7d4f; }}
.plots img {{ max-width: 48%; margin-right: 1%; }}
.pending {{ background: #fff6df; border-left: 3px solid #9a6700; padding: .4rem .75rem; }}
@media print {{ table {{ font-size: 7.5pt; }} th, td {{ padding: .15rem .25rem; }} }}  /* A4 width */
</style></head><body>
<h1>{escaped(exam.title)} — exam report</h1>
<p>{n} candidates · mean {mean:.2f} · median {median:.2f} · standard deviation {sd:.2f} ·
lowest {totals[0]:.2f} · highest {totals[-1]:.2f} · maximum {exam.total_points:g}</p>
{pending_note}
<div class="plots">
<img alt="Score histogram" src="{_data_url(histogram)}">
<img alt="Difficulty vs discrimination" src="{_data_url(scatter)}">
</div>
<h2>Items</h2>
<p>{_guess_line(chances)}</p>
<p>Facility: share of the points earned. By guessing: the share a candidate who guesses at random
can expect from the scoring rules (“–” where an answer cannot be guessed). Discrimination: upper minus lower 27 % of candidates by
total (rows below 0.2 are shaded). r<sub>pb</sub>: corrected point-biserial correlation.
Options: times each was chosen (correct ones in green).</p>
<table>
<tr><th>#</th><th>id</th><th>question</th><th>kind</th><th>points</th><th>facility</th><th>by guessing</th>
<th>discrimination</th><th>r<sub>pb</sub></th><th>answered</th><th>don’t know</th><th>blank</th>
<th>not graded</th><th>options chosen</th></tr>
{"".join(rows)}
</table>
</body></html>
"""


def _options(q, item: ItemStats) -> str:
    if not item.option_counts:
        return ""
    correct: set[str] = set()
    if isinstance(q.answer, (SingleChoice, MultipleChoice)):
        correct = {c.id for c in q.answer.choices if c.correct}
    elif isinstance(q.answer, TrueFalse) and q.answer.answer is not None:
        correct = {"true" if q.answer.answer else "false"}
    spans = "".join(
        f'<span class="{"correct" if label in correct else ""}">{escaped(label)}: {count}</span>'
        for label, count in item.option_counts.items()
    )
    return f'<div class="options">{spans}</div>'


def _guess(q: QuestionChances) -> str:
    return f"{q.guesser.mean / q.max_points:.2f}" if q.guessable and q.max_points else "–"


def _guess_line(chances: ExamChances) -> str:
    share = chances.pass_points / chances.max_points if chances.max_points else 0
    return (
        f"Scoring rules: guessing everything at random gives {chances.guesser.mean:.2f} ± "
        f"{chances.guesser.sd:.2f} of {chances.max_points:g} points and reaches {share:.0%} with "
        f"probability {chances.guesser_passes:.2g}; knowing half the answers and guessing the rest gives "
        f"{chances.half.mean:.2f} ± {chances.half.sd:.2f}."
    )


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
