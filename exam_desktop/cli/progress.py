"""A progress bar with rate and ETA for long command-line steps (tqdm, on stderr).

Operations take a `progress(done, total)` callback and know nothing of terminals; the CLI passes a
`ProgressBar`. It draws only when stderr is a terminal and the step has enough items to be worth
it, so scripts, pipes and tests see no bar at all.
"""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """`progress(done, total)` drawn as one tqdm line: ``import  40%|████ | 400/1000 [00:01<00:01, 390 bundles/s]``."""

    MIN_ITEMS = 20

    def __init__(self, what: str, unit: str = "item", *, min_items: int = MIN_ITEMS) -> None:
        self.what = what
        self.unit = unit
        self.min_items = min_items
        self.enabled = sys.stderr.isatty()
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < self.min_items:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.what, unit=f" {self.unit}s", file=sys.stderr, leave=True)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
