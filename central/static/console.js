// Night-patrol console: log in, then a live feed of events over server-sent events.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const events = new Map();  // event id -> feed entry
  let lang = localStorage.getItem("nattvakt.lang") || "sv";
  let source = null;

  const t = (key) => (window.NATTVAKT_STRINGS[lang] || {})[key] || key;

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = t("other_language");
    setConnection($("connection").dataset.state);
    render();
  }

  function show(loggedIn) {
    $("login").hidden = loggedIn;
    $("feed-section").hidden = !loggedIn;
    $("logout").hidden = !loggedIn;
    if (!loggedIn) $("username").focus();
  }

  function setConnection(key) {
    $("connection").textContent = key ? t(key) : "";
    $("connection").dataset.state = key || "";
  }

  function time(iso) {
    return new Date(iso).toLocaleTimeString(lang === "sv" ? "sv-SE" : "en-GB");
  }

  function render() {
    const list = $("feed");
    const sorted = [...events.values()].sort((a, b) =>
      (b.event.severity - a.event.severity) || b.event.started_at.localeCompare(a.event.started_at));
    list.replaceChildren(...sorted.map(card));
    $("empty").hidden = sorted.length > 0;
  }

  function card(entry) {
    const e = entry.event;
    const li = document.createElement("li");
    li.className = `event sev-${e.severity} state-${e.state}`;
    li.dataset.eventId = e.id;
    li.dataset.kind = e.kind;
    const title = document.createElement("strong");
    title.textContent = t(`kind_${e.kind}`);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${t("room")} ${e.room} · ${time(e.started_at)} · ${e.state === "ended" ? t("ended") : t("ongoing")}`;
    li.append(title, meta);
    if (entry.acknowledged_by) {
      const ack = document.createElement("span");
      ack.className = "ack";
      ack.textContent = `${t("acknowledged_by")} ${entry.acknowledged_by}`;
      li.append(ack);
    } else {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = t("acknowledge");
      button.addEventListener("click", () => acknowledge(e.id));
      li.append(button);
    }
    return li;
  }

  async function acknowledge(id) {
    const response = await fetch(`/api/events/${encodeURIComponent(id)}/ack`, { method: "POST" });
    if (response.status === 401) return show(false);
    if (response.ok) { const entry = await response.json(); events.set(entry.event.id, entry); render(); }
  }

  async function startFeed() {
    const response = await fetch("/api/events");
    if (response.status === 401) return show(false);
    show(true);
    (await response.json()).forEach((entry) => events.set(entry.event.id, entry));
    render();
    if (source) source.close();
    source = new EventSource("/api/events/stream");
    source.addEventListener("open", () => setConnection("connected"));
    source.addEventListener("event", (message) => {
      const entry = JSON.parse(message.data);
      events.set(entry.event.id, entry);
      render();
    });
    source.addEventListener("error", async () => {
      setConnection("reconnecting");
      const me = await fetch("/api/me").catch(() => null);
      if (me && me.status === 401) { source.close(); show(false); }
    });
  }

  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    const response = await fetch("/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
    if (!response.ok) { $("login-error").textContent = t("login_failed"); return; }
    $("password").value = "";
    startFeed();
  });

  $("logout").addEventListener("click", async () => {
    await fetch("/api/logout", { method: "POST" });
    if (source) source.close();
    events.clear();
    setConnection(null);
    show(false);
  });

  $("lang").addEventListener("click", () => {
    lang = lang === "sv" ? "en" : "sv";
    localStorage.setItem("nattvakt.lang", lang);
    applyLanguage();
  });

  applyLanguage();
  startFeed();
})();
