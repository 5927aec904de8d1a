"""Whether this seat may trust the package's signer, and the invigilator's override when not.

A package carries the office public key that signed it, so without an office key installed on
the machine (`exam-desktop keys install`) any package verifies against itself: whoever made it
could have written the questions. A kiosk therefore refuses to start such a package unless the
invigilator overrides with the exam's PIN; the override — who, why, and the fingerprint of the
key the package claims — goes into the session's journal and from there into the result bundle.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from exam_desktop.core.seat.invigilator import InvigilatorError, pin_matches

if TYPE_CHECKING:
    from exam_desktop.core.seat.session import ExamSession

OVERRIDE_EVENT = "office_key_override"


def needs_office_key_override(session: ExamSession) -> bool:
    """No office key to check the package against, and no invigilator has overridden yet."""
    return session.settings.office_public_key is None and not session.office_key_overridden


def check_invigilator_pin(session: ExamSession, pin: str) -> bool:
    """The session's PIN: the one kept in its answer file (a relaunch), else the one set at
    build, else the one given at this launch (before the answer file exists)."""
    if session.desk is not None and session.desk.pin_record is not None:
        return pin_matches(pin, session.desk.pin_record)
    if session.header.has_pin:
        return session.header.check_pin(pin)
    given = session.settings.pin
    return given is not None and secrets.compare_digest(pin.encode(), given.encode())


def override_office_key(session: ExamSession, pin: str, who: str, reason: str) -> None:
    """The invigilator starts a package this machine cannot check; journaled (queued until the
    answer file exists)."""
    if not check_invigilator_pin(session, pin):
        raise InvigilatorError("That is not the invigilator PIN for this exam.", "pin_rejected")
    who, reason = who.strip(), reason.strip()
    if not who:
        raise InvigilatorError("Type your name or initials: the override records who took it.", "who_missing")
    if not reason:
        raise InvigilatorError("Type a reason: the override records why it was taken.", "reason_missing")
    session.office_key_overridden = True
    session.journal(
        OVERRIDE_EVENT,
        {"who": who, "reason": reason, "package_office_fingerprint": session.header.office_fingerprint},
    )
