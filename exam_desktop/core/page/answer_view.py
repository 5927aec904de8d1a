"""How a candidate's answer and a question's key are shown, as HTML, wherever they are shown: the
practice results after `demo`, the feedback pages and the grading window.

The answer is shown as the exam showed it and marked against the key: the options with the ones
picked ticked (right or wrong), matrix cells and template blanks right or wrong, pairs and order
item by item. Words are in the exam's language (`core.page.strings`). Bank text goes through
`render`, a function the caller may give (the exam window's, which also serves the bank's images);
by default `core.page.render.render_markdown` with figures at ``exam://app/figure/<hash>.svg``, the
URLs the grading window serves and a report rewrites to its own copies. Everything a candidate
typed is escaped, their math marked for MathJax. Both come in a ``div.answer-view``, whose look is
`assets/web/answers.css`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from exam_desktop.core.model import (
    DragWords,
    Essay,
    Matching,
    Matrix,
    MultipleChoice,
    Numeric,
    NumericAnswer,
    Ordering,
    Question,
    ShortText,
    SingleChoice,
    Template,
    TrueFalse,
)
from exam_desktop.core.numbers import format_number
from exam_desktop.core.page.figures import FIGURE_URL_PREFIX, figure_id
from exam_desktop.core.page.render import render_markdown, without_paragraph
from exam_desktop.core.page.strings import fill, strings_for
from exam_desktop.core.responses import Response
from exam_desktop.core.scoring import blank_matches, normalise_text, read_number, within_tolerance

Render = Callable[[str], str]  # bank Markdown of one question -> sanitised HTML


def figure_url_for(question: Question) -> Callable[[int], str | None]:
    def url(index: int) -> str | None:
        if 0 <= index < len(question.figures):
            return f"{FIGURE_URL_PREFIX}{figure_id(question.figures[index])}.svg"
        return None

    return url


def markdown(question: Question, text: str) -> str:
    """Bank text of `question` as HTML, figures at their ``exam://app/figure/`` URLs."""
    return render_markdown(text, figure_url=figure_url_for(question))


def _renderer(question: Question, render: Render | None) -> Render:
    return render if render is not None else (lambda text: markdown(question, text))


def _inline(render: Render, text: str) -> str:
    """A short bank text (a prompt, an item) without its enclosing paragraph."""
    return without_paragraph(render(text))


def stem_html(question: Question, render: Render | None = None) -> str:
    return _renderer(question, render)(question.stem)


def escaped(text: Any) -> str:
    return html.escape("" if text is None else str(text))


# Math a candidate typed: $$..$$, \[..\], \(..\), and $..$ with no space inside the dollars
# (so "$2.00 and $3" stays text), as the bank format reads it.
_TYPED_MATH = re.compile(
    r"\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\]|\\\((?P<i1>.+?)\\\)"
    r"|\$(?P<i2>[^\s$](?:[^$\n]*?[^\s$])?)\$",
    re.DOTALL,
)


def typed_text_html(text: str) -> str:
    """What a candidate typed, escaped, with their math marked for MathJax (never run as HTML)."""
    out, last = [], 0
    for match in _TYPED_MATH.finditer(text):
        out.append(escaped(text[last : match.start()]))
        display = match.group("d1") or match.group("d2")
        if display is not None:
            out.append(f'<span class="arithmatex">\\[{escaped(display)}\\]</span>')
        else:
            inline = match.group("i1") or match.group("i2")
            out.append(f'<span class="arithmatex">\\({escaped(inline)}\\)</span>')
        last = match.end()
    out.append(escaped(text[last:]))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# The candidate's answer


def response_html(
    question: Question,
    response: Response | None,
    language: str = "en",
    render: Render | None = None,
) -> str:
    """The candidate's answer, shown as the exam showed it (options with their marks, fields)."""
    return f'<div class="answer-view">{_response(question, response, language, render)}</div>'


