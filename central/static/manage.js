// The manager's and ops' screens (central/manage): every form is sent as JSON to the existing API; a refusal's
// messages are shown next to the field they name (problem details: `errors[].loc`, or "field: why" in `detail`).
"use strict";

const msg = (name) => document.body.dataset[name] || name;

function localValue(iso) {
  // an ISO moment as the browser's local "YYYY-MM-DDTHH:MM" for <input type="datetime-local">
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function isoOf(input) {
  return input.value ? new Date(input.value).toISOString() : null;
}

function clearErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((el) => { el.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
}

function showError(form, where, text) {
  // the longest `data-error-for` that is a prefix of `where` (scope.scheduled.0.at -> scope.scheduled), else the form's
  const slots = [...form.querySelectorAll("[data-error-for]")];
  const fits = slots.filter((el) => {
    const name = el.dataset.errorFor;
    return name === "" || where === name || where.startsWith(name + ".");
  }).sort((a, b) => b.dataset.errorFor.length - a.dataset.errorFor.length);
  const slot = fits[0];
  if (!slot) return;
  slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
  const field = slot.previousElementSibling;
  if (field && field.matches("input, select")) field.setAttribute("aria-invalid", "true");
}

function fieldOf(form, text) {
  // a message with no location that names a field ("valid_until … must be after valid_from") belongs to that field
  const names = [...form.querySelectorAll("[data-error-for]")].map((el) => el.dataset.errorFor).filter(Boolean);
  return names.find((name) => text.startsWith(name.split(".").pop())) || "";
}

function showProblem(form, status, problem) {
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  if (errors.length) {
    for (const e of errors) {
      const where = e.loc.filter((part) => part !== "body").join(".");
      const text = String(e.msg).replace(/^Value error, /, "");
      showError(form, where || fieldOf(form, text), text);
    }
    return;
  }
  const detail = String(problem.detail || `${msg("msgFailed")} (${status})`);
  const match = detail.match(/^([a-z_.0-9]+): (.*)$/s);
  if (match) showError(form, match[1], match[2]);
  else showError(form, fieldOf(form, detail), detail);
}

function consentBody(form) {
  const rows = (selector) => [...form.querySelectorAll(selector)];
  const body = {
    given_by: rows(".grantor").map((row) => ({
      name: row.querySelector("[name=grantor_name]").value.trim(),
      role: row.querySelector("[name=grantor_role]").value,
    })),
    given_at: isoOf(form.elements.given_at) || new Date().toISOString(),
    valid_from: isoOf(form.elements.valid_from) || new Date().toISOString(),
    valid_until: isoOf(form.elements.valid_until),
    timezone: form.dataset.timezone,
    scope: {
      scheduled: rows(".window").map((row) => ({
        at: row.querySelector("[name=window_at]").value,
        window_min: Number(row.querySelector("[name=window_min]").value),
      })),
      event_kinds: rows("[name=event_kinds]:checked").map((box) => box.value),
      privacy_level: (form.querySelector("[name=privacy_level]:checked") || {}).value,
      max_lookin_s: Number(form.elements.max_lookin_s.value),
      detection: form.elements.detection.checked,
    },
  };
  if (body.valid_until && body.valid_until <= body.valid_from) {
    return { invalid: ["valid_until", form.dataset.msgUntil || "valid_until must be after valid_from"], body };
  }
  return { body };
}

function plainBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button") continue;
    if (el.dataset.type === "int") body[el.name] = el.value === "" ? null : Number(el.value);
    else body[el.name] = el.value.trim();
  }
  return body;
}

