// The slf4ts audit console's one script (served by slf4ts-audit serve; no framework, no
// dependency): the search form and the URL kept in step (a search can be bookmarked), the
// records table, a record's detail, the histogram and the counts, the integrity status.
//
// Everything read from the audit files is put on the page with textContent (never innerHTML),
// and control, bidi and line-separator characters are shown as \n, \u001B, \u202E, ... (the
// notation of the records): a value holding <script> or terminal escapes is shown, not run.

const $ = (id) => document.getElementById(id);
const form = $("search");
const SVG = "http://www.w3.org/2000/svg";

// C0, DEL, C1, U+2028/2029, bidi formatting characters and lone surrogates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text as it may be shown: unsafe characters written as \n, \r, \t or \uXXXX. */
function shown(text, keepTab = false) {
  return String(text).replace(UNSAFE, (c) =>
    c === "\t" && keepTab ? c : c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : "\\u" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0"),
  );
}

/** A new element with its text (shown safely) and class. */
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = shown(text);
  if (className) e.className = className;
  return e;
}

/** The parameters of the search (the URL's, without paging and the counted attribute). */
const SEARCH_KEYS = ["since", "until", "event", "attr", "q", "order"];

function searchParams(all) {
  const out = new URLSearchParams();
  for (const key of SEARCH_KEYS) for (const value of all.getAll(key)) out.append(key, value);
  return out;
}

/** The form's fields as URL parameters (event ids split at spaces and commas, attributes one per line). */
function formParams(order) {
  const data = new FormData(form);
  const params = new URLSearchParams();
  const one = (name) => {
    const v = String(data.get(name) ?? "").trim();
    if (v !== "") params.set(name, v);
  };
  one("since");
  one("until");
  for (const glob of String(data.get("event") ?? "").split(/[\s,]+/)) if (glob !== "") params.append("event", glob);
  for (const test of String(data.get("attr") ?? "").split(/\r?\n/)) if (test.trim() !== "") params.append("attr", test.trim());
  one("q");
  if (order === "asc") params.set("order", "asc");
  one("by");
  if ($("follow").checked) params.set("follow", "1");
  return params;
}

function fillForm(params) {
  form.elements.since.value = params.get("since") ?? "";
  form.elements.until.value = params.get("until") ?? "";
  form.elements.event.value = params.getAll("event").join(" ");
  form.elements.attr.value = params.getAll("attr").join("\n");
  form.elements.q.value = params.get("q") ?? "";
  form.elements.by.value = params.get("by") ?? "";
}

