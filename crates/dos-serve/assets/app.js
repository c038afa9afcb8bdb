// The page of `dos serve`: upload structure files to /api/predict, draw each DOS with its 90 %
// band as SVG, list the phonon properties, download the results. No library; user data is
// only ever set as text, never as HTML.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const Z90 = 1.6448536269514722;
const state = { files: [], results: [], model: null, busy: false };

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function prettyUnit(unit) {
  return unit === "cm^-1" ? "cm\u207b\u00b9" : unit;
}

function fmt(x, digits = 4) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "?";
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(digits - 1) : x.toPrecision(digits);
}

async function loadModel() {
  try {
    const r = await fetch("/api/model");
    const m = await r.json();
    state.model = m;
    const p = $("model");
    p.textContent = "";
    const name = [m.name, m.version].filter(Boolean).join(" ");
    const parts = [`${name}: ${m.members} member(s), ${m.task} DOS on ${m.energy_grid.values.length} points`];
    if (m.test) {
      parts.push(`test MSE\u00d710 ${fmt(m.test.mse_x10, 3)}, MAE ${fmt(m.test.mae, 3)}, R\u00b2 ${fmt(m.test.r2, 3)}` +
        (m.test.coverage_90 ? `, 90 % coverage ${(100 * m.test.coverage_90).toFixed(1)} %` : ""));
    }
    p.append(parts.join("; ") + ". ");
    const card = el("a", { href: m.model_card || "/api/model", id: "model-card", target: "_blank" }, "Model card");
    p.append(card);
  } catch (e) {
    $("model").textContent = `The model summary could not be read: ${e}`;
  }
}

