// Night-patrol console: log in, then a live feed of events over server-sent events.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const events = new Map();  // event id -> feed entry
  let lang = localStorage.getItem("nattvakt.lang") || "sv";
  let source = null;
  let session = false;  // logged in and showing the feed
  const ackRetries = new Map();  // event id -> timer of the next try of an acknowledgement that did not go through
  window.NATTVAKT_STRINGS = window.NATTVAKT_STRINGS || {};  // filled from central before the page starts

  const t = (key) => (window.NATTVAKT_STRINGS[lang] || {})[key] || key;

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    $("lang").textContent = t("other_language");
    setConnection($("connection").dataset.state);
    render();
    document.dispatchEvent(new CustomEvent("nattvakt:lang", { detail: { lang } }));
  }

  function show(loggedIn) {
    session = loggedIn;
    if (!loggedIn) { ackRetries.forEach(clearTimeout); ackRetries.clear(); }
    watchBus();
    $("login").hidden = loggedIn;
    $("feed-section").hidden = !loggedIn;
    $("tonight-section").hidden = !loggedIn;
    $("logout").hidden = !loggedIn;
    if (!loggedIn) { $("alert").hidden = true; $("username").focus(); }
    document.dispatchEvent(new CustomEvent("nattvakt:session", { detail: { loggedIn } }));
  }

  // High severity: a banner that stays until acknowledged, and a short tone (after the login click allowed audio).
  let audio = null;
  function alertHigh() {
    const open = [...events.values()].filter((x) => x.event.severity >= 4 && !x.acknowledged_by);
    const banner = $("alert");
    banner.hidden = open.length === 0;
    if (!open.length) return;
    const e = open[0].event;
    banner.textContent = `${t("alarm")}: ${t(`kind_${e.kind}`)} · ${t("room")} ${e.room}`;
  }

  function beep() {
    try {
      audio = audio || new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.3, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.6);
    } catch (err) { /* no audio device: the banner still shows */ }
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
  }

  function setConnection(key) {
    if (alarmsDown && key !== "alarms_down" && session) key = "alarms_down";
    $("connection").textContent = key ? t(key) : "";
    $("connection").dataset.state = key || "";
  }

  function time(iso) {
    return new Date(iso).toLocaleTimeString(lang === "sv" ? "sv-SE" : "en-GB",
      { hour: "2-digit", minute: "2-digit", timeZone: window.NATTVAKT_HOME_TZ });
  }

  // The calm feed: one row per room, its open situations worst first. Central says per event whether staff are
  // asked to acknowledge it (`needs_acknowledgement`); informational events (motion, a person entering, a light
  // change) never are and fold into their room's row as one line of counts. "Needs action" shows the rooms with
  // something open; "All" shows every room and the settled situations too; a room can be picked on its own.
  const view = { mode: "action", room: "" };
  const needsAction = (x) => x.needs_acknowledgement !== false && !x.acknowledged_by;
  const openSituation = (x) => x.needs_acknowledgement !== false && (needsAction(x) || x.event.state !== "ended");
  const worstFirst = (a, b) => (needsAction(b) - needsAction(a)) || (b.event.severity - a.event.severity)
    || b.event.started_at.localeCompare(a.event.started_at);

  function rooms() {
    const byRoom = new Map();
    events.forEach((x) => {
      if (!byRoom.has(x.event.room)) byRoom.set(x.event.room, []);
      byRoom.get(x.event.room).push(x);
    });
    return [...byRoom].map(([room, items]) => {
      const shown = items.filter((x) => (view.mode === "all" ? x.needs_acknowledgement !== false : openSituation(x)))
        .sort(worstFirst);
      const latest = items.reduce((m, x) => (x.event.started_at > m ? x.event.started_at : m), "");
      return { room, items, shown, latest, waiting: items.filter(needsAction).length,
        worst: Math.max(0, ...shown.filter(openSituation).map((x) => x.event.severity)) };
    }).sort((a, b) => (b.waiting > 0) - (a.waiting > 0) || b.worst - a.worst || b.latest.localeCompare(a.latest));
  }

  function render() {
    const all = rooms();
    renderRoomChoice(all.map((r) => r.room));
    const picked = all.filter((r) => !view.room || r.room === view.room);
    const shown = view.mode === "all" ? picked : picked.filter((r) => r.shown.length > 0);
    $("feed").replaceChildren(...shown.map(roomRow));
    $("empty").hidden = events.size > 0;
    $("nothing-to-do").hidden = events.size === 0 || shown.length > 0;
    const quiet = picked.length - shown.length;
    $("quiet-rooms").hidden = quiet === 0;
    $("quiet-rooms").textContent = t("quiet_rooms").replace("{n}", quiet);
    document.querySelectorAll("#feed-filter [data-view]").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.view === view.mode));
    });
    alertHigh();
  }

  function renderRoomChoice(names) {
    const select = $("feed-room");
    const wanted = ["", ...names.sort()];
    const have = [...select.options].map((o) => o.value);
    if (wanted.join("\n") === have.join("\n")) { select.options[0].textContent = t("all_rooms"); return; }
    select.replaceChildren(...wanted.map((room) => {
      const option = document.createElement("option");
      option.value = room;
      option.textContent = room ? `${t("room")} ${room}` : t("all_rooms");
      return option;
    }));
    select.value = wanted.includes(view.room) ? view.room : "";
  }

  function roomRow(r) {
    const li = document.createElement("li");
    li.className = `room sev-${r.worst}`;
    li.dataset.room = r.room;
    const head = document.createElement("div");
    head.className = "room-head";
    const name = document.createElement("h3");
    name.textContent = `${t("room")} ${r.room}`;
    head.append(name);
    if (r.waiting) {
      const count = document.createElement("span");
      count.className = "waiting";
      count.textContent = `${r.waiting} ${t("to_acknowledge")}`;
      head.append(count);
    }
    li.append(head);
    if (r.shown.length) {
      const list = document.createElement("ol");
      list.className = "situations";
      list.append(...r.shown.map(card));
      li.append(list);
    }
    const info = r.items.filter((x) => x.needs_acknowledgement === false);
    if (info.length) {
      const counts = new Map();
      info.forEach((x) => counts.set(x.event.kind, (counts.get(x.event.kind) || 0) + 1));
      const newest = info.reduce((m, x) => (x.event.started_at > m ? x.event.started_at : m), "");
      const folded = document.createElement("p");
      folded.className = "folded";
      folded.textContent = [...counts].map(([kind, n]) => `${t(`kind_${kind}`)} ×${n}`).join(" · ")
        + ` · ${t("latest")} ${time(newest)}`;
      li.append(folded);
    }
    return li;
  }

  function card(entry) {
    const e = entry.event;
    const li = document.createElement("li");
    li.className = `event sev-${e.severity} state-${e.state}`;
    li.dataset.eventId = e.id;
    li.dataset.kind = e.kind;
    const what = document.createElement("span");  // the room is named by the row it stands in
    what.className = "what";
    const title = document.createElement("strong");
    title.textContent = t(`kind_${e.kind}`);
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = [e.recipient, time(e.started_at), e.state === "ended" ? t("ended") : t("ongoing")]
      .filter(Boolean).join(" · ");
    what.append(title, meta);
    li.append(what);
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
      if (ackRetries.has(e.id)) {
        const failed = document.createElement("span");
        failed.className = "ack-failed";
        failed.setAttribute("role", "alert");
        failed.textContent = t("ack_failed_retrying");
        li.append(failed);
      }
    }
    const documentButton = document.createElement("button");
    documentButton.type = "button";
    documentButton.className = "document-button";
    documentButton.textContent = t("document");
    documentButton.addEventListener("click", () => document.dispatchEvent(new CustomEvent("nattvakt:document", {
      detail: { type: "event", eventId: e.id, subject: subjectOf(e) },
    })));
    li.append(documentButton, lookinPlaceholder(entry));
    return li;
  }

  // What a documented outcome or a look-in is about: the event, its room and (where the node knows it) the person.
  function subjectOf(e) {
    return [`${t(`kind_${e.kind}`)} ${time(e.started_at)}`, e.recipient, `${t("room")} ${e.room}`]
      .filter(Boolean).join(" · ");
  }

  // Place for the look-in button (built by central/static/lookin.js): hidden until that script takes it over.
  // Central says per event whether consent allows a look-in now, and if not, why.
  function lookinPlaceholder(entry) {
    const e = entry.event;
    const offer = entry.lookin || { allowed: false, code: "" };
    const button = document.createElement("button");
    button.type = "button";
    button.className = "lookin-button";
    button.hidden = true;
    button.textContent = t("look_in");
    Object.assign(button.dataset, { reason: "event", eventId: e.id, eventKind: e.kind, node: e.node, room: e.room,
      person: e.recipient || "", what: `${t(`kind_${e.kind}`)} ${time(e.started_at)}`, subject: subjectOf(e),
      lookinAllowed: String(offer.allowed), lookinWhy: offer.code });
    return button;
  }

  // An acknowledgement that does not go through (bus or central away) says so on the card and is tried again
  // until it does, the event is gone, or the session ends.
  const ACK_RETRY_MS = 3000;
  async function acknowledge(id) {
    clearTimeout(ackRetries.get(id));
    ackRetries.delete(id);
    const response = await fetch(`/api/events/${encodeURIComponent(id)}/ack`, { method: "POST" }).catch(() => null);
    if (response && response.status === 401) return show(false);
    if (response && response.ok) { const entry = await response.json(); events.set(entry.event.id, entry); }
    else if (!response || response.status >= 500 || response.status === 429) {
      if (session) ackRetries.set(id, setTimeout(() => acknowledge(id), ACK_RETRY_MS));
    }
    render();
  }

  // Keep the newest revision of a situation; an acknowledgement is never undone by an older copy.
  function merge(entry) {
    const known = events.get(entry.event.id);
    if (known && (known.event.seq > entry.event.seq || (known.acknowledged_by && !entry.acknowledged_by))) return;
    events.set(entry.event.id, entry);
    if (entry.acknowledged_by && ackRetries.has(entry.event.id)) {
      clearTimeout(ackRetries.get(entry.event.id));
      ackRetries.delete(entry.event.id);
    }
    if (!known && entry.event.severity >= 4 && !entry.acknowledged_by) beep();
  }

  // Alarms not getting through is itself an alarm. Central says on the stream every 2 s whether it reaches the bus
  // (`bus`); a stream that breaks for longer than a reconnect, or goes silent, means the page has lost central.
  // Either shows the red state, which clears by itself once central and the bus are back.
  const SILENCE_MS = 7000;
  const LOST_GRACE_MS = 3000;
  let busOk = true;
  let lastHeard = 0;
  let lostSince = 0;
  let alarmsDown = false;

  function heard() { lastHeard = Date.now(); lostSince = 0; }

  function watchBus() {
    const now = Date.now();
    const down = session && (!busOk || (lostSince > 0 && now - lostSince > LOST_GRACE_MS)
      || (lastHeard > 0 && now - lastHeard > SILENCE_MS));
    $("bus-down").hidden = !down;
    $("bus-down-text").textContent = t("bus_down");
    $("bus-down-help").textContent = t("bus_down_help");
    const was = alarmsDown;
    alarmsDown = down;
    if (down && !was) { beep(); setConnection("alarms_down"); }
    if (!down && was) { setConnection(session && !lostSince ? "connected" : null); if (session) loadSnapshot(); }
  }
  setInterval(watchBus, 1000);

  async function loadSnapshot() {
    const response = await fetch("/api/events");
    if (response.status === 401) { show(false); return false; }
    if (response.status === 403) {  // e.g. an ops login: the night console is for care staff
      await fetch("/api/logout", { method: "POST" });
      show(false);
      $("login-error").textContent = t("no_access");
      return false;
    }
    if (!response.ok) return true;  // e.g. a brief 503: the live stream still brings events
    (await response.json()).forEach(merge);
    render();
    return true;
  }

  async function startFeed() {
    if (!(await loadSnapshot())) return;
    show(true);
    openStream();
  }

  function openStream() {
    if (source) source.close();
    const stream = new EventSource("/api/events/stream");
    source = stream;
    busOk = true;  // until central says otherwise, first thing on the stream
    lastHeard = Date.now();
    // Every (re)connection reloads the list: events that arrived between the list and the subscription,
    // or while the connection was down, are never missed.
    source.addEventListener("open", () => {
      heard();
      if (!alarmsDown) setConnection("connected");
      loadSnapshot();
    });
    source.addEventListener("bus", (message) => {
      heard();
      busOk = JSON.parse(message.data).ok;
      watchBus();
    });
    source.addEventListener("event", (message) => { heard(); merge(JSON.parse(message.data)); render(); });
    // Consent changed (a pause, a withdrawal, new terms): what it allows is reloaded, here and in tonight.js.
    source.addEventListener("consent", () => {
      heard();
      loadSnapshot();  // each event's look-in offer, as consent now decides it
      document.dispatchEvent(new CustomEvent("nattvakt:consent"));
    });
    source.addEventListener("session_ended", () => {
      source.close();
      events.clear();
      render();  // nothing of the night stays on a shared tablet's screen
      setConnection(null);
      show(false);
    });
    source.addEventListener("error", async () => {
      if (!lostSince) lostSince = Date.now();
      if (!alarmsDown) setConnection("reconnecting");
      const me = await fetch("/api/me").catch(() => null);
      if (stream !== source) return;
      if (me && me.status === 401) { stream.close(); show(false); return; }
      // The browser gives up on a stream answered with an error (a proxy's 502): open a new one after a while.
      if (stream.readyState !== EventSource.CLOSED) return;
      setTimeout(() => { if (stream === source && session) openStream(); }, 3000);
    });
  }

  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try { audio = audio || new AudioContext(); } catch (err) { /* no audio */ }
    const response = await fetch("/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
    // 429: locked out; a 401 with Retry-After: this failure started the lockout.
    const wait = response.headers.get("Retry-After");
    if (response.status === 429 || (response.status === 401 && wait)) { pauseLogin(Number(wait) || 60); return; }
    if (!response.ok) { $("login-error").textContent = t("login_failed"); return; }
    $("password").value = "";
    startFeed();
  });

  // Locked out after failed logins: say so, count down to the moment a try is allowed, and say what to do meanwhile.
  // Sending is held back while paused: every try would be refused and only look like another wrong password.
  let pausedUntil = 0;
  let pauseTimer = null;
  function pauseLogin(seconds) {
    pausedUntil = Date.now() + seconds * 1000;
    clearInterval(pauseTimer);
    pauseTimer = setInterval(showPause, 250);
    showPause();
  }

  function showPause() {
    const left = Math.ceil((pausedUntil - Date.now()) / 1000);
    const box = $("login-paused");
    const submit = $("login").querySelector('button[type="submit"]');
    if (left <= 0) {
      clearInterval(pauseTimer);
      pauseTimer = null;
      submit.disabled = false;
      box.hidden = true;
      if (pausedUntil) $("login-error").textContent = t("login_retry_now");
      pausedUntil = 0;
      return;
    }
    submit.disabled = true;
    box.hidden = false;
    $("login-error").textContent = "";
    const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    $("login-paused-text").textContent = t("login_paused").replace("{wait}", clock);
    $("login-paused-help").textContent = t("login_paused_help");
  }

  $("logout").addEventListener("click", async () => {
    await fetch("/api/logout", { method: "POST" });
    if (source) source.close();
    events.clear();
    render();
    setConnection(null);
    show(false);
  });

  document.querySelectorAll("#feed-filter [data-view]").forEach((button) => button.addEventListener("click", () => {
    view.mode = button.dataset.view;
    render();
  }));
  $("feed-room").addEventListener("change", (ev) => { view.room = ev.target.value; render(); });

  $("lang").addEventListener("click", () => {
    lang = lang === "sv" ? "en" : "sv";
    localStorage.setItem("nattvakt.lang", lang);
    applyLanguage();
  });

  // Before anything shows: the words in both languages (switching needs no round trip) and the home's time zone,
  // which every clock shows whatever the device is set to. Both come from central.
  const json = (url) => fetch(url).then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  Promise.all([json("/api/console"), json("/api/console/strings/sv"), json("/api/console/strings/en")])
    .then(([config, sv, en]) => {
      window.NATTVAKT_HOME_TZ = config.home_timezone;
      window.NATTVAKT_STRINGS = { sv, en };
      applyLanguage();
      startFeed();
    });
})();
