"""Text people read, per language (the exam's `language`; English otherwise): the exam window,
the screens around it on a seat, answers shown against their key (`core.page.answer_view`) and the
feedback pages.

Placeholders are written ``{name}``; the page fills the ones it needs (counts), Python the rest.
A text that depends on a count has one entry per CLDR plural category, ``key_one``, ``key_other``
(and ``key_many`` ... where a language needs them); `plural()` picks the form with Babel's plural
rules and writes the number as the language does (`number()`: "2,37" in Italian and French).

English and Italian are written here; further languages come from translation files, one per
language, in gettext PO form (`assets/translations/<code>.po`: the key as `msgctxt`, the English
text as `msgid`, the translation as `msgstr`), which a translator edits with any PO editor without
reading Python. An entry left empty shows the English text.
"""

from __future__ import annotations

from functools import cache

from exam_desktop.core.languages import babel_locale, base_language
from exam_desktop.paths import ASSETS_DIR

TRANSLATIONS_DIR = ASSETS_DIR / "translations"

EN: dict[str, str] = {
    "questions": "Questions",
    "previous": "← Previous",
    "next": "Next →",
    "review_submit": "Review and submit",
    "review_finish": "Review and finish",
    "flag": "⚑ Flag for review",
    "unflag": "⚑ Flagged — remove flag",
    "high_contrast": "High contrast",
    "cancel": "Cancel",
    "keys_help": "Keys: Alt+N next · Alt+P previous · Alt+F flag · Alt+R review · Ctrl + / Ctrl − zoom",
    "legend_answered": "answered",
    "legend_unanswered": "not answered",
    "legend_flagged": "flagged",
    "nav_label": "Question {n}, {state}",
    "page_short": "Page {n}",
    "page_of": "Page {n} of {total}",
    "question_of": "Question {n} of {total}",
    "points_one": "1 point",
    "points_many": "{n} points",
    "pick_one": "Pick one of the choices",
    "select_all": "Select all that apply",
    "select_exactly": "Select exactly {n}",
    "selected_of": "{n} of {total} selected",
    "selected": "{n} selected",
    "clear_selection": "Clear selection",
    "true_label": "True",
    "false_label": "False",
    "your_answer": "Your answer",
    "matrix_hint": "One number per cell. Tab or the arrow keys move between cells.",
    "cell_label": "Row {row}, column {col}",
    "template_hint": "Fill in the blanks.",
    "blank_label": "Blank {n} ({name})",
    "words": "{n} words",
    "min_words": "at least {n}",
    "max_words": "at most {n}",
    "dont_know": "I don't know yet",
    "matching_hint": "For each line, choose its answer from the list.",
    "answers_list": "Answers",
    "choose": "— choose —",
    "ordering_hint": "Put the items in order with the arrow buttons (first at the top).",
    "move_up": "Move “{item}” up",
    "move_down": "Move “{item}” down",
    "keep_order": "This order is my answer",
    "rating_question": "How would you rate this question?",
    "rating_n": "{n} of 5",
    "number_read": "Read as {value}",
    "math_error": "This formula could not be shown: {error}",
    "saving": "Saving…",
    "saved": "✓ All answers saved",
    "not_saved": "✗ Not saved — retrying",
    "crash_notice": "Something went wrong in the exam program. Your answers are saved. If the screen stops responding, please call the invigilator.",
    "time_left": "{time} left",
    "time_up": "Time is up",
    "notice_15": "15 minutes left.",
    "notice_5": "5 minutes left.",
    "review_title": "Review your answers",
    "review_summary": "{answered} of {total} questions answered.",
    "unanswered": "Not answered",
    "flagged": "Flagged for review",
    "none_unanswered": "Every question has an answer.",
    "none_flagged": "No question is flagged.",
    "back_to_questions": "Back to the questions",
    "submit": "Submit",
    "finish": "Finish and see results",
    "confirm_submit": "Submit your answers now? You cannot change them afterwards.",
    "confirm_submit_open": "{n} questions have no answer. Submit anyway? You cannot change your answers afterwards.",
    "submitted_title": "Your answers have been submitted",
    "submitted_text": "Please stay in your seat and wait for the invigilator.",
    "submitted_time_text": "Time is up: your answers have been submitted. Please wait for the invigilator.",
    "locked": "The exam is paused. Please wait for the invigilator.",
    "results_title": "Results",
    "score_text": "Score: {points} of {max} points ({percent}%)",
    "points_of": "{points} of {max} points",
    "domain": "Domain",
    "score": "Score",
    "domain_scores": "Score per domain",
    "what_you_selected": "What you selected",
    "correct_answer": "Correct answer",
    "explanation": "Explanation",
    "graded_by_hand": "Graded by hand: {points} of {max} points still to be marked.",
    "blank_answer": "{name}: {text}",
    "no_explanation": "",
    # answers shown against their key (core/page/answer_view.py)
    "no_answer": "No answer.",
    "one_word": "1 word",
    "or": " or ",
    "key_by_hand": "graded by hand",
    "key_graded_by_hand": "Graded by hand.",
    "worth": "worth {percent} of the points",
    # feedback pages (grading/feedback.py)
    "feedback": "feedback",
    "feedback_pending": "{n} question(s) are still being graded.",
    "feedback_grade": "Grade",
    "feedback_to_be_graded": " (to be graded)",
    "feedback_comment": "Grader’s comment",
    "feedback_override": "Points set by a grader: {reason}",
}