async function send(form) {
  clearErrors(form);
  let body;
  if (form.dataset.body) body = JSON.parse(form.dataset.body);
  else if (form.dataset.kind === "consent") {
    const built = consentBody(form);
    if (built.invalid) { showError(form, built.invalid[0], built.invalid[1]); return; }
    body = built.body;
  } else body = plainBody(form);
  let url = form.dataset.api;
  for (const [name, value] of Object.entries(body)) {
    if (url.includes(`{${name}}`)) {
      if (!value) { showError(form, name, msg("msgCheck")); return; }
      url = url.replace(`{${name}}`, encodeURIComponent(value));
      delete body[name];
    }
  }
  let response;
  try {
    response = await fetch(url, {
      method: form.dataset.method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body),
    });
  } catch (err) {
    showError(form, "", `${msg("msgFailed")}: ${err}`);
    return;
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) { showProblem(form, response.status, answer); return; }
  const then = form.dataset.then;
  if (then === "recipient") window.location.assign(`/manage/recipients/${answer.id}`);
  else if (then === "token") showToken(answer);
  else if (then === "show") {
    const box = form.querySelector("[data-result]");
    box.querySelector("output").textContent = answer[form.dataset.show];
    box.hidden = false;
  }
  else window.location.reload();
}

function showToken(answer) {
  const box = document.getElementById("token-result");
  const central = `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}`;
  document.getElementById("token-lines").textContent = [
    `NATTVAKT_NODE__NODE_ID=${answer.node_id}`,
    `NATTVAKT_NODE__CENTRAL_URL=${central}`,
    `NATTVAKT_NODE__TOKEN=${answer.token}`,
  ].join("\n");
  box.hidden = false;
}

function wireForms() {
  for (const form of document.querySelectorAll("form[data-api]")) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const confirmBox = form.dataset.confirm && document.getElementById(form.dataset.confirm);
      if (confirmBox && confirmBox.hidden) { confirmBox.hidden = false; confirmBox.querySelector("button").focus(); return; }
      send(form);
    });
    form.querySelectorAll(".confirm-yes").forEach((yes) => yes.addEventListener("click", () => send(form)));
  }
  document.querySelectorAll("input[data-iso]").forEach((input) => {
    if (input.dataset.iso) input.value = localValue(input.dataset.iso);
  });
  document.addEventListener("click", (ev) => {
    const add = ev.target.closest(".add-row");
    if (add) {
      const row = document.getElementById(add.dataset.template).content.firstElementChild.cloneNode(true);
      document.getElementById(add.dataset.into).append(row);
      const first = row.querySelector("input");
      if (first) first.focus();
    }
    const remove = ev.target.closest(".remove-row");
    if (remove) remove.closest(".row").remove();
  });
}

// --- zones drawn on the camera's view: corners are fractions 0-1 of the view, as the node's settings have them ---
const KIND_COLOURS = { bed: "#58a6ff", floor: "#3fb950", door: "#d29922", chair: "#bc8cff" };
const VIEW_W = 1000;
const VIEW_H = 750;

