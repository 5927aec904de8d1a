"""PDF feedback: each candidate's HTML feedback page, and the class summary, printed to A4 PDF by
QtWebEngine (`QWebEnginePage.printToPdf`), with page numbers ("Page 2 of 3") at the foot of every page.

The pages are the ones `grade report --feedback` writes (math typeset by the MathJax copy beside them,
figures as SVG files); they are loaded from that folder only — every request that is not a local
file or a `data:` URL is refused — and printed once MathJax has typeset them. The first candidate's
page is loaded; every other candidate's page is swapped into it and typeset there (MathJax loads
once), as the exam page swaps questions.
"""

from __future__ import annotations

import html
import json
import logging
import re
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

TYPESET_TIMEOUT_MS = 30_000

# Page numbers in the bottom margin (CSS paged media, which Chromium prints), a little room for them.
PRINT_CSS = """
@page { size: A4; margin: 14mm 14mm 18mm 14mm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages);
                   font: 9pt system-ui, sans-serif; color: #5b6472; } }
@media print { body { margin: 0; max-width: none; padding: 0; font-size: 10pt; line-height: 1.35; }
  section.question { margin: .6rem 0; padding: .5rem .8rem; }
  h3 { margin: .5rem 0 .2rem; } p { margin: .3rem 0; }
  section.question header, section.question h2, h3 { break-after: avoid; }
  .summary, table.domains, img, mjx-container { break-inside: avoid; } }
"""

# Put in once: page numbers, and the function that swaps the next candidate's page in and typesets it.
_SETUP = """(() => {
  const style = document.createElement("style");
  style.textContent = %s;
  document.head.appendChild(style);
  const done = () => { document.documentElement.dataset.typeset = "1"; };
  window.printNext = (title, body) => {
    document.documentElement.dataset.typeset = "";
    document.title = title;
    document.body.innerHTML = body;
    if (window.MathJax && MathJax.typesetPromise) {
      if (MathJax.typesetClear) MathJax.typesetClear();
      MathJax.typesetPromise([document.body]).then(done, done);
    } else { done(); }
  };
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(done, done);
  } else { done(); }
})();"""

_BODY = re.compile(r"<title>(?P<title>.*?)</title>.*?<body>(?P<body>.*)</body>", re.S)


class LocalFilesOnly(QWebEngineUrlRequestInterceptor):
    """Refuses every request but local files and data: URLs (the report folder is self-contained)."""

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        if info.requestUrl().scheme() not in ("file", "data"):
            log.warning("refused %s while printing", info.requestUrl().toString())
            info.block(True)


class _Printer(QObject):
    """Prints HTML files to PDF files in one page object. Pages of the same kind (every candidate's
    feedback) are swapped into the first one loaded, which keeps MathJax loaded: loading it again
    for each page would cost more than typesetting and printing the page."""

    def __init__(self, jobs: list[tuple[Path, Path, bool]], progress: Callable[[int, int], None] | None):
        super().__init__()
        self.jobs = list(jobs)  # (source, target, swap into the loaded page)
        self.total = len(jobs)
        self.done: list[Path] = []
        self.failed: list[str] = []
        self.progress = progress
        self.loop = QEventLoop()
        self.profile = QWebEngineProfile()  # off the record: nothing kept on disk
        self.interceptor = LocalFilesOnly(self.profile)
        self.profile.setUrlRequestInterceptor(self.interceptor)
        self.page = QWebEnginePage(self.profile)
        self.page.loadFinished.connect(self._loaded)
        self.page.pdfPrintingFinished.connect(self._printed)
        self.current: tuple[Path, Path, bool] | None = None
        self.shell_loaded = False
        self.waited = 0

    def run(self) -> None:
        if self.jobs:
            self._next()
            self.loop.exec()
        self.page.deleteLater()  # the page before its profile, or QtWebEngine complains
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.profile.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    def _next(self) -> None:
        if not self.jobs:
            self.loop.quit()
            return
        self.current = source, _, swap = self.jobs.pop(0)
        self.waited = 0
        if swap and self.shell_loaded:
            try:
                match = _BODY.search(source.read_text(encoding="utf-8"))
            except OSError as exc:
                self._finish(False, f"{source} cannot be read ({exc.strerror})")
                return
            if match is None:
                self._finish(False, f"{source} is not a feedback page")
                return
            title = html.unescape(match.group("title"))
            self.page.runJavaScript(f"printNext({json.dumps(title)}, {json.dumps(match.group('body'))});", 0)
            self._poll()
        else:
            self.shell_loaded = swap
            self.page.load(QUrl.fromLocalFile(str(source.resolve())))

    def _loaded(self, ok: bool) -> None:
        if self.current is None:
            return
        if not ok:
            self.shell_loaded = False
            self._finish(False, f"{self.current[0]} could not be loaded")
            return
        self.page.runJavaScript(_SETUP % json.dumps(PRINT_CSS), 0)
        self._poll()

    def _poll(self) -> None:
        def check(value: object) -> None:
            if self.current is None:
                return
            if value == "1":
                self.page.printToPdf(str(self.current[1]), _A4)
            elif self.waited >= TYPESET_TIMEOUT_MS:
                self._finish(False, f"{self.current[0]}: the math was not typeset in time")
            else:
                self.waited += 10
                QTimer.singleShot(10, self._poll)

        self.page.runJavaScript("document.documentElement.dataset.typeset || ''", 0, check)

    def _printed(self, _path: str, ok: bool) -> None:
        if self.current is not None:
            self._finish(ok, f"{self.current[1]} could not be written")

    def _finish(self, ok: bool, problem: str) -> None:
        if self.current is not None and ok:
            self.done.append(self.current[1])
        elif not ok:
            self.failed.append(problem)
        if self.progress:
            self.progress(len(self.done) + len(self.failed), self.total)
        self._next()


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
    jobs = [
        (page, out_dir / f"{page.stem}.pdf", True) for page in sorted(feedback_dir.glob("candidate-*.html"))
    ]
    if stats_dir is not None and (Path(stats_dir) / "exam-report.html").exists():
        jobs.append((Path(stats_dir) / "exam-report.html", out_dir / "class-summary.pdf", False))
    qt_application()
    printer = _Printer(jobs, progress)
    printer.run()
    if printer.failed:
        raise KnownError(f"{len(printer.failed)} PDF files were not written; the first: {printer.failed[0]}.")
    return sorted(printer.done)
