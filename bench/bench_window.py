"""Speed of the candidate's exam window, measured against a bare QtWebEngine page in the same run.

    make setup                                        # the package byte-compiled, as installed
    .venv/bin/python bench/bench_window.py            # all figures below
    .venv/bin/python bench/bench_window.py --rounds 15      # more rounds: steadier medians

1. Start -> first question typeset: a fresh process opening the exam window on the ML Engineers Test,
   against a fresh process showing a bare QWebEngineView page that loads the same MathJax from disk
   and typesets one formula; both timed from the moment the web view is created and asked to load
   (target: ratio <= 1.3). And `exam-desktop demo` from interpreter start (its command line,
   imports, bank, window; the run's answer file is made once the first question is on screen)
   against the bare page from interpreter start (target: ratio <= 1.3). Rounds interleave; medians.
2. Next/previous -> the new question fully typeset (go_to() until the page reports it shown, math
   typeset and figures loaded), over every question of every bank in banks/, forwards then
   backwards. The window typesets questions ahead of time after start; moves made before it has
   finished are reported separately ("cold"). Target: p95 <= 30 ms.
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


CLICKS_PER_QUESTION = 4  # pairs of clicks on each choice question: 248 commits, so p99 is not one outlier


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# -------------------------------------------------------------------------------- child processes
# Each prints two numbers: seconds from interpreter start, and from the moment the web view was
# created and asked to load, to the formula / first question typeset.


def child_bare() -> tuple[float, float]:
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView

    from exam_desktop.gui.application import qt_application
    from exam_desktop.paths import mathjax_dir

    app = qt_application()
    folder = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    page = folder / "bare.html"
    page.write_text(BARE_PAGE.format(mathjax=(mathjax_dir() / "tex-svg-full.js").as_uri()))
    done: dict[str, float] = {}

    def title_changed(title: str) -> None:
        if title == "typeset" and "at" not in done:
            done["at"] = time.perf_counter()
            app.quit()

    page_started = time.perf_counter()
    view = QWebEngineView()
    view.resize(1280, 860)
    view.titleChanged.connect(title_changed)
    view.load(QUrl.fromLocalFile(str(page)))
    view.show()
    app.exec()
    return done["at"] - STARTED, done["at"] - page_started


def child_exam() -> tuple[float, float]:
    """The exam window on the ML Engineers Test: bank read and answer file open, then the page."""
    from exam_desktop.core.bank import load_bank
    from exam_desktop.core.seat.saving import PracticeAnswers
    from exam_desktop.core.seat.timer import ExamClock
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.exam_window import ExamWindow

    app = qt_application()
    exam = load_bank(REPO / "banks" / "ml-engineers-test.md")
    store = PracticeAnswers.open(Path(tempfile.mkdtemp(prefix="bench-exam-")) / "answers.sqlite")
    done: dict[str, float] = {}

    def ready() -> None:
        done["at"] = time.perf_counter()
        app.quit()

    page_started = time.perf_counter()
    window = ExamWindow(exam, store, ExamClock(exam.duration_minutes * 60), practice=True)
    window.ready.connect(ready)
    window.show()
    app.exec()
    return done["at"] - STARTED, done["at"] - page_started


def child_demo() -> tuple[float, float]:
    """What `exam-desktop demo` does (its command line read, the page started loading first),
    until the first question."""
    from exam_desktop.cli import build_parser
    from exam_desktop.cli.environment import clear_overrides

    clear_overrides()
    args = build_parser("demo").parse_args(["demo"])  # the default bank: the ML Engineers Test
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.practice import open_practice

    app = qt_application()
    page_started = time.perf_counter()
    window, _answers = open_practice(args.bank)
    done: dict[str, float] = {}

    def ready() -> None:
        done["at"] = time.perf_counter()
        app.quit()

    window.ready.connect(ready)
    if not window.has_shown:
        app.exec()
    else:
        done["at"] = time.perf_counter()
    return done["at"] - STARTED, done["at"] - page_started


def run_child(kind: str) -> tuple[float, float]:
    env = dict(os.environ, EXAM_DESKTOP_DATA=tempfile.mkdtemp(prefix="bench-data-"))
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=True, env=env
    )
    process_s, page_s = out.stdout.strip().splitlines()[-1].split()
    return float(process_s), float(page_s)


# -------------------------------------------------------------------------------- in-process


def navigation_and_saving() -> dict[str, list[float]]:
    from PySide6.QtCore import QCoreApplication, QEvent

    from exam_desktop.core.bank import find_banks, load_bank
    from exam_desktop.core.seat.saving import PracticeAnswers
    from exam_desktop.core.seat.timer import ExamClock
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.exam_window import ExamWindow
    from exam_desktop.gui.preview import wait_for

    qt_application()
    nav_ms: list[float] = []
    cold_ms: list[float] = []
    prepare_s: list[float] = []
    round_trip_ms: list[float] = []
    commit_ms: list[float] = []

    def move(window: ExamWindow, qid: str) -> float:
        started = time.perf_counter()
        window.go_to(qid)
        wait_for(window.shown, lambda view, shown: shown == qid, f"showing {qid}")
        return (time.perf_counter() - started) * 1000

    for bank in find_banks([REPO / "banks"]):
        exam = load_bank(bank)
        store = PracticeAnswers.open(Path(tempfile.mkdtemp(prefix="bench-nav-")) / "answers.sqlite")
        window = ExamWindow(exam, store, ExamClock(exam.duration_minutes * 60))
        window.resize(1280, 860)
        window.show()
        wait_for(window.ready, lambda: True, "loading")
        ready_at = time.perf_counter()
        order = [q.id for q in exam.questions]
        # At once after start, while the window is still typesetting questions ahead: "cold".
        cold_ms.extend(move(window, qid) for qid in order[1:4])
        if len(window.prepared) < len(order):
            wait_for(window.all_prepared, lambda: True, "typesetting ahead")
        prepare_s.append(time.perf_counter() - ready_at)
        move(window, order[0])  # back to the start (not counted)
        for qid in order[1:] + order[::-1][1:]:  # next through the exam, then previous back
            nav_ms.append(move(window, qid))
        for question in exam.questions:
            if question.kind not in ("single", "multiple", "truefalse"):
                continue
            window.go_to(question.id)
            wait_for(window.shown, lambda view, shown, qid=question.id: shown == qid, "showing")
            for option in (0, 1) * CLICKS_PER_QUESTION:
                window.commit_ms.clear()
                started = time.perf_counter()
                window.page.runJavaScript(f"document.getElementById('opt-{option}').click();", 0)
                wait_for(window.saved, lambda: True, "saving")
                commit_ms.extend(window.commit_ms)
                round_trip_ms.append((time.perf_counter() - started) * 1000)
        window.close()
        store.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # page before profile
    return {
        "navigation": nav_ms,
        "cold": cold_ms,
        "prepare": prepare_s,
        "commit": commit_ms,
        "round_trip": round_trip_ms,
    }


def store_alone(count: int = 300) -> list[float]:
    """The same commits without a window: the answer file's own latency on this disk right now."""
    from exam_desktop.core.responses import Response
    from exam_desktop.core.seat.answer_file import AnswerStore

    times = []
    with AnswerStore.open(Path(tempfile.mkdtemp(prefix="bench-store-")) / "answers.sqlite") as store:
        for i in range(count):
            started = time.perf_counter()
            store.save_response(Response(f"q{i % 10}", "a" if i % 2 else "b"))
            times.append((time.perf_counter() - started) * 1000)
    return times