IT: dict[str, str] = {
    **EN,
    "questions": "Domande",
    "previous": "← Indietro",
    "next": "Avanti →",
    "review_submit": "Rivedi e invia",
    "review_finish": "Rivedi e termina",
    "flag": "⚑ Segna per revisione",
    "unflag": "⚑ Segnata — togli segno",
    "high_contrast": "Alto contrasto",
    "cancel": "Annulla",
    "keys_help": "Tasti: Alt+N avanti · Alt+P indietro · Alt+F segna · Alt+R rivedi · Ctrl + / Ctrl − zoom",
    "legend_answered": "con risposta",
    "legend_unanswered": "senza risposta",
    "legend_flagged": "segnata",
    "nav_label": "Domanda {n}, {state}",
    "page_short": "Pagina {n}",
    "page_of": "Pagina {n} di {total}",
    "question_of": "Domanda {n} di {total}",
    "points_one": "(1 punto)",
    "points_many": "({n} punti)",
    "pick_one": "Scegli una risposta",
    "select_all": "Seleziona tutte le risposte corrette",
    "select_exactly": "Seleziona esattamente {n} risposte",
    "selected_of": "{n} di {total} selezionate",
    "selected": "{n} selezionate",
    "clear_selection": "Cancella selezione",
    "true_label": "Vero",
    "false_label": "Falso",
    "your_answer": "La tua risposta",
    "matrix_hint": "Un numero per cella. Tab o le frecce spostano tra le celle.",
    "cell_label": "Riga {row}, colonna {col}",
    "template_hint": "Completa gli spazi vuoti.",
    "blank_label": "Spazio {n} ({name})",
    "words": "{n} parole",
    "min_words": "almeno {n}",
    "max_words": "al massimo {n}",
    "dont_know": "Non lo so ancora",
    "matching_hint": "Per ogni riga, scegli la risposta dall'elenco.",
    "answers_list": "Risposte",
    "choose": "— scegli —",
    "ordering_hint": "Metti gli elementi in ordine con i pulsanti a freccia (il primo in alto).",
    "move_up": "Sposta “{item}” in su",
    "move_down": "Sposta “{item}” in giù",
    "keep_order": "Questo ordine è la mia risposta",
    "rating_question": "Come valuti questa domanda?",
    "rating_n": "{n} su 5",
    "number_read": "Letto come {value}",
    "math_error": "Questa formula non può essere mostrata: {error}",
    "saving": "Salvataggio…",
    "saved": "✓ Tutte le risposte salvate",
    "not_saved": "✗ Non salvato — nuovo tentativo",
    "crash_notice": "Si è verificato un problema nel programma d'esame. Le tue risposte sono salvate. Se lo schermo non risponde più, chiama il sorvegliante.",
    "time_left": "{time} rimanenti",
    "time_up": "Tempo scaduto",
    "notice_15": "Mancano 15 minuti.",
    "notice_5": "Mancano 5 minuti.",
    "review_title": "Rivedi le risposte",
    "review_summary": "{answered} domande su {total} con risposta.",
    "unanswered": "Senza risposta",
    "flagged": "Segnate per revisione",
    "none_unanswered": "Tutte le domande hanno una risposta.",
    "none_flagged": "Nessuna domanda segnata.",
    "back_to_questions": "Torna alle domande",
    "submit": "Invia",
    "finish": "Termina e vedi i risultati",
    "confirm_submit": "Inviare ora le risposte? Dopo non potrai più modificarle.",
    "confirm_submit_open": "{n} domande sono senza risposta. Inviare comunque? Dopo non potrai più modificare le risposte.",
    "submitted_title": "Le tue risposte sono state inviate",
    "submitted_text": "Resta al tuo posto e attendi il docente.",
    "submitted_time_text": "Tempo scaduto: le risposte sono state inviate. Attendi il docente.",
    "locked": "L'esame è in pausa. Attendi il docente.",
    "results_title": "Risultati",
    "score_text": "Punteggio: {points} su {max} punti ({percent}%)",
    "points_of": "{points} su {max} punti",
    "domain": "Argomento",
    "score": "Punteggio",
    "domain_scores": "Punteggio per argomento",
    "what_you_selected": "Cosa hai selezionato",
    "correct_answer": "Risposta corretta",
    "explanation": "Spiegazione",
    "graded_by_hand": "Corretta a mano: {points} di {max} punti ancora da assegnare.",
    "no_answer": "Nessuna risposta.",
    "one_word": "1 parola",
    "or": " oppure ",
    "key_by_hand": "corretta a mano",
    "key_graded_by_hand": "Corretta a mano.",
    "worth": "vale il {percent} dei punti",
    "feedback": "riscontro",
    "feedback_pending": "Domande ancora da correggere: {n}.",
    "feedback_grade": "Voto",
    "feedback_to_be_graded": " (da correggere)",
    "feedback_comment": "Commento del correttore",
    "feedback_override": "Punti assegnati da un correttore: {reason}",
}

