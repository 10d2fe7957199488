// The night console's way to the manager's screens (/manage): a header link, shown to a nurse_admin once logged in.
// Kept apart from console.js: it only watches the logout button appear and asks /api/me who is logged in.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const link = document.getElementById("manage-link");
  const logout = document.getElementById("logout");
  if (!link || !logout) return;
  async function update() {
    if (logout.hidden) { link.hidden = true; return; }
    const me = await fetch("/api/me").then((r) => (r.ok ? r.json() : null)).catch(() => null);
    link.hidden = !(me && me.role === "nurse_admin");
  }
  new MutationObserver(update).observe(logout, { attributes: true, attributeFilter: ["hidden"] });
  update();
});