function zoneEditor(root) {
  const svg = root.querySelector("#zone-canvas");
  const shapes = root.querySelector("#zone-shapes");
  const list = root.querySelector("#zone-list");
  const status = root.querySelector("#zone-status");
  const zones = JSON.parse(root.dataset.zones || "[]").map((z) => ({ ...z, polygon: z.polygon.map((p) => [...p]) }));
  let current = zones.length ? zones.length - 1 : -1;

  function draw() {
    shapes.replaceChildren();
    list.replaceChildren();
    zones.forEach((zone, i) => {
      const colour = KIND_COLOURS[zone.kind] || "#8b949e";
      const points = zone.polygon.map(([x, y]) => `${x * VIEW_W},${y * VIEW_H}`).join(" ");
      const shape = document.createElementNS("http://www.w3.org/2000/svg", zone.polygon.length > 2 ? "polygon" : "polyline");
      shape.setAttribute("points", points);
      shape.setAttribute("fill", zone.polygon.length > 2 ? `${colour}44` : "none");
      shape.setAttribute("stroke", colour);
      shape.setAttribute("stroke-width", i === current ? "6" : "3");
      shape.dataset.zone = zone.name;
      shapes.append(shape);
      for (const [x, y] of zone.polygon) {
        const dot = document.createElementNS("http://www.w3.org/2000/svg", "circle");
        dot.setAttribute("cx", x * VIEW_W); dot.setAttribute("cy", y * VIEW_H); dot.setAttribute("r", "9");
        dot.setAttribute("fill", colour);
        shapes.append(dot);
      }
      const item = document.createElement("li");
      const pick = document.createElement("button");
      pick.type = "button";
      pick.textContent = `${zone.name} · ${root.querySelector(`#zone-kind option[value="${zone.kind}"]`)?.textContent || zone.kind} · ${zone.polygon.length}`;
      pick.setAttribute("aria-pressed", String(i === current));
      pick.addEventListener("click", () => { current = i; draw(); });
      item.append(pick);
      list.append(item);
    });
  }

  function point(ev) {
    const box = svg.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 1000) / 1000));
    return [clamp((ev.clientX - box.left) / box.width), clamp((ev.clientY - box.top) / box.height)];
  }

  root.querySelector("#zone-new").addEventListener("click", () => {
    const name = root.querySelector("#zone-name").value.trim();
    const kind = root.querySelector("#zone-kind").value;
    const error = root.querySelector("[data-error-for=zones]");
    error.textContent = "";
    if (!name) { error.textContent = msg("msgCheck"); root.querySelector("#zone-name").focus(); return; }
    const same = zones.findIndex((z) => z.name === name);
    if (same >= 0) zones.splice(same, 1);
    zones.push({ name, kind, polygon: [] });
    current = zones.length - 1;
    draw();
  });
  root.querySelector("#zone-undo").addEventListener("click", () => {
    if (current >= 0) { zones[current].polygon.pop(); draw(); }
  });
  root.querySelector("#zone-delete").addEventListener("click", () => {
    if (current >= 0) { zones.splice(current, 1); current = zones.length - 1; draw(); }
  });
  svg.addEventListener("pointerdown", (ev) => {
    if (current < 0) return;
    ev.preventDefault();
    zones[current].polygon.push(point(ev));
    draw();
  });
  // A privacy-safe still of the room behind the zones (asked of the node through central, audited, never stored);
  // when the camera cannot give one, the schematic stays and the page says why.
  const stillButton = root.querySelector("#zone-still");
  stillButton.addEventListener("click", async () => {
    const stillStatus = root.querySelector("#zone-still-status");
    const image = root.querySelector("#zone-still-image");
    stillButton.disabled = true;
    stillStatus.textContent = root.dataset.msgStillWaiting;
    try {
      const response = await fetch(`/manage/nodes/${encodeURIComponent(root.dataset.nodeId)}/still`, {
        method: "POST", credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok || !answer.image) {
        stillStatus.textContent = `${root.dataset.msgStillOffline} (${answer.detail || response.status})`;
        return;
      }
      image.setAttribute("href", answer.image);
      image.removeAttribute("display");
      root.querySelector("#zone-schematic").setAttribute("display", "none");
      svg.dataset.still = answer.level;
      stillStatus.textContent = root.dataset.msgStillShown;
    } catch (err) {
      stillStatus.textContent = `${root.dataset.msgStillOffline} (${err})`;
    } finally {
      stillButton.disabled = false;
    }
  });
  root.querySelector("#zone-save").addEventListener("click", async () => {
    const error = root.querySelector("[data-error-for=zones]");
    error.textContent = "";
    status.textContent = "";
    const response = await fetch(`/api/nodes/${encodeURIComponent(root.dataset.nodeId)}/zones`, {
      method: "PUT", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ zones }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const errors = Array.isArray(answer.errors) ? answer.errors : [];
      error.textContent = errors.length
        ? errors.map((e) => {
          const i = e.loc.find((part, k) => e.loc[k - 1] === "zones");
          const name = typeof i === "number" && zones[i] ? `${zones[i].name}: ` : "";
          return name + String(e.msg).replace(/^Value error, /, "");
        }).join(" ")
        : String(answer.detail || response.status);
      return;
    }
    status.textContent = answer.delivered ? root.dataset.msgDelivered : root.dataset.msgLater;
  });
  draw();
}

document.addEventListener("DOMContentLoaded", () => {
  wireForms();
  const print = document.getElementById("print-card");
  if (print) print.addEventListener("click", () => window.print());
  const editor = document.getElementById("zone-editor");
  if (editor) zoneEditor(editor);
});
