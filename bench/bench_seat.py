"""The candidate's process on a seat, against a bare QtWebEngine page, in the same run.

    .venv/bin/python bench/bench_seat.py              # ML Engineers Test and the 19-question assessment
    .venv/bin/python bench/bench_seat.py --rounds 7

For each bank a package is built first (not timed). Then, in fresh processes, interleaved:

- **seat**: what a seat runs, without the candidate's typing — the kiosk's modules, the session
  (preflight, answer file created), the page loaded (on a seat: while the candidate identifies),
  the package opened with the start code, the clock started and the exam window showing the first
  question from the package (figures pre-drawn at build, served from memory). The package's key
  derivation from the start code (scrypt, ~0.4 s, slow on purpose against guessing) is left out
  of the time. Also reported: from Begin (the window made, the page already loaded) to the first
  question typeset — what the candidate waits for once the exam starts;
- **bare**: a bare QWebEngineView page loading the same MathJax from disk and typesetting one formula.

Both are timed from interpreter start to the first question / formula typeset, and at that moment
the proportional set size (PSS, /proc/PID/smaps_rollup) of the process and all its children
(QtWebEngine's renderer, GPU and zygote processes) is summed (target: ratio ≤ 1.3). The start has
no target of its own: here every step runs back to back, whereas on a seat the candidate's typing
comes between them (the start target is `exam-desktop demo`'s, bench/bench_window.py).
Medians of the rounds. Linux only (reads /proc).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before anything is imported: start-up includes loading the libraries

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
BANKS = ("ml-engineers-test.md", "dl-assessment.md")
BARE_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script>window.MathJax = {{ startup: {{ typeset: false, ready() {{
  MathJax.startup.defaultReady();
  MathJax.startup.promise.then(() => MathJax.typesetPromise([document.getElementById('f')]))
    .then(() => {{ document.title = 'typeset'; }});
}} }} }};</script>
<script src="{mathjax}" async></script></head>
<body><p id="f">\\(\\frac{{\\partial \\mathcal{{L}}}}{{\\partial x}}\\)</p></body></html>"""


