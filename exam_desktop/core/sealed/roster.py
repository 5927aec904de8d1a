"""Accommodations: the roster of candidates with a profile, built into the signed package.

`exam-desktop build BANK --roster ROSTER.csv` reads one row per candidate who has an accommodation:

    candidate_id,extra_time,breaks,break_minutes,tools
    S-1912,25%,1,10,
    S-2001,30,0,0,magnifier;reading-ruler

`extra_time` is minutes (``30``) or a share of the duration (``25%``); `breaks` is how many rest breaks
the candidate may start themselves (the clock stops during each, for up to `break_minutes`); `tools`
lists reading aids and tools turned on for that candidate, separated by ``;``. The roster travels
inside the encrypted, signed package content; at the seat the ID the candidate types at
identification selects their profile once the package is opened.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from exam_desktop.core.errors import KnownError

COLUMNS = ("candidate_id", "extra_time", "breaks", "break_minutes", "tools")
MAX_BREAKS = 10
_TOOL = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


class RosterInvalid(KnownError):
    """A roster row cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Profile:
    """One candidate's accommodations."""

    candidate_id: str
    extra_minutes: float = 0.0
    extra_percent: float = 0.0
    breaks: int = 0
    break_minutes: float = 0.0
    tools: list[str] = field(default_factory=list)

    def extra_s(self, duration_s: float) -> float:
        """The extra time this candidate has on an exam of `duration_s`."""
        return self.extra_minutes * 60 + duration_s * self.extra_percent / 100

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        return cls(
            str(data["candidate_id"]),
            float(data.get("extra_minutes", 0)),
            float(data.get("extra_percent", 0)),
            int(data.get("breaks", 0)),
            float(data.get("break_minutes", 0)),
            [str(t) for t in data.get("tools", [])],
        )


def normalize_id(candidate_id: str) -> str:
    """IDs match however they are typed: case and spaces do not count."""
    return "".join(candidate_id.split()).casefold()


def read_roster(path: Path) -> dict[str, Profile]:
    """The roster file's profiles by normalised candidate ID; RosterInvalid at the first bad line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterInvalid(f"{path}: cannot be read ({exc.strerror}).") from None
    return parse_roster(text, str(path))


def parse_roster(text: str, name: str = "roster") -> dict[str, Profile]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None:
        raise RosterInvalid(
            f"{name}:1: the roster is empty; its first line names the columns {', '.join(COLUMNS)}."
        )
    header = [h.strip().lower() for h in header]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown or "candidate_id" not in header:
        raise RosterInvalid(
            f"{name}:1: the columns must be {', '.join(COLUMNS)} (candidate_id required)"
            + (f"; unknown: {', '.join(unknown)}." if unknown else ".")
        )
    profiles: dict[str, Profile] = {}
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise RosterInvalid(
                f"{name}:{line}: {len(row)} cells, but the header names {len(header)} columns."
            )
        cells = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        profile = _profile(cells, f"{name}:{line}")
        key = normalize_id(profile.candidate_id)
        if key in profiles:
            raise RosterInvalid(f"{name}:{line}: candidate {profile.candidate_id} is already in the roster.")
        profiles[key] = profile
    return profiles


def _profile(cells: dict[str, str], where: str) -> Profile:
    candidate_id = cells.get("candidate_id", "")
    if not candidate_id:
        raise RosterInvalid(f"{where}: the candidate_id is empty.")
    extra = cells.get("extra_time", "").replace(" ", "")
    minutes = percent = 0.0
    try:
        if extra.endswith("%"):
            percent = float(extra[:-1])
        elif extra:
            minutes = float(extra.removesuffix("min"))
    except ValueError:
        raise RosterInvalid(
            f"{where}: extra_time {cells['extra_time']!r} is neither minutes (30) nor a share (25%)."
        ) from None
    if not (0 <= minutes <= 480 and 0 <= percent <= 200):
        raise RosterInvalid(f"{where}: extra_time must be 0 to 480 minutes or 0% to 200%.")
    try:
        breaks = int(cells.get("breaks") or 0)
        break_minutes = float(cells.get("break_minutes") or 0)
    except ValueError:
        raise RosterInvalid(
            f"{where}: breaks is a whole number and break_minutes a number of minutes."
        ) from None
    if not 0 <= breaks <= MAX_BREAKS or not 0 <= break_minutes <= 120:
        raise RosterInvalid(f"{where}: up to {MAX_BREAKS} breaks of up to 120 minutes each.")
    if breaks and not break_minutes:
        raise RosterInvalid(f"{where}: {breaks} break(s) but break_minutes is empty: say how long each is.")
    tools = [t.strip().lower() for t in cells.get("tools", "").split(";") if t.strip()]
    for tool in tools:
        if not _TOOL.match(tool):
            raise RosterInvalid(f"{where}: {tool!r} is not a tool name (letters, digits and -).")
    return Profile(candidate_id, minutes, percent, breaks, break_minutes, tools)