# The screens around the exam on a seat (gui/kiosk.py, gui/exam_window.py's header and time)
SEAT_EN: dict[str, str] = {
    "identify_prompt": "Please identify yourself.",
    "optional": "(optional)",
    "continue": "Continue",
    "back_correct": "Back / correct",
    "start": "Start",
    "thank_you_wait": "Thank you, {name}. Wait for the invigilator to give the start code, then type it here.",
    "welcome_back": "Welcome back, {name}. Your answers are saved. Type the start code again to continue.",
    "try_again_now": "You can try again now.",
    "wait_seconds": "Too many wrong codes: wait {n} seconds.",
    "duration": "Duration: {duration}",
    "time_left_now": "Time left: {time}",
    "ends_at": "Ends at {time}",
    "default_instructions": "Answer every question. Your answers are saved at once.",
    "begin": "Begin the exam",
    "continue_exam": "Continue the exam",
    "interrupted": "The exam was interrupted for about {minutes}. Please call the invigilator to continue; the interruption does not count against your time.",
    "instructions": "Instructions",
    "close_instructions": "Back to the exam",
    "locked_because": "This screen is locked because {why}. Please call the invigilator.",
    "locked_clock_stopped": "Your time is stopped until the invigilator unlocks the screen.",
    "locked_clock_runs": "Your time keeps running.",
    "lock_focus-lost": "another window took the keyboard",
    "lock_window-hidden": "the exam window was hidden",
    "lock_resized": "the exam window changed size",
    "lock_screen-added": "a screen was connected",
    "lock_screen-removed": "a screen was disconnected",
    "lock_foreign-paste": "text from outside the exam was pasted",
    "lock_clock-jump": "the computer's clock was changed",
    "lock_other": "of an incident",
    "paused": "The invigilator has paused the exam. Your time is not running.",
    "on_break": "You are on a break. Your time is not running.",
    "take_break": "Take a break",
    "end_break": "End the break",
    "breaks_left": "Breaks left: {n}",
    "extra_time_given": "The invigilator gave you extra time.",
    "cannot_close": "The exam window cannot be closed during the exam.",
    "time_up_title": "Time is up",
    "time_up_saving": "Your answers are being saved. Please take your hands off the keyboard.",
    "submitted_heading": "Submitted",
    "receipt_intro": "Your answers were submitted. Your receipt code is:",
    "receipt_write": "Write it on the attendance sheet, then wait for the invigilator.",
    "saved_here_title": "Your answers are saved on this machine",
    "not_ready_title": "This machine is not ready",
    "cannot_start_title": "The exam cannot start",
    "close": "Close",
    "exam_in_progress": "Exam in progress",
    "fill_in": "Please fill in “{label}”.",
    "no_office_key": "No exam office key is installed on this machine: the package was checked only against the key it carries. Install one with `exam-desktop keys install`.",
    "code_rejected": "This start code does not open the exam. Check it with the invigilator and type it again.",
    "results_local_only": "The results could not be copied to {folder}. They are safe on this machine in {local}; the invigilator can copy them later.",
    "legend_dont_know": "don't know yet",
    "legend_invalid": "needs a look",
    "dont_know_list": "“I don't know yet”",
    "invalid_list": "Answers that need a look",
    "none_dont_know": "No question is marked “I don't know yet”.",
    "none_invalid": "Every answer given can be read.",
    "invalid_number": "“{text}” cannot be read as a number.",
    "invalid_cell": "Row {row}, column {col}: “{text}” is not a number.",
    "invalid_cells_empty": "Some cells are still empty ({n}).",
    "invalid_picks": "Select exactly {n}: you selected {given}.",
    "invalid_blanks_empty": "Some blanks are still empty ({n}).",
}