def _response(question: Question, response: Response | None, language: str, render: Render | None) -> str:
    w = strings_for(language)
    show = _renderer(question, render)
    if response is not None and response.dont_know:
        return f'<p class="dont-know">“{w["dont_know"]}”</p>'
    value = response.value if response is not None else None
    answer = question.answer
    if isinstance(answer, (SingleChoice, MultipleChoice)):
        return _choices_html(question, picked_ids(value), show, show_key=False)
    if response is None or not response.answered:
        return f'<p class="unanswered">{w["no_answer"]}</p>'
    if isinstance(answer, TrueFalse):
        right = "right" if value is answer.answer else "wrong"
        return f'<p class="typed {right}">{w["true_label"] if value else w["false_label"]}</p>'
    if isinstance(answer, Numeric):
        unit = f" {escaped(answer.unit)}" if answer.unit else ""
        return f'<p class="typed"><code>{escaped(value)}</code>{unit}</p>'
    if isinstance(answer, Matrix):
        return _matrix_html(value if isinstance(value, list) else [], answer, language)
    if isinstance(answer, Template):
        return _template_html(answer, value if isinstance(value, dict) else {})
    if isinstance(answer, ShortText):
        return f'<p class="typed">{escaped(value)}</p>'
    if isinstance(answer, Matching):
        return _matching_html(answer, value if isinstance(value, list) else [], show)
    if isinstance(answer, DragWords):
        return _dragwords_html(answer, value if isinstance(value, list) else [], show)
    if isinstance(answer, Ordering):
        order = [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
        items = "".join(
            f'<li class="{"right" if answer.items[i : i + 1] == [item] else "wrong"}">'
            f"{_inline(show, item) if item in answer.items else escaped(item)}</li>"
            for i, item in enumerate(order)
        )
        return f'<ol class="ordering">{items}</ol>'
    if isinstance(answer, Essay):
        count = len(str(value).split())
        counted = w["one_word"] if count == 1 else fill(w["words"], n=count)
        return f'<div class="essay">{typed_text_html(str(value))}</div><p class="words">{counted}</p>'
    return f"<pre>{escaped(value)}</pre>"  # pragma: no cover - every kind is handled above


def picked_ids(value: Any) -> set[str]:
    """The option ids in a choice answer (one id, or a list of them); anything else is ignored."""
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, str)}


def _choices_html(question: Question, picked: set[str], show: Render, *, show_key: bool) -> str:
    items = []
    for choice in question.answer.choices:  # type: ignore[union-attr]
        classes = []
        if choice.id in picked:
            classes.append("picked")
        if show_key and choice.correct:
            classes.append("correct")
        if choice.id in picked and not show_key:
            classes.append("right" if choice.correct else "wrong")
        mark = "☒" if (choice.id in picked if not show_key else choice.correct) else "☐"
        items.append(
            f'<li class="{" ".join(classes)}"><span class="mark">{mark}</span>'
            f'<div class="choice-text">{show(choice.text)}</div></li>'
        )
    return f'<ul class="choices">{"".join(items)}</ul>'


def _matching_html(answer: Matching, picks: list[Any], show: Render) -> str:
    rows = []
    for i, prompt in enumerate(answer.prompts):
        pick = picks[i] if i < len(picks) else None
        chosen = (
            answer.options[pick]
            if isinstance(pick, int) and not isinstance(pick, bool) and 0 <= pick < len(answer.options)
            else None
        )
        cls = ""
        if answer.key and i < len(answer.key):
            cls = ' class="right"' if pick == answer.key[i] else ' class="wrong"'
        rows.append(
            f"<tr><td>{_inline(show, prompt)}</td>"
            f"<td{cls}>{_inline(show, chosen) if chosen is not None else '—'}</td></tr>"
        )
    return f'<table class="matching">{"".join(rows)}</table>'


def _matrix_html(rows: list[Any], answer: Matrix, language: str) -> str:
    cells = []
    for r in range(answer.rows):
        row = rows[r] if r < len(rows) and isinstance(rows[r], list) else []
        tds = []
        for c in range(answer.cols):
            text = row[c] if c < len(row) else ""
            cls = ""
            if answer.key and r < len(answer.key) and c < len(answer.key[r]):
                number = read_number(text, language)
                ok = number is not None and within_tolerance(number, answer.key[r][c], answer.tolerance)
                cls = ' class="right"' if ok else ' class="wrong"'
            tds.append(f"<td{cls}>{escaped(text)}</td>")
        cells.append(f"<tr>{''.join(tds)}</tr>")
    return f'<table class="matrix">{"".join(cells)}</table>'


