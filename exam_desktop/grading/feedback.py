"""Per-candidate feedback reports: one self-contained HTML page each, in a folder.

Each page opens with the candidate's score, overall and per domain (tag), then walks through the
questions: the question as it was shown, "What you selected" (their answer, marked right or
wrong), "Correct answer", the explanation and the grader's comment. Math is typeset by the
MathJax copy written next to the pages (`mathjax/tex-svg.js`), so the folder works offline and
can be handed out as it is; figures are SVG files in `figures/`.
"""

from __future__ import annotations

import functools
import html
import shutil
from collections.abc import Callable
from pathlib import Path

from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Essay, Exam, Question
from exam_desktop.core.page.answer_view import (
    FIGURE_URL_PREFIX,
    escaped,
    key_html,
    markdown,
    response_html,
    stem_html,
)
from exam_desktop.core.page.code_style import highlight_css
from exam_desktop.core.page.drawing import render_svg
from exam_desktop.core.page.figures import figure_id
from exam_desktop.core.page.strings import fill, strings_for
from exam_desktop.grading.annotate import annotated_essay_html, notes_list_html
from exam_desktop.grading.results import CandidateResult
from exam_desktop.paths import WEB_DIR, mathjax_dir

MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]], processEscapes: false},
  svg: {fontCache: "global"},
  options: {processHtmlClass: "arithmatex", ignoreHtmlClass: ".*", enableMenu: false}
};
"""

CHOICE_KINDS = ("single", "multiple", "truefalse")


def text_for(exam: Exam) -> dict[str, str]:
    """The pages speak the exam's language, as the exam did."""
    return strings_for(exam.language)


REPORT_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; color: #1d2330; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.summary { display: flex; gap: 2rem; align-items: baseline; border-bottom: 1px solid #d5d9e0;
           padding-bottom: 1rem; }
