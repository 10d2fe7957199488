// Tonight's check-ins and the outcome dialog (for check-ins and events). Works with console.js through DOM events:
// nattvakt:session (logged in or out), nattvakt:lang (language switched), nattvakt:document (document an event),
// nattvakt:consent (consent changed somewhere: reload).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const OUTCOMES = ["sleeping", "awake_calm", "needs_visit", "visited", "not_visible", "camera_failed_visit",
    "false_alarm"];
  const REFRESH_MS = 30000;
  let night = null;
  let timer = null;
  let draft = null;  // { type, recipientId?, slotAt?, eventId?, subject, outcome, note }: kept until saved

  const lang = () => document.documentElement.lang || "sv";
  const t = (key) => (window.NATTVAKT_STRINGS[lang()] || {})[key] || key;
  const clock = (iso) => new Date(iso).toLocaleTimeString(lang() === "sv" ? "sv-SE" : "en-GB",
    { hour: "2-digit", minute: "2-digit", timeZone: window.NATTVAKT_HOME_TZ });
  // A check-in's moment with its date: a night spans two dates, and an old one must not pass for tonight's.
  const when = (iso) => new Date(iso).toLocaleString(lang() === "sv" ? "sv-SE" : "en-GB",
    { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
      timeZone: window.NATTVAKT_HOME_TZ });

  async function load() {
    let response;
    try {
      response = await fetch("/api/tonight");
    } catch (err) {
      $("tonight-status").textContent = t("reconnecting");
      return;
    }
    if (response.status === 401) return;  // console.js shows the login; the page keeps its state
    if (response.status === 503) { $("tonight-status").textContent = t("db_unavailable"); return; }
    if (!response.ok) return;
    night = await response.json();
    $("tonight-status").textContent = "";
    render();
  }

  function render() {
    if (!night) return;
    const rows = night.recipients.flatMap((r) => r.slots.map((slot) => ({ recipient: r, slot })))
      .sort((a, b) => a.slot.slot_at.localeCompare(b.slot.slot_at));
    $("checkins").replaceChildren(...rows.map(row));
    $("no-checkins").hidden = rows.length > 0;
    const query = `night=${night.night}&lang=${lang()}`;
    $("report-html").href = `/api/reports/night?format=html&${query}`;
    $("report-csv").href = `/api/reports/night?format=csv&${query}`;
  }

  function row({ recipient, slot }) {
    const li = document.createElement("li");
    li.className = `checkin state-${slot.state}`;
    li.dataset.slotAt = slot.slot_at;
    li.dataset.recipientId = recipient.id;
    const title = document.createElement("strong");
    const label = slot.relook_of ? t("relook") : t("checkin");
    title.textContent = `${when(slot.slot_at)} · ${recipient.name}`;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${label} · ${t("room")} ${recipient.room} · ${t("window")} ${clock(slot.start)}–${clock(slot.end)}`;
    const state = document.createElement("span");
    state.className = "state";
    let text = t(`state_${slot.state}`);
    if (slot.state === "skipped") text += ` (${slot.skip_reason === "paused" ? t("skip_paused") : t("skip_other")})`;
    if (slot.outcome) text += ` · ${t(`outcome_${slot.outcome.outcome}`)} ${t("by")} ${slot.outcome.staff}`;
    state.textContent = text;
    li.append(title, state, meta);
    if (slot.outcome && slot.outcome.note) {
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = slot.outcome.note;
      li.append(note);
    }
    const subject = `${label} ${when(slot.slot_at)} · ${recipient.name} · ${t("room")} ${recipient.room}`;
    if (slot.state !== "done" && slot.state !== "skipped") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "document-button";
      button.textContent = t("document");
      button.addEventListener("click", () => open({
        type: "checkin", recipientId: recipient.id, slotAt: slot.slot_at, subject,
      }));
      li.append(button);
    }
    // Place for the look-in button (central/static/lookin.js takes it over); hidden until then.
    const look = document.createElement("button");
    look.type = "button";
    look.className = "lookin-button";
    look.hidden = true;
    look.textContent = t("look_in");
    Object.assign(look.dataset, { reason: "scheduled", recipientId: String(recipient.id), slotAt: slot.slot_at,
      room: recipient.room, person: recipient.name, what: `${label} ${when(slot.slot_at)}`, subject,
      state: slot.state, lookinAllowed: String(slot.lookin.allowed), lookinWhy: slot.lookin.code });
    li.append(look);
    return li;
  }

  function buildChoices() {
    $("outcome-choices").replaceChildren(...OUTCOMES.map((value) => {
      const label = document.createElement("label");
      label.className = "choice";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "outcome";
      input.value = value;
      input.checked = draft && draft.outcome === value;
      input.addEventListener("change", () => { if (draft) draft.outcome = value; });
      label.append(input, document.createTextNode(t(`outcome_${value}`)));
      return label;
    }));
  }

  function open(subject) {
    if (!draft || draft.type !== subject.type || draft.slotAt !== subject.slotAt || draft.eventId !== subject.eventId) {
      draft = { ...subject, outcome: null, note: "" };
    }
    $("outcome-subject").textContent = draft.subject;
    $("outcome-note").value = draft.note;
    $("outcome-status").textContent = subject.notice || "";  // e.g. why the look-in before it ended
    buildChoices();
    const dialog = $("outcome-dialog");
    if (!dialog.open) dialog.showModal();
    const first = dialog.querySelector("input[name=outcome]");
    if (first) first.focus();
  }

  async function save(ev) {
    ev.preventDefault();
    if (!draft) return;
    draft.note = $("outcome-note").value;
    if (!draft.outcome) { $("outcome-status").textContent = t("choose_outcome"); return; }
    const body = { outcome: draft.outcome, note: draft.note };
    const url = draft.type === "event" ? `/api/events/${encodeURIComponent(draft.eventId)}/outcome`
      : "/api/checkins/outcome";
    if (draft.type === "checkin") Object.assign(body, { recipient_id: draft.recipientId, slot_at: draft.slotAt });
    let response = null;
    try {
      response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body) });
    } catch (err) { /* network down: keep everything, say so */ }
    if (response && response.status === 401) {
      // session expired: log in again; the draft stays and the dialog reopens afterwards
      $("outcome-dialog").close();
      document.dispatchEvent(new CustomEvent("nattvakt:expired"));
      return;
    }
    if (!response || response.status === 503 || response.status >= 500) {
      $("outcome-status").textContent = t("db_unavailable");
      return;
    }
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      $("outcome-status").textContent = problem.detail || response.statusText;
      return;
    }
    draft = null;
    $("outcome-dialog").close();
    $("tonight-status").textContent = t("saved");
    load();
  }

  $("outcome-form").addEventListener("submit", save);
  $("outcome-note").addEventListener("input", () => { if (draft) draft.note = $("outcome-note").value; });
  $("outcome-cancel").addEventListener("click", () => { $("outcome-dialog").close(); });
  document.addEventListener("nattvakt:document", (ev) => open(ev.detail));
  document.addEventListener("nattvakt:lang", () => { render(); if (draft) buildChoices(); });
  document.addEventListener("nattvakt:consent", load);
  document.addEventListener("nattvakt:session", (ev) => {
    clearInterval(timer);
    if (!ev.detail.loggedIn) return;
    load();
    timer = setInterval(load, REFRESH_MS);
    if (draft && draft.outcome !== undefined && !$("outcome-dialog").open && draft.reopen) {
      draft.reopen = false;
      open(draft);
    }
  });
  document.addEventListener("nattvakt:expired", () => {
    if (draft) draft.reopen = true;
    $("login").hidden = false;
    $("username").focus();
  });
})();
