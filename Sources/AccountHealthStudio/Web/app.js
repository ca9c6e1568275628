"use strict";
// ---- helpers: elements are built with DOM calls; data is always set as text ----
const NS = "http://www.w3.org/2000/svg";
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
function sv(tag, attrs, ...kids) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, String(v));
  }
  for (const k of kids) if (k) e.append(k);
  return e;
}
async function api(path, options) {
  const r = await fetch(path, Object.assign({ credentials: "same-origin" }, options || {}));
  const body = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}
const main = document.getElementById("main");
function page(title, ...kids) {
  document.title = title + " · AccountHealth studio";
  main.replaceChildren(el("h1", { text: title }), ...kids);
}
function fail(e) { main.append(el("p", { class: "error", role: "alert", text: String(e.message || e) })); }
const fmt = (v, d = 1) => v === null || v === undefined ? "–" : Number(v).toFixed(d);
const pct = (v, d = 1) => v === null || v === undefined ? "–" : (100 * v).toFixed(d) + " %";
const money = v => v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en-US");
const bandClass = b => ["red", "yellow", "green"].includes(b) ? "band band-" + b : "band band-other";
const bandTag = b => b ? el("span", { class: bandClass(b), text: b }) : el("span", { class: "muted", text: "–" });
const colours = ["#2f5fb3", "#e67e22", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d", "#d4a017", "#27ae60", "#2c3e50", "#e84393"];
function bars(items, opts) {   // items: [{label, value, colour}]
  const w = opts.width || 360, h = 22 * items.length + 10, max = Math.max(1e-9, ...items.map(i => Math.abs(i.value)));
  const s = sv("svg", { width: w, height: h, role: "img", "aria-label": opts.label });
  items.forEach((it, k) => {
    const len = (w - 150) * Math.abs(it.value) / max;
    s.append(sv("text", { x: 0, y: 22 * k + 16, text: it.label }),
             sv("rect", { x: 110, y: 22 * k + 5, width: Math.max(1, len), height: 14, fill: it.colour || "#2f5fb3" }),
             sv("text", { x: 114 + len, y: 22 * k + 16, text: opts.format ? opts.format(it.value) : String(it.value) }));
  });
  return s;
}
const params = new URLSearchParams(location.search);

// ---- / : the portfolio ----
// The live book by default (no churn on or before the date), ordered by ARR at risk (rank's P(churn) × ARR);
// a toggle shows the churned accounts too, marked with their churn date; a renewal date before the date shown is
// marked overdue. "Export CSV" downloads the same filtered, sorted list in rank's CSV columns.
async function portfolio() {
  const summary = await api("/api/v1/summary");
  const state = { sort: params.get("sort") || "-arr_at_risk", band: params.get("band") || "", am: params.get("am") || "",
                  segment: params.get("segment") || "", search: "", asOf: params.get("as_of") || "",
                  churned: params.get("churned") === "true", offset: 0, limit: 100 };
  const table = el("table", { "aria-label": "Accounts" });
  const counts = el("div", { class: "card" });
  const info = el("span", { class: "muted" });
  const bandSel = el("select", { id: "band", onchange: e => { state.band = e.target.value; state.offset = 0; load(); } },
                     el("option", { value: "", text: "all" }), ...summary.bands.map(b => el("option", { value: b.name, text: b.name })));
  bandSel.value = state.band;
  const text = (id, key) => { const i = el("input", { id, value: state[key], onchange: e => { state[key] = e.target.value; state.offset = 0; load(); } }); return i; };
  const asOf = el("input", { id: "as-of", type: "date", value: state.asOf || summary.as_of, min: summary.first_date, max: summary.last_date,
                             onchange: e => { state.asOf = e.target.value; state.offset = 0; load(); } });
  const churned = el("input", { id: "show-churned", type: "checkbox", checked: state.churned,
                                onchange: e => { state.churned = e.target.checked; state.offset = 0; load(); } });
  const exportLink = el("a", { id: "export", class: "button", text: "Export CSV", download: "portfolio.csv" });
  const filters = el("form", { class: "filters", onsubmit: e => e.preventDefault() },
    el("label", {}, "As of", asOf), el("label", {}, "Band", bandSel), el("label", {}, "AM", text("am", "am")),
    el("label", {}, "Segment", text("segment", "segment")), el("label", {}, "Search", text("search", "search")),
    el("label", { class: "inline" }, churned, "Show churned accounts"), exportLink);
  const versionLine = el("p", { class: "muted", id: "config-version" });
  const prev = el("button", { type: "button", text: "Previous", onclick: () => { state.offset = Math.max(0, state.offset - state.limit); load(); } });
  const next = el("button", { type: "button", text: "Next", onclick: () => { state.offset += state.limit; load(); } });
  page("Portfolio", el("p", { class: "muted", text: `${summary.accounts} accounts, timeline ${summary.first_date} to ${summary.last_date}` }),
       el("div", { class: "row" }, el("div", {}, filters, versionLine, table, el("div", { class: "pager" }, prev, next, info)), counts));
  const columns = [["account_id", "Account"], ["arr_at_risk", "ARR at risk", true], ["churn_probability", "P(churn)", true],
                   ["score", "Score", true], ["band", "Band"], ["change", "Change", true], ["arr", "ARR", true],
                   ["am", "AM"], ["segment", "Segment"], ["renewal_date", "Renewal"]];
  function query(paged) {
    const q = new URLSearchParams({ sort: state.sort });
    if (paged) { q.set("limit", state.limit); q.set("offset", state.offset); }
    for (const k of ["band", "am", "segment", "search"]) if (state[k]) q.set(k, state[k]);
    if (state.asOf) q.set("as_of", state.asOf);
    if (state.churned) q.set("churned", "true");
    return q;
  }
  async function load() {
    let data, sum;
    try { data = await api("/api/v1/scores?" + query(true)); sum = await api("/api/v1/summary" + (state.asOf ? "?as_of=" + state.asOf : "")); }
    catch (e) { return fail(e); }
    exportLink.setAttribute("href", "/api/v1/scores/export?" + query(false));
    const head = el("tr", {}, ...columns.map(([key, label, num]) => el("th", { class: num ? "num" : null, scope: "col" },
      el("button", { type: "button", "data-sort": key, text: label + (state.sort === key ? " ▲" : state.sort === "-" + key ? " ▼" : ""),
                     onclick: () => {
                       // A first click orders numbers highest first and names from A; the next one reverses.
                       const first = num ? "-" + key : key, second = num ? key : "-" + key;
                       state.sort = state.sort === first ? second : first; state.offset = 0; load(); } }))));
    const rows = data.rows.map(r => {
      const account = el("td", {}, el("a", { href: "/accounts/" + encodeURIComponent(r.account_id), text: r.account_id }));
      if (r.churned_on) account.append(" ", el("span", { class: "tag churned", text: "churned " + r.churned_on }));
      const renewal = el("td", { class: r.renewal_overdue ? "overdue" : null, text: r.renewal_date || "–" });
      if (r.renewal_overdue) renewal.append(" ", el("span", { class: "tag overdue", text: "overdue" }));
      return el("tr", { class: r.churned_on ? "churned" : null, "data-account": r.account_id }, account,
        el("td", { class: "num", text: money(r.arr_at_risk) }), el("td", { class: "num", text: pct(r.churn_probability) }),
        el("td", { class: "num", text: fmt(r.score) }), el("td", {}, bandTag(r.band)), el("td", { class: "num", text: fmt(r.change) }),
        el("td", { class: "num", text: money(r.arr) }), el("td", { text: r.am || "–" }), el("td", { text: r.segment || "–" }), renewal);
    });
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
    // Under a configuration history, the version in force at the date shown (DESIGN §15).
    const version = data.rows.length ? data.rows[0].config_version : undefined;
    versionLine.textContent = (version ? "Scores under configuration " + version + ", the version in force on " + (state.asOf || summary.as_of) + ". " : "") +
      (data.ranking_note ? data.ranking_note : "");
    info.textContent = `${data.total ? state.offset + 1 : 0}–${state.offset + data.rows.length} of ${data.total}` +
      (state.churned ? " accounts, churned ones included" : " active accounts");
    prev.disabled = state.offset === 0; next.disabled = state.offset + data.rows.length >= data.total;
    counts.replaceChildren(el("h2", { text: "Accounts per band" }), bars(sum.bands.map(b => ({ label: b.name, value: b.accounts,
      colour: getComputedStyle(document.documentElement).getPropertyValue("--" + b.name).trim() || "#6b7280" })), { label: "Accounts per band" }));
  }
  await load();
}

// ---- /accounts/{id} ----
async function account() {
  const id = decodeURIComponent(location.pathname.split("/").pop());
  const from = el("input", { id: "from", type: "date" }), to = el("input", { id: "to", type: "date" });
  async function load() {
    const q = new URLSearchParams();
    if (from.value) q.set("from", from.value);
    if (to.value) q.set("to", to.value);
    const a = await api("/api/v1/accounts/" + encodeURIComponent(id) + (q.toString() ? "?" + q : ""));
    from.value = a.from; to.value = a.to;
    let drivers = [];
    try { const r = (await api("/api/v1/rank")).accounts.find(x => x.account_id === id); if (r) drivers = r.drivers; } catch (e) { drivers = []; }
    // Score over time, each factor's points stacked.
    const w = 760, h = 240, pad = 34, n = a.scores.length, f = a.factors;
    const chart = sv("svg", { width: w, height: h + 40, role: "img", "aria-label": "Score over time with each factor's points" });
    chart.append(sv("line", { class: "axis", x1: pad, y1: h, x2: w, y2: h }));
    for (const y of [0, 50, 100]) chart.append(sv("text", { x: 0, y: h - y * (h - 10) / 100 + 4, text: String(y) }));
    const bw = Math.max(2, (w - pad) / Math.max(n, 1) - 1);
    a.scores.forEach((s, i) => {
      let base = 0;
      f.forEach((name, j) => {
        const p = Math.max(0, s.points[name] || 0), y0 = h - base * (h - 10) / 100, y1 = h - (base + p) * (h - 10) / 100;
        chart.append(sv("rect", { x: pad + i * (bw + 1), y: y1, width: bw, height: Math.max(0, y0 - y1), fill: colours[j % colours.length] },
                        sv("title", { text: `${s.as_of} ${name}: ${fmt(p, 2)} points` })));
        base += p;
      });
    });
    if (n) chart.append(sv("text", { x: pad, y: h + 16, text: a.scores[0].as_of }), sv("text", { x: w - 70, y: h + 16, text: a.scores[n - 1].as_of }));
    // A marker where each configuration version took effect within the account's history (DESIGN §15).
    let versions = [];
    try { versions = (await api("/api/v1/configs")).versions; } catch (e) { versions = []; }
    for (const v of versions) {
      const i = a.scores.findIndex(s => s.as_of >= v.effective_from);
      if (i <= 0) continue;
      const x = pad + i * (bw + 1) - 0.5;
      chart.append(sv("line", { class: "version-marker", x1: x, y1: 4, x2: x, y2: h, stroke: "#111", "stroke-dasharray": "4 3" },
                      sv("title", { text: `configuration ${v.id} from ${v.effective_from}${v.note ? ": " + v.note : ""}` })),
                   sv("text", { class: "version-label", x: x + 3, y: 14, text: v.id }));
    }
    const legend = sv("svg", { width: w, height: 22 * Math.ceil(f.length / 4), role: "img", "aria-label": "Factors" });
    f.forEach((name, j) => legend.append(sv("rect", { x: 180 * (j % 4), y: 22 * Math.floor(j / 4) + 4, width: 12, height: 12, fill: colours[j % colours.length] }),
                                         sv("text", { x: 180 * (j % 4) + 18, y: 22 * Math.floor(j / 4) + 14, text: name })));
    // The waterfall between the two dates.
    const wf = a.waterfall || {};
    const steps = (wf.steps || []).map(s => ({ label: s.label || s.factor || s.kind, value: s.points ?? s.change ?? 0 }));
    const water = bars(steps.map(s => ({ label: s.label, value: s.value, colour: s.value >= 0 ? "#2e8b57" : "#c0392b" })),
                       { label: "Waterfall", width: 460, format: v => (v >= 0 ? "+" : "") + fmt(v, 2) });
    const raw = el("table", { "aria-label": "Raw values" }, el("thead", {}, el("tr", {}, ...["date", "risk", ...Object.keys(a.timeline[0] || {}).filter(k => k !== "date" && k !== "risk")].map(k => el("th", { text: k })))),
      el("tbody", {}, ...a.timeline.slice(-12).reverse().map(r => el("tr", {}, ...Object.entries(r).sort((x, y) => (x[0] === "date" ? -2 : x[0] === "risk" ? -1 : 0) - (y[0] === "date" ? -2 : y[0] === "risk" ? -1 : 0)).map(([k, v]) => el("td", { class: typeof v === "number" ? "num" : null, text: v === null ? "–" : typeof v === "number" ? fmt(v, 2) : v }))))));
    page("Account " + id,
      el("p", { class: "muted", text: [a.name, a.am && "AM " + a.am, a.segment, a.arr !== undefined && "ARR " + money(a.arr), a.renewal_date && "renews " + a.renewal_date].filter(Boolean).join(" · ") }),
      el("div", { class: "card" }, el("h2", { text: "Score over time" }), chart, legend),
      el("div", { class: "row" },
        el("div", { class: "card" }, el("h2", { text: "Waterfall" }),
          el("form", { class: "filters", onsubmit: e => { e.preventDefault(); load().catch(fail); } }, el("label", {}, "From", from), el("label", {}, "To", to), el("button", { type: "submit", text: "Explain" })),
          el("p", { text: `${fmt(wf.from_score)} → ${fmt(wf.to_score)}` }), water),
        el("div", { class: "card" }, el("h2", { text: "Risk drivers" }), el("ul", {}, ...(drivers.length ? drivers : ["none listed"]).map(d => el("li", { text: d }))),
          el("h2", { text: "Renewals and churns" }), el("ul", {}, ...(a.outcomes.length ? a.outcomes.map(o => el("li", { text: `${o.date}: ${o.outcome}` })) : [el("li", { text: "none" })])))),
      el("div", { class: "card" }, el("h2", { text: "Raw values (latest rows)" }), raw));
  }
  await load();
}

// ---- /tune : the weight tuner ----
async function tune() {
  const saved = await api("/api/v1/config");
  const cfg = JSON.parse(JSON.stringify(saved));
  const results = el("div", { id: "results", class: "row" }, el("p", { class: "muted", text: "Move a weight to see what it would have done." }));
  const status = el("p", { class: "muted", id: "status", "aria-live": "polite" });
  // A step clears only its own "…ing" line: a preview that ends after "Save as version" leaves "saved version".
  const clearStatus = text => { if (status.textContent === text) status.textContent = ""; };
  // What "Suggest" loaded stays on the page (the previews rewrite the status line).
  const suggested = el("p", { class: "muted", id: "suggested", "aria-live": "polite" });
  const factorRows = el("div", {});
  function factorRow(f, i) {
    const num = el("input", { type: "number", min: 0, max: 100, step: 1, value: f.weight, "aria-label": f.name + " weight (number)" });
    const slider = el("input", { type: "range", min: 0, max: 100, step: 1, value: f.weight, id: "w-" + i, "aria-label": f.name + " weight" });
    const sync = v => { f.weight = Number(v); num.value = v; slider.value = v; schedule(); };
    slider.addEventListener("input", e => sync(e.target.value));
    num.addEventListener("change", e => sync(e.target.value));
    const box = (key, label) => el("label", {}, el("input", { type: "checkbox", checked: !!f[key], onchange: e => { f[key] = e.target.checked || undefined; schedule(); } }), " " + label);
    // The raw range mapped to 0–100 (both empty: the values are on 0–100 already).
    const bound = key => el("input", { type: "number", step: "any", class: "scale", id: `scale-${key}-${i}`, value: f.scale ? f.scale[key] : "",
                                       "aria-label": `${f.name} scale ${key}`, placeholder: key, onchange: () => setScale() });
    const lo = bound("min"), hi = bound("max");
    function setScale() {
      if (lo.value === "" && hi.value === "") delete f.scale;
      else f.scale = Object.fromEntries([["min", lo.value], ["max", hi.value]].filter(([, v]) => v !== "").map(([k, v]) => [k, Number(v)]));
      schedule();
    }
    return el("div", { class: "factor" }, el("label", { for: "w-" + i, text: f.name }), slider, num, box("optional", "optional"), box("invert", "invert"),
              el("span", { class: "muted", text: " scale " }), lo, el("span", { class: "muted", text: "–" }), hi);
  }
  cfg.factors.forEach((f, i) => factorRows.append(factorRow(f, i)));
  const bandInputs = el("div", { class: "filters" }, ...(cfg.bands || []).filter(b => b.below !== undefined).map(b =>
    el("label", {}, b.name + " below", el("input", { type: "number", min: 0, max: 100, value: b.below, onchange: e => { b.below = Number(e.target.value); schedule(); } }))));
  // Every risk level, in order (a level the saved configuration leaves out has no penalty).
  const riskInputs = el("div", { class: "filters" }, ...["low", "medium", "high"].map(k =>
    el("label", {}, "risk " + k, el("input", { type: "number", min: 0, max: 100, step: "any", id: "risk-" + k, value: (cfg.risk_penalty || {})[k] ?? 0,
      onchange: e => { cfg.risk_penalty = Object.assign(cfg.risk_penalty || {}, { [k]: Number(e.target.value) }); schedule(); } }))));
  const suggest = el("button", { type: "button", id: "suggest", text: "Suggest", onclick: async () => {
    status.textContent = "Fitting…";
    try {
      const fit = await api("/api/v1/fit");
      for (const s of fit.suggested_weights || []) {
        const i = cfg.factors.findIndex(f => f.name === s.name);
        if (i >= 0) { cfg.factors[i].weight = Math.round(s.suggested * 100) / 100; }
      }
      // The penalties fitted with the weights (DESIGN §13); a level no observation has keeps its value.
      for (const p of fit.suggested_penalties || []) {
        if (!p.fitted) continue;
        const v = Math.round(p.suggested * 100) / 100;
        cfg.risk_penalty = Object.assign(cfg.risk_penalty || {}, { [p.level]: v });
        const input = document.getElementById("risk-" + p.level);
        if (input) input.value = v;
      }
      factorRows.replaceChildren(...cfg.factors.map(factorRow));
      const hasCI = x => x.ci_low !== undefined && x.ci_low !== null;
      const weightCI = (fit.suggested_weights || []).filter(hasCI)
        .map(s => `${s.name} ${fmt(s.ci_low)}–${fmt(s.ci_high)}`);
      const penaltyCI = (fit.suggested_penalties || []).filter(p => p.fitted && hasCI(p))
        .map(p => `risk ${p.level} ${fmt(p.ci_low)}–${fmt(p.ci_high)}`);
      clearStatus("Fitting…");
      suggested.textContent = "Suggested weights and risk penalties, the score's own rule fitted on " +
        fit.suggested_fit.observations + " renewal decisions (cross-validated AUC " + fmt(fit.auc_suggested, 3) +
        " against " + fmt(fit.auc_current, 3) + " for the current ones)" +
        (weightCI.length ? "; 95% bootstrap intervals: " + weightCI.concat(penaltyCI).join(", ") : "");
      schedule();
    } catch (e) { status.textContent = e.message; }
  } });
  // The YAML comes from the library's own configuration writer (POST /api/v1/config/yaml), so what is saved
  // is exactly what `score --config` reads back.
  const save = el("button", { type: "button", class: "primary", text: "Save YAML", onclick: async () => {
    try {
      const r = await fetch("/api/v1/config/yaml", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(cfg) });
      if (!r.ok) throw new Error((await r.json().catch(() => ({ error: r.statusText }))).error);
      const url = URL.createObjectURL(new Blob([await r.text()], { type: "text/yaml" }));
      const a = el("a", { href: url, download: "config.yaml" });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      status.textContent = "saved config.yaml";
    } catch (e) { status.textContent = e.message; }
  } });
  // A new version of the configuration history (POST /api/v1/configs): the server needs a token and --configs.
  const vid = el("input", { id: "version-id", placeholder: "v2", "aria-label": "Version id", size: 8 });
  const vdate = el("input", { id: "version-date", type: "date", "aria-label": "Effective from" });
  const vauthor = el("input", { id: "version-author", placeholder: "author", "aria-label": "Author", size: 10 });
  const vnote = el("input", { id: "version-note", placeholder: "why", "aria-label": "Note", size: 24 });
  const versionsCard = el("div", { class: "card", id: "versions" });
  async function listVersions() {
    let list = [];
    try { list = (await api("/api/v1/configs")).versions; } catch (e) { list = []; }
    const ev = (v, k) => v.evidence && v.evidence[k] !== null && v.evidence[k] !== undefined ? fmt(v.evidence[k], 3) : "–";
    versionsCard.replaceChildren(el("h2", { text: "Configuration history" }), list.length
      ? el("table", { "aria-label": "Configuration versions" },
          el("thead", {}, el("tr", {}, ...["id", "from", "author", "note", "AUC before", "AUC after"].map(t => el("th", { text: t })))),
          el("tbody", {}, ...list.map(v => el("tr", {}, el("td", { text: v.id }), el("td", { text: v.effective_from }), el("td", { text: v.author || "–" }),
            el("td", { text: v.note || "" }), el("td", { class: "num", text: ev(v, "auc_before") }), el("td", { class: "num", text: ev(v, "auc_after") })))))
      : el("p", { class: "muted", text: "No history yet: the data's configuration applies to every date." }));
  }
  const saveVersion = el("button", { type: "button", id: "save-version", text: "Save as version", onclick: async () => {
    status.textContent = "Saving the version (with its backtest)…";
    try {
      const r = await api("/api/v1/configs", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ configuration: cfg, version: { id: vid.value, effective_from: vdate.value, author: vauthor.value || undefined, note: vnote.value || undefined } }) });
      status.textContent = `saved version ${r.id} (${r.file})`;
      await listVersions();
    } catch (e) { status.textContent = e.message; }
  } });
  page("Weight tuner", el("div", { class: "row tuner" },
    el("div", { class: "card" }, el("h2", { text: "Weights" }), factorRows, el("h2", { text: "Bands" }), bandInputs, el("h2", { text: "Risk penalties" }), riskInputs,
       el("p", {}, suggest, " ", save), status, suggested,
       el("h2", { text: "Save as a new version" }), el("form", { class: "filters", onsubmit: e => e.preventDefault() },
         el("label", {}, "Id", vid), el("label", {}, "Effective from", vdate), el("label", {}, "Author", vauthor), el("label", {}, "Note", vnote), saveVersion)),
    results), versionsCard);
  await listVersions();
  let timer = null, seq = 0;
  function schedule() { clearTimeout(timer); timer = setTimeout(preview, 150); }
  async function preview() {
    const mine = ++seq;
    status.textContent = "Backtesting…";
    let r, moved, alone;
    const post = path => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(cfg) });
    try { [r, moved, alone] = await Promise.all([post("/api/v1/preview"), post("/api/v1/preview/moves?limit=25"), post("/api/v1/backtest")]); }
    catch (e) { if (mine === seq) status.textContent = e.message; return; }
    if (mine !== seq) return;
    clearStatus("Backtesting…");
    const a = r.against, cur = a.current, oth = a.other;
    const kpi = (label, x, y, f, id) => el("div", { class: "card" }, el("div", { class: "kpi", id }, f(y), el("small", { text: label + " (saved " + f(x) + ")" })));
    const m = a.band_matrix;
    const matrix = el("table", { "aria-label": "Band moves" }, el("thead", {}, el("tr", {}, el("th", { text: "saved ↓ / this →" }), ...m.columns.map(c => el("th", { text: c })))),
      el("tbody", {}, ...m.rows.map((row, i) => el("tr", {}, el("th", { text: row }), ...m.counts[i].map((n, j) => el("td", { class: "num" + (i !== j && n ? " delta-down" : ""), text: String(n) }))))));
    const rates = el("table", { "aria-label": "Churn rate per band" }, el("thead", {}, el("tr", {}, ...["band", "accounts", "churns", "churn rate"].map(t => el("th", { text: t })))),
      el("tbody", {}, ...oth.bands.map(b => el("tr", {}, el("td", {}, bandTag(b.band)), el("td", { class: "num", text: b.accounts }), el("td", { class: "num", text: b.churns }), el("td", { class: "num", text: pct(b.churn_rate) })))));
    // Calibration: the isotonic map from score to churn probability, this configuration's over the saved one's.
    const cw = 320, ch = 160, cal = sv("svg", { width: cw, height: ch + 56, role: "img", "aria-label": "Calibration: churn probability by score, this configuration and the saved one" });
    cal.append(sv("line", { class: "axis", x1: 0, y1: ch, x2: cw, y2: ch }));
    [[r.calibration.isotonic, "#9aa3b2", "saved", "5 3"], [alone.calibration.isotonic, "#2f5fb3", "this configuration", null]].forEach(([iso, colour, label, dash], k) => {
      for (const s of iso) cal.append(sv("line", { x1: cw * s.score_from / 100, x2: cw * Math.max(s.score_to, s.score_from + 0.3) / 100,
                                                   y1: ch - ch * s.churn_probability, y2: ch - ch * s.churn_probability,
                                                   stroke: colour, "stroke-width": 3, "stroke-dasharray": dash },
                                               sv("title", { text: `${label}: scores ${fmt(s.score_from, 1)}–${fmt(s.score_to, 1)}, churn ${pct(s.churn_probability)} of ${s.observations}` })));
      cal.append(sv("line", { x1: 0, x2: 24, y1: ch + 30 + 16 * k, y2: ch + 30 + 16 * k, stroke: colour, "stroke-width": 3, "stroke-dasharray": dash }),
                 sv("text", { x: 30, y: ch + 34 + 16 * k, text: label }));
    });
    cal.append(sv("text", { x: 0, y: ch + 14, text: "score 0" }), sv("text", { x: cw - 30, y: ch + 14, text: "100" }));
    results.replaceChildren(
      el("div", { class: "row" }, kpi("AUC", cur.auc, oth.auc, v => fmt(v, 3), "auc"), kpi("Top-decile lift", cur.top_decile_lift, oth.top_decile_lift, v => fmt(v, 2), "lift"),
         kpi("Precision at " + r.k, cur.precision_at_k, oth.precision_at_k, v => pct(v), "precision"),
         el("div", { class: "card" }, el("div", { class: "kpi", id: "moves", text: String(m.accounts_changing_band) }, el("small", { text: "accounts change band on " + m.date })))),
      el("div", { class: "card" }, el("h2", { text: "Churn rate per band (this configuration)" }), rates),
      el("div", { class: "card" }, el("h2", { text: "Band × band against the saved configuration" }), matrix),
      el("div", { class: "card" }, el("h2", { text: "Calibration: churn probability by score" }), cal),
      el("div", { class: "card" }, el("h2", { text: `Accounts that change band (${moved.total}; largest score changes first)` }),
        el("table", { "aria-label": "Accounts that change band", id: "movers" },
          el("thead", {}, el("tr", {}, ...["account", "AM", "ARR", "saved", "this"].map(t => el("th", { text: t })))),
          el("tbody", {}, ...moved.accounts.map(x => el("tr", {},
            el("td", {}, el("a", { href: "/accounts/" + encodeURIComponent(x.account_id), text: x.account_id })), el("td", { text: x.am || "–" }),
            el("td", { class: "num", text: money(x.arr) }), el("td", {}, bandTag(x.from_band), " " + fmt(x.from_score)),
            el("td", {}, bandTag(x.to_band), " " + fmt(x.to_score))))))));
  }
  await preview();
}

