"""MathML and TeX: QTI carries MathML, banks carry TeX.

The candidate page typesets TeX only (the HTML sanitiser drops `<math>`), so MathML arriving in a
QTI item is turned into TeX: from its `application/x-tex` annotation when present (our exports and
many authoring tools write one), else by converting the common presentation elements. Export goes
the other way with latex2mathml and keeps the TeX as an annotation.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from latex2mathml.converter import convert as latex_to_mathml

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
TEX_ENCODINGS = {"application/x-tex", "tex", "latex", "application/x-latex", "text/x-tex"}

_OPERATORS = {
    "×": r"\times",
    "·": r"\cdot",
    "⋅": r"\cdot",
    "÷": r"\div",
    "±": r"\pm",
    "∓": r"\mp",
    "≤": r"\le",
    "≥": r"\ge",
    "≠": r"\neq",
    "≈": r"\approx",
    "≡": r"\equiv",
    "∼": r"\sim",
    "→": r"\to",
    "←": r"\leftarrow",
    "⇒": r"\Rightarrow",
    "⇔": r"\Leftrightarrow",
    "↦": r"\mapsto",
    "∞": r"\infty",
    "∑": r"\sum",
    "∏": r"\prod",
    "∫": r"\int",
    "∂": r"\partial",
    "∇": r"\nabla",
    "∈": r"\in",
    "∉": r"\notin",
    "⊂": r"\subset",
    "⊆": r"\subseteq",
    "∪": r"\cup",
    "∩": r"\cap",
    "∀": r"\forall",
    "∃": r"\exists",
    "¬": r"\neg",
    "∧": r"\wedge",
    "∨": r"\vee",
    "−": "-",
    "…": r"\ldots",
    "⋯": r"\cdots",
    "′": "'",
    "∘": r"\circ",
    "⁡": "",
    "⁢": "",
    "{": r"\{",
    "}": r"\}",
}
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ϵ": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "ϕ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
    "Γ": "Gamma",
    "Δ": "Delta",
    "Θ": "Theta",
    "Λ": "Lambda",
    "Ξ": "Xi",
    "Π": "Pi",
    "Σ": "Sigma",
    "Φ": "Phi",
    "Ψ": "Psi",
    "Ω": "Omega",
}
_FUNCTIONS = {"sin", "cos", "tan", "log", "ln", "exp", "max", "min", "lim", "det", "arg", "sup", "inf"}
_ACCENTS = {
    "¯": r"\overline",
    "^": r"\hat",
    "ˆ": r"\hat",
    "~": r"\tilde",
    "˜": r"\tilde",
    "→": r"\vec",
    "⃗": r"\vec",
    "˙": r"\dot",
    "¨": r"\ddot",
}


class MathMLNotConvertible(Exception):
    """This MathML uses elements the converter does not know."""


def _name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _symbols(text: str) -> str:
    out = []
    for ch in text:
        if ch in _GREEK:
            out.append(f"\\{_GREEK[ch]} ")
        elif ch in _OPERATORS:
            out.append(_OPERATORS[ch] + (" " if _OPERATORS[ch].startswith("\\") else ""))
        else:
            out.append(ch)
    return "".join(out).strip() if len(out) > 1 else "".join(out)


def _group(tex: str) -> str:
    return tex if len(tex) == 1 else "{" + tex + "}"


def _children(element: ET.Element) -> list[ET.Element]:
    return list(element)


def _convert(element: ET.Element) -> str:
    name = _name(element)
    kids = _children(element)
    text = (element.text or "").strip()
    if name in ("math", "mrow", "mstyle", "mpadded", "mphantom", "merror"):
        return " ".join(filter(None, (_convert(k) for k in kids))).strip()
    if name == "semantics":
        for k in kids:
            if _name(k) == "annotation" and (k.get("encoding") or "").lower() in TEX_ENCODINGS:
                return (k.text or "").strip()
        return _convert(kids[0]) if kids else ""
    if name in ("annotation", "annotation-xml", "none", "mprescripts"):
        return ""
    if name == "mi":
        if text in _FUNCTIONS:
            return f"\\{text}"
        return (
            _symbols(text)
            if len(text) == 1
            else (f"\\mathrm{{{text}}}" if text.isalpha() else _symbols(text))
        )
    if name == "mn":
        return text
    if name == "mo":
        return _symbols(text)
    if name == "mtext":
        return f"\\text{{{element.text or ''}}}"
    if name == "mspace":
        return r"\,"
    if name in ("msup", "msub", "mfrac", "mroot", "munder", "mover") and len(kids) != 2:
        raise MathMLNotConvertible(f"<{name}> needs two children")
    if name == "msup":
        return f"{_group(_convert(kids[0]))}^{_group(_convert(kids[1]))}"
    if name == "msub":
        return f"{_group(_convert(kids[0]))}_{_group(_convert(kids[1]))}"
    if name in ("msubsup", "munderover") and len(kids) == 3:
        base, low, high = (_convert(k) for k in kids)
        return f"{_group(base)}_{_group(low)}^{_group(high)}"
    if name == "mfrac":
        return f"\\frac{{{_convert(kids[0])}}}{{{_convert(kids[1])}}}"
    if name == "msqrt":
        return f"\\sqrt{{{' '.join(_convert(k) for k in kids)}}}"
    if name == "mroot":
        return f"\\sqrt[{_convert(kids[1])}]{{{_convert(kids[0])}}}"
    if name == "mover":
        accent = (kids[1].text or "").strip()
        if accent in _ACCENTS:
            return f"{_ACCENTS[accent]}{{{_convert(kids[0])}}}"
        return f"\\overset{{{_convert(kids[1])}}}{{{_convert(kids[0])}}}"
    if name == "munder":
        return f"{_group(_convert(kids[0]))}_{_group(_convert(kids[1]))}"
    if name == "mfenced":
        open_, close = element.get("open", "("), element.get("close", ")")
        inner = element.get("separators", ",")[:1].join(_convert(k) for k in kids)
        return f"\\left{_fence(open_)} {inner} \\right{_fence(close)}"
    if name == "mtable":
        rows = [
            " & ".join(_convert(cell) for cell in row if _name(cell) == "mtd")
            for row in kids
            if _name(row) in ("mtr", "mlabeledtr")
        ]
        return "\\begin{matrix} " + r" \\ ".join(rows) + " \\end{matrix}"
    if name in ("mtd", "mtr"):
        return " ".join(_convert(k) for k in kids)
    raise MathMLNotConvertible(f"<{name}> is not converted to TeX")


def _fence(symbol: str) -> str:
    return {"{": r"\{", "}": r"\}", "": ".", "|": "|", "‖": r"\|", "⟨": r"\langle", "⟩": r"\rangle"}.get(
        symbol, symbol
    )


def mathml_to_tex(element: ET.Element) -> str:
    """The TeX of a `<math>` element. Raises MathMLNotConvertible for elements it cannot read."""
    return _convert(element).strip()


def is_display(element: ET.Element) -> bool:
    return element.get("display") == "block" or element.get("mode") == "display"


def tex_to_mathml(tex: str, *, display: bool = False) -> ET.Element:
    """A `<math>` element for TeX, with the TeX kept as an `application/x-tex` annotation."""
    converted = ET.fromstring(latex_to_mathml(tex, display="block" if display else "inline"))
    math = ET.Element(f"{{{MATHML_NS}}}math", {"display": "block" if display else "inline"})
    semantics = ET.SubElement(math, f"{{{MATHML_NS}}}semantics")
    row = ET.SubElement(semantics, f"{{{MATHML_NS}}}mrow")
    row.extend(list(converted))
    annotation = ET.SubElement(semantics, f"{{{MATHML_NS}}}annotation", {"encoding": "application/x-tex"})
    annotation.text = tex
    return math
