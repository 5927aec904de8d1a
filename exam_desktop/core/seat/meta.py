"""The names of the session facts kept in the answer file's `meta` table, each named once.

Every reader and writer uses these names (`store.get_meta(Meta.CLOCK)`), so a fact cannot be
misspelt in one place and silently read as missing in another. Who writes each fact:

| fact | written by |
|---|---|
| SESSION, RULES, PIN | the session, when it creates the answer file |
| STEP | the session, after each step |
| CLOCK, HEARTBEAT | the session's heartbeat (the one owner of elapsed time) |
| POSITION, COMFORT, AIDS | the session's saving interface, for the exam window |
| SUBMITTED, PENDING_BUNDLE, BUNDLE | the session, at submit (core/seat/submit.py) |
| START_CODE_FAILURES | the session, on each wrong start code |
| DESK | the invigilator desk (pause, lock, extend, quit permitted) |
| ROOM_COLLECTED | the session, when the room console acknowledges its bundle |
"""

from __future__ import annotations

from enum import StrEnum


class Meta(StrEnum):
    SESSION = "session"  # id, nonce, exam, package hash, candidate, start time
    RULES = "rules"  # the incident rules in force
    PIN = "pin"  # the invigilator PIN's hash, when given at launch
    STEP = "step"  # the last session step completed
    CLOCK = "clock"  # ExamClock snapshot: elapsed and duration
    HEARTBEAT = "heartbeat"  # wall time and elapsed time of the last heartbeat
    POSITION = "position"  # the question to resume at
    COMFORT = "comfort"  # zoom, theme, font, spacing, timer hidden, line reader
    AIDS = "aids"  # per question (or passage): private notes, struck options, highlights; never graded
    SUBMITTED = "submitted"  # why the exam ended
    PENDING_BUNDLE = "pending_bundle"  # the signed bundle, kept until written (one session, one bundle)
    BUNDLE = "bundle"  # where the results bundle went and its receipt
    START_CODE_FAILURES = "start_code_failures"  # wrong codes so far (the back-off survives a restart)
    DESK = "invigilator"  # the invigilator desk's state: paused, locked, extensions, quit permitted
    ROOM_COLLECTED = "room_collected"  # the room console's receipt for the bundle it collected
