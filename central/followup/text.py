"""Words of the printable follow-up report, in Swedish (default) and English; the console page has its own."""

from __future__ import annotations

from central.page_text import Lang

FOLLOWUP_TEXT: dict[Lang, dict[str, str]] = {
    "sv": {
        "title": "Uppföljning av digital nattillsyn {month}", "printed": "Utskriven {at} av {staff}",
        "lang_switch": "In English", "no_data": "Inga uppgifter för den här perioden.",
        "suppressed": "Antal under {n} visas som ”<{n}” så att ingen enskild brukare kan pekas ut.",
        "nights_note": "Nätter räknas som lokala nätter ({zone}, kl. 12–12), även över sommartidsbyte.",
        "checkins": "Tillsyner", "events": "Händelser", "response": "Svarstider (minuter)",
        "other": "Drift och samtycke",
        "per_week": "Per vecka", "per_night": "Per natt", "figure": "Uppgift", "value": "Värde",
        "median": "median", "p90": "90:e percentil", "n": "antal",
        "checkins_planned": "Planerade tillsyner", "checkins_done": "Utförda", "checkins_late": "Utförda sent",
        "checkins_missed": "Missade", "checkins_skipped_by_recipient": "Hoppades över (brukaren pausade)",
        "checkins_skipped_other": "Hoppades över (samtycke saknades)", "relooks": "Nya tittningar",
        "lookins_digital": "Digitala tittningar", "visits_physical": "Fysiska besök",
        "visits_avoided": "Besök som inte behövdes", "visits_due_to_downtime": "Besök på grund av kamerafel",
        "events_total": "Händelser totalt", "false_alarms": "Falsklarm", "false_alarm_rate": "Andel falsklarm",
        "ack": "Händelse → kvittens", "documented": "Händelse → dokumenterat utfall",
        "outages": "Avbrott (kamera/nod)", "downtime_h": "Driftstopp (timmar)",
        "consent_changes": "Samtyckesändringar", "pauses": "Pauser", "kind": "Händelsetyp",
        "severity": "Allvarlighet", "week": "Vecka", "night": "Natt",
        "sev_1": "information", "sev_2": "låg", "sev_3": "medel", "sev_4": "hög", "sev_unknown": "okänd",
    },
    "en": {
        "title": "Follow-up of digital night supervision {month}", "printed": "Printed {at} by {staff}",
        "lang_switch": "På svenska", "no_data": "No data for this period.",
        "suppressed": "Counts below {n} are shown as “<{n}” so that no single care recipient can be singled out.",
        "nights_note": "Nights are local nights ({zone}, noon to noon), across daylight-saving changes too.",
        "checkins": "Check-ins", "events": "Events", "response": "Response times (minutes)",
        "other": "Operation and consent", "per_week": "Per week", "per_night": "Per night", "figure": "Figure",
        "value": "Value", "median": "median", "p90": "90th percentile", "n": "count",
        "checkins_planned": "Planned check-ins", "checkins_done": "Done", "checkins_late": "Done late",
        "checkins_missed": "Missed", "checkins_skipped_by_recipient": "Skipped (the recipient paused)",
        "checkins_skipped_other": "Skipped (no consent then)", "relooks": "Re-looks",
        "lookins_digital": "Digital look-ins", "visits_physical": "Physical visits",
        "visits_avoided": "Visits avoided", "visits_due_to_downtime": "Visits because a camera failed",
        "events_total": "Events in total", "false_alarms": "False alarms", "false_alarm_rate": "False-alarm rate",
        "ack": "Event → acknowledged", "documented": "Event → outcome documented",
        "outages": "Outages (camera/node)", "downtime_h": "Downtime (hours)",
        "consent_changes": "Consent changes", "pauses": "Pauses", "kind": "Event kind",
        "severity": "Severity", "week": "Week", "night": "Night",
        "sev_1": "info", "sev_2": "low", "sev_3": "medium", "sev_4": "high", "sev_unknown": "unknown",
    },
}