async function api(path, params) {
  const response = await fetch(`${path}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/** Goes to a search: the URL first (so it can be bookmarked and Back works), then the page. */
function go(params) {
  history.pushState(null, "", `?${params}`);
  load().catch(showError);
}

function showError(error) {
  const p = $("problems");
  p.hidden = false;
  p.textContent = shown(error.message);
}

// The names of the table's own columns (and of the export's): an attribute of one of these
// names is keyed as a repeat of it (time#2), so its column is never taken for the built-in one.
const BUILT_IN_COLUMNS = new Set(["file", "line", "time", "event", "source"]);

// The column key of each attribute: its name (or #position), name#2 for a repeated name and for
// the name of a built-in column (as slf4ts-audit query's CSV and table).
function columnKeys(record) {
  const seen = new Map();
  return record.attributes.map((a, i) => {
    const base = a.name ?? `#${i + 1}`;
    const n = (seen.get(base) ?? (BUILT_IN_COLUMNS.has(base) ? 1 : 0)) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

let flagged = new Map(); // "file:line" -> finding, from the verify view
let selected;
let lastStats = ""; // the parameters of the counts on the screen
let loads = 0; // the number of the latest search, so an older answer arriving late is dropped
let shownPage; // the page on the screen, with the records follow mode added
let follower; // the EventSource of follow mode
const fresh = new WeakSet(); // records that arrived by follow mode
/** The most rows follow mode keeps on the page (the oldest shown go). */
const MAX_FOLLOWED_ROWS = 1000;

function renderTable(page, params) {
  const columns = [];
  for (const record of page.records) for (const key of columnKeys(record)) if (!columns.includes(key)) columns.push(key);
  const thead = $("records").tHead;
  const tbody = $("records").tBodies[0];
  thead.replaceChildren();
  tbody.replaceChildren();
  const head = document.createElement("tr");
  const order = params.get("order") === "asc" ? "asc" : "desc";
  const time = el("th", `time ${order === "asc" ? "▲" : "▼"}`, "sortable");
  time.title = "sort by time";
  time.addEventListener("click", () => {
    const next = new URLSearchParams(location.search);
    next.delete("offset");
    if (order === "asc") next.delete("order");
    else next.set("order", "asc");
    go(next);
  });
  head.append(time, el("th", "event"), ...columns.map((c) => el("th", c)), el("th", "source"));
  thead.append(head);
  for (const record of page.records) {
    const tr = document.createElement("tr");
    if (fresh.has(record)) tr.classList.add("new");
    const values = new Map();
    columnKeys(record).forEach((key, i) => values.set(key, record.attributes[i].value));
    tr.append(el("td", record.time ?? ""), el("td", record.event));
    for (const c of columns) {
      const v = values.get(c);
      tr.append(v === null ? el("td", "(null)", "null") : el("td", v ?? ""));
    }
    const where = `${record.file}:${record.line}`;
    const source = el("td", where);
    if (flagged.has(where)) {
      source.textContent = `⚠ ${shown(where)}`;
      source.title = shown(flagged.get(where).message);
      tr.classList.add("flagged");
    }
    tr.append(source);
    tr.dataset.file = record.file;
    tr.dataset.line = String(record.line);
    tr.addEventListener("click", () => {
      selected?.classList.remove("selected");
      selected = tr;
      tr.classList.add("selected");
      showDetail(record.file, record.line).catch(showError);
    });
    tbody.append(tr);
  }
  const offset = page.offset;
  $("page-info").textContent =
    (page.records.length === 0 ? "no records match" : `records ${offset + 1}–${offset + page.records.length}${page.more ? "" : " (the last)"}`) +
    (page.followed > 0 ? `, ${page.followed} new` : "");
  $("prev").disabled = offset === 0;
  $("next").disabled = !page.more;
  $("prev").textContent = order === "asc" ? "‹ older" : "‹ newer";
  $("next").textContent = order === "asc" ? "newer ›" : "older ›";
  const problems = [];
  if (page.unreadableCount > 0) problems.push(`${page.unreadableCount} line(s) could not be read, e.g. ${page.unreadable.map((u) => `${u.file}:${u.line}: ${u.why}`).slice(0, 3).join("; ")}`);
  for (const f of page.failedFiles) problems.push(`cannot read ${f.file} (${f.why})`);
  $("problems").hidden = problems.length === 0;
  $("problems").textContent = shown(problems.join(" · "));
}

async function showDetail(file, line) {
  const detail = await api("/api/line", new URLSearchParams({ file, line: String(line) }));
  $("detail").hidden = false;
  $("detail-where").textContent = shown(`${detail.file}, line ${detail.line}`);
  // As `tail --format raw`: a TAB stays (it separates the integrity field, \tchain=...).
  $("detail-raw").textContent = shown(detail.text, true);
  const table = $("detail-attributes");
  table.replaceChildren();
  if (detail.record !== null) {
    const row = (name, value) => {
      const tr = document.createElement("tr");
      tr.append(el("td", name), value === null ? el("td", "(null)", "null") : el("td", value));
      table.append(tr);
    };
    row("event", detail.record.event);
    row("time", detail.record.time ?? "(none)");
    detail.record.attributes.forEach((a, i) => row(a.name ?? `#${i + 1}`, a.value));
  } else {
    table.append(el("tr", `not readable: ${detail.why}`));
  }
  const finding = flagged.get(`${detail.file}:${detail.line}`);
  $("detail-verify").textContent = finding === undefined ? "" : shown(`integrity: ${finding.kind}: ${finding.message}`);
}

function renderCounts(table, entries) {
  table.replaceChildren();
  for (const [key, n] of entries) {
    const tr = document.createElement("tr");
    tr.append(key === null ? el("td", "(null)", "null") : el("td", key), el("td", String(n), "n"));
    table.append(tr);
  }
}

const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");

function renderHistogram(stats) {
  const svg = $("histogram");
  svg.replaceChildren();
  const width = 600;
  const height = 160;
  const bottom = 18;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.dataset.total = String(stats.total);
  const max = Math.max(1, ...stats.buckets);
  const w = width / stats.buckets.length;
  stats.buckets.forEach((n, i) => {
    if (n === 0) return;
    const h = ((height - bottom - 4) * n) / max;
    const bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("class", "bar");
    bar.setAttribute("x", String(i * w + 0.5));
    bar.setAttribute("y", String(height - bottom - h));
    bar.setAttribute("width", String(Math.max(1, w - 1)));
    bar.setAttribute("height", String(h));
    bar.dataset.count = String(n);
    bar.dataset.start = iso(stats.start + i * stats.bucketMillis);
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${n} record(s) from ${bar.dataset.start}`;
    bar.append(title);
    svg.append(bar);
  });
  const label = (x, text, anchor) => {
    const t = document.createElementNS(SVG, "text");
    t.setAttribute("x", String(x));
    t.setAttribute("y", String(height - 4));
    t.setAttribute("text-anchor", anchor);
    t.textContent = text;
    svg.append(t);
  };
  if (stats.total > stats.untimed) {
    label(2, iso(stats.start), "start");
    label(width - 2, iso(stats.end), "end");
  }
  $("range").textContent = `${stats.total} record(s)${stats.untimed > 0 ? `, ${stats.untimed} without a time` : ""}; drag across the chart to zoom into a time range`;
  svg.onmousedown = (down) => {
    const box = svg.getBoundingClientRect();
    const sel = document.createElementNS(SVG, "rect");
    sel.setAttribute("class", "selection");
    sel.setAttribute("y", "0");
    sel.setAttribute("height", String(height));
    svg.append(sel);
    const at = (e) => Math.min(width, Math.max(0, ((e.clientX - box.left) / box.width) * width));
    const x0 = at(down);
    const move = (e) => {
      const x1 = at(e);
      sel.setAttribute("x", String(Math.min(x0, x1)));
      sel.setAttribute("width", String(Math.abs(x1 - x0)));
    };
    const up = (e) => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
      sel.remove();
      const x1 = at(e);
      if (Math.abs(x1 - x0) < 3 || stats.total === 0) return;
      const span = stats.bucketMillis * stats.buckets.length;
      const from = stats.start + (Math.min(x0, x1) / width) * span;
      const to = stats.start + (Math.max(x0, x1) / width) * span;
      const next = new URLSearchParams(location.search);
      next.delete("offset");
      next.set("since", iso(Math.floor(from / 1000) * 1000));
      next.set("until", iso(Math.ceil(to / 1000) * 1000));
      go(next);
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  };
}

function updateExports(search) {
  for (const format of ["csv", "jsonl"]) {
    const p = new URLSearchParams(search);
    p.set("format", format);
    $(`export-${format}`).href = `/api/export?${p}`;
  }
}

function stopFollow() {
  follower?.close();
  follower = undefined;
  document.body.dataset.follow = "off";
}

/** Follow mode: the records written from now on that match the search join the table. */
function startFollow(all) {
  stopFollow();
  const asc = all.get("order") === "asc";
  follower = new EventSource(`/api/follow?${searchParams(all)}`);
  follower.addEventListener("open", () => {
    document.body.dataset.follow = "on";
  });
  follower.addEventListener("record", (event) => {
    const record = JSON.parse(event.data);
    fresh.add(record);
    const records = shownPage.records;
    if (asc) records.push(record);
    else records.unshift(record);
    if (records.length > MAX_FOLLOWED_ROWS) asc ? records.shift() : records.pop();
    shownPage.followed = (shownPage.followed ?? 0) + 1;
    renderTable(shownPage, all);
  });
  for (const kind of ["notice", "problem"]) {
    follower.addEventListener(kind, (event) => {
      const data = JSON.parse(event.data);
      showError(new Error(typeof data === "string" ? data : `${data.file}:${data.line}: ${data.why}`));
    });
  }
}

async function load() {
  const all = new URLSearchParams(location.search);
  fillForm(all);
  $("problems").hidden = true;
  const search = searchParams(all);
  const page = new URLSearchParams(search);
  if (all.get("offset")) page.set("offset", all.get("offset"));
  updateExports(search);
  const stats = new URLSearchParams(search);
  stats.delete("order");
  stats.set("buckets", "60");
  const by = all.get("by") ?? "";
  if (by !== "") stats.set("by", by);
  $("by-title").textContent = by === "" ? "Per value (choose “Count by”)" : shown(`Per ${by}`);
  document.body.dataset.state = "loading";
  const generation = ++loads;
  // The table first; the counts read every file of the search, so they are asked for after it
  // (on one server they would otherwise slow the first page down) and come when they come. They
  // do not change with the page or the order: asked for again only when the search changes.
  const pictures = async () => {
    if (stats.toString() === lastStats) return;
    try {
      const counts = await api("/api/stats", stats);
      if (generation !== loads) return;
      renderHistogram(counts);
      renderCounts($("events"), counts.events);
      renderCounts($("values"), counts.values);
      lastStats = stats.toString();
    } catch (error) {
      showError(error);
    }
  };
  try {
    const result = await api("/api/search", page);
    if (generation !== loads) return;
    shownPage = { ...result, followed: 0 };
    renderTable(shownPage, all);
    $("follow").checked = all.get("follow") === "1";
    if ($("follow").checked) startFollow(all);
    else stopFollow();
    await pictures();
  } finally {
    if (generation === loads) document.body.dataset.state = "ready";
  }
}

async function loadVerify() {
  const badge = $("verify");
  const report = await api("/api/verify", new URLSearchParams());
  flagged = new Map();
  if (!report.checked) {
    badge.textContent = "integrity: not checked";
    badge.title = shown(report.why);
    badge.className = "verify unchecked";
    return;
  }
  let findings = 0;
  let warnings = 0;
  const lines = [];
  for (const log of report.logs) {
    const unreadable = log.unreadable ?? [];
    findings += log.findings.length + (log.stopped ? 1 : 0) + unreadable.length;
    warnings += log.warnings.length;
    if (log.stopped) lines.push(`${log.active}: stopped: ${log.stopped}`);
    for (const u of unreadable) lines.push(`unreadable: ${u.file}: ${u.why}`);
    for (const f of [...log.findings, ...log.warnings]) {
      lines.push(`${f.kind}: ${f.message}`);
      if (f.file && f.line && !flagged.has(`${f.file}:${f.line}`)) flagged.set(`${f.file}:${f.line}`, f);
    }
  }
  badge.textContent = findings === 0 ? `integrity: intact${warnings > 0 ? ` (${warnings} warning(s))` : ""}` : `integrity: ${findings} finding(s)`;
  badge.title = shown(lines.join("\n"));
  if (shownPage !== undefined) renderTable(shownPage, new URLSearchParams(location.search));
  badge.className = `verify ${findings === 0 ? "intact" : "findings"}`;
  badge.dataset.findings = String(findings);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  go(formParams(new URLSearchParams(location.search).get("order")));
});
for (const button of document.querySelectorAll("[data-since]")) {
  button.addEventListener("click", () => {
    form.elements.since.value = button.dataset.since;
    form.elements.until.value = "";
    form.requestSubmit();
  });
}
const page = (direction) => {
  const next = new URLSearchParams(location.search);
  const offset = Math.max(0, Number(next.get("offset") ?? 0) + direction * 100);
  if (offset === 0) next.delete("offset");
  else next.set("offset", String(offset));
  go(next);
};
$("prev").addEventListener("click", () => page(-1));
$("next").addEventListener("click", () => page(1));
$("follow").addEventListener("change", () => {
  const next = new URLSearchParams(location.search);
  if ($("follow").checked) next.set("follow", "1");
  else next.delete("follow");
  history.replaceState(null, "", `?${next}`);
  if ($("follow").checked) startFollow(next);
  else stopFollow();
});
$("close-detail").addEventListener("click", () => {
  $("detail").hidden = true;
});
window.addEventListener("popstate", () => load().catch(showError));

// The search of the URL, then the integrity status (which marks the rows it names): verify reads
// every file, and would otherwise slow the first page down.
load()
  .catch(showError)
  .finally(() =>
    loadVerify().catch((error) => {
      $("verify").textContent = shown(`integrity: ${error.message}`);
    }),
  );
