// Look-ins ("Titta in"): the console's half of a WebRTC look-in. Media goes from the camera node straight to this
// page; central only relays the offer and answer. Buttons with class `lookin-button` (made by console.js and
// tonight.js, hidden until this script runs) carry the reason: data-reason="event" + data-event-id, or
// data-reason="scheduled" + data-recipient-id + data-slot-at, and what the dialog names: data-person, data-room,
// data-what (the event or check-in) and data-subject (what documenting it is about). One look-in at a time; it ends
// by itself, when staff close it, when the page is left (a pagehide beacon) or when its connection drops. Once a
// picture was shown, its end opens the outcome dialog (central/static/tonight.js) for the same reason at once.
"use strict";
(() => {
  const CONNECT_TIMEOUT_MS = 10000;   // no picture by then: "camera not reachable - visit in person"
  const GATHER_TIMEOUT_MS = 1500;     // host candidates only on a LAN; never wait long for more
  let current = null;                 // the open look-in: { pc, id, timer, deadline, closed }

  const lang = () => (document.documentElement.lang === "en" ? "en" : "sv");
  const t = (key) => ((window.NATTVAKT_STRINGS || {})[lang()] || {})[key] || key;

  // --- which buttons to show --------------------------------------------------------------------------------
  // Central says per event and per check-in whether consent allows a look-in now (data-lookin-allowed) and if
  // not, why (data-lookin-why). Where one would be expected (a due check-in, an open event) but is not allowed,
  // one line says why instead of a button that can only fail.
  function expected(button) {
    const d = button.dataset;
    if (d.reason === "scheduled") return d.state === "due" || d.state === "overdue";
    if (d.reason === "event") {
      const card = button.closest("li");
      return !!card && !card.classList.contains("state-ended") && !card.querySelector(".ack");
    }
    return false;
  }

  function shouldShow(button) {
    const d = button.dataset;
    if (d.lookinAllowed !== "true" || !expected(button)) return false;
    return d.reason === "event" || d.state === "due";
  }

  function whyNot(code) {
    const known = t(`lookin_refused_${code}`);
    return `${t("lookin_refused")} ${known !== `lookin_refused_${code}` ? known : t("lookin_not_offered")}`;
  }

  function takeOver(root) {
    const buttons = root.matches && root.matches(".lookin-button") ? [root] : root.querySelectorAll(".lookin-button");
    buttons.forEach((button) => {
      button.hidden = !shouldShow(button);
      button.textContent = t("look_in");
      const old = button.nextElementSibling;
      if (old && old.classList.contains("lookin-why")) old.remove();
      if (button.hidden && expected(button) && button.dataset.lookinAllowed !== "true") {
        const why = document.createElement("span");
        why.className = "lookin-why";
        why.textContent = whyNot(button.dataset.lookinWhy);
        why.title = why.textContent;  // one line on the card; the whole reason on hover
        button.after(why);
      }
    });
  }

  new MutationObserver((changes) => {
    changes.forEach((change) => change.addedNodes.forEach((node) => {
      if (node.nodeType === Node.ELEMENT_NODE) takeOver(node);
    }));
  }).observe(document.documentElement, { childList: true, subtree: true });
  takeOver(document);

  // --- the dialog ---------------------------------------------------------------------------------------------
  function dialog() {
    let box = document.getElementById("lookin");
    if (box) return box;
    box = document.createElement("dialog");
    box.id = "lookin";
    box.setAttribute("aria-labelledby", "lookin-heading");
    box.innerHTML = `
      <h2 id="lookin-heading"></h2>
      <p id="lookin-reason"></p>
      <video id="lookin-video" autoplay playsinline muted
             style="display:block;width:min(78vw,34rem);max-height:calc(100vh - 16rem);aspect-ratio:4/3;
                    object-fit:contain;background:#000"></video>
      <p><span id="lookin-countdown" aria-live="off" style="font-size:1.4rem"></span></p>
      <p id="lookin-status" role="status"></p>
      <button id="lookin-close" type="button"></button>`;
    document.body.append(box);
    box.querySelector("#lookin-close").addEventListener("click", () => close("closed"));
    box.addEventListener("cancel", (ev) => { ev.preventDefault(); close("closed"); });
    return box;
  }

  function setStatus(key, extra) {
    const box = dialog();
    box.querySelector("#lookin-status").textContent = extra ? `${t(key)} ${extra}` : t(key);
    box.dataset.state = key;
  }

  function refusalText(response, problem) {
    const code = response.headers.get("X-Lookin-Refusal") || "";
    if (code === "node_unreachable") return t("lookin_unreachable");
    const known = t(`lookin_refused_${code}`);
    return known !== `lookin_refused_${code}` ? known : `${t("lookin_refused")} ${problem.detail || response.status}`;
  }

  function reasonOf(button) {
    const d = button.dataset;
    if (d.reason === "event") return { event_id: d.eventId };
    return { recipient_id: Number(d.recipientId), checkin_at: d.slotAt };
  }

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, GATHER_TIMEOUT_MS);
    });
  }

  let iceCache = null;
  async function iceServers() {  // TURN (e.g. coturn) where the browser cannot reach the node; none on a LAN
    if (iceCache) return iceCache;
    const response = await fetch("/api/lookins/ice-servers").catch(() => null);
    iceCache = response && response.ok ? await response.json() : null;
    return iceCache || [];
  }

  async function open(button) {
    if (current) { const old = current; stopMedia(old); await tellCentral(old); }
    const box = dialog();
    const video = box.querySelector("#lookin-video");
    const d = button.dataset;
    box.querySelector("#lookin-heading").textContent = [t("look_in"), d.person, d.room && `${t("room")} ${d.room}`]
      .filter(Boolean).join(" · ");
    box.querySelector("#lookin-reason").textContent = d.what ? `${t("lookin_reason")}: ${d.what}` : "";
    box.querySelector("#lookin-close").textContent = t("lookin_close");
    box.querySelector("#lookin-countdown").textContent = "";
    video.srcObject = null;
    setStatus("lookin_connecting");
    if (!box.open) box.showModal();

    const pc = new RTCPeerConnection({ iceServers: await iceServers() });
    const me = { pc, id: null, timer: null, deadline: 0, closed: false, playing: false, about: documentable(button) };
    current = me;
    pc.addTransceiver("video", { direction: "recvonly" });  // video only: a look-in never carries sound
    pc.addEventListener("track", (ev) => { video.srcObject = ev.streams[0] || new MediaStream([ev.track]); });
    pc.addEventListener("connectionstatechange", () => {
      if (me.closed || !["failed", "closed", "disconnected"].includes(pc.connectionState)) return;
      // After the picture played, the camera ended it (time is up, consent paused, event acknowledged) or the
      // connection dropped: central is told either way, so the node stops sending and records the true length.
      if (me.playing) { tellCentral(me); finish(t("lookin_ended")); } else fail("lookin_unreachable");
    });
    const watchdog = setTimeout(() => { if (!me.playing && !me.closed) fail("lookin_unreachable"); },
      CONNECT_TIMEOUT_MS);

    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    if (me.closed) return;
    const response = await fetch("/api/lookins", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sdp: pc.localDescription.sdp, ...reasonOf(button) }),
    }).catch(() => null);
    if (me.closed) {  // closed (or timed out) while central and the node were answering: end it there too
      if (response && response.ok) {
        const late = await response.json();
        fetch(`/api/lookins/${late.lookin_id}/close`, { method: "POST" }).catch(() => null);
      }
      return;
    }
    if (!response || !response.ok) {
      clearTimeout(watchdog);
      const problem = response ? await response.json().catch(() => ({})) : {};
      finish(response ? refusalText(response, problem) : t("lookin_unreachable"));
      return;
    }
    const answer = await response.json();
    me.id = answer.lookin_id;
    box.dataset.lookinId = answer.lookin_id;
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    video.addEventListener("playing", () => {
      if (me.playing || me.closed) return;
      me.playing = true;
      clearTimeout(watchdog);
      setStatus("lookin_live");
      me.deadline = Date.now() + answer.max_duration_s * 1000;
      tick(me);
      me.timer = setInterval(() => tick(me), 250);
      me.poll = setInterval(() => watchState(me), 1000);
    }, { once: true });
  }

  function tick(me) {
    const left = Math.max(0, Math.ceil((me.deadline - Date.now()) / 1000));
    dialog().querySelector("#lookin-countdown").textContent = `${left} ${t("lookin_seconds_left")}`;
    if (left <= 0) close("max_duration");
  }

  // The camera may end the look-in itself (consent paused or withdrawn, event acknowledged, window closed): central
  // knows why, and the browser's connection state can take many seconds to notice.
  async function watchState(me) {
    if (me.closed || !me.id) return;
    const response = await fetch(`/api/lookins/${me.id}/state`).catch(() => null);
    if (!response || !response.ok || me.closed) return;
    const state = await response.json();
    if (state.live) return;
    const known = t(`lookin_stopped_${state.why}`);
    finish(known !== `lookin_stopped_${state.why}` ? known : t("lookin_ended"));
  }

  // What the outcome dialog documents after this look-in: the same event, or the same check-in.
  function documentable(button) {
    const d = button.dataset;
    if (d.reason === "event") return { type: "event", eventId: d.eventId, subject: d.subject || d.what || "" };
    return { type: "checkin", recipientId: Number(d.recipientId), slotAt: d.slotAt, subject: d.subject || "" };
  }

  function tellCentral(me) {
    if (me.id && !me.told) {
      me.told = true;
      return fetch(`/api/lookins/${me.id}/close`, { method: "POST" }).catch(() => null);
    }
    return Promise.resolve(null);
  }

  // Leaving the page (closing the tab, navigating away, the tablet's browser killed in the background) ends the
  // look-in at once: a beacon outlives the page. Same origin, with the login cookie, so central's CSRF guard and
  // login check apply as to the "Stäng" button.
  window.addEventListener("pagehide", () => {
    const me = current;
    if (!me || !me.id || me.told) return;
    me.told = true;
    navigator.sendBeacon(`/api/lookins/${me.id}/close`);
  });

  // The picture was shown: document now, in the outcome dialog, with why the look-in ended.
  function offerOutcomes(me, notice) {
    const box = dialog();
    if (box.open) box.close();
    document.dispatchEvent(new CustomEvent("nattvakt:document", { detail: { ...me.about, notice } }));
  }

  function stopMedia(me) {
    me.closed = true;
    clearInterval(me.timer);
    clearInterval(me.poll);
    me.pc.close();
    dialog().querySelector("#lookin-video").srcObject = null;
    if (current === me) current = null;
  }

  function finish(message) {
    const me = current;
    if (me) stopMedia(me);
    if (me && me.playing) { offerOutcomes(me, message); return; }
    const box = dialog();
    box.querySelector("#lookin-status").textContent = message;
    box.dataset.state = "ended";
    box.querySelector("#lookin-countdown").textContent = "";
  }

  function fail(key) {
    if (current) tellCentral(current);
    finish(t(key));
  }

  // Staff close it ("Stäng", Escape) or its time is up.
  async function close(why) {
    const me = current;
    if (!me) { const box = dialog(); if (box.open) box.close(); return; }
    stopMedia(me);
    await tellCentral(me);
    if (me.playing) offerOutcomes(me, t("lookin_ended"));
    else if (why === "max_duration") finish(t("lookin_ended"));
    else { const box = dialog(); if (box.open) box.close(); }
  }

  document.addEventListener("click", (ev) => {
    const button = ev.target.closest && ev.target.closest(".lookin-button");
    if (button && !button.hidden) { ev.preventDefault(); open(button); }
  });
})();
