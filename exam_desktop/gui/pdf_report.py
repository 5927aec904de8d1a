"""PDF feedback: each candidate's HTML feedback page, and the class summary, printed to A4 PDF by
QtWebEngine (`QWebEnginePage.printToPdf`), with page numbers ("Page 2 of 3") at the foot of every page.

The pages are the ones `grade report --feedback` writes (math typeset by the MathJax copy beside them,
figures as SVG files); they are loaded from that folder only — every request that is not a local
file or a `data:` URL is refused — and printed once MathJax has typeset them. Several pages print at
once, each in its own page object, to keep QtWebEngine's processes busy.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QMarginsF, QObject, QTimer, QUrl
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

from exam_desktop.core.errors import KnownError

log = logging.getLogger(__name__)

PARALLEL = 3  # pages printing at the same time
TYPESET_TIMEOUT_MS = 30_000

# Page numbers in the bottom margin (CSS paged media, which Chromium prints), a little room for them.
PRINT_CSS = """
@page { size: A4; margin: 14mm 14mm 18mm 14mm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages);
                   font: 9pt system-ui, sans-serif; color: #5b6472; } }
@media print { body { margin: 0; max-width: none; padding: 0; }
  section.question header, section.question h2, h3 { break-after: avoid; }
  .summary, table.domains, img, mjx-container { break-inside: avoid; } }
"""

_WHEN_TYPESET = """(() => {
  const style = document.createElement("style");
  style.textContent = %s;
  document.head.appendChild(style);
  const done = () => { document.documentElement.dataset.typeset = "1"; };
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(done, done);
  } else { done(); }
})();"""


class LocalFilesOnly(QWebEngineUrlRequestInterceptor):
    """Refuses every request but local files and data: URLs (the report folder is self-contained)."""

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 (Qt override)
        if info.requestUrl().scheme() not in ("file", "data"):
            log.warning("refused %s while printing", info.requestUrl().toString())
            info.block(True)


class _Printer(QObject):
    """Prints a queue of HTML files to PDF files, `PARALLEL` at a time."""

    def __init__(self, jobs: list[tuple[Path, Path]], progress: Callable[[int, int], None] | None):
        super().__init__()
        self.jobs = list(jobs)
        self.total = len(jobs)
        self.done: list[Path] = []
        self.failed: list[str] = []
        self.progress = progress
        self.loop = QEventLoop()
        self.profile = QWebEngineProfile()  # off the record: nothing kept on disk
        self.interceptor = LocalFilesOnly(self.profile)
        self.profile.setUrlRequestInterceptor(self.interceptor)
        self.pages: list[QWebEnginePage] = []
        self.current: dict[int, tuple[Path, Path]] = {}  # page index -> its job

    def run(self) -> None:
        for index in range(min(PARALLEL, len(self.jobs))):
            page = QWebEnginePage(self.profile)
            page.loadFinished.connect(lambda ok, i=index: self._loaded(i, ok))
            page.pdfPrintingFinished.connect(lambda _path, ok, i=index: self._printed(i, ok))
            self.pages.append(page)
        for index in range(len(self.pages)):
            self._next(index)
        if self.pages:
            self.loop.exec()
        for page in self.pages:  # pages before their profile, or QtWebEngine complains
            page.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.profile.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    def _next(self, index: int) -> None:
        self.current.pop(index, None)
        if not self.jobs:
            if not self.current:
                self.loop.quit()
            return
        self.current[index] = source, _ = self.jobs.pop(0)
        self.pages[index].load(QUrl.fromLocalFile(str(source.resolve())))

    def _loaded(self, index: int, ok: bool) -> None:
        if index not in self.current:
            return
        source, target = self.current[index]
        page = self.pages[index]
        if not ok:
            self._finish(index, False, f"{source} could not be loaded")
            return
        page.runJavaScript(_WHEN_TYPESET % json.dumps(PRINT_CSS), 0)
        waited = [0]

        def check(value: object) -> None:
            if value == "1":
                page.printToPdf(str(target), _A4)
            elif waited[0] >= TYPESET_TIMEOUT_MS:
                self._finish(index, False, f"{source}: the math was not typeset in time")
            else:
                waited[0] += 20
                QTimer.singleShot(20, poll)

        def poll() -> None:
            page.runJavaScript("document.documentElement.dataset.typeset || ''", 0, check)

        poll()

    def _printed(self, index: int, ok: bool) -> None:
        _, target = self.current[index]
        self._finish(index, ok, f"{target} could not be written")

    def _finish(self, index: int, ok: bool, problem: str) -> None:
        if ok:
            self.done.append(self.current[index][1])
        else:
            self.failed.append(problem)
        if self.progress:
            self.progress(len(self.done) + len(self.failed), self.total)
        self._next(index)


_A4 = QPageLayout(
    QPageSize(QPageSize.PageSizeId.A4),
    QPageLayout.Orientation.Portrait,
    QMarginsF(14, 14, 14, 18),  # as the page's @page rule: its bottom margin holds the numbers
    QPageLayout.Unit.Millimeter,
)


def write_pdf_reports(
    feedback_dir: Path,
    stats_dir: Path | None,
    out_dir: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """One PDF per candidate page of `feedback_dir` (and `class-summary.pdf` from the exam report in
    `stats_dir`) into `out_dir`; returns the files written."""
    from exam_desktop.gui.application import qt_application

    feedback_dir, out_dir = Path(feedback_dir), Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KnownError(f"Cannot write the PDF files into {out_dir}: {exc.strerror}.") from None
    jobs = [(page, out_dir / f"{page.stem}.pdf") for page in sorted(feedback_dir.glob("candidate-*.html"))]
    if stats_dir is not None and (Path(stats_dir) / "exam-report.html").exists():
        jobs.append((Path(stats_dir) / "exam-report.html", out_dir / "class-summary.pdf"))
    qt_application()
    printer = _Printer(jobs, progress)
    printer.run()
    if printer.failed:
        raise KnownError(f"{len(printer.failed)} PDF files were not written; the first: {printer.failed[0]}.")
    return sorted(printer.done)
