// Installing the console on a phone: registers the service worker (offline shell, notifications) and offers
// "alarms to this device" (web push). Works with console.js through nattvakt:session and nattvakt:lang.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const lang = () => document.documentElement.lang || "sv";
  const t = (key) => ((window.NATTVAKT_STRINGS || {})[lang()] || {})[key] || key;
  const canPush = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  let registration = null;

  const b64 = (text) => {
    const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };

  async function current() {
    return registration ? registration.pushManager.getSubscription() : null;
  }

  async function label() {
    const button = $("push-toggle");
    if (!button) return;
    const on = Boolean(await current());
    button.textContent = t(on ? "push_off" : "push_on");
    button.dataset.on = String(on);
  }

  async function toggle() {
    const status = $("push-status");
    status.textContent = "";
    try {
      const existing = await current();
      if (existing) {
        await fetch("/api/push/subscriptions", { method: "DELETE", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ endpoint: existing.endpoint }) });
        await existing.unsubscribe();
      } else {
        if (await Notification.requestPermission() !== "granted") { status.textContent = t("push_denied"); return; }
        const key = await (await fetch("/api/push/key")).json();
        const made = await registration.pushManager.subscribe({ userVisibleOnly: true,
          applicationServerKey: b64(key.public_key) });
        const saved = await fetch("/api/push/subscriptions", { method: "POST",
          headers: { "Content-Type": "application/json" }, body: JSON.stringify(made.toJSON()) });
        if (!saved.ok) { await made.unsubscribe(); status.textContent = t("push_failed"); }
      }
    } catch (err) {
      status.textContent = t("push_failed");
    }
    label();
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then((r) => { registration = r; label(); })
      .catch(() => { /* no offline shell; the console works as before */ });
  }
  document.addEventListener("nattvakt:session", (e) => {
    const button = $("push-toggle");
    if (button) button.hidden = !(canPush && e.detail.loggedIn);
  });
  document.addEventListener("nattvakt:lang", label);
  document.addEventListener("DOMContentLoaded", () => {
    const button = $("push-toggle");
    if (button) button.addEventListener("click", toggle);
  });
})();