.total { font-size: 2rem; font-weight: 600; }
table.domains { border-collapse: collapse; margin: 1rem 0 2rem; }
table.domains td { padding: .2rem .8rem .2rem 0; }
.bar { width: 12rem; height: .6rem; background: #e6e9ee; border-radius: .3rem; overflow: hidden; }
.bar span { display: block; height: 100%; background: #2a7d4f; }
section.question { border: 1px solid #d5d9e0; border-radius: .5rem; padding: 1rem 1.25rem;
                   margin: 1.25rem 0; }
.question header { display: flex; justify-content: space-between; color: #5b6472;
                   font-size: .9rem; }
.question h2 { font-size: 1.1rem; margin: .3rem 0 .6rem; }
h3 { font-size: .95rem; margin: 1rem 0 .3rem; color: #39424f; }
.points { font-weight: 600; }
.points.full { color: #2a7d4f; } .points.none { color: #b3261e; } .points.part { color: #9a6700; }
.comment { border-left: 3px solid #1f6fc5; padding-left: .75rem; }
img.figure { max-width: 100%; }
.manual { color: #5b6472; font-style: italic; }
mark.note { background: #fff1a8; padding: 0 .1em; }
sup.note-number { color: #9a6700; font-weight: 600; margin-left: .1em; }
ol.notes q { font-style: italic; }
"""


class QuestionHtml:
    """What every candidate's page shows the same way — a question's stem, options, key and
    explanation — rendered once per exam, not once per candidate (Markdown is the cost of a page)."""

    def __init__(self, exam: Exam):
        self.exam = exam
        self._render: dict[str, Callable[[str], str]] = {}
        self._key: dict[str, str] = {}

    def render(self, q: Question) -> Callable[[str], str]:
        if q.id not in self._render:
            self._render[q.id] = functools.cache(functools.partial(markdown, q))
        return self._render[q.id]

    def key(self, q: Question) -> str:
        if q.id not in self._key:
            self._key[q.id] = key_html(q, self.exam.language, self.render(q))
        return self._key[q.id]


class FigureFolder:
    """Draws the figures a report needs into `folder/figures/` and points the HTML at them."""

    def __init__(self, folder: Path):
        self.folder = Path(folder) / "figures"
        self._drawn: set[str] = set()

    def add_question(self, question: Question) -> None:
        for fig in question.figures:
            name = figure_id(fig)
            if name in self._drawn:
                continue
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{name}.svg"
            if not path.exists():
                path.write_text(render_svg(fig), encoding="utf-8")
            self._drawn.add(name)

    @staticmethod
    def relink(page: str, prefix: str = "figures/") -> str:
        return page.replace(f'src="{FIGURE_URL_PREFIX}', f'src="{prefix}')


def write_feedback(
    exam: Exam,
    results: list[CandidateResult],
    folder: Path,
    *,
    scale: float = 100,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write one page per candidate (and `index.html` listing them) into `folder`."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _copy_mathjax(folder)
        answers_css = (WEB_DIR / "answers.css").read_text(encoding="utf-8")
        (folder / "report.css").write_text(REPORT_CSS + answers_css + highlight_css(), encoding="utf-8")
    except OSError as exc:
        raise KnownError(f"Cannot write the reports into {folder}: {exc.strerror}.") from None
    figures = FigureFolder(folder)
    for q in exam.questions:
        figures.add_question(q)
    pages = []
    shared = QuestionHtml(exam)
    for result in results:
        path = folder / f"candidate-{result.candidate.number:03d}.html"
        page = feedback_page(exam, result, scale=scale, shared=shared)
        path.write_text(FigureFolder.relink(page), encoding="utf-8")
        pages.append(path)
        if progress:
            progress(len(pages), len(results))
    (folder / "index.html").write_text(_index_page(exam, results, pages), encoding="utf-8")
    return pages


def feedback_page(
    exam: Exam, result: CandidateResult, *, scale: float = 100, shared: QuestionHtml | None = None
) -> str:
    """The feedback page of one candidate (figure URLs still ``exam://app/figure/...``); pass the
    same `shared` for every candidate of an exam to render its questions once."""
    shared = shared or QuestionHtml(exam)
    candidate = result.candidate
    name = candidate.fields.get("name") or candidate.label
    domains = "".join(
        f"<tr><td>{escaped(tag)}</td><td>{_points(s.points)} / {_points(s.max_points)}</td>"
        f'<td><div class="bar"><span style="width:{s.fraction * 100:.0f}%"></span></div></td></tr>'
        for tag, s in sorted(result.per_tag.items())
    )
    given = [q for q in exam.questions if q.id in result.scores]  # a drawn subset, or all
    questions = "".join(
        _question_section(exam, result, q, i, len(given), shared) for i, q in enumerate(given)
    )
    t = text_for(exam)
    pending = (
        f'<p class="manual">{fill(t["feedback_pending"], n=len(result.to_grade))}</p>'
        if result.to_grade
        else ""
    )
    body = f"""
<h1>{escaped(exam.title)}</h1>
<div class="summary">
  <div><div>{escaped(name)}</div>
    <div class="total">{_points(result.total)} / {_points(result.max_total)}</div></div>
  <div>{t["feedback_grade"]}: <b>{result.grade(scale):g}</b> / {scale:g}</div>
</div>
{pending}
<h3>{t["domain_scores"]}</h3>
<table class="domains">{domains}</table>
{questions}
"""
    return _page(f"{exam.title} — {name}", body, exam.language)


def _question_section(
    exam: Exam, result: CandidateResult, q: Question, index: int, count: int, shared: QuestionHtml
) -> str:
    render = shared.render(q)
    score = result.scores.get(q.id)
    points = score.points if score else 0.0
    cls = "full" if points >= q.points else "none" if points <= 0 else "part"
    t = text_for(exam)
    state = t["feedback_to_be_graded"] if score and score.needs_grading else ""
    parts = [
        f'<section class="question" id="{escaped(q.id)}">',
        (
            f"<header><span>{fill(t['question_of'], n=index + 1, total=count)}</span>"
            f'<span class="points {cls}">{_points(points)} / {_points(q.points)}{state}</span>'
            "</header>"
        ),
        f"<h2>{escaped(q.title)}</h2>",
        stem_html(q, render),
        f"<h3>{t['what_you_selected'] if q.kind in CHOICE_KINDS else t['your_answer']}</h3>",
        _answer_html(exam, result, q, render),
    ]
    if not isinstance(q.answer, Essay):
        parts += [f"<h3>{t['correct_answer']}</h3>", shared.key(q)]
    if q.explanation.strip():
        parts += [f"<h3>{t['explanation']}</h3>", render(q.explanation)]
    if score and score.comment.strip():
        parts += [f"<h3>{t['feedback_comment']}</h3>", f'<p class="comment">{escaped(score.comment)}</p>']
    if score and score.override_points is not None and score.override_reason:
        reason = fill(t["feedback_override"], reason=escaped(score.override_reason))
        parts.append(f'<p class="manual">{reason}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _answer_html(exam: Exam, result: CandidateResult, q: Question, render: Callable[[str], str]) -> str:
    """The candidate's answer; an essay with the grader's highlighted passages and notes."""
    response = result.responses.get(q.id)
    notes = result.annotations.get(q.id)
    if not notes or not isinstance(q.answer, Essay) or response is None or not response.answered:
        return response_html(q, response, exam.language, render)
    essay = annotated_essay_html(str(response.value), notes)
    heading = text_for(exam)["feedback_notes"]
    return f'<div class="answer-view"><div class="essay">{essay}</div></div>{notes_list_html(notes, heading)}'


def _index_page(exam: Exam, results: list[CandidateResult], pages: list[Path]) -> str:
    rows = "".join(
        f'<tr><td><a href="{p.name}">{escaped(r.candidate.label)}</a></td>'
        f"<td>{escaped(r.candidate.fields.get('name', ''))}</td>"
        f"<td>{_points(r.total)} / {_points(r.max_total)}</td></tr>"
        for r, p in zip(results, pages)
    )
    title = f"{exam.title} — {text_for(exam)['feedback']}"
    return _page(
        title,
        f'<h1>{escaped(title)}</h1><table class="domains">{rows}</table>',
        exam.language,
        mathjax=False,
    )


def _page(title: str, body: str, language: str, *, mathjax: bool = True) -> str:
    scripts = (
        '<script src="mathjax/config.js"></script>\n'
        '<script id="MathJax-script" async src="mathjax/tex-svg.js"></script>'
        if mathjax
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{html.escape(language)}"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="report.css">
{scripts}
</head><body>
{body}
</body></html>
"""


def _copy_mathjax(folder: Path) -> None:
    target = folder / "mathjax"
    target.mkdir(exist_ok=True)
    (target / "config.js").write_text(MATHJAX_CONFIG, encoding="utf-8")
    source = mathjax_dir() / "tex-svg.js"
    if not (target / "tex-svg.js").exists():
        shutil.copyfile(source, target / "tex-svg.js")


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