// ---- /managers ----
async function managers() {
  const by = params.get("by") || "am";
  const r = await api("/api/v1/compare?by=" + encodeURIComponent(by));
  const g = r.groups.filter(x => x.oe_ratio !== null);
  const w = 520, h = 260, pad = 36, maxE = Math.max(1, ...g.map(x => x.expected_churns)), maxO = Math.max(2, ...g.map(x => x.oe_ci_high || x.oe_ratio || 0));
  const funnel = sv("svg", { width: w, height: h + 30, role: "img", "aria-label": "Funnel plot: observed over expected churns by expected churns" });
  funnel.append(sv("line", { class: "axis", x1: pad, y1: h, x2: w, y2: h }), sv("line", { x1: pad, x2: w, y1: h - h / maxO, y2: h - h / maxO, stroke: "#6b7280", "stroke-dasharray": "4 3" }));
  // The funnel: where O/E falls by chance alone at each expected count (95 %, normal approximation to the
  // Poisson, 1 ± 1.96/√E); a group outside it is unusual for its size.
  for (const sign of [-1, 1]) {
    const pts = [];
    for (let k = 1; k <= 60; k++) {
      const e = maxE * k / 60, r = Math.max(0, 1 + sign * 1.96 / Math.sqrt(e));
      pts.push(`${(pad + (w - pad - 10) * e / maxE).toFixed(1)},${(h - h * Math.min(r, maxO) / maxO).toFixed(1)}`);
    }
    funnel.append(sv("polyline", { points: pts.join(" "), fill: "none", stroke: "#9aa3b2" }));
  }
  for (const x of g) {
    const cx = pad + (w - pad - 10) * x.expected_churns / maxE, cy = h - h * x.oe_ratio / maxO;
    if (x.oe_ci_low !== null) funnel.append(sv("line", { x1: cx, x2: cx, y1: h - h * x.oe_ci_low / maxO, y2: h - h * Math.min(maxO, x.oe_ci_high) / maxO, stroke: "#c7ccd4" }));
    funnel.append(sv("circle", { cx, cy, r: 5, fill: x.flag ? "#c0392b" : "#2f5fb3" }, sv("title", { text: `${x.group}: O/E ${fmt(x.oe_ratio, 2)}` })));
  }
  funnel.append(sv("text", { x: pad, y: h + 16, text: "expected churns →" }), sv("text", { x: 0, y: 12, text: "O/E" }));
  const select = el("select", { id: "by", onchange: e => { location.search = "?by=" + encodeURIComponent(e.target.value); } },
    ...["am", "segment", "region"].map(c => el("option", { value: c, text: c, selected: c === by })));
  const table = el("table", { "aria-label": "Comparison" }, el("thead", {}, el("tr", {}, ...["group", "accounts", "ARR", "mean score", "churns", "expected", "O/E", "95 % interval", "shrunk rate", "flag"].map(t => el("th", { text: t })))),
    el("tbody", {}, ...r.groups.map(x => el("tr", {},
      el("td", {}, el("a", { href: by === "am" || by === "segment" ? "/?" + by + "=" + encodeURIComponent(x.group) : "#", text: x.group })),
      el("td", { class: "num", text: x.accounts }), el("td", { class: "num", text: money(x.arr) }), el("td", { class: "num", text: fmt(x.mean_score) }),
      el("td", { class: "num", text: x.churns }), el("td", { class: "num", text: fmt(x.expected_churns) }), el("td", { class: "num", text: fmt(x.oe_ratio, 2) }),
      el("td", { class: "num", text: x.oe_ci_low === null ? "–" : fmt(x.oe_ci_low, 2) + "–" + fmt(x.oe_ci_high, 2) }),
      el("td", { class: "num", text: pct(x.shrunk_churn_rate) }), el("td", { text: x.flag || "" })))));
  page("Managers and segments", el("form", { class: "filters" }, el("label", {}, "Compare by", select)),
    el("p", { class: "muted", text: `Risk-adjusted: expected churns from a case-mix model on ${r.model_observations} renewals (${r.horizon_days} days ahead); intervals ${r.interval}.` }),
    el("div", { class: "row" }, el("div", { class: "card" }, funnel), table));
}

