"""Each candidate's result as it stands: points per question (hand grades and overrides included),
total, per-tag totals, what is still to grade. Exports, reports and the grading window read this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from exam_desktop.core.model import Exam
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import DECIMALS, TagScore
from exam_desktop.grading.db import Annotation, Candidate, GraderDB, StoredScore


@dataclass(frozen=True)
class CandidateResult:
    candidate: Candidate
    scores: dict[str, StoredScore]
    responses: dict[str, Response]
    total: float
    max_total: float
    per_tag: dict[str, TagScore]
    annotations: dict[str, list[Annotation]] = field(default_factory=dict)  # question id -> notes

    @property
    def to_grade(self) -> list[str]:
        """Question ids still waiting for a grader."""
        return [qid for qid, s in self.scores.items() if s.needs_grading]

    @property
    def complete(self) -> bool:
        return not self.to_grade

    def grade(self, scale: float) -> float:
        """The total on a scale (e.g. 100 for a percentage, 30 for the Italian scale)."""
        return round(self.total / self.max_total * scale, 2) if self.max_total else 0.0


def candidate_result(db: GraderDB, exam: Exam, candidate: Candidate) -> CandidateResult:
    scores = db.scores(candidate.id)  # only the questions this candidate was given
    given = [q for q in exam.questions if q.id in scores]
    per_tag: dict[str, list[float]] = {}
    for q in given:
        for tag in q.tags:
            acc = per_tag.setdefault(tag, [0.0, 0.0])
            acc[0] += scores[q.id].points
            acc[1] += q.points
    return CandidateResult(
        candidate=candidate,
        scores=scores,
        responses=db.responses(candidate.bundle_sha256),
        total=round(sum(scores[q.id].points for q in given), DECIMALS),
        max_total=round(sum(q.points for q in given), DECIMALS),
        per_tag={t: TagScore(round(p, DECIMALS), round(m, DECIMALS)) for t, (p, m) in per_tag.items()},
        annotations=db.all_annotations(candidate.id),
    )


def exam_results(
    db: GraderDB, exam: Exam, *, progress: Callable[[int, int], None] | None = None
) -> list[CandidateResult]:
    """Every candidate of `exam`, in the order they were imported (Candidate 1, 2, ...)."""
    candidates = db.candidates(exam.id)
    results = []
    for candidate in candidates:
        results.append(candidate_result(db, exam, candidate))
        if progress:
            progress(len(results), len(candidates))
    return results
