// Follow-up page for nurse_admin and ops: a month's figures, the weekly trend and the response-time distribution
// (inline SVG drawn here), with links to the CSV and the printable report. Shown only when /api/followup answers
// (other roles get 403 and never see the section). Listens to nattvakt:session and nattvakt:lang from console.js.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const SERIES = [["checkins_done", "#3fb950"], ["checkins_missed", "#f85149"], ["events", "#58a6ff"],
    ["false_alarms", "#d29922"]];
  const ROWS = ["checkins_planned", "checkins_done", "checkins_late", "checkins_missed",
    "checkins_skipped_by_recipient", "lookins_digital", "visits_physical", "visits_avoided", "visits_due_to_downtime",
    "events", "false_alarms", "ack", "documented", "outages", "downtime_h", "consent_changes", "pauses"];
  let data = null;

  const lang = () => (document.documentElement.lang === "en" ? "en" : "sv");
  // This section's own words are `followup.<name>`; the ones it shares with the printed report go by `<name>`.
  const w = (key) => {
    const words = (window.NATTVAKT_STRINGS || {})[lang()] || {};
    return words[`followup.${key}`] || words[key] || key;
  };
  const el = (tag, attrs = {}, text = "") => {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
    if (text) node.textContent = text;
    return node;
  };
  const svg = (tag, attrs = {}, text = "") => {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, String(v)));
    if (text) node.textContent = text;
    return node;
  };
  const count = (v) => (v === null || v === undefined ? `<${data.min_count}` : String(v));
  const mins = (s) => (s === null || s === undefined ? "–" : (s / 60).toFixed(1));

  function value(figures, key) {
    if (key === "ack") return `${mins(figures.ack_median_s)} / ${mins(figures.ack_p90_s)}`;
    if (key === "documented") return `${mins(figures.documented_median_s)} / ${mins(figures.documented_p90_s)}`;
    if (key === "downtime_h") return (figures.downtime_s / 3600).toFixed(1);
    return count(figures[key]);
  }

  function table(night, total) {
    const t = el("table", { id: "followup-figures" });
    const head = el("tr");
    ["", w("night") + (night ? ` (${night.night})` : ""), w("total")]
      .forEach((text) => head.append(el("th", { scope: "col" }, text)));
    const thead = el("thead");
    thead.append(head);
    t.append(thead);
    const body = el("tbody");
    ROWS.forEach((key) => {
      const row = el("tr", { "data-key": key });
      row.append(el("th", { scope: "row" }, w(key === "events" ? "events_total" : key)));
      row.append(el("td", {}, night ? value(night, key) : "–"));
      row.append(el("td", {}, value(total, key)));
      body.append(row);
    });
    t.append(body);
    return t;
  }

  function axis(plot, x0, y0, width, height, max) {
    plot.append(svg("line", { x1: x0, y1: y0, x2: x0 + width, y2: y0, stroke: "#8b949e" }));
    [0, 0.5, 1].forEach((f) => {
      const y = y0 - f * height;
      plot.append(svg("text", { x: x0 - 6, y: y + 4, "text-anchor": "end", fill: "#8b949e", "font-size": 11 },
        String(Math.round(f * max))));
      if (f) plot.append(svg("line", { x1: x0, y1: y, x2: x0 + width, y2: y, stroke: "#30363d" }));
    });
  }

  // "2026-W49" as the page's language writes a week ("v. 49", "wk 49").
  const weekLabel = (iso) => `${w("week_short")} ${Number(iso.slice(6))}`;

  function trend(weeks) {
    const W = 640, H = 240, x0 = 40, y0 = 200, height = 170, width = W - x0 - 10;
    const plot = svg("svg", { id: "followup-trend", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": w("trend") });
    const max = Math.max(1, ...weeks.flatMap((wk) => SERIES.map(([k]) => wk[k] || 0)));
    axis(plot, x0, y0, width, height, max);
    const group = width / Math.max(weeks.length, 1);
    const bar = Math.min(22, (group - 8) / SERIES.length);
    weeks.forEach((wk, i) => {
      SERIES.forEach(([key, colour], j) => {
        const x = x0 + i * group + 4 + j * bar;
        const v = wk[key];
        if (v === null) {  // hidden small count: a dashed stub, no height that would tell it
          plot.append(svg("rect", { x, y: y0 - 6, width: bar - 2, height: 6, fill: "none", stroke: colour,
            "stroke-dasharray": "2 2" }));
          return;
        }
        const h = (v / max) * height;
        const rect = svg("rect", { x, y: y0 - h, width: bar - 2, height: h, fill: colour });
        rect.append(svg("title", {}, `${weekLabel(wk.week)} · ${w(key === "events" ? "events_total" : key)}: ${v}`));
        plot.append(rect);
      });
      plot.append(svg("text", { x: x0 + i * group + group / 2, y: y0 + 16, "text-anchor": "middle",
        fill: "#e6edf3", "font-size": 12 }, weekLabel(wk.week)));
    });
    SERIES.forEach(([key, colour], j) => {
      const x = x0 + j * 150;
      plot.append(svg("rect", { x, y: H - 14, width: 10, height: 10, fill: colour }));
      plot.append(svg("text", { x: x + 14, y: H - 5, fill: "#e6edf3", "font-size": 12 },
        w(key === "events" ? "events_total" : key)));
    });
    return plot;
  }

  function histogram(bins, edges) {
    const W = 640, H = 220, x0 = 40, y0 = 180, height = 150, width = W - x0 - 10;
    const plot = svg("svg", { id: "followup-response", viewBox: `0 0 ${W} ${H}`, role: "img",
      "aria-label": w("response") });
    const labels = [...edges.map((e) => `≤${e}`), `>${edges[edges.length - 1]}`];
    const hidden = bins.some((b) => b === null);
    const max = Math.max(1, ...bins.map((b) => b || 0));
    axis(plot, x0, y0, width, height, hidden ? 0 : max);
    const step = width / labels.length;
    labels.forEach((label, i) => {
      const v = bins[i];
      if (v !== null && v > 0) {
        const h = (v / max) * height;
        const rect = svg("rect", { x: x0 + i * step + 4, y: y0 - h, width: step - 8, height: h, fill: "#58a6ff" });
        rect.append(svg("title", {}, `${label} ${w("minutes")}: ${v} ${w("events")}`));
        plot.append(rect);
      }
      plot.append(svg("text", { x: x0 + i * step + step / 2, y: y0 + 16, "text-anchor": "middle", fill: "#e6edf3",
        "font-size": 12 }, label));
    });
    plot.append(svg("text", { x: x0 + width / 2, y: H - 4, "text-anchor": "middle", fill: "#8b949e",
      "font-size": 12 }, hidden ? `<${data.min_count} ${w("events")}` : w("minutes")));
    return plot;
  }

  function render() {
    const section = $("followup-section");
    if (!data || section.hidden) return;
    $("followup-heading").textContent = w("followup");
    $("followup-month-label").textContent = w("month");
    const query = `month=${data.month}`;
    const csv = $("followup-csv");
    csv.href = `/api/followup/csv?${query}`;
    csv.textContent = w("csv");
    const print = $("followup-print");
    print.href = `/api/followup/report?${query}&lang=${lang()}`;
    print.textContent = w("print");
    const out = $("followup-body");
    out.replaceChildren();
    if (!data.has_data) {
      out.append(el("p", { id: "followup-empty", role: "status" }, w("no_data")));
      return;
    }
    const withData = data.nights.filter((n) => n.has_data);
    out.append(el("p", { class: "muted" }, w("suppressed").replaceAll("{n}", data.min_count)));
    out.append(table(withData[withData.length - 1], data.total));
    out.append(el("h3", {}, w("trend")), trend(data.weeks));
    out.append(el("h3", {}, w("response")), histogram(data.total.response_histogram, data.response_bins_min));
  }

  async function load() {
    const section = $("followup-section");
    const month = $("followup-month").value;
    $("followup-status").textContent = w("loading");
    let response;
    try {
      response = await fetch(`/api/followup${month ? `?month=${month}` : ""}`);
    } catch (err) {
      $("followup-status").textContent = w("failed");
      return;
    }
    if (response.status === 401 || response.status === 403) { section.hidden = true; return; }
    if (!response.ok) { $("followup-status").textContent = w("failed"); return; }
    data = await response.json();
    section.hidden = false;
    if (!month) $("followup-month").value = data.month;
    $("followup-status").textContent = "";
    render();
  }

  $("followup-month").addEventListener("change", load);
  document.addEventListener("nattvakt:lang", render);
  document.addEventListener("nattvakt:session", (ev) => {
    if (!ev.detail.loggedIn) { $("followup-section").hidden = true; data = null; return; }
    load();
  });
})();
