"""Bank Markdown becomes HTML that shows math, code and figures, and runs or fetches nothing."""

from __future__ import annotations

import re

import pytest

from exam_desktop.core.model import figure_token
from exam_desktop.core.page.code_style import highlight_css
from exam_desktop.core.page.render import render_markdown


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', html)


def test_inline_math_survives_markdown_untouched():
    html = render_markdown(r"Compute $a*b*c$ where $x_1 + y_2 = z_{ij}$ and \(a<b\).")
    assert r'<span class="arithmatex">\(a*b*c\)</span>' in html
    assert r'<span class="arithmatex">\(x_1 + y_2 = z_{ij}\)</span>' in html
    assert r'<span class="arithmatex">\(a&lt;b\)</span>' in html
    assert "<em>" not in html


def test_display_math_with_pmatrix_keeps_backslashes_and_ampersands():
    text = "Given\n\n$$\nx = \\begin{pmatrix}1 & -2\\\\ 3 & -4\\end{pmatrix}\n$$\n\nand \\[ \\sum_i x_i \\]"
    html = render_markdown(text)
    assert (
        '<div class="arithmatex">\\[\nx = \\begin{pmatrix}1 &amp; -2\\\\ 3 &amp; -4\\end{pmatrix}\n\\]</div>'
        in html
    )
    assert "\\sum_i x_i" in html


@pytest.mark.parametrize(
    "text",
    ["and\n$$x < y$$\nafter", "and\n$$\nx < y\n$$\nafter", "and \\[x < y\\] after"],
)
def test_display_math_inside_a_paragraph_is_kept_for_mathjax(text):
    html = render_markdown(text)
    assert re.search(r'<span class="arithmatex">\\\[\s*x &lt; y\s*\\\]</span>', html), html
    assert "$" not in html


def test_math_delimiters_inside_code_spans_stay_code():
    html = render_markdown("Type `$$x$$` or `\\[y\\]` literally.")
    assert "<code>$$x$$</code>" in html and "<code>\\[y\\]</code>" in html
    assert "arithmatex" not in html


def test_a_price_is_not_math():
    html = render_markdown("A coffee costs $2.00 and a cake $3.50.")
    assert "arithmatex" not in html
    assert "$2.00" in html and "$3.50" in html


def test_code_block_is_highlighted_with_classes_not_inline_styles():
    html = render_markdown("```python\nnum = np.ceil(m/64)  # <b>not bold</b>\n```")
    assert '<div class="highlight">' in html
    assert '<span class="n">np</span>' in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "style=" not in html


def test_highlight_css_styles_the_classes_used():
    css = highlight_css()
    assert ".highlight .n " in css or ".highlight .k " in css


def test_tables_render():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in html and "<td>1</td>" in html


def test_figure_token_becomes_an_app_image():
    text = f"Look at the boxes:\n\n{figure_token(0)}"
    html = render_markdown(text, figure_url=lambda n: f"exam://app/figure/{n}abc.svg")
    assert '<img class="figure" alt="Figure 1" src="exam://app/figure/0abc.svg">' in html


def test_figure_token_without_url_is_a_readable_placeholder():
    html = render_markdown(figure_token(1))
    assert "[Figure 2]" in html and "<img" not in html


def test_figure_url_outside_the_app_is_refused():
    html = render_markdown(figure_token(0), figure_url=lambda n: "http://example.com/f.svg")
    assert "example.com" not in html


def test_script_is_dropped_and_never_code():
    html = render_markdown("Before <script>alert('x')</script> after")
    assert "<script" not in html and "alert" not in html
    assert "Before" in html and "after" in html


def test_event_handlers_and_remote_images_are_dropped():
    html = render_markdown(
        '<img src="http://evil.example/x.png" onerror="alert(1)"> ![a](https://evil.example/y.png)'
    )
    assert "onerror" not in html and "evil.example" not in html and "alert" not in html


def test_javascript_links_lose_their_target():
    html = render_markdown(
        '<a href="javascript:alert(1)">click</a> [md](javascript:alert(2)) [web](https://example.com)'
    )
    assert "javascript" not in html and "example.com" not in html
    assert "click" in html and "md" in html


def test_styles_with_urls_iframes_and_svg_handlers_are_dropped():
    html = render_markdown(
        '<span style="background:url(http://evil.example/)">s</span>'
        '<iframe src="http://evil.example"></iframe><svg onload="alert(1)"></svg>'
        '<img src="//evil.example/x"><img src="data:image/png;base64,AAAA">'
    )
    assert "evil.example" not in html and "style" not in html
    assert "iframe" not in html and "onload" not in html and "data:" not in html


def test_only_app_urls_and_fragments_survive():
    html = render_markdown(
        '<a href="#q2">see</a> <a href="exam://app/help">help</a> <a href="/etc/passwd">f</a>'
        ' <a href="file:///etc/passwd">g</a>'
    )
    assert sorted(urls_in(html)) == ["#q2", "exam://app/help"]


def test_bank_images_go_through_the_image_callback():
    seen = []

    def image_url(src: str) -> str | None:
        seen.append(src)
        return None if src.startswith("..") else f"exam://app/bank/{src}"

    html = render_markdown(
        "![net](images/net.png) ![up](../secret.png) ![web](http://x.example/a.png)",
        image_url=image_url,
    )
    assert urls_in(html) == ["exam://app/bank/images/net.png"]
    assert seen == ["images/net.png", "../secret.png"]  # remote URLs never reach the callback


def test_image_callback_cannot_smuggle_a_remote_url():
    html = render_markdown("![a](a.png)", image_url=lambda src: "https://evil.example/a.png")
    assert "evil.example" not in html


def test_rendering_does_not_leak_between_calls():
    render_markdown("```python\nsecret = 1\n```\n\n$$x$$\n\n[^1]: note")
    html = render_markdown("plain")
    assert html == "<p>plain</p>"


def bank_texts(exam) -> list[str]:
    texts = [exam.instructions, *(s.intro for s in exam.sections)]
    for q in exam.questions:
        texts += [q.stem, q.explanation, *(c.text for c in getattr(q.answer, "choices", []))]
    return [t for t in texts if t]


def test_every_text_of_the_shipped_banks_keeps_its_math_for_mathjax():
    """No delimiter is left outside an arithmatex element (it would show as raw TeX)."""
    from conftest import BANKS

    from exam_desktop.core.bank import load_bank

    checked = 0
    for path in sorted(BANKS.glob("*.md")):
        for text in bank_texts(load_bank(path)):
            html = render_markdown(text, figure_url=lambda n: f"exam://app/figure/{n}.svg")
            outside = re.sub(r'<(span|div) class="arithmatex">.*?</\1>', "", html, flags=re.S)
            outside = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", outside, flags=re.S)
            for delimiter in ("$$", "\\(", "\\[", "@@figure"):
                assert delimiter not in outside, f"{path.name}: {delimiter} left in {html[:300]}"
            checked += 1
    assert checked > 100