SEAT_IT: dict[str, str] = {
    "identify_prompt": "Identificati, per favore.",
    "optional": "(facoltativo)",
    "continue": "Continua",
    "back_correct": "Indietro / correggi",
    "start": "Inizia",
    "thank_you_wait": "Grazie, {name}. Attendi che il sorvegliante comunichi il codice di avvio, poi scrivilo qui.",
    "welcome_back": "Bentornato, {name}. Le tue risposte sono salvate. Scrivi di nuovo il codice di avvio per continuare.",
    "try_again_now": "Ora puoi riprovare.",
    "wait_seconds": "Troppi codici errati: attendi {n} secondi.",
    "duration": "Durata: {duration}",
    "time_left_now": "Tempo rimasto: {time}",
    "ends_at": "Termina alle {time}",
    "default_instructions": "Rispondi a tutte le domande. Le risposte vengono salvate subito.",
    "begin": "Inizia l'esame",
    "continue_exam": "Continua l'esame",
    "interrupted": "L'esame è stato interrotto per circa {minutes}. Chiama il sorvegliante per continuare; l'interruzione non conta nel tuo tempo.",
    "instructions": "Istruzioni",
    "close_instructions": "Torna all'esame",
    "locked_because": "Lo schermo è bloccato perché {why}. Chiama il sorvegliante.",
    "locked_clock_stopped": "Il tuo tempo è fermo finché il sorvegliante non sblocca lo schermo.",
    "locked_clock_runs": "Il tuo tempo continua a scorrere.",
    "lock_focus-lost": "un'altra finestra ha preso la tastiera",
    "lock_window-hidden": "la finestra dell'esame è stata nascosta",
    "lock_resized": "la finestra dell'esame ha cambiato dimensione",
    "lock_screen-added": "è stato collegato uno schermo",
    "lock_screen-removed": "è stato scollegato uno schermo",
    "lock_foreign-paste": "è stato incollato testo da fuori dell'esame",
    "lock_clock-jump": "l'orologio del computer è stato cambiato",
    "lock_other": "c'è stato un imprevisto",
    "paused": "Il sorvegliante ha messo in pausa l'esame. Il tuo tempo è fermo.",
    "on_break": "Sei in pausa. Il tuo tempo è fermo.",
    "take_break": "Fai una pausa",
    "end_break": "Termina la pausa",
    "breaks_left": "Pause rimaste: {n}",
    "extra_time_given": "Il sorvegliante ti ha dato tempo in più.",
    "cannot_close": "La finestra dell'esame non può essere chiusa durante l'esame.",
    "time_up_title": "Tempo scaduto",
    "time_up_saving": "Salvataggio delle risposte in corso. Togli le mani dalla tastiera.",
    "submitted_heading": "Inviato",
    "receipt_intro": "Le tue risposte sono state inviate. Il tuo codice di ricevuta è:",
    "receipt_write": "Scrivilo sul foglio presenze, poi attendi il sorvegliante.",
    "saved_here_title": "Le tue risposte sono salvate su questo computer",
    "not_ready_title": "Questo computer non è pronto",
    "cannot_start_title": "L'esame non può iniziare",
    "close": "Chiudi",
    "exam_in_progress": "Esame in corso",
    "fill_in": "Compila il campo “{label}”.",
    "no_office_key": "Su questo computer non è installata la chiave dell'ufficio esami: il pacchetto è stato verificato solo con la chiave che porta con sé. Installala con `exam-desktop keys install`.",
    "code_rejected": "Questo codice di avvio non apre l'esame. Verificalo con il sorvegliante e scrivilo di nuovo.",
    "results_local_only": "Non è stato possibile copiare i risultati in {folder}. Sono al sicuro su questo computer in {local}; il sorvegliante potrà copiarli più tardi.",
    "legend_dont_know": "non lo so ancora",
    "legend_invalid": "da controllare",
    "dont_know_list": "“Non lo so ancora”",
    "invalid_list": "Risposte da controllare",
    "none_dont_know": "Nessuna domanda segnata “Non lo so ancora”.",
    "none_invalid": "Tutte le risposte date sono leggibili.",
    "invalid_number": "“{text}” non si legge come numero.",
    "invalid_cell": "Riga {row}, colonna {col}: “{text}” non è un numero.",
    "invalid_cells_empty": "Alcune celle sono ancora vuote ({n}).",
    "invalid_picks": "Seleziona esattamente {n}: ne hai selezionate {given}.",
    "invalid_blanks_empty": "Alcuni spazi sono ancora vuoti ({n}).",
}
# Texts with a count: one entry per plural category of the language (see `plural`).
PLURAL_EN: dict[str, str] = {
    "points_other": "{n} points",
    "minutes_one": "{n} minute",
    "minutes_other": "{n} minutes",
    "hours_minutes": "{h} h {mm} min",
    "review_summary_one": "{answered} of {n} question answered.",
    "review_summary_other": "{answered} of {n} questions answered.",
    "confirm_submit_open_one": "1 question has no answer yet. Submit anyway? You cannot change your answers afterwards.",
    "confirm_submit_open_other": "{n} questions have no answer yet. Submit anyway? You cannot change your answers afterwards.",
    "selected_one": "{n} selected",
    "words_one": "{n} word",
    "words_other": "{n} words",
    "notice_left_one": "{n} minute left.",
    "notice_left_other": "{n} minutes left.",
    "notice_under_minute": "Less than a minute left.",
    "quit_permitted": "The invigilator has allowed this window to close. Your answers are saved.",
    "warn_focus-lost": "You left the exam window. This was recorded.",
    "warn_window-hidden": "The exam window was hidden. This was recorded.",
    "warn_resized": "The exam window changed size. This was recorded.",
    "warn_screen-added": "A screen was connected. This was recorded.",
    "warn_screen-removed": "A screen was disconnected. This was recorded.",
    "warn_foreign-paste": "Pasting text from outside the exam is not allowed. This was recorded.",
    "warn_clock-jump": "The computer's clock changed; your time is not affected.",
}
PLURAL_IT: dict[str, str] = {
    "points_other": "({n} punti)",
    "minutes_one": "{n} minuto",
    "minutes_other": "{n} minuti",
    "hours_minutes": "{h} h {mm} min",
    "review_summary_one": "Risposte date: {answered} su {n} domanda.",
    "review_summary_other": "Risposte date: {answered} su {n} domande.",
    "confirm_submit_open_one": "1 domanda è ancora senza risposta. Inviare comunque? Dopo non potrai più modificare le risposte.",
    "confirm_submit_open_other": "{n} domande sono ancora senza risposta. Inviare comunque? Dopo non potrai più modificare le risposte.",
    "selected_one": "{n} selezionata",
    "words_one": "{n} parola",
    "words_other": "{n} parole",
    "notice_left_one": "Manca {n} minuto.",
    "notice_left_other": "Mancano {n} minuti.",
    "notice_under_minute": "Manca meno di un minuto.",
    "quit_permitted": "Il sorvegliante ha permesso di chiudere questa finestra. Le tue risposte sono salvate.",
    "warn_focus-lost": "Hai lasciato la finestra dell'esame. È stato registrato.",
    "warn_window-hidden": "La finestra dell'esame è stata nascosta. È stato registrato.",
    "warn_resized": "La finestra dell'esame ha cambiato dimensione. È stato registrato.",
    "warn_screen-added": "È stato collegato uno schermo. È stato registrato.",
    "warn_screen-removed": "È stato scollegato uno schermo. È stato registrato.",
    "warn_foreign-paste": "Non si può incollare testo da fuori dell'esame. È stato registrato.",
    "warn_clock-jump": "L'orologio del computer è cambiato; il tuo tempo non cambia.",
}
# The invigilator panel (gui/invigilator.py)
INVIGILATOR_EN: dict[str, str] = {
    "inv_pin_title": "Invigilator",
    "inv_pin_prompt": "Type the invigilator PIN.",
    "inv_pin": "PIN",
    "inv_open": "Open panel",
    "inv_back": "Back to the exam",
    "inv_who_hint": "your name or initials",
    "inv_reason_hint": "why (recorded in the exam journal)",
    "inv_who": "Invigilator",
    "inv_reason": "Reason",
    "inv_extra": "Extra time",
    "inv_min": " min",
    "inv_extend": "Extend time",
    "inv_pause": "Pause",
    "inv_resume": "Resume",
    "inv_unlock": "Unlock screen",
    "inv_continue": "Continue after interruption",
    "inv_permit-quit": "Permit quitting",
    "inv_end": "End exam now",
    "inv_new-candidate": "New candidate",
    "inv_close": "Close panel",
    "inv_yes": "Yes: {action}",
    "inv_done": "Done: {action}.",
    "inv_wait_pins": "Too many wrong PINs: wait {n} seconds.",
    "inv_not_started": "The exam has not started on this machine yet.",
    "inv_panel": "Invigilator panel",
    "inv_left": "{n} min left",
    "inv_extended": "extended by {n} min",
    "inv_paused": "PAUSED",
    "inv_locked": "LOCKED ({why})",
    "inv_on_break": "ON A BREAK",
    "inv_quit_permitted": "QUITTING PERMITTED: the window may now be closed",
    "inv_waiting_continue": "waiting for you to continue after an interruption",
    "inv_extend_off": "Extend time is off: this exam's package was built without --extra-time-allowed. Extra time for a candidate comes from the package's roster; for an interruption use Pause.",
    "inv_extend_not_started": "Extend time works once the exam has started.",
    "inv_this_candidate": "this candidate",
    "inv_confirm_end": "End the exam for {who} now? Their answers are submitted and cannot be changed afterwards.",
    "inv_confirm_permit-quit": "Permit {who}'s exam window to close without submitting? The candidate can then leave the exam; it can be resumed only by launching it again.",
    "inv_confirm_new-candidate": "Seat a new candidate? {who}'s submitted session is archived on this machine and the seat shows the identification screen again.",
    "inv_confirm_continue": "Continue {who}'s exam after the interruption? The interruption will not count against their time, and this is recorded.",
}
INVIGILATOR_IT: dict[str, str] = {
    "inv_pin_title": "Sorvegliante",
    "inv_pin_prompt": "Scrivi il PIN del sorvegliante.",
    "inv_pin": "PIN",
    "inv_open": "Apri il pannello",
    "inv_back": "Torna all'esame",
    "inv_who_hint": "il tuo nome o le iniziali",
    "inv_reason_hint": "perché (registrato nel diario dell'esame)",
    "inv_who": "Sorvegliante",
    "inv_reason": "Motivo",
    "inv_extra": "Tempo in più",
    "inv_min": " min",
    "inv_extend": "Dai tempo in più",
    "inv_pause": "Pausa",
    "inv_resume": "Riprendi",
    "inv_unlock": "Sblocca lo schermo",
    "inv_continue": "Continua dopo l'interruzione",
    "inv_permit-quit": "Permetti di uscire",
    "inv_end": "Termina l'esame ora",
    "inv_new-candidate": "Nuovo candidato",
    "inv_close": "Chiudi il pannello",
    "inv_yes": "Sì: {action}",
    "inv_done": "Fatto: {action}.",
    "inv_wait_pins": "Troppi PIN errati: attendi {n} secondi.",
    "inv_not_started": "L'esame non è ancora iniziato su questo computer.",
    "inv_panel": "Pannello del sorvegliante",
    "inv_left": "{n} min rimasti",
    "inv_extended": "prolungato di {n} min",
    "inv_paused": "IN PAUSA",
    "inv_locked": "BLOCCATO ({why})",
    "inv_on_break": "IN PAUSA RIPOSO",
    "inv_quit_permitted": "USCITA PERMESSA: ora la finestra si può chiudere",
    "inv_waiting_continue": "attende che tu faccia continuare dopo un'interruzione",
    "inv_extend_off": "Il tempo in più è disattivato: il pacchetto di questo esame è stato creato senza --extra-time-allowed. Il tempo in più per un candidato viene dal roster del pacchetto; per un'interruzione usa Pausa.",
    "inv_extend_not_started": "Il tempo in più si può dare quando l'esame è iniziato.",
    "inv_this_candidate": "questo candidato",
    "inv_confirm_end": "Terminare ora l'esame di {who}? Le risposte vengono inviate e non si potranno più cambiare.",
    "inv_confirm_permit-quit": "Permettere che la finestra dell'esame di {who} si chiuda senza inviare? Il candidato può allora lasciare l'esame; si riprende solo avviandolo di nuovo.",
    "inv_confirm_new-candidate": "Far sedere un nuovo candidato? La sessione inviata di {who} viene archiviata su questo computer e la postazione mostra di nuovo l'identificazione.",
    "inv_confirm_continue": "Far continuare l'esame di {who} dopo l'interruzione? L'interruzione non conta nel suo tempo, e viene registrato.",
}
EN.update({**SEAT_EN, **PLURAL_EN, **INVIGILATOR_EN, "_language": "en"})
IT.update(
    {**SEAT_EN, **PLURAL_EN, **INVIGILATOR_EN, **SEAT_IT, **PLURAL_IT, **INVIGILATOR_IT, "_language": "it"}
)