def _template_html(answer: Template, filled: dict[str, Any]) -> str:
    text = escaped(answer.text)
    for blank in answer.blanks:
        typed = filled.get(blank.name)
        typed = typed if isinstance(typed, str) else ""
        if blank.manual:
            cls = "manual"
        else:
            cls = "right" if blank_matches(blank, typed) else "wrong"
        shown = escaped(typed) if typed.strip() else "&nbsp;" * 4
        text = text.replace(
            escaped(f"[[{blank.name}]]"),
            f'<span class="blank {cls}" title="{escaped(blank.name)}">{shown}</span>',
        )
    tag = "pre" if answer.monospace else "p"
    return f'<{tag} class="template">{text}</{tag}>'


def _dragwords_html(answer: DragWords, placed: list[Any], show: Render) -> str:
    """The text with the words placed in its gaps, each marked right or wrong."""
    marked = re.sub(r"\[\[(\d+)\]\]", lambda m: f"@@gap{m.group(1)}@@", answer.text)

    def gap(m: re.Match[str]) -> str:
        i = int(m.group(1)) - 1
        word = placed[i] if i < len(placed) and isinstance(placed[i], str) else ""
        right = i < len(answer.key) and word == answer.key[i]
        shown = escaped(word) if word else "&nbsp;" * 4
        return f'<span class="blank {"right" if right else "wrong"}">{shown}</span>'

    filled = re.sub(r"@@gap(\d+)@@", gap, show(marked))
    return f'<div class="dragwords">{filled}</div>'


# --------------------------------------------------------------------------------------------
# The key


def key_html(question: Question, language: str = "en", render: Render | None = None) -> str:
    """The correct answer, as the candidate should have given it."""
    return f'<div class="answer-view key">{_key(question, language, render)}</div>'


def _key(question: Question, language: str, render: Render | None) -> str:
    w = strings_for(language)
    show = _renderer(question, render)
    answer = question.answer
    if isinstance(answer, (SingleChoice, MultipleChoice)):
        return _choices_html(question, set(), show, show_key=True)
    if isinstance(answer, TrueFalse):
        return f'<p class="typed">{w["true_label"] if answer.answer else w["false_label"]}</p>'
    if isinstance(answer, Numeric):
        accepted = [_numeric_text(a, answer.unit, language) for a in sorted(answer.answers, key=_by_weight)]
        return '<ul class="accepted">' + "".join(f"<li>{a}</li>" for a in accepted) + "</ul>"
    if isinstance(answer, Matrix):
        rows = [[format_number(x, language) for x in row] for row in answer.key]
        body = "".join("<tr>" + "".join(f"<td>{escaped(x)}</td>" for x in r) + "</tr>" for r in rows)
        return f'<table class="matrix key">{body}</table>'
    if isinstance(answer, Template):
        items = []
        for blank in answer.blanks:
            shown = (
                w["key_by_hand"]
                if blank.manual
                else w["or"].join(f"<code>{escaped(a)}</code>" for a in blank.accepted)
            )
            if blank.options:
                others = [o for o in blank.options if o not in blank.accepted]
                shown += f" <small>({escaped(' · '.join(others))})</small>" if others else ""
            items.append(f"<li><b>{escaped(blank.name)}</b>: {shown}</li>")
        return f'<ul class="blanks">{"".join(items)}</ul>'
    if isinstance(answer, Matching):
        return _matching_html(answer, list(answer.key), show)
    if isinstance(answer, DragWords):
        return _dragwords_html(answer, list(answer.key), show)
    if isinstance(answer, Ordering):
        in_order = "".join(f"<li>{_inline(show, item)}</li>" for item in answer.items)
        return f'<ol class="ordering">{in_order}</ol>'
    if isinstance(answer, ShortText):
        listed = [a for a in answer.accepted if normalise_text(a) != "*"]
        return '<p class="typed">' + w["or"].join(f"<code>{escaped(a)}</code>" for a in listed) + "</p>"
    return f'<p class="manual">{w["key_graded_by_hand"]}</p>'


def _by_weight(a: NumericAnswer) -> float:
    return -a.weight


def _numeric_text(a: NumericAnswer, unit: str, language: str) -> str:
    text = format_number(a.value, language)
    if a.tolerance:
        text += (
            f" ± {format_number(a.tolerance * 100, language)} %"
            if a.relative
            else f" ± {format_number(a.tolerance, language)}"
        )
    if unit:
        text += f" {unit}"
    if a.weight < 1:
        text += f" ({fill(strings_for(language)['worth'], percent=f'{a.weight:.0%}')})"
    return escaped(text)
