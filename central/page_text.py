"""Words of the recipient's own page and the transparency report, in Swedish (default) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["sv", "en"]

TEXT: dict[Lang, dict[str, str]] = {
    "sv": {
        "lang_switch": "In English",
        "page_title": "Kameran i ditt rum",
        "hello": "Kameran hos {name}",
        "state_on": "Kameran är på. Personalen kan titta in:",
        "state_events": "och vid larm om: {kinds}.",
        "state_paused": "Kameran är pausad till {until}. Ingen kan titta in, och inget upptäcks.",
        "state_none": "Inget samtycke är registrerat. Kameran används inte.",
        "state_withdrawn": "Samtycket är återkallat. Kameran används inte.",
        "state_level": "Det personalen ser: {level}. Aldrig ljud. Längst {seconds} sekunder.",
        "pause_button": "Pausa kameran i natt",
        "resume_button": "Starta kameran igen",
        "report_link": "Vem har tittat? Visa rapporten",
        "bad_link": "Länken gäller inte längre. Fråga personalen om en ny.",
        "report_title": "Vem har tittat? Rapport för {name}",
        "period": "Period: {start} till {end}",
        "looks": "Tillsyn via kamera",
        "no_looks": "Ingen har tittat in under perioden.",
        "col_when": "När", "col_who": "Vem", "col_why": "Varför", "col_length": "Hur länge", "col_outcome": "Utfall",
        "changes": "Ändringar av samtycket",
        "no_changes": "Inga ändringar under perioden.",
        "col_version": "Version", "col_by": "Ändrat av", "col_what": "Vad",
        "scheduled_lookin": "Planerad tillsyn", "event_lookin": "Larm: {reason}", "detection": "Upptäckt",
        "allowed": "Tittade in", "refused": "Nekades: {why}", "not_started": "Godkänd, aldrig startad",
        "seconds": "{n} s", "printed": "Utskriven {now}", "print": "Skriv ut",
        "faces_hidden": "ansikten dolda", "heavy_blur": "kraftigt suddig bild", "pixelate": "pixlad bild",
        "silhouette": "bara konturer",
    },
    "en": {
        "lang_switch": "På svenska",
        "page_title": "The camera in your room",
        "hello": "The camera at {name}'s",
        "state_on": "The camera is on. Staff may look in:",
        "state_events": "and on alarms for: {kinds}.",
        "state_paused": "The camera is paused until {until}. Nobody can look in, and nothing is detected.",
        "state_none": "No consent is on record. The camera is not used.",
        "state_withdrawn": "Consent has been withdrawn. The camera is not used.",
        "state_level": "What staff see: {level}. Never sound. At most {seconds} seconds.",
        "pause_button": "Pause the camera tonight",
        "resume_button": "Turn the camera back on",
        "report_link": "Who has looked? Show the report",
        "bad_link": "This link is no longer valid. Ask staff for a new one.",
        "report_title": "Who has looked? Report for {name}",
        "period": "Period: {start} to {end}",
        "looks": "Look-ins through the camera",
        "no_looks": "Nobody looked in during this period.",
        "col_when": "When", "col_who": "Who", "col_why": "Why", "col_length": "How long", "col_outcome": "Outcome",
        "changes": "Changes to the consent",
        "no_changes": "No changes during this period.",
        "col_version": "Version", "col_by": "Changed by", "col_what": "What",
        "scheduled_lookin": "Scheduled look-in", "event_lookin": "Alarm: {reason}", "detection": "Detection",
        "allowed": "Looked in", "refused": "Refused: {why}", "not_started": "Allowed, never started",
        "seconds": "{n} s", "printed": "Printed {now}", "print": "Print",
        "faces_hidden": "faces hidden", "heavy_blur": "heavily blurred picture", "pixelate": "pixelated picture",
        "silhouette": "outlines only",
    },
}

EVENT_WORDS: dict[Lang, dict[str, str]] = {
    "sv": {"on_floor": "på golvet", "person_not_visible": "syns inte", "bed_exit": "lämnat sängen",
           "out_of_bed_too_long": "länge ur sängen",
           "left_room": "lämnat rummet", "person_entered": "någon kom in", "multiple_people": "flera personer",
           "motion": "rörelse"},
    "en": {"on_floor": "on the floor", "person_not_visible": "not visible", "bed_exit": "left the bed",
           "out_of_bed_too_long": "out of bed too long",
           "left_room": "left the room", "person_entered": "someone came in", "multiple_people": "several people",
           "motion": "movement"},
}


def pick_lang(value: str | None) -> Lang:
    return "en" if value == "en" else "sv"


REFUSAL_WORDS: dict[Lang, dict[str, str]] = {
    "sv": {"no_consent": "inget samtycke", "withdrawn": "samtycket återkallat",
           "not_yet_valid": "samtycket gäller inte än", "expired": "samtycket har gått ut",
           "paused": "kameran var pausad", "detection_off": "upptäckt avstängd",
           "event_kind_not_consented": "inget samtycke för detta larm",
           "outside_window": "utanför de tider som samtycket anger"},
    "en": {"no_consent": "no consent", "withdrawn": "consent withdrawn", "not_yet_valid": "consent not yet valid",
           "expired": "consent expired", "paused": "the camera was paused", "detection_off": "detection switched off",
           "event_kind_not_consented": "no consent for this alarm",
           "outside_window": "outside the consented times"},
}

_CHANGE_WORDS: dict[Lang, dict[str, str]] = {
    "sv": {"terms recorded": "nya villkor", "withdrawn by": "återkallat av", "paused tonight by": "pausat i natt av",
           "on behalf of": "för", "pause ended by": "pausen avslutad av"},
    "en": {},
}


_ACTOR_WORDS: dict[Lang, str] = {
    "sv": "brukaren eller anhörig (egen länk)",
    "en": "the recipient or a relative (own link)",
}


def actor_words(actor: str, lang: Lang) -> str:
    """Who did it, as the report shows it; `recipient` is whoever used the personal link."""
    return _ACTOR_WORDS[lang] if actor == "recipient" else actor


def change_words(change: str, lang: Lang) -> str:
    """A stored change description (English) in `lang`."""
    if change.endswith(" by recipient"):
        change = change.removesuffix("recipient") + actor_words("recipient", lang)
    for english, words in _CHANGE_WORDS[lang].items():
        change = change.replace(english, words)
    return change
