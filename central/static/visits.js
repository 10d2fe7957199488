// The patrol's page: calls to make and visits to go on, each with the time left to its promise. Polls central;
// marks go straight to it (på väg, framme, klar with an outcome; a call's outcome).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const POLL_MS = 5000;
  const VISIT_OUTCOMES = ["all_well", "helped", "nurse_called"];
  const CALL_OUTCOMES = ["answered_ok", "answered_needs_help", "no_answer"];
  let lang = localStorage.getItem("nattvakt.lang") || "sv";
  let words = { sv: {}, en: {} };
  let tasks = null;
  let skew = 0;  // central's clock minus this device's: the time left is central's
  let finishing = null;  // id of the visit whose outcome buttons show

  const t = (key) => (words[lang] || {})[key] || key;
  const clock = (iso) => new Date(iso).toLocaleTimeString(lang === "sv" ? "sv-SE" : "en-GB",
    { hour: "2-digit", minute: "2-digit", timeZone: window.NATTVAKT_HOME_TZ });

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = t("other_language");
    render();
  }

  async function load() {
    let response;
    try {
      response = await fetch("/api/visits");
    } catch (err) {
      $("visits-status").textContent = t("reconnecting");
      return;
    }
    $("visits-login").hidden = response.status !== 401;
    if (response.status === 401 || response.status === 403) { tasks = null; render(); return; }
    if (response.status === 503) { $("visits-status").textContent = t("db_unavailable"); return; }
    if (!response.ok) return;
    tasks = await response.json();
    skew = new Date(tasks.now).getTime() - Date.now();
    $("visits-status").textContent = "";
    render();
  }

  function button(label, onClick, name) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (name) b.name = name;
    b.addEventListener("click", onClick);
    return b;
  }

  function text(tag, className, value) {
    const el = document.createElement(tag);
    el.className = className;
    el.textContent = value;
    return el;
  }

  function timeLeft(visit) {
    const end = visit.arrived_at ? new Date(visit.arrived_at).getTime() : Date.now() + skew;
    const minutes = Math.round((new Date(visit.promise_at).getTime() - end) / 60000);
    if (visit.arrived_at) return minutes >= 0 ? t("visit_in_time") : t("visit_was_late").replace("{min}", -minutes);
    return minutes >= 0 ? t("visit_left").replace("{min}", minutes) : t("visit_late").replace("{min}", -minutes);
  }

  function callCard(call) {
    const li = document.createElement("li");
    li.className = "task call";
    li.dataset.callId = call.id;
    li.append(text("strong", "who", `${call.name} · ${t("room")} ${call.room}`));
    li.append(text("span", "meta", `${t("call_why")} · ${t("call_due")} ${clock(call.due_at)}`));
    if (call.phone) {
      const a = document.createElement("a");
      a.className = "phone";
      a.href = `tel:${call.phone.replace(/[^0-9+]/g, "")}`;
      a.textContent = `${t("call_ring")} ${call.phone}`;
      li.append(a);
    } else {
      li.append(text("span", "nophone", t("call_no_phone")));
    }
    const actions = document.createElement("div");
    actions.className = "actions";
    CALL_OUTCOMES.forEach((o) => actions.append(button(t(`call_${o}`), () => send(`/api/calls/${call.id}/outcome`,
      { outcome: o }), o)));
    li.append(actions);
    return li;
  }

  function visitCard(visit) {
    const li = document.createElement("li");
    const late = visit.arrived_at ? visit.late : (Date.now() + skew > new Date(visit.promise_at).getTime());
    li.className = `task visit state-${visit.state}${late && visit.state !== "done" ? " late" : ""}`;
    li.dataset.visitId = visit.id;
    li.append(text("strong", "who", `${visit.name || t("visit_unknown")} · ${t("room")} ${visit.room}`));
    li.append(text("span", "meta", `${t(`cause_${visit.cause}`)} · ${clock(visit.cause_at)} · ${t("visit_promise")} `
      + `${clock(visit.promise_at)}`));
    if (visit.state === "done") {
      li.append(text("span", "meta", `${t("visit_state_done")} · ${t(`visit_outcome_${visit.outcome}`)} · `
        + `${t("visit_state_arrived")} ${clock(visit.arrived_at)}`));
      return li;
    }
    li.append(text("span", "left", timeLeft(visit)));
    li.append(text("span", "meta state", t(`visit_state_${visit.state}`)));
    const actions = document.createElement("div");
    actions.className = "actions";
    const mark = (m, body = {}) => () => send(`/api/visits/${visit.id}/${m}`, body);
    if (visit.state === "open") actions.append(button(t("visit_on_way"), mark("on_way"), "on_way"));
    if (visit.state === "open" || visit.state === "on_way") {
      actions.append(button(t("visit_arrived"), mark("arrived"), "arrived"));
    }
    if (visit.state === "arrived" && finishing !== visit.id) {
      actions.append(button(t("visit_done"), () => { finishing = visit.id; render(); }, "done"));
    }
    if (finishing === visit.id) {
      VISIT_OUTCOMES.forEach((o) => actions.append(button(t(`visit_outcome_${o}`),
        () => { finishing = null; mark("done", { outcome: o })(); }, o)));
    }
    li.append(actions);
    return li;
  }

  async function send(url, body) {
    let response;
    try {
      response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body) });
    } catch (err) {
      $("visits-status").textContent = t("reconnecting");
      return;
    }
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      $("visits-status").textContent = problem.detail || t("db_unavailable");
    }
    await load();
  }

  function render() {
    const calls = tasks ? tasks.calls : [];
    const visits = tasks ? tasks.visits : [];
    $("calls").replaceChildren(...calls.map(callCard));
    $("visits").replaceChildren(...visits.map(visitCard));
    $("no-calls").hidden = !tasks || calls.length > 0;  // nothing known yet is not "nothing to do"
    $("no-visits").hidden = !tasks || visits.length > 0;
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "sv" ? "en" : "sv";
    localStorage.setItem("nattvakt.lang", lang);
    applyLanguage();
  });

  const json = (url) => fetch(url).then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  Promise.all([json("/api/console"), json("/api/console/strings/sv"), json("/api/console/strings/en")])
    .then(([config, sv, en]) => {
      window.NATTVAKT_HOME_TZ = config.home_timezone;
      words = { sv, en };
      applyLanguage();
      load();
      setInterval(load, POLL_MS);
      setInterval(() => { if (tasks && finishing === null) render(); }, 15000);  // the minutes left tick on
    });
})();