// ---- /indicators ----
async function indicators() {
  const r = await api("/api/v1/indicators");
  const cell = a => { const s = Math.max(0, Math.min(1, (a - 0.5) * 4)); const td = el("td", { text: a === null ? "–" : fmt(a, 3) }); if (a !== null) td.style.background = `rgba(47,95,179,${s.toFixed(2)})`; if (s > 0.55) td.style.color = "#fff"; return td; };
  page("Leading and lagging indicators", el("p", { class: "muted", text: r.rule }),
    el("table", { class: "heat", "aria-label": "AUC by factor and horizon" },
      el("thead", {}, el("tr", {}, el("th", { text: "factor" }), ...r.horizons.map(h => el("th", { text: h + " d" })), el("th", { text: "kind" }))),
      el("tbody", {}, ...r.factors.map(f => el("tr", {}, el("th", { text: f.name }), ...r.horizons.map(h => cell((f.by_horizon.find(b => b.horizon === h) || {}).auc ?? null)), el("td", { text: f.kind }))))));
}

// ---- /survival ----
async function survival() {
  const r = await api("/api/v1/survival");
  const c = r.coefficients;
  const w = 520, row = 24, lo = Math.min(0.5, ...c.map(x => Math.exp(x.ci_low))), hi = Math.max(2, ...c.map(x => Math.exp(x.ci_high)));
  const X = v => 150 + (w - 170) * (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
  const forest = sv("svg", { width: w, height: row * c.length + 30, role: "img", "aria-label": "Hazard ratios with 95 % intervals" });
  forest.append(sv("line", { x1: X(1), x2: X(1), y1: 0, y2: row * c.length, stroke: "#6b7280", "stroke-dasharray": "4 3" }));
  c.forEach((x, i) => {
    const y = row * i + 14;
    forest.append(sv("text", { x: 0, y: y + 4, text: x.name }), sv("line", { x1: X(Math.exp(x.ci_low)), x2: X(Math.exp(x.ci_high)), y1: y, y2: y, stroke: "#2f5fb3" }),
                  sv("circle", { cx: X(x.hazard_ratio), cy: y, r: 4, fill: x.hazard_ratio > 1 ? "#c0392b" : "#2e8b57" }, sv("title", { text: `${x.name}: HR ${fmt(x.hazard_ratio, 3)}` })));
  });
  forest.append(sv("text", { x: X(1) - 4, y: row * c.length + 20, text: "1" }));
  // Survival curves: Breslow's baseline at the factors' means, and a profile with one factor moved by Δ,
  // whose survival is S0(t)^exp(β·Δ).
  const points = (r.baseline && r.baseline.points) || [];
  const curves = el("div", {});
  const which = el("select", { id: "curve-factor", onchange: () => draw() }, ...c.map(x => el("option", { value: x.name, text: x.name })));
  const delta = el("input", { id: "curve-delta", type: "number", step: "any", value: "10", onchange: () => draw() });
  function draw() {
    const cw = 640, ch = 240, pad = 36, tMax = Math.max(1, ...points.map(p => p.days));
    const term = c.find(x => x.name === which.value), shift = Number(delta.value) || 0;
    const profiles = [["at the means", 1, "#2f5fb3"]];
    // The riskier profile (hazard ratio above 1) in red, the safer in green.
    const colour = hr => hr > 1 ? "#c0392b" : hr < 1 ? "#2e8b57" : "#6b7280";
    if (term) profiles.push([`${term.name} ${shift >= 0 ? "+" : "−"}${Math.abs(shift)} (hazard × ${fmt(Math.exp(term.estimate * shift), 3)})`, Math.exp(term.estimate * shift)],
                            [`${term.name} ${shift >= 0 ? "−" : "+"}${Math.abs(shift)} (hazard × ${fmt(Math.exp(-term.estimate * shift), 3)})`, Math.exp(-term.estimate * shift)]);
    profiles.forEach((p, k) => { if (k > 0) p.push(colour(p[1])); });
    const last = points.length ? points[points.length - 1].survival : 1;
    const lo = Math.max(0, Math.floor((Math.min(...profiles.map(p => Math.pow(last, p[1]))) - 0.02) * 20) / 20);
    const Y = s => ch - (ch - 10) * (s - lo) / (1 - lo), T = t => pad + (cw - pad - 10) * t / tMax;
    const chart = sv("svg", { width: cw, height: ch + 30, role: "img", "aria-label": "Survival curves: share of accounts not yet churned by account age" });
    chart.append(sv("line", { class: "axis", x1: pad, y1: ch, x2: cw, y2: ch }), sv("text", { x: 0, y: 14, text: "1.00" }), sv("text", { x: 0, y: ch, text: fmt(lo, 2) }),
                 sv("text", { x: pad, y: ch + 18, text: "0" }), sv("text", { x: cw - 110, y: ch + 18, text: `${Math.round(tMax)} days of age` }));
    profiles.forEach(([label, hr, colour], k) => {
      let d = `M${T(0)},${Y(1)}`;
      for (const p of points) d += ` H${T(p.days).toFixed(1)} V${Y(Math.pow(p.survival, hr)).toFixed(1)}`;
      const ly = ch - 14 - 18 * (profiles.length - 1 - k);
      chart.append(sv("path", { d, fill: "none", stroke: colour, "stroke-width": 2 }, sv("title", { text: label })),
                   sv("line", { x1: pad + 10, x2: pad + 34, y1: ly - 4, y2: ly - 4, stroke: colour, "stroke-width": 3 }),
                   sv("text", { x: pad + 40, y: ly, text: label }));
    });
    curves.replaceChildren(chart);
  }
  draw();
  page("Time to churn", el("p", { class: "muted", text: `Cox model on ${r.intervals} intervals of ${r.accounts} accounts, ${r.events} churns; concordance ${fmt(r.concordance, 3)}.` }),
    el("div", { class: "card" }, el("h2", { text: "Survival curves" }),
      el("form", { class: "filters", onsubmit: e => { e.preventDefault(); draw(); } }, el("label", {}, "Move", which), el("label", {}, "by", delta)),
      curves, el("p", { class: "muted", text: "Time is the account's age (days since its first timeline row); the baseline is Breslow's, for an account at every factor's mean." })),
    el("div", { class: "row" }, el("div", { class: "card" }, el("h2", { text: "Hazard ratios" }), forest),
      el("table", { "aria-label": "Cox coefficients" }, el("thead", {}, el("tr", {}, ...["factor", "hazard ratio", "95 % interval", "p"].map(t => el("th", { text: t })))),
        el("tbody", {}, ...c.map(x => el("tr", {}, el("td", { text: x.name }), el("td", { class: "num", text: fmt(x.hazard_ratio, 3) }),
          el("td", { class: "num", text: fmt(Math.exp(x.ci_low), 3) + "–" + fmt(Math.exp(x.ci_high), 3) }),
          el("td", { class: "num", text: x.p_value < 1e-16 ? "< 1e-16" : Number(x.p_value).toPrecision(2) })))))),
    landmarkCard());
}

// The predictions checked (DESIGN §14): the Cox model fitted on what was known 180 days before the last date,
// its Brier score against Kaplan–Meier's and its AUC by time, drawn when the answer arrives.
function landmarkCard() {
  const title = () => el("h2", { text: "Are the predictions any good?" });
  const card = el("div", { class: "card", id: "landmark" }, title(),
    el("p", { class: "muted", text: "Fitting on what was known 180 days ago…" }));
  api("/api/v1/survival?landmark=auto").then(r => {
    const e = r.evaluation;
    const times = e.times, tMax = Math.max(...times.map(t => t.time));
    const cw = 640, ch = 200, pad = 44;
    const T = t => pad + (cw - pad - 10) * t / tMax;
    function lines(label, series, yMax) {
      const Y = v => ch - (ch - 10) * v / yMax;
      const svg = sv("svg", { width: cw, height: ch + 30, role: "img", "aria-label": label });
      svg.append(sv("line", { class: "axis", x1: pad, y1: ch, x2: cw, y2: ch }),
                 sv("text", { x: 0, y: 14, text: fmt(yMax, 3) }), sv("text", { x: 0, y: ch, text: "0" }),
                 sv("text", { x: cw - 150, y: ch + 18, text: `${tMax} days after ${e.landmark}` }));
      series.forEach(([name, values, colour], k) => {
        const d = values.map((v, i) => `${i ? "L" : "M"}${T(times[i].time).toFixed(1)},${Y(v ?? 0).toFixed(1)}`)
          .join(" ");
        const ly = 14 + 18 * k;
        svg.append(sv("path", { d, fill: "none", stroke: colour, "stroke-width": 2 }, sv("title", { text: name })),
                   sv("line", { x1: pad + 10, x2: pad + 34, y1: ly, y2: ly, stroke: colour, "stroke-width": 3 }),
                   sv("text", { x: pad + 40, y: ly + 4, text: name }));
      });
      return svg;
    }
    const top = Math.max(...times.map(t => Math.max(t.brier, t.brier_km))) * 1.15;
    const num = text => el("td", { class: "num", text });
    const summary = `Cox model fitted on what was known on ${e.landmark}, scored on the ${e.accounts} accounts ` +
      `at risk then: integrated Brier ${fmt(e.integrated_brier, 4)} against ${fmt(e.integrated_brier_km, 4)} ` +
      `for Kaplan–Meier without factors; mean AUC ${fmt(e.mean_auc, 3)}; Uno's concordance ` +
      `${fmt(e.concordance_ipcw, 3)}.`;
    const head = ["days", "at risk", "churns", "Brier", "Brier (KM)", "AUC"].map(t => el("th", { text: t }));
    const rows = times.map(t => el("tr", {}, num(String(t.time)), num(String(t.at_risk)), num(String(t.events)),
      num(fmt(t.brier, 4)), num(fmt(t.brier_km, 4)), num(fmt(t.auc, 3))));
    card.replaceChildren(title(), el("p", { class: "muted", text: summary }),
      lines("Brier score by days after the landmark: the Cox model against Kaplan–Meier",
            [["Cox model", times.map(t => t.brier), "#2f5fb3"],
             ["Kaplan–Meier", times.map(t => t.brier_km), "#6b7280"]], top),
      lines("AUC by days after the landmark",
            [["cumulative/dynamic AUC", times.map(t => t.auc), "#2e8b57"],
             ["chance", times.map(() => 0.5), "#bbb"]], 1),
      el("table", { "aria-label": "Landmark evaluation" }, el("thead", {}, el("tr", {}, ...head)),
         el("tbody", {}, ...rows)));
  }).catch(err => card.replaceChildren(title(), el("p", { class: "error", text: err.message })));
  return card;
}

// One page shell for every path: the path picks the page, and its link in the navigation is marked.
const pages = { portfolio, account, tune, managers, indicators, survival };
const paths = { "/": "portfolio", "/tune": "tune", "/managers": "managers", "/indicators": "indicators", "/survival": "survival" };
const current = location.pathname.startsWith("/accounts/") ? "account" : (paths[location.pathname] || "portfolio");
document.body.dataset.page = current;
for (const a of document.querySelectorAll("header nav a")) if (a.dataset.page === current) a.setAttribute("aria-current", "page");
pages[current]().catch(fail);
