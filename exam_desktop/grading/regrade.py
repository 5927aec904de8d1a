"""Regrading after a key change: what would change, and committing it.

`plan_regrade` scores every candidate's answers with the new key without touching the database and
returns who changes and by how much; `commit_regrade` stores the new key and scores and records the
change in the regrade history. Hand-awarded points, overrides and comments are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Exam
from exam_desktop.core.scoring import DECIMALS, QuestionScore, score_exam
from exam_desktop.grading.db import GraderDB, StoredScore, hand_points
from exam_desktop.grading.results import exam_results


@dataclass(frozen=True)
class RegradeChange:
    candidate_id: int
    label: str
    old_total: float
    new_total: float
    questions: dict[str, tuple[float, float]]  # question id -> (old points, new points)

    @property
    def delta(self) -> float:
        return round(self.new_total - self.old_total, DECIMALS)


@dataclass(frozen=True)
class RegradePlan:
    exam: Exam
    key_sha256: str
    changes: list[RegradeChange]
    new_scores: dict[int, dict[str, QuestionScore]]
    candidates: int

    def table(self) -> str:
        """The what-if table, one line per candidate whose total changes."""
        if not self.changes:
            return f"No candidate's score changes ({self.candidates} checked)."
        lines = [f"{'candidate':<16}{'before':>9}{'after':>9}{'change':>9}  questions"]
        for c in self.changes:
            detail = ", ".join(f"{q} {old:g}→{new:g}" for q, (old, new) in c.questions.items())
            lines.append(f"{c.label:<16}{c.old_total:>9g}{c.new_total:>9g}{c.delta:>+9g}  {detail}")
        lines.append(f"{len(self.changes)} of {self.candidates} candidates change.")
        return "\n".join(lines)


def plan_regrade(
    db: GraderDB,
    new_exam: Exam,
    package_hash: str,
    key_sha256: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> RegradePlan:
    """Score everyone again with `new_exam` (from the new key file); the database is not changed."""
    row = db.exam_row(new_exam.id)
    if row["package_hash"] != package_hash:
        raise KnownError(
            f"This key belongs to a different exam package than the one graded in {db.path}; "
            "a regrade needs a key for the same package."
        )
    old_exam = db.exam(new_exam.id)
    if [q.id for q in old_exam.questions] != [q.id for q in new_exam.questions]:
        raise KnownError(
            "The new key has different questions than the old one; a regrade may change answers "
            "and points, not the questions themselves."
        )
    changes: list[RegradeChange] = []
    new_scores: dict[int, dict[str, QuestionScore]] = {}
    results = exam_results(db, old_exam)
    for done, result in enumerate(results, start=1):
        if progress:
            progress(done, len(results))
        scored = score_exam(new_exam, result.responses, list(result.scores)).per_question
        new_scores[result.candidate.id] = scored
        moved = {}
        for qid, old in result.scores.items():
            new_points = _points_after(old, scored[qid])
            if new_points != old.points:
                moved[qid] = (old.points, new_points)
        if moved:
            new_total = round(result.total + sum(new - old for old, new in moved.values()), DECIMALS)
            changes.append(
                RegradeChange(result.candidate.id, result.candidate.label, result.total, new_total, moved)
            )
    return RegradePlan(new_exam, key_sha256, changes, new_scores, len(results))


def commit_regrade(db: GraderDB, plan: RegradePlan) -> None:
    """Store the new key and every candidate's new automatic scores, and log the regrade."""
    row = db.exam_row(plan.exam.id)
    with db.atomic():
        db.put_exam(plan.exam, row["package_hash"], plan.key_sha256)
        for candidate_id, scores in plan.new_scores.items():
            db.write_auto_scores(candidate_id, scores)
        db.add_regrade(
            plan.exam.id,
            row["key_sha256"],
            plan.key_sha256,
            [
                {
                    "candidate": c.label,
                    "before": c.old_total,
                    "after": c.new_total,
                    "questions": {q: list(v) for q, v in c.questions.items()},
                }
                for c in plan.changes
            ],
        )


def _points_after(old: StoredScore, new: QuestionScore) -> float:
    """The question's points once the new automatic result replaces the old one."""
    if old.override_points is not None:
        return old.override_points
    return round(new.points + hand_points(new.status, new.pending, old.manual_points), DECIMALS)
