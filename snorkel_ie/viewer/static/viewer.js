// The candidate viewer's front end: one module for the Jupyter widget (anywidget's
// `render`) and for the labeling web page (`mount` with `httpBackend`).
// A backend answers request(kind, args) with a Promise: "page" -> a page payload,
// "label" -> {candidate_id, label}; select(id) tells it which candidate is selected.

const ERROR_CLASSES = ["tp", "fp", "tn", "fn"];

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c);
  return node;
}

// Sentence text cut into pieces at every argument boundary; each piece knows its arguments.
function pieces(text, marks) {
  const cuts = new Set([0, text.length]);
  for (const m of marks) { cuts.add(m.start); cuts.add(m.end); }
  const points = [...cuts].filter((x) => x >= 0 && x <= text.length).sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    const args = marks.filter((m) => m.start <= a && b <= m.end).map((m) => m.arg);
    out.push({ text: text.slice(a, b), args });
  }
  return out;
}

function sentenceNode(sentence, argnames) {
  const node = el("div", { class: "sv-sentence", "data-sentence": sentence.id });
  for (const p of pieces(sentence.text, sentence.marks)) {
    if (!p.args.length) { node.append(document.createTextNode(p.text)); continue; }
    const arg = p.args[0];
    node.append(el("span", {
      class: `sv-arg sv-arg-${arg % 6}` + (p.args.length > 1 ? " sv-arg-overlap" : ""),
      "data-arg": arg, title: argnames[arg] || `arg${arg}`, text: p.text,
    }));
  }
  return node;
}