def bytecode_compiled() -> bool:
    """Whether the app's modules have their bytecode (as an installed or frozen app has)."""
    import importlib.util

    import exam_desktop.gui.exam_window as window

    return Path(importlib.util.cache_from_source(window.__file__)).is_file()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--child", choices=("bare", "exam", "demo"))
    parser.add_argument("--start-only", action="store_true", help="only the start-up figures")
    args = parser.parse_args()
    if args.child:
        process_s, page_s = {"bare": child_bare, "exam": child_exam, "demo": child_demo}[args.child]()
        print(process_s, page_s)
        return 0

    if not bytecode_compiled():
        print(
            "note: the package has no bytecode (run `make setup`); each start compiles it, so the "
            "start figures are slower than an installed app's"
        )
    runs: dict[str, list[tuple[float, float]]] = {"bare": [], "exam": [], "demo": []}
    for _ in range(args.rounds):  # interleaved, so a busy moment hits all three alike
        for kind in runs:
            runs[kind].append(run_child(kind))
    median = {
        k: (statistics.median(p for p, _ in v), statistics.median(q for _, q in v)) for k, v in runs.items()
    }
    if args.start_only:
        print({k: [round(q, 3) for _, q in v] for k, v in runs.items()})
        print(
            f"page ratio {median['exam'][1] / median['bare'][1]:.2f}, "
            f"process ratio {median['demo'][0] / median['bare'][0]:.2f}"
        )
        return 0
    figures = navigation_and_saving()
    nav, commit, trip = figures["navigation"], figures["commit"], figures["round_trip"]
    alone = store_alone()
    report = {
        "rounds": args.rounds,
        "page_bare_s": round(median["bare"][1], 3),
        "page_exam_s": round(median["exam"][1], 3),
        "page_ratio": round(median["exam"][1] / median["bare"][1], 2),
        "process_bare_s": round(median["bare"][0], 3),
        "process_demo_s": round(median["demo"][0], 3),
        "process_ratio": round(median["demo"][0] / median["bare"][0], 2),
        "navigation_n": len(nav),
        "navigation_p50_ms": round(percentile(nav, 50), 1),
        "navigation_p95_ms": round(percentile(nav, 95), 1),
        "navigation_max_ms": round(max(nav), 1),
        "cold_navigation_p95_ms": round(percentile(figures["cold"], 95), 1),
        "prepare_all_max_s": round(max(figures["prepare"]), 2),
        "commit_n": len(commit),
        "commit_p50_ms": round(percentile(commit, 50), 2),
        "commit_p99_ms": round(percentile(commit, 99), 2),
        "click_to_commit_p50_ms": round(percentile(trip, 50), 1),
        "click_to_commit_p99_ms": round(percentile(trip, 99), 1),
        "store_alone_p50_ms": round(percentile(alone, 50), 2),
        "store_alone_p99_ms": round(percentile(alone, 99), 2),
    }
    print(
        f"start -> first question typeset (web view created -> typeset, medians of {args.rounds}): "
        f"exam page {report['page_exam_s']} s, bare MathJax page {report['page_bare_s']} s, "
        f"ratio {report['page_ratio']} (target <= 1.3)"
    )
    print(
        f"  from interpreter start: exam-desktop demo {report['process_demo_s']} s, bare page "
        f"{report['process_bare_s']} s, ratio {report['process_ratio']} (target <= 1.3)"
    )
    print(
        f"next/previous -> typeset: p50 {report['navigation_p50_ms']} ms, "
        f"p95 {report['navigation_p95_ms']} ms, max {report['navigation_max_ms']} ms over "
        f"{len(nav)} moves (target p95 <= 30 ms)"
    )
    print(
        f"  questions are typeset ahead within {report['prepare_all_max_s']} s of start (largest "
        f"bank); moving in that time: p95 {report['cold_navigation_p95_ms']} ms"
    )
    print(
        f"answer change -> durable commit: p50 {report['commit_p50_ms']} ms, "
        f"p99 {report['commit_p99_ms']} ms over {len(commit)} commits (target p99 <= 5 ms); "
        f"click -> commit p50 {report['click_to_commit_p50_ms']} ms, "
        f"p99 {report['click_to_commit_p99_ms']} ms"
    )
    print(
        f"  the answer file alone, same moment (no window): p50 {report['store_alone_p50_ms']} ms, "
        f"p99 {report['store_alone_p99_ms']} ms"
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
