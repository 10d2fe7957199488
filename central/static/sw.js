// The console's service worker: the app shell works installed and offline, and forwarded alarms show as
// notifications. Live data (/api) is never cached, apart from the words (no one's data) the notifications use.
"use strict";
const SHELL = "nattvakt-shell-v1";
const FILES = ["/", "/visits", "/manifest.webmanifest", "/static/console.css", "/static/console.js",
  "/static/tonight.js", "/static/lookin.js", "/static/followup.css", "/static/followup.js", "/static/visits.css",
  "/static/visits.js", "/static/push.js", "/static/visits_link.js", "/static/icons/nattvakt-192.png",
  "/static/icons/nattvakt-512.png",
  "/api/console", "/api/console/strings/sv", "/api/console/strings/en"];
const WORDS = ["/api/console", "/api/console/strings/"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== SHELL).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// Network first, so an update shows at once; the cached copy when central cannot be reached.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const words = WORDS.some((w) => url.pathname === w || url.pathname.startsWith(w));
  if (url.pathname.startsWith("/api/") && !words) return;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(SHELL).then((cache) => cache.put(event.request, copy));
    }
    return response;
  }).catch(() => caches.match(event.request, { ignoreSearch: true })
    .then((hit) => hit || Response.error())));
});

async function words() {
  const lang = (await caches.match("/api/console/strings/sv")) ? "sv" : "en";
  const hit = await caches.match(`/api/console/strings/${lang}`);
  return hit ? hit.json() : {};
}

// A forwarded alarm: room, kind, time and a link; never a name (central sends none).
self.addEventListener("push", (event) => {
  let alarm = {};
  try { alarm = event.data ? event.data.json() : {}; } catch (err) { alarm = {}; }
  event.waitUntil(words().then((w) => {
    const kind = w[`kind_${alarm.kind}`] || alarm.kind || "";
    const title = `${w.alarm || "LARM"}: ${kind} · ${w.room || "Rum"} ${alarm.room || "?"}`;
    const at = alarm.started_at ? new Date(alarm.started_at).toLocaleTimeString("sv-SE",
      { hour: "2-digit", minute: "2-digit" }) : "";
    return self.registration.showNotification(title, {
      body: `${at}${alarm.round > 1 ? ` · ${alarm.round}` : ""}`, tag: alarm.event_id || "nattvakt",
      renotify: true, requireInteraction: true, data: { link: alarm.link || "/" },
    });
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const link = (event.notification.data && event.notification.data.link) || "/";
  event.waitUntil(self.clients.matchAll({ type: "window" }).then((open) => {
    const here = open.find((c) => new URL(c.url).origin === self.location.origin);
    return here ? here.focus().then((c) => c.navigate(link)) : self.clients.openWindow(link);
  }));
});