def tree_pss_kib(root: int) -> int:
    """PSS of `root` and every process below it, in KiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


# -------------------------------------------------------------------------------- child processes


def child_bare() -> tuple[float, int]:
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView

    from exam_desktop.gui.application import qt_application
    from exam_desktop.paths import mathjax_dir

    app = qt_application()
    page = Path(tempfile.mkdtemp(prefix="bench-bare-")) / "bare.html"
    page.write_text(BARE_PAGE.format(mathjax=(mathjax_dir() / "tex-svg-full.js").as_uri()))
    done: dict[str, float] = {}

    def title_changed(title: str) -> None:
        if title == "typeset" and "at" not in done:
            done["at"] = time.perf_counter()
            done["pss"] = tree_pss_kib(os.getpid())  # now, while the page is up
            app.quit()

    view = QWebEngineView()
    view.resize(1280, 860)
    view.titleChanged.connect(title_changed)
    view.load(QUrl.fromLocalFile(str(page)))
    view.show()
    app.exec()
    return done["at"] - STARTED, int(done["pss"])


def child_seat(package: Path, code: str, office_public: Path, data: Path) -> tuple[float, int, float]:
    from PySide6.QtCore import QEventLoop

    from exam_desktop.core.page.figures import packaged_content
    from exam_desktop.core.sealed.keys import load_public_key
    from exam_desktop.core.seat.session import ExamSession, LaunchSettings
    from exam_desktop.gui.application import qt_application
    from exam_desktop.gui.exam_page import ExamPage
    from exam_desktop.gui.exam_window import ExamWindow
    from exam_desktop.gui.kiosk import KioskWindow  # noqa: F401  (what a seat loads)

    app = qt_application()
    page = ExamPage()  # as the kiosk does: QtWebEngine starts while the candidate identifies
    session = ExamSession(
        LaunchSettings(package=package, data_dir=data, office_public_key=load_public_key(office_public))
    )
    session.preflight()
    session.identify({"name": "Bench Candidate", "student_id": "B-1"})
    while not page.bridge.is_loaded:  # on a seat the page loads while the candidate identifies
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    unlock_started = time.perf_counter()
    opened = session.unlock(code)
    unlock_s = time.perf_counter() - unlock_started  # scrypt on the start code: deliberately slow
    session.enter_kiosk(None)
    clock = session.run()
    assert session.exam is not None
    begin = time.perf_counter()  # the candidate presses Begin
    window = ExamWindow(
        session.exam,
        session.saving,
        clock,
        page=page,
        content=packaged_content(opened.figures, opened.images),
    )
    done: dict[str, float] = {}

    def ready() -> None:
        done["at"] = time.perf_counter()
        done["pss"] = tree_pss_kib(os.getpid())  # now, while the page is up
        app.quit()

    window.ready.connect(ready)
    window.resize(1280, 860)
    window.show()
    if not window.has_shown:
        app.exec()
    assert "matplotlib" not in sys.modules, "the seat loaded matplotlib"
    return done["at"] - STARTED - unlock_s, int(done["pss"]), done["at"] - begin


def run_child(*args: str) -> tuple[float, int, float]:
    env = dict(os.environ, EXAM_DESKTOP_DATA=tempfile.mkdtemp(prefix="bench-data-"))
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{out.stderr[-3000:]}")
    seconds, pss, begin = out.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(pss), float(begin)


def build(bank: str, folder: Path) -> tuple[Path, str, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from exam_desktop.core.bank import load_bank
    from exam_desktop.core.sealed.package import build_package

    key = Ed25519PrivateKey.generate()
    built = build_package(load_bank(REPO / "banks" / bank), key)
    package = folder / (Path(bank).stem + ".exam")
    package.write_bytes(built.package_bytes)
    public = folder / (Path(bank).stem + "-office-public.pem")
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public.write_bytes(pem)
    return package, built.start_code, public


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "bare":
            seconds, pss, begin = (*child_bare(), 0.0)
        else:
            package, code, public = rest
            seconds, pss, begin = child_seat(
                Path(package), code, Path(public), Path(tempfile.mkdtemp(prefix="seat-"))
            )
        print(seconds, pss, begin)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="bench-seat-"))
    packages = {bank: build(bank, folder) for bank in BANKS}
    runs: dict[str, list[tuple[float, int, float]]] = {"bare": [], **{bank: [] for bank in BANKS}}
    for _ in range(args.rounds):  # interleaved, so a busy moment hits every kind alike
        runs["bare"].append(run_child("bare"))
        for bank, (package, code, public) in packages.items():
            runs[bank].append(run_child("seat", str(package), code, str(public)))
    median = {k: tuple(statistics.median(run[i] for run in v) for i in range(3)) for k, v in runs.items()}
    bare_s, bare_pss, _ = median["bare"]
    report: dict[str, object] = {
        "rounds": args.rounds,
        "bare_s": round(bare_s, 3),
        "bare_pss_mib": round(bare_pss / 1024),
    }
    print(f"bare MathJax page: {bare_s:.3f} s from interpreter start, PSS {bare_pss / 1024:.0f} MiB")
    for bank in BANKS:
        seat_s, seat_pss, begin_s = median[bank]
        report[bank] = {
            "seat_s": round(seat_s, 3),
            "start_ratio": round(seat_s / bare_s, 2),
            "seat_pss_mib": round(seat_pss / 1024),
            "memory_ratio": round(seat_pss / bare_pss, 2),
            "begin_to_question_ms": round(begin_s * 1000),
        }
        print(
            f"seat, {bank}: {seat_s:.3f} s (ratio {seat_s / bare_s:.2f}), "
            f"PSS {seat_pss / 1024:.0f} MiB (ratio {seat_pss / bare_pss:.2f}, target <= 1.3); "
            f"Begin -> first question {begin_s * 1000:.0f} ms"
        )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