TABLES = {"en": EN, "it": IT}


def strings_for(language: str) -> dict[str, str]:
    """The interface strings for `language` (e.g. "it", "it-IT"); English when unknown."""
    code = base_language(language)
    if code in TABLES:
        return TABLES[code]
    translated = _translation(code)
    return {**EN, **translated, "_language": code} if translated else EN


@cache
def _translation(code: str) -> dict[str, str]:
    """The entries of `assets/translations/<code>.po` that have a translation, by key."""
    path = TRANSLATIONS_DIR / f"{code}.po"
    if not code.isalpha() or not path.is_file():
        return {}
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    return {
        str(message.context): str(message.string)
        for message in catalog
        if message.id and message.context and message.string and not message.fuzzy
    }


def plural(strings: dict[str, str], key: str, n: float, **values: object) -> str:
    """The text `key` for the count `n` in the table's language, `{n}` written as that language does."""
    language = strings.get("_language", "en")
    form = babel_locale(language).plural_form(abs(n))
    template = strings.get(f"{key}_{form}") or strings.get(f"{key}_other") or strings[key]
    return fill(template, n=number(n, language), **values)


def number(value: float, language: str, decimals: int = 2) -> str:
    """A score or count as people of `language` write it: at most `decimals` decimals, their
    decimal mark ("2.37", "2,37") and grouping, by Babel's CLDR data."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(round(value, decimals), format=pattern, locale=babel_locale(language))


def percent(fraction: float, language: str) -> str:
    """`fraction` (0.25) as a whole percentage written as `language` does ("25 %" in French)."""
    from babel.numbers import format_percent

    return format_percent(fraction, locale=babel_locale(language))


def fill(template: str, **values: object) -> str:
    """`template` with each ``{name}`` replaced; unknown placeholders stay as they are."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template