// Requests within the server's limits: at most max_files files and about max_body bytes each.
function batches(files) {
  const limits = (state.model && state.model.limits) || { max_files: 256, max_body_bytes: 8 << 20 };
  const budget = limits.max_body_bytes * 0.9;
  const out = [];
  let cur = [];
  let size = 0;
  for (const f of files) {
    if (cur.length && (cur.length >= limits.max_files || size + f.size + 512 > budget)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(f);
    size += f.size + 512;
  }
  if (cur.length) out.push(cur);
  return out;
}

async function predictFiles(files, temperature) {
  const out = [];
  for (const batch of batches(files)) {
    const form = new FormData();
    for (const f of batch) form.append("file", f, f.name);
    let answer;
    try {
      const r = await fetch(`/api/predict?temperature=${encodeURIComponent(temperature)}`, { method: "POST", body: form });
      let body = null;
      try { body = await r.json(); } catch (_) { body = null; }
      if (r.ok && Array.isArray(body)) {
        answer = body;
      } else {
        const msg = body && body.error ? body.error : r.statusText;
        answer = batch.map((f) => ({ id: f.name, error: `HTTP ${r.status}: ${msg}` }));
      }
    } catch (e) {
      answer = batch.map((f) => ({ id: f.name, error: `request failed: ${e}` }));
    }
    out.push(...answer);
  }
  return out;
}

function niceStep(span, target) {
  const raw = span / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / mag;
  return mag * (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10);
}

function plot(p) {
  const W = 480, H = 230, L = 48, R = 20, T = 10, B = 42;
  const e = p.energies, m = p.mean;
  const band = p.std ? { lo: m.map((v, i) => v - Z90 * p.std[i]), hi: m.map((v, i) => v + Z90 * p.std[i]) } : null;
  const xmin = e[0], xmax = e[e.length - 1];
  const all = band ? band.lo.concat(band.hi, m) : m;
  const ymin = Math.min(0, ...all);
  const ymax = Math.max(1, ...all) * 1.04;
  const sx = (x) => L + ((x - xmin) / (xmax - xmin || 1)) * (W - L - R);
  const sy = (y) => T + (1 - (y - ymin) / (ymax - ymin || 1)) * (H - T - B);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "dos", role: "img" });
  root.append(svg("title", {}, `Predicted DOS of ${p.formula} with its 90 % band`));
  const xstep = niceStep(xmax - xmin, 5);
  for (let x = Math.ceil(xmin / xstep) * xstep; x <= xmax + 1e-9; x += xstep) {
    root.append(svg("line", { class: "grid", x1: sx(x), x2: sx(x), y1: T, y2: H - B }));
    root.append(svg("text", { x: sx(x), y: H - B + 14, "text-anchor": "middle" }, Number(x.toFixed(6)).toString()));
  }
  const ystep = niceStep(ymax - ymin, 4);
  for (let y = Math.ceil(ymin / ystep) * ystep; y <= ymax + 1e-9; y += ystep) {
    root.append(svg("line", { class: "grid", x1: L, x2: W - R, y1: sy(y), y2: sy(y) }));
    root.append(svg("text", { x: L - 5, y: sy(y) + 4, "text-anchor": "end" }, Number(y.toFixed(6)).toString()));
  }
  if (band) {
    const up = e.map((x, i) => `${sx(x).toFixed(1)},${sy(band.hi[i]).toFixed(1)}`);
    const down = e.map((x, i) => `${sx(x).toFixed(1)},${sy(band.lo[i]).toFixed(1)}`).reverse();
    root.append(svg("path", { class: "band", d: `M${up.join("L")}L${down.join("L")}Z` }));
  }
  const line = e.map((x, i) => `${sx(x).toFixed(1)},${sy(m[i]).toFixed(1)}`);
  root.append(svg("path", { class: "mean", d: `M${line.join("L")}` }));
  root.append(svg("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  root.append(svg("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }));
  root.append(svg("text", { class: "xlabel", x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle" }, `energy (${prettyUnit(p.energy_unit)})`));
  root.append(svg("text", { x: 12, y: (T + H - B) / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${(T + H - B) / 2})` }, "DOS (scaled)"));
  return root;
}

const PROPS = [
  ["heat_capacity_j_per_mol_k", "Heat capacity C\u1d65", "J/(mol K)"],
  ["entropy_j_per_mol_k", "Entropy S", "J/(mol K)"],
  ["free_energy_ev_per_atom", "Free energy F", "eV/atom"],
  ["zero_point_energy_ev_per_atom", "Zero-point energy", "eV/atom"],
];

function card(p) {
  const c = el("article", { class: "result", "data-id": p.id });
  const h = el("h2", {}, p.formula);
  h.append(el("span", { class: "id" }, ` \u2014 ${p.id}`));
  c.append(h);
  const sg = p.space_group === null || p.space_group === undefined ? "?" : p.space_group;
  c.append(el("p", { class: "meta" }, `space group ${sg}, ${p.crystal_system}; ${p.n_atoms} atoms; ${p.members} member(s)`));
  c.append(plot(p));
  if (p.properties) {
    const t = el("table", { class: "props" });
    const cap = el("caption", {}, `at ${p.properties.temperature_k} K (\u00b1 spread over members)`);
    t.append(cap);
    for (const [key, label, unit] of PROPS) {
      const v = p.properties[key];
      const tr = el("tr", { "data-prop": key });
      tr.append(el("td", {}, label));
      tr.append(el("td", { class: "num" }, v.std === null || v.std === undefined ? fmt(v.mean) : `${fmt(v.mean)} \u00b1 ${fmt(v.std, 2)}`));
      tr.append(el("td", {}, unit));
      t.append(tr);
    }
    c.append(t);
  }
  if (p.notes && p.notes.length) c.append(el("p", { class: "notes" }, p.notes.join(" ")));
  return c;
}

// Error lines first (one per failed file, in upload order), then the cards.
function render() {
  const errors = $("errors");
  const cards = $("cards");
  errors.textContent = "";
  cards.textContent = "";
  for (const r of state.results) {
    if (r.error !== undefined) {
      const text = r.error.startsWith(r.id) ? r.error : `${r.id}: ${r.error}`;
      errors.append(el("p", { class: "error-line", "data-id": r.id }, text));
    } else {
      cards.append(card(r));
    }
  }
  const any = state.results.some((r) => r.error === undefined);
  $("download-json").disabled = state.results.length === 0;
  $("download-csv").disabled = !any;
  $("clear").disabled = state.files.length === 0;
}

function setStatus(text, bad = false) {
  const s = $("status");
  s.textContent = text;
  s.className = bad ? "bad" : "";
}

function temperature() {
  const t = Number($("temperature").value);
  return Number.isFinite(t) && t > 0 && t <= 1e5 ? t : null;
}

async function run(files, replace) {
  const t = temperature();
  if (t === null) {
    setStatus("The temperature must be a number of kelvin in (0, 100000].", true);
    return;
  }
  state.busy = true;
  setStatus(`Predicting ${files.length} file(s) at ${t} K\u2026`);
  const started = performance.now();
  const results = await predictFiles(files, t);
  state.results = replace ? results : state.results.concat(results);
  state.busy = false;
  render();
  const bad = results.filter((r) => r.error !== undefined).length;
  const secs = ((performance.now() - started) / 1000).toFixed(2);
  setStatus(`${results.length - bad} predicted, ${bad} failed, in ${secs} s (at ${t} K).`, bad > 0);
}

function addFiles(list) {
  const files = Array.from(list);
  if (!files.length) return;
  state.files = state.files.concat(files);
  run(files, false);
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function csvField(s) {
  s = String(s);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The columns of `dos predict --format csv`: one row per energy.
function toCsv(results) {
  const rows = ["id,formula,space_group,crystal_system,energy,unit,mean,std"];
  for (const p of results) {
    if (p.error !== undefined) continue;
    p.energies.forEach((e, j) => {
      const sg = p.space_group === null || p.space_group === undefined ? "" : p.space_group;
      const sd = p.std ? p.std[j] : "";
      rows.push([csvField(p.id), csvField(p.formula), sg, p.crystal_system, e, p.energy_unit, p.mean[j], sd].join(","));
    });
  }
  return rows.join("\n") + "\n";
}

function setup() {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    addFiles(e.dataTransfer.files);
  });
  $("pick").addEventListener("change", (e) => { addFiles(e.target.files); e.target.value = ""; });
  $("temperature").addEventListener("change", () => {
    if (state.files.length && !state.busy) run(state.files, true);
  });
  $("download-json").addEventListener("click", () =>
    download("dos-predictions.json", "application/json", JSON.stringify(state.results, null, 1) + "\n"));
  $("download-csv").addEventListener("click", () => download("dos-predictions.csv", "text/csv", toCsv(state.results)));
  $("clear").addEventListener("click", () => {
    state.files = [];
    state.results = [];
    render();
    setStatus("");
  });
  loadModel();
}

setup();
