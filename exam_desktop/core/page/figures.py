"""Where the page's figures and images come from, without drawing anything.

A figure is named by `figure_id`: the sha256 of its spec, so the same figure has the same name in a
package, in the page and in a grader's report. Two sources serve them:

- **A package** (the seat): every figure was drawn when the package was built and travels inside it,
  as do the bank's images; the seat serves them from memory and never loads matplotlib.
- **A bank on disk** (authors' `preview` and `demo`, graders' reports): figures are drawn on demand
  by core/page/drawing.py (matplotlib, imported only then) and images read from the bank's folder.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from exam_desktop.core.canonical import canonical_json
from exam_desktop.core.errors import KnownError
from exam_desktop.core.model import Figure, to_dict

log = logging.getLogger(__name__)

FIGURE_URL_PREFIX = "exam://app/figure/"
IMAGE_URL_PREFIX = "exam://app/image/"
MAX_IMAGE_BYTES = 20 * 1024 * 1024  # one bank image read from disk


def figure_id(fig: Figure) -> str:
    """The figure's name everywhere: sha256 of its canonical spec."""
    return hashlib.sha256(canonical_json({"figure": to_dict(fig)})).hexdigest()


@dataclass(frozen=True)
class PageContent:
    """The bytes behind a page's figures and images (None: not available, shown as missing)."""

    figure_svg: Callable[[Figure], bytes | None]
    image: Callable[[str], bytes | None]  # by the path written in the bank


def packaged_content(figures: Mapping[str, str], images: Mapping[str, bytes]) -> PageContent:
    """Figures and images as a package carries them (figure_id -> SVG text, path -> bytes)."""

    def figure_svg(fig: Figure) -> bytes | None:
        svg = figures.get(figure_id(fig))
        return svg.encode("utf-8") if svg is not None else None

    return PageContent(figure_svg, images.get)


def bank_content(bank_folder: Path | None) -> PageContent:
    """Figures drawn from their specs (cached on disk) and images read from the bank's folder."""
    folder = bank_folder.resolve() if bank_folder is not None else None

    def figure_svg(fig: Figure) -> bytes | None:
        from exam_desktop.core.page.drawing import figure_file  # matplotlib, only when drawing

        try:
            return figure_file(fig).read_bytes()
        except (KnownError, OSError) as exc:  # the checker let it through, matplotlib cannot draw it
            log.error("figure not drawn: %s", exc)
            return None

    def image(src: str) -> bytes | None:
        if folder is None:
            return None
        try:
            target = (folder / src).resolve()
            if folder not in target.parents or not target.is_file():
                return None
            if target.stat().st_size > MAX_IMAGE_BYTES:
                log.error("image %s is larger than %d bytes: not shown", src, MAX_IMAGE_BYTES)
                return None
            return target.read_bytes()
        except (OSError, ValueError):
            return None

    return PageContent(figure_svg, image)
