"""Speed of the candidate's exam window, measured against a bare QtWebEngine page in the same run.

    .venv/bin/python bench/bench_window.py            # all figures below
    .venv/bin/python bench/bench_window.py --rounds 5

1. Start -> first question typeset: a fresh process opening the exam window on the ML Engineers Test,
   against a fresh process showing a bare QWebEngineView page that loads the same MathJax from disk
   and typesets one formula. Both are timed from interpreter start; rounds alternate; medians.
   Target: ratio <= 1.3.
2. Next/previous -> the new question fully typeset (go_to() until the page reports it typeset and
   its figures loaded), over every question of every bank in banks/, forwards then backwards.
   Target: p95 <= 30 ms.
3. Answer change -> durable commit: a real click in the page; the SQLite commit (WAL,
   synchronous=FULL) time, and the round trip click -> commit -> "saved" shown in the page.
   Target: p99 <= 5 ms (commit).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before Qt is imported: start-up includes loading the libraries

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
BARE_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script>window.MathJax = {{ startup: {{ typeset: false, ready() {{
  MathJax.startup.defaultReady();
  MathJax.startup.promise.then(() => MathJax.typesetPromise([document.getElementById('f')]))
    .then(() => {{ document.title = 'typeset'; }});
}} }} }};</script>
<script src="{mathjax}" async></script></head>
<body><p id="f">\\(\\frac{{\\partial \\mathcal{{L}}}}{{\\partial x}}\\)</p></body></html>"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# -------------------------------------------------------------------------------- child processes


def child_bare() -> float:
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView

    from exam_desktop.gui.application import qt_application
    from exam_desktop.paths import mathjax_dir

    app = qt_application()
    folder = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    page = folder / "bare.html"
    page.write_text(BARE_PAGE.format(mathjax=(mathjax_dir() / "tex-svg-full.js").as_uri()))
    view = QWebEngineView()
    view.resize(1280, 860)
    done: dict[str, float] = {}

    def title_changed(title: str) -> None:
        if title == "typeset" and "at" not in done:
            done["at"] = time.perf_counter()
            app.quit()

    view.titleChanged.connect(title_changed)
    view.load(QUrl.fromLocalFile(str(page)))
    view.show()
    app.exec()
    return done["at"] - STARTED


def child_exam() -> float:
    """What `exam-desktop demo` does, until the first question is typeset."""
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.practice import open_practice

    app = qt_application()
    window = open_practice(REPO / "banks" / "ml-engineers-test.md")
    done: dict[str, float] = {}

    def ready() -> None:
        done["at"] = time.perf_counter()
        app.quit()

    window.ready.connect(ready)
    app.exec()
    return done["at"] - STARTED


def run_child(kind: str) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


# -------------------------------------------------------------------------------- in-process


def navigation_and_saving() -> dict[str, list[float]]:
    from exam_desktop.core.bank import find_banks, load_bank
    from exam_desktop.core.storage import AnswerStore
    from exam_desktop.core.timer import ExamClock
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.exam_window import ExamWindow
    from exam_desktop.gui.preview import wait_for

    app = qt_application()
    nav_ms: list[float] = []
    round_trip_ms: list[float] = []
    commit_ms: list[float] = []
    for bank in find_banks([REPO / "banks"]):
        exam = load_bank(bank)
        store = AnswerStore.open(Path(tempfile.mkdtemp(prefix="bench-nav-")) / "answers.sqlite")
        window = ExamWindow(exam, store, ExamClock(exam.duration_minutes * 60))
        window.resize(1280, 860)
        window.show()
        wait_for(window.ready, lambda: True, "loading")
        order = [q.id for q in exam.questions]
        for qid in order[1:] + order[::-1][1:]:  # next through the exam, then previous back
            started = time.perf_counter()
            window.go_to(qid)
            wait_for(window.shown, lambda view, shown, qid=qid: shown == qid, f"showing {qid}")
            nav_ms.append((time.perf_counter() - started) * 1000)
        for question in exam.questions:
            if question.kind not in ("single", "multiple", "truefalse"):
                continue
            window.go_to(question.id)
            wait_for(window.shown, lambda view, shown, qid=question.id: shown == qid, "showing")
            for option in (0, 1, 0, 1):
                window.commit_ms.clear()
                started = time.perf_counter()
                window.page.runJavaScript(f"document.getElementById('opt-{option}').click();", 0)
                while not window.commit_ms:
                    app.processEvents()
                commit_ms.extend(window.commit_ms)
                round_trip_ms.append((time.perf_counter() - started) * 1000)
        window.close()
        store.close()
        window.deleteLater()
    return {"navigation": nav_ms, "commit": commit_ms, "round_trip": round_trip_ms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=("bare", "exam"))
    args = parser.parse_args()
    if args.child:
        print(child_bare() if args.child == "bare" else child_exam())
        return 0

    bare, exam = [], []
    for _ in range(args.rounds):
        bare.append(run_child("bare"))
        exam.append(run_child("exam"))
    ratio = statistics.median(exam) / statistics.median(bare)
    figures = navigation_and_saving()
    nav, commit, trip = figures["navigation"], figures["commit"], figures["round_trip"]
    report = {
        "start_bare_s": round(statistics.median(bare), 3),
        "start_exam_s": round(statistics.median(exam), 3),
        "start_ratio": round(ratio, 2),
        "navigation_n": len(nav),
        "navigation_p50_ms": round(percentile(nav, 50), 1),
        "navigation_p95_ms": round(percentile(nav, 95), 1),
        "commit_n": len(commit),
        "commit_p50_ms": round(percentile(commit, 50), 2),
        "commit_p99_ms": round(percentile(commit, 99), 2),
        "click_to_saved_p50_ms": round(percentile(trip, 50), 1),
        "click_to_saved_p99_ms": round(percentile(trip, 99), 1),
    }
    print(f"start -> first question typeset: exam {report['start_exam_s']} s, bare MathJax page "
          f"{report['start_bare_s']} s, ratio {report['start_ratio']} (target <= 1.3)")
    print(f"next/previous -> typeset: p50 {report['navigation_p50_ms']} ms, "
          f"p95 {report['navigation_p95_ms']} ms over {len(nav)} moves (target p95 <= 30 ms)")
    print(f"answer change -> durable commit: p50 {report['commit_p50_ms']} ms, "
          f"p99 {report['commit_p99_ms']} ms over {len(commit)} commits (target p99 <= 5 ms); "
          f"click -> commit round trip p50 {report['click_to_saved_p50_ms']} ms, "
          f"p99 {report['click_to_saved_p99_ms']} ms")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
