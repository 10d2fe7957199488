// The console's link to the patrol's page says how many calls and visits wait, so a call the chain made is not
// missed by someone watching the console.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const lang = () => document.documentElement.lang || "sv";
  const t = (key) => ((window.NATTVAKT_STRINGS || {})[lang()] || {})[key] || key;
  let waiting = null;
  let timer = null;

  function show() {
    const link = $("visits-link");
    if (!link) return;
    const open = waiting ? waiting.visits.filter((v) => v.state !== "done").length : 0;
    const calls = waiting ? waiting.calls.length : 0;
    link.textContent = calls || open
      ? `${t("visits_link")} (${t("visits_waiting").replace("{calls}", calls).replace("{visits}", open)})`
      : t("visits_link");
    link.classList.toggle("waiting", Boolean(calls || open));
  }

  async function load() {
    try {
      const response = await fetch("/api/visits");
      waiting = response.ok ? await response.json() : null;
    } catch (err) { /* keep the last count; the console shows the connection itself */ }
    show();
  }

  document.addEventListener("nattvakt:session", (e) => {
    clearInterval(timer);
    waiting = null;
    if (e.detail.loggedIn) { load(); timer = setInterval(load, 15000); }
    show();
  });
  document.addEventListener("nattvakt:lang", show);
})();
