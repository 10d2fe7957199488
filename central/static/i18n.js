// All console strings, Swedish first. Keys are used by data-i18n attributes and console.js.
"use strict";
window.NATTVAKT_STRINGS = {
  sv: {
    title: "Nattvakt", login_heading: "Logga in", username: "Användarnamn", password: "Lösenord",
    login: "Logga in", logout: "Logga ut", events: "Händelser", no_events: "Inga händelser ännu.",
    login_failed: "Fel användarnamn eller lösenord.", connected: "Ansluten", reconnecting: "Återansluter…",
    acknowledge: "Kvittera", acknowledged_by: "Kvitterad av", ongoing: "pågår", ended: "avslutad",
    room: "Rum", other_language: "English",
    kind_motion: "Rörelse", kind_person_entered: "Person kom in", kind_bed_exit: "Lämnade sängen",
    kind_out_of_bed_too_long: "Uppe för länge", kind_on_floor: "Ligger på golvet", kind_left_room: "Lämnade rummet",
    kind_multiple_people: "Flera personer", kind_camera_fault: "Kamerafel", kind_light_change: "Ljuset ändrades",
    kind_detector_fault: "Detektorfel", kind_node_offline: "Kamera offline",
  },
  en: {
    title: "Nattvakt", login_heading: "Log in", username: "Username", password: "Password",
    login: "Log in", logout: "Log out", events: "Events", no_events: "No events yet.",
    login_failed: "Wrong username or password.", connected: "Connected", reconnecting: "Reconnecting…",
    acknowledge: "Acknowledge", acknowledged_by: "Acknowledged by", ongoing: "ongoing", ended: "ended",
    room: "Room", other_language: "Svenska",
    kind_motion: "Motion", kind_person_entered: "Person entered", kind_bed_exit: "Left the bed",
    kind_out_of_bed_too_long: "Out of bed too long", kind_on_floor: "On the floor", kind_left_room: "Left the room",
    kind_multiple_people: "Several people", kind_camera_fault: "Camera fault", kind_light_change: "Light changed",
    kind_detector_fault: "Detector fault", kind_node_offline: "Camera offline",
  },
};
