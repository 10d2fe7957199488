"""Words of the night report (handover), in Swedish (default) and English; the console has its own in i18n.js."""

from __future__ import annotations

from central.page_text import Lang

REPORT_TEXT: dict[Lang, dict[str, str]] = {
    "sv": {
        "title": "Nattrapport {night}", "printed": "Utskriven {at} av {staff}", "checkins": "Tillsyner",
        "events": "Händelser", "no_events": "Inga dokumenterade händelser.", "no_checkins": "Inga tillsyner.",
        "col_recipient": "Brukare", "col_room": "Rum", "col_time": "Tid", "col_state": "Status",
        "col_outcome": "Utfall", "col_note": "Anteckning", "col_staff": "Personal", "col_at": "Dokumenterad",
        "col_kind": "Händelse", "relook": "ny tittning", "lang_switch": "In English", "print": "Skriv ut",
        "upcoming": "kommande", "due": "att göra", "overdue": "försenad", "done": "klar",
        "skipped": "hoppas över", "skipped_paused": "pausad av brukaren",
        "sleeping": "sover", "awake_calm": "vaken och lugn", "needs_visit": "behöver besök", "visited": "besökt",
        "not_visible": "syns inte", "camera_failed_visit": "kamerafel → besök", "false_alarm": "falsklarm",
    },
    "en": {
        "title": "Night report {night}", "printed": "Printed {at} by {staff}", "checkins": "Check-ins",
        "events": "Events", "no_events": "No documented events.", "no_checkins": "No check-ins.",
        "col_recipient": "Recipient", "col_room": "Room", "col_time": "Time", "col_state": "State",
        "col_outcome": "Outcome", "col_note": "Note", "col_staff": "Staff", "col_at": "Documented",
        "col_kind": "Event", "relook": "re-look", "lang_switch": "På svenska", "print": "Print",
        "upcoming": "upcoming", "due": "due", "overdue": "overdue", "done": "done",
        "skipped": "skipped", "skipped_paused": "paused by the recipient",
        "sleeping": "sleeping", "awake_calm": "awake and calm", "needs_visit": "needs a visit", "visited": "visited",
        "not_visible": "not visible", "camera_failed_visit": "camera failed → visit", "false_alarm": "false alarm",
    },
}
