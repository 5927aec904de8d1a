"""Read-aloud for the exam page with QtTextToSpeech, where the computer has a voice.

`ReadAloud.available` is False (with a plain sentence in `message`) when no engine offers a voice;
the page then shows its read-aloud button disabled with that sentence, rather than a button that says
nothing. QtTextToSpeech is loaded only when the candidate first asks to hear something or when the
page asks whether it can; an engine that fails to start counts as no voice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QLocale

log = logging.getLogger(__name__)

ENGINES = ("speechd", "flite", "sapi", "winrt", "darwin")  # real voices, in order of preference


class ReadAloud:
    def __init__(self, language: str, on_finished: Callable[[], None] | None = None):
        self.language = language
        self.on_finished = on_finished
        self._speech = None
        self.available = False
        try:
            from PySide6.QtTextToSpeech import QTextToSpeech
        except ImportError as exc:  # the module needs libpulse on Linux
            log.info("read-aloud unavailable: %s", exc)
            return
        engines = [e for e in ENGINES if e in QTextToSpeech.availableEngines()]
        for engine in engines:
            speech = QTextToSpeech(engine)
            if speech.state() == QTextToSpeech.State.Error or not speech.availableVoices():
                speech.deleteLater()
                continue
            locale = QLocale(language)
            voices = [v for v in speech.availableVoices() if v.locale().language() == locale.language()]
            if voices:
                speech.setVoice(voices[0])
            speech.stateChanged.connect(self._state_changed)
            self._speech = speech
            self.available = True
            break

    def _state_changed(self, state) -> None:
        from PySide6.QtTextToSpeech import QTextToSpeech

        if state == QTextToSpeech.State.Ready and self.on_finished is not None:
            self.on_finished()

    def say(self, text: str) -> None:
        if self._speech is None:
            return
        if text.strip():
            self._speech.say(text)
        else:
            self._speech.stop()