export function mount(root, backend, config) {
  const choices = config.choices;
  const state = { page: 0, payload: null, selected: 0, filters: { lf: "", conflict: false, error: "", label: "any" } };
  root.classList.add("sv-root");
  root.setAttribute("tabindex", "0");
  root.setAttribute("data-lm-suppress-shortcuts", "true");  // JupyterLab: our keys are not notebook shortcuts
  root.replaceChildren();

  const lfSelect = el("select", { class: "sv-filter-lf", "aria-label": "LF" },
    [el("option", { value: "", text: "any LF" }), ...config.lfs.map((n) => el("option", { value: n, text: n }))]);
  const conflictBox = el("input", { type: "checkbox", class: "sv-filter-conflict" });
  const errorSelect = el("select", { class: "sv-filter-error", "aria-label": "error class" },
    [el("option", { value: "", text: "any error class" }), ...ERROR_CLASSES.map((n) => el("option", { value: n, text: n }))]);
  const labelSelect = el("select", { class: "sv-filter-label", "aria-label": "labeled" },
    ["any", "labeled", "unlabeled"].map((n) => el("option", { value: n, text: n === "any" ? "labeled or not" : n })));
  const toolbar = el("div", { class: "sv-toolbar" }, [
    el("label", {}, ["voted on by ", lfSelect]),
    el("label", {}, [conflictBox, " LFs conflict"]),
    el("label", {}, ["error ", errorSelect]),
    el("label", {}, [labelSelect]),
  ]);
  const legend = el("div", { class: "sv-legend" }, [
    el("span", { class: "sv-who", text: `annotator: ${config.annotator}` }),
    ...config.argnames.map((n, i) => el("span", { class: `sv-arg sv-arg-${i % 6}`, text: n })),
  ]);
  const list = el("div", { class: "sv-list" });
  if (config.height) list.style.maxHeight = `${config.height}px`;
  const votes = el("div", { class: "sv-votes" });
  const prev = el("button", { class: "sv-prev", type: "button", text: "< prev" });
  const next = el("button", { class: "sv-next", type: "button", text: "next >" });
  const info = el("span", { class: "sv-page-info" });
  const status = el("div", { class: "sv-status", role: "status" });
  const keys = choices.map((c) => `${c.key} ${c.name}`).join(", ");
  const help = el("div", { class: "sv-help",
    text: `keys: arrows move, PageUp/PageDown page, ${keys}, c clear; or click` });
  root.append(toolbar, legend, list, votes, el("div", { class: "sv-pager" }, [prev, info, next]), status, help);

  const say = (text, bad = false) => { status.textContent = text; status.classList.toggle("sv-bad", bad); };
  const records = () => (state.payload ? state.payload.records : []);
  const current = () => records()[state.selected];

  function drawVotes() {
    const rec = current();
    votes.replaceChildren();
    if (!rec) return;
    votes.append(el("div", { class: "sv-votes-title",
      text: `candidate ${rec.id}: prediction ${rec.prediction || "none"}, error class ${rec.error || "-"}` }));
    if (!rec.votes.length) { votes.append(el("div", { text: "no LF voted" })); return; }
    const table = el("table", { class: "sv-votes-table" });
    for (const v of rec.votes) {
      table.append(el("tr", { "data-lf": v.lf }, [el("td", { text: v.lf }),
        el("td", { class: v.value > 0 ? "sv-pos" : "sv-neg", text: v.value > 0 ? `+${v.value}` : `${v.value}` })]));
    }
    votes.append(table);
  }

  function cardNode(rec, i) {
    const name = (choices.find((c) => c.value === rec.label) || {}).name;
    const card = el("div", { class: "sv-card" + (i === state.selected ? " sv-selected" : "") + (rec.gold ? " sv-gold" : ""),
      "data-id": rec.id, "data-index": rec.index, "data-label": rec.label });
    card.append(el("div", { class: "sv-meta" }, [
      el("span", { text: `#${rec.index + 1} · candidate ${rec.id}` }),
      el("span", { class: "sv-label-badge", text: rec.label ? `label: ${name}` : "unlabeled" }),
      rec.error ? el("span", { class: `sv-error sv-error-${rec.error}`, text: rec.error }) : "",
    ]));
    rec.sentences.forEach((s, k) => {
      if (k > 0) card.append(el("div", { class: "sv-gap", text: "…" }));
      card.append(sentenceNode(s, config.argnames));
    });
    const buttons = el("div", { class: "sv-buttons" });
    for (const c of [...choices, { value: 0, name: "Clear", key: "c" }]) {
      const b = el("button", { type: "button", class: "sv-btn" + (rec.label === c.value && c.value ? " sv-on" : ""),
        "data-value": c.value, text: c.key ? `${c.name} (${c.key})` : c.name });
      b.addEventListener("click", (e) => {
        e.stopPropagation();
        root.focus({ preventScroll: true });  // the button is redrawn; keep the keys working
        state.selected = i;
        label(c.value);
      });
      buttons.append(b);
    }
    card.append(buttons);
    card.addEventListener("click", () => { select(i); root.focus({ preventScroll: true }); });
    return card;
  }

  function draw() {
    const p = state.payload;
    list.replaceChildren(...records().map(cardNode));
    if (!records().length) list.append(el("div", { class: "sv-empty", text: "no candidates match" }));
    info.textContent = `page ${p.page + 1} of ${p.pages} · ${p.total} shown of ${p.all} · ${p.labeled} labeled`;
    prev.disabled = p.page === 0;
    next.disabled = p.page >= p.pages - 1;
    drawVotes();
    const rec = current();
    if (rec) backend.select(rec.id);
  }

  function select(i) {
    state.selected = Math.max(0, Math.min(i, records().length - 1));
    draw();
    const card = list.querySelector(".sv-selected");
    if (card && card.scrollIntoView) card.scrollIntoView({ block: "nearest" });
  }

  async function load(page, selectLast = false) {
    const filters = { ...state.filters, conflict: state.filters.conflict ? "true" : "" };
    try {
      state.payload = await backend.request("page", { page, filters });
    } catch (err) { say(String(err.message || err), true); return; }
    state.page = state.payload.page;
    state.selected = selectLast ? records().length - 1 : 0;
    root.dataset.page = state.page;
    draw();
  }

  async function label(value) {
    const rec = current();
    if (!rec) return;
    say(`saving candidate ${rec.id} ...`);
    try {
      const out = await backend.request("label", { candidate_id: rec.id, value });
      const before = rec.label;
      rec.label = out.label;
      if (!before && out.label) state.payload.labeled += 1;
      if (before && !out.label) state.payload.labeled -= 1;
      draw();
      say(`saved: candidate ${out.candidate_id} ${out.label ? "labeled " + out.label : "cleared"}`);
      root.dataset.saved = `${out.candidate_id}:${out.label}`;
    } catch (err) { say(String(err.message || err), true); }
  }

  function move(step) {
    const i = state.selected + step;
    const p = state.payload;
    if (!p) return;
    if (i >= records().length) { if (p.page < p.pages - 1) load(p.page + 1); return; }
    if (i < 0) { if (p.page > 0) load(p.page - 1, true); return; }
    select(i);
  }

  root.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT" || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const choice = choices.find((c) => c.key && c.key === k.toLowerCase());
    let handled = true;
    if (k === "ArrowDown" || k === "ArrowRight") move(1);
    else if (k === "ArrowUp" || k === "ArrowLeft") move(-1);
    else if (k === "PageDown") { if (state.payload && state.payload.page < state.payload.pages - 1) load(state.page + 1); }
    else if (k === "PageUp") { if (state.page > 0) load(state.page - 1); }
    else if (choice) label(choice.value);
    else if (k === "c" || k === "C" || k === "Backspace" || k === "Delete") label(0);
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  });
  prev.addEventListener("click", () => load(state.page - 1));
  next.addEventListener("click", () => load(state.page + 1));
  const refilter = () => {
    state.filters = { lf: lfSelect.value, conflict: conflictBox.checked, error: errorSelect.value, label: labelSelect.value };
    load(0);
  };
  for (const c of [lfSelect, conflictBox, errorSelect, labelSelect]) c.addEventListener("change", refilter);
  load(0);
  return () => root.replaceChildren();
}

export function httpBackend(base = "", annotator = "") {
  async function answer(response) {
    let body;
    try { body = await response.json(); } catch (err) { body = { error: `HTTP ${response.status}` }; }
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    return body;
  }
  return {
    async request(kind, args) {
      if (kind === "page") {
        const q = new URLSearchParams({ page: args.page, ...args.filters });
        if (annotator) q.set("annotator", annotator);
        return answer(await fetch(`${base}api/page?${q}`));
      }
      const body = { candidate_id: args.candidate_id, value: args.value };
      if (annotator) body.annotator = annotator;
      return answer(await fetch(`${base}api/label`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      }));
    },
    select() {},
  };
}

function widgetBackend(model) {
  let counter = 0;
  const waiting = new Map();
  model.on("msg:custom", (msg) => {
    const w = waiting.get(msg.req);
    if (!w) return;
    waiting.delete(msg.req);
    if (msg.error) w.reject(new Error(msg.error)); else w.resolve(msg.body);
  });
  return {
    request(kind, args) {
      counter += 1;
      const req = counter;
      return new Promise((resolve, reject) => {
        waiting.set(req, { resolve, reject });
        model.send({ kind, req, ...args });
      });
    },
    select(id) {
      if (model.get("selected_id") !== id) { model.set("selected_id", id); model.save_changes(); }
    },
  };
}

export default {
  render({ model, el: root }) {
    return mount(root, widgetBackend(model), model.get("_config"));
  },
};
