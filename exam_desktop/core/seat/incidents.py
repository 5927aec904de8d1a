"""Incidents during a proctored exam and what each exam does about them.

An incident is something the app notices but cannot prevent: the window losing focus, being hidden
or resized, a screen added or removed, text copied outside the exam pasted in, the computer's
clock being moved. Every incident is written to the session's journal; the exam's `SessionRules`
say per kind whether that is all (`log`), whether the candidate also sees a warning (`warn`), or
whether the screen locks until an invigilator unlocks it (`lock`).

Where the rules come from: the exam office writes them as a small JSON file next to the package
(or inline text) and the lab machine is launched with `exam-desktop launch EXAM.exam --policy
RULES`; without it, `DEFAULT_RULES` apply. The rules are saved in the session's answer file when
the session starts, so a relaunch after a crash keeps them (docs/lockdown.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from exam_desktop.core.errors import KnownError

INCIDENT_KINDS = (
    "focus-lost",
    "window-hidden",
    "resized",
    "screen-added",
    "screen-removed",
    "foreign-paste",
    "clock-jump",
)
Action = Literal["log", "warn", "lock"]
ACTIONS: tuple[Action, ...] = ("log", "warn", "lock")
DEFAULT_ACTIONS: dict[str, Action] = {
    "focus-lost": "warn",
    "window-hidden": "warn",
    "resized": "log",
    "screen-added": "warn",
    "screen-removed": "log",
    "foreign-paste": "warn",
    "clock-jump": "log",
}
DEFAULT_RESUME_GRACE_S = 5 * 60


class RulesInvalid(KnownError):
    """The incident rules given at launch cannot be read."""


@dataclass(frozen=True)
class SessionRules:
    """Per-exam rules: the action per incident kind, the downtime credited without a PIN, and
    whether the candidate's clock stops while an incident keeps the screen locked (it does unless
    the rules say ``lock_stops_clock: false``: a false alarm must not cost the candidate time)."""

    actions: dict[str, Action] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    resume_grace_s: float = DEFAULT_RESUME_GRACE_S
    lock_stops_clock: bool = True

    def action_for(self, kind: str) -> Action:
        return self.actions.get(kind, "log")

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "incidents": dict(self.actions),
            "resume_grace_minutes": self.resume_grace_s / 60,
        }
        if not self.lock_stops_clock:
            data["lock_stops_clock"] = False
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SessionRules:
        """From `to_dict` output or a rules file; unknown kinds or actions raise RulesInvalid."""
        if not isinstance(data, dict):
            raise RulesInvalid("The incident rules must be a JSON object.")
        unknown = set(data) - {"incidents", "resume_grace_minutes", "lock_stops_clock"}
        if unknown:
            raise RulesInvalid(
                f"Unknown setting(s) in the incident rules: {', '.join(sorted(unknown))}. "
                "Known: incidents, resume_grace_minutes, lock_stops_clock."
            )
        stops = data.get("lock_stops_clock", True)
        if not isinstance(stops, bool):
            raise RulesInvalid("lock_stops_clock must be true or false.")
        actions = dict(DEFAULT_ACTIONS)
        given = data.get("incidents", {})
        if not isinstance(given, dict):
            raise RulesInvalid('"incidents" must map incident kinds to log, warn or lock.')
        for kind, action in given.items():
            actions[_kind(kind)] = _action(kind, action)
        grace = data.get("resume_grace_minutes", DEFAULT_RESUME_GRACE_S / 60)
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or not 0 <= grace <= 600:
            raise RulesInvalid("resume_grace_minutes must be a number of minutes from 0 to 600.")
        return cls(actions, float(grace) * 60, stops)

    @classmethod
    def parse(cls, text: str) -> SessionRules:
        """A rules file's path, JSON text, or `kind=action,...` (``focus-lost=lock,grace=10,lock-clock=run``)."""
        text = text.strip()
        if text.endswith(".json") or Path(text).is_file():
            try:
                text = Path(text).read_text(encoding="utf-8")
            except OSError as exc:
                raise RulesInvalid(f"The rules file {text} cannot be read ({exc.strerror}).") from None
            except UnicodeDecodeError:
                raise RulesInvalid(
                    f"The rules file {text} is not a text file: it should hold JSON or kind=action pairs."
                ) from None
        if text.startswith("{"):
            try:
                return cls.from_dict(json.loads(text))
            except json.JSONDecodeError as exc:
                raise RulesInvalid(f"The incident rules are not valid JSON ({exc}).") from None
        incidents: dict[str, str] = {}
        grace: Any = DEFAULT_RESUME_GRACE_S / 60
        stops = True
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise RulesInvalid(f"{item!r} is not kind=action (e.g. focus-lost=lock).")
            name, value = name.strip(), value.strip()
            if name == "grace":
                try:
                    grace = float(value)
                except ValueError:
                    raise RulesInvalid(f"grace={value} is not a number of minutes.") from None
            elif name == "lock-clock":
                if value not in ("stop", "run"):
                    raise RulesInvalid(f"lock-clock={value}: say lock-clock=stop or lock-clock=run.")
                stops = value == "stop"
            else:
                incidents[name] = value
        return cls.from_dict(
            {"incidents": incidents, "resume_grace_minutes": grace, "lock_stops_clock": stops}
        )


def _kind(kind: Any) -> str:
    if kind not in INCIDENT_KINDS:
        raise RulesInvalid(f"{kind!r} is not an incident kind. Known kinds: {', '.join(INCIDENT_KINDS)}.")
    return str(kind)


def _action(kind: str, action: Any) -> Action:
    if action not in ACTIONS:
        raise RulesInvalid(f"The action for {kind} must be log, warn or lock, not {action!r}.")
    return action  # type: ignore[no-any-return]


WARNINGS = {
    "focus-lost": "You left the exam window. This was recorded.",
    "window-hidden": "The exam window was hidden. This was recorded.",
    "resized": "The exam window changed size. This was recorded.",
    "screen-added": "A screen was connected. This was recorded.",
    "screen-removed": "A screen was disconnected. This was recorded.",
    "foreign-paste": "Pasting text from outside the exam is not allowed. This was recorded.",
    "clock-jump": "The computer's clock changed; your time is not affected.",
}


def warning_text(kind: str) -> str:
    """The sentence a candidate sees for a `warn` incident."""
    return WARNINGS.get(kind, "Something unusual happened and was recorded.")
