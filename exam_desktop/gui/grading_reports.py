"""Writing the reports from the grading window, off the GUI thread, with progress.

`ReportJob` writes the results CSV, every candidate's feedback page and the exam report into a
folder on a `QThread` of its own, through its own connection to the grader database (SQLite
connections stay in the thread that made them), and reports progress and the outcome by signals;
the grader keeps grading meanwhile.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from exam_desktop.core.errors import KnownError


class ReportJob(QObject):
    progress = Signal(int, int)  # done, total (steps: candidates read, pages written, report)
    finished = Signal(str)  # what was written, in one sentence
    failed = Signal(str)  # why not, in one sentence

    def __init__(self, db_path: Path, exam_id: str, folder: Path):
        super().__init__()
        self.db_path = Path(db_path)
        self.exam_id = exam_id
        self.folder = Path(folder)
        self.thread_id: int | None = None  # the thread the work ran on (for tests)

    @Slot()
    def run(self) -> None:
        from exam_desktop.grading.db import GraderDB
        from exam_desktop.grading.export import write_results_csv
        from exam_desktop.grading.feedback import write_feedback
        from exam_desktop.grading.results import exam_results
        from exam_desktop.grading.stats import write_exam_report

        self.thread_id = threading.get_ident()
        try:
            db = GraderDB.open(self.db_path)
            try:
                exam = db.exam(self.exam_id)
                count = len(db.candidates(exam.id))
                total = 2 * count + 1
                results = exam_results(db, exam, progress=lambda done, _: self.progress.emit(done, total))
            finally:
                db.close()
            write_results_csv(exam, results, self.folder / "results.csv")
            write_feedback(
                exam,
                results,
                self.folder / "feedback",
                progress=lambda done, _: self.progress.emit(count + done, total),
            )
            write_exam_report(exam, results, self.folder / "stats")
            self.progress.emit(total, total)
        except KnownError as exc:
            self.failed.emit(str(exc))
            return
        self.finished.emit(
            f"Reports written to {self.folder}: results.csv, {count} feedback pages, stats/exam-report.html."
        )


def start_report_job(job: ReportJob, parent: QObject) -> QThread:
    """Run `job` on a new thread (ended and deleted when the job is done)."""
    thread = QThread(parent)
    job.moveToThread(thread)
    thread.started.connect(job.run)
    job.finished.connect(thread.quit)
    job.failed.connect(thread.quit)
    thread.start()
    return thread
