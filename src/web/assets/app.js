// plait's web page: search both indexes, show code with its lines and PDF pages with
// the matching lines marked, stream summaries, show the status. Plain JavaScript; every
// request goes to this server's /api (the token, when the server asks for one, is kept
// in sessionStorage and sent as a header, never in a URL). Text from files is only ever
// set as textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const THUMB_DPI = 48;
const PAGE_DPI = 110;

// ---- requests --------------------------------------------------------------------

function authHeaders(extra) {
  const headers = Object.assign({}, extra || {});
  const token = sessionStorage.getItem("plait-token");
  if (token) headers.Authorization = "Bearer " + token;
  return headers;
}

class ApiError extends Error {}

// fetch with the token; a 401 shows the token form, other errors carry the server's text.
async function api(path, options) {
  const opts = Object.assign({}, options || {});
  opts.headers = authHeaders(opts.headers);
  const response = await fetch(path, opts);
  if (response.status === 401) {
    $("token-form").hidden = false;
    throw new ApiError("this server needs its token: enter it above");
  }
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try {
      const body = await response.json();
      if (body && body.error) message = body.error;
    } catch (e) { /* not JSON */ }
    throw new ApiError(message);
  }
  return response;
}

const getJson = async (path) => (await api(path)).json();
const postJson = (path, body) => api(path, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

function showError(e) {
  const box = $("error");
  box.textContent = e instanceof Error ? e.message : String(e);
  box.hidden = false;
}
function clearError() { $("error").hidden = true; }

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function pageQuery(path, page, extra) {
  const p = new URLSearchParams(Object.assign({ path: path, page: String(page) }, extra || {}));
  return p.toString();
}

// An image from the API, fetched with the token and shown as a blob.
async function loadImage(img, url) {
  const blob = await (await api(url)).blob();
  if (img.dataset.blob) URL.revokeObjectURL(img.dataset.blob);
  const src = URL.createObjectURL(blob);
  img.dataset.blob = src;
  await new Promise((resolve, reject) => {
    img.onload = resolve;
    img.onerror = () => reject(new ApiError("the page image did not load"));
    img.src = src;
  });
}

// Boxes over a page image, in page fractions.
function drawBoxes(container, boxes) {
  container.querySelectorAll(".box").forEach((b) => b.remove());
  for (const b of boxes) {
    const d = el("div", "box");
    d.title = b.text;
    d.style.left = (b.x0 * 100) + "%";
    d.style.top = (b.y0 * 100) + "%";
    d.style.width = ((b.x1 - b.x0) * 100) + "%";
    d.style.height = ((b.y1 - b.y0) * 100) + "%";
    container.appendChild(d);
  }
}

// ---- code ------------------------------------------------------------------------

const KEYWORDS = new Set(("as async await break case catch class const continue def default defer del do elif else " +
  "enum except export extends false False finally fn for from func function go if impl import in interface is " +
  "lambda let loop match mod module mut new nil None not null or package pass private protected pub public raise " +
  "return self Self static struct super switch this throw trait true True try type typeof use var void where while " +
  "with yield and").split(" "));
const TOKEN = /(\/\/.*|#.*|--.*)|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|`[^`]*`?)|\b(\d[\d_.xXa-fA-F]*)\b|([A-Za-z_]\w*)/g;

// One line of code as coloured spans (a simple, language-agnostic colouring).
function colour(line, lang) {
  const out = document.createDocumentFragment();
  let last = 0;
  const hashComment = ["python", "ruby", "shell", "bash", "toml", "yaml"].includes(lang);
  const dashComment = lang === "lua";
  for (const m of line.matchAll(TOKEN)) {
    let cls = null;
    if (m[1] !== undefined) {
      const c = m[1][0];
      if ((c === "#" && hashComment) || (c === "-" && dashComment) || c === "/") {
        out.append(line.slice(last, m.index));
        out.append(el("span", "com", line.slice(m.index)));
        return out;
      }
      continue;
    }
    if (m[2] !== undefined) cls = "str";
    else if (m[3] !== undefined) cls = "num";
    else if (KEYWORDS.has(m[4])) cls = "kw";
    if (!cls) continue;
    out.append(line.slice(last, m.index));
    out.append(el("span", cls, m[0]));
    last = m.index + m[0].length;
  }
  out.append(line.slice(last));
  return out;
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    const area = el("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  button.textContent = "copied " + text.split("/").pop();
}

function codeHit(hit) {
  const card = el("div", "hit code");
  const head = el("div", "head");
  const where = hit.path + (hit.start_line ? ":" + hit.start_line : "");
  head.append(el("span", "path", hit.path + (hit.start_line ? ":" + hit.start_line + "-" + hit.end_line : "")));
  if (hit.symbol) head.append(el("span", "sym", hit.symbol));
  if (hit.container) head.append(el("span", "in", "in " + hit.container));
  head.append(el("span", "meta", [hit.language, hit.kind, hit.score.toFixed(3)].filter(Boolean).join(" · ")));
  const copy = el("button", "copy", "copy path:line");
  copy.type = "button";
  copy.title = where;
  copy.addEventListener("click", () => copyText(where, copy));
  head.append(copy);
  card.append(head);
  const pre = el("pre", "code");
  const lines = hit.text.split("\n");
  const best = new Set(hit.matched_lines || []);
  const first = hit.start_line || 1;
  lines.forEach((line, i) => {
    const span = el("span", best.has(i) ? "ln best" : "ln");
    span.dataset.n = String(first + i);
    span.append(colour(line, hit.language || ""));
    pre.append(span);
  });
  card.append(pre);
  return card;
}

// ---- docs ------------------------------------------------------------------------

function isPdf(path) { return /\.pdf$/i.test(path); }

function docsHit(hit, query) {
  if (!hit.page || !isPdf(hit.path)) {
    // Markdown and text sections read like code, without colours.
    const card = codeHit(Object.assign({}, hit, { language: "text" }));
    card.className = "hit docs text-hit";
    return card;
  }
  const card = el("div", "hit docs pdf-hit");
  const head = el("div", "head");
  head.append(el("span", "path", hit.path + " p. " + hit.page));
  if (hit.symbol) head.append(el("span", "sym", hit.symbol));
  head.append(el("span", "meta", hit.score.toFixed(3)));
  card.append(head);
  const body = el("div", "docs-hit");
  const thumb = el("div", "thumb");
  thumb.title = "open page " + hit.page;
  const img = el("img");
  img.alt = "page " + hit.page + " of " + hit.path;
  thumb.append(img);
  thumb.addEventListener("click", () => openPage(hit.path, hit.page, query));
  body.append(thumb);
  body.append(el("div", "text", hit.text.slice(0, 1200)));
  card.append(body);
  const q = pageQuery(hit.path, hit.page, { dpi: String(THUMB_DPI) });
  Promise.all([
    loadImage(img, "/api/page?" + q),
    getJson("/api/boxes?" + pageQuery(hit.path, hit.page, { q: query })),
  ]).then(([, boxes]) => drawBoxes(thumb, boxes.boxes)).catch(showError);
  return card;
}

// ---- search ----------------------------------------------------------------------

let searchRun = 0;

async function searchIndex(index, request, run) {
  const target = $("results-" + index);
  const started = performance.now();
  const answer = await (await postJson("/api/" + index + "/search", request)).json();
  if (run !== searchRun) return 0;
  target.replaceChildren(el("h2", null, index + ": " + answer.results.length + " hits in " +
    Math.round(performance.now() - started) + " ms"));
  for (const hit of answer.results) {
    target.append(index === "code" ? codeHit(hit) : docsHit(hit, request.query));
  }
  return answer.results.length;
}

function runSearch(event) {
  event.preventDefault();
  clearError();
  const query = $("q").value.trim();
  if (!query) return;
  const request = { query: query, mode: $("mode").value, k: Number($("k").value) || 10 };
  if ($("path").value.trim()) request.path = $("path").value.trim();
  if ($("lang").value.trim()) request.lang = $("lang").value.trim();
  const scope = $("scope").value;
  if (scope.startsWith("ask-")) {
    // The first mode is the search default; answers then retrieve their own way.
    if ($("mode").selectedIndex === 0) delete request.mode;
    runAsk(scope.slice(4), request, ++searchRun);
    return;
  }
  const indexes = scope === "both" ? ["code", "docs"] : [scope];
  const run = ++searchRun;
  $("results-code").replaceChildren();
  $("results-docs").replaceChildren();
  $("search-info").textContent = "searching…";
  // Each index answers on its own: its results show as soon as they come.
  Promise.allSettled(indexes.map((i) => searchIndex(i, request, run))).then((done) => {
    if (run !== searchRun) return;
    const failed = done.filter((d) => d.status === "rejected");
    if (failed.length) showError(failed[0].reason);
    const total = done.reduce((n, d) => n + (d.value || 0), 0);
    $("search-info").textContent = total + " hits for “" + query + "”";
  });
}

// ---- ask -------------------------------------------------------------------------

// Streams an answer from POST /api/INDEX/ask (newline-delimited JSON): each sentence
// shows once its citations are checked; then the cited sources (or, when the sources
// do not answer, the closest ones) show like search hits.
async function runAsk(index, request, run) {
  const target = $("results-" + index);
  $("results-code").replaceChildren();
  $("results-docs").replaceChildren();
  const box = el("article", "answer");
  box.id = "answer";
  box.dataset.state = "running";
  target.append(box);
  $("search-info").textContent = "answering…";
  let tokens = 0;
  try {
    const response = await postJson("/api/" + index + "/ask", request);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done || run !== searchRun) break;
      buffered += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line);
        if (ev.event === "token") {
          tokens += 1;
          $("search-info").textContent = "answering… (" + tokens + " pieces)";
        } else if (ev.event === "sentence" && ev.shown !== false) {
          box.append(el("span", "sentence", ev.text + " "));
        } else if (ev.event === "answer") {
          askAnswer(ev, index, request.query, box, target);
        } else if (ev.event === "error") {
          throw new ApiError(ev.error);
        }
      }
    }
  } catch (e) {
    box.dataset.state = "failed";
    showError(e);
  }
}

function askAnswer(ev, index, query, box, target) {
  box.replaceChildren(el("p", ev.declined ? "declined" : "text", ev.answer));
  if (ev.declined && ev.reason) box.append(el("p", "info", ev.reason));
  box.dataset.state = ev.declined ? "declined" : "done";
  target.append(el("h2", null, (ev.declined ? "closest sources" : "sources") + " (" + ev.sources.length + ")"));
  for (const source of ev.sources) {
    const card = index === "code" ? codeHit(source) : docsHit(source, query);
    card.querySelector(".head").prepend(el("span", "num", "[" + source.number + "]"));
    target.append(card);
  }
  const t = ev.timings || {};
  $("search-info").textContent = (ev.declined ? "declined" : "answered") +
    (t.ttft_ms !== undefined && t.ttft_ms !== null ? " · first token after " + (t.ttft_ms / 1000).toFixed(1) + " s" : "");
}

// ---- page view -------------------------------------------------------------------

const pageView = { path: null, page: 1, pages: 1, query: "" };

async function showPage() {
  const { path, page, query } = pageView;
  $("pv-title").textContent = path + " · page " + page + (pageView.pages ? " of " + pageView.pages : "");
  $("pv-prev").disabled = page <= 1;
  $("pv-next").disabled = page >= pageView.pages;
  const container = $("pv-page");
  drawBoxes(container, []);
  try {
    const [, boxes] = await Promise.all([
      loadImage($("pv-img"), "/api/page?" + pageQuery(path, page, { dpi: String(PAGE_DPI) })),
      getJson("/api/boxes?" + pageQuery(path, page, { q: query })),
    ]);
    if (pageView.page !== page || pageView.path !== path) return;
    pageView.pages = boxes.pages;
    $("pv-title").textContent = path + " · page " + page + " of " + boxes.pages;
    $("pv-next").disabled = page >= boxes.pages;
    drawBoxes(container, boxes.boxes);
    container.dataset.loaded = path + "#" + page;
  } catch (e) {
    showError(e);
  }
}

function openPage(path, page, query) {
  Object.assign(pageView, { path: path, page: page, pages: page, query: query || "" });
  $("page-view").hidden = false;
  showPage();
}

function turnPage(step) {
  const next = pageView.page + step;
  if (next < 1 || next > pageView.pages) return;
  pageView.page = next;
  showPage();
}

// ---- summaries -------------------------------------------------------------------

const CITATION = /\[(p|pp)\. (\d+)(?:\u2013(\d+))?\]/g;

// A summary piece with its [p. N] citations as links to the page view.
function citedText(piece, path) {
  const out = document.createDocumentFragment();
  let last = 0;
  const sentence = piece.replace(CITATION, "").trim();
  for (const m of piece.matchAll(CITATION)) {
    out.append(piece.slice(last, m.index));
    const a = el("a", "cite", m[0]);
    a.href = "#";
    a.dataset.page = m[2];
    a.title = "open page " + m[2];
    a.addEventListener("click", (e) => {
      e.preventDefault();
      openPage(path, Number(m[2]), sentence);
    });
    out.append(a);
    last = m.index + m[0].length;
  }
  out.append(piece.slice(last));
  return out;
}

async function loadFiles() {
  const files = await getJson("/api/files");
  const select = $("summary-file");
  select.replaceChildren();
  for (const f of files) {
    const o = el("option", null, f.path.split("/").slice(-2).join("/") + " (" + f.kind + ")");
    o.value = f.path;
    select.append(o);
  }
}

async function runSummary(event) {
  event.preventDefault();
  clearError();
  const path = $("summary-file").value;
  if (!path) return;
  const text = $("summary-text");
  const progress = $("summary-progress");
  text.replaceChildren();
  text.dataset.state = "running";
  progress.textContent = "reading the document…";
  $("summary-go").disabled = true;
  try {
    const response = await postJson("/api/summary", { path: path });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) summaryEvent(JSON.parse(line), path, text, progress);
      }
    }
  } catch (e) {
    showError(e);
  } finally {
    $("summary-go").disabled = false;
    if (text.dataset.state === "running") text.dataset.state = "stopped";
  }
}

function summaryEvent(ev, path, text, progress) {
  if (ev.event === "start") progress.textContent = "read " + ev.sections + " " + (ev.unit === "page" ? "pages" : "sections") + "; loading the models…";
  else if (ev.event === "map") progress.textContent = "reading: " + ev.done + " of " + ev.of + " parts";
  else if (ev.event === "final") progress.textContent = "writing…";
  else if (ev.event === "text") text.append(citedText(ev.text, path));
  else if (ev.event === "done") {
    progress.textContent = ev.mode + ", " + ev.sentences.length + " sentences in " + ev.seconds.toFixed(1) + " s";
    text.dataset.state = "done";
  } else if (ev.event === "error") {
    showError(ev.error);
    text.dataset.state = "failed";
  }
}

// ---- status ----------------------------------------------------------------------

function when(unix) { return unix ? new Date(unix * 1000).toLocaleString() : "never"; }

async function loadStatus() {
  const s = await getJson("/api/status");
  const table = el("table", "status");
  const head = el("tr");
  ["index", "files", "chunks", "contents", "last commit", "committed", "model"].forEach((h) => head.append(el("th", null, h)));
  table.append(head);
  for (const st of [s.code, s.docs]) {
    const row = el("tr");
    [st.index, st.files, st.chunks, st.documents, st.last_commit || "none", when(st.last_commit_unix), st.model || ""].forEach((v) => row.append(el("td", null, String(v))));
    table.append(row);
  }
  const w = s.watch;
  const watch = el("table", "status watch");
  const rows = [["watcher", w.state], ["folders", w.roots.join(", ") || "none"],
    ["syncs with changes", String(w.syncs)], ["last sync", when(w.last_sync_unix)]];
  if (w.last_changes) rows.push(["last changes", w.last_changes[0] + " added, " + w.last_changes[1] + " changed, " + w.last_changes[2] + " removed, " + w.last_changes[3] + " chunks encoded"]);
  if (w.last_error) rows.push(["last error", w.last_error]);
  for (const [k, v] of rows) {
    const row = el("tr");
    row.append(el("th", null, k), el("td", null, v));
    watch.append(row);
  }
  $("status").replaceChildren(table, watch);
}

// ---- wiring ----------------------------------------------------------------------

let statusTimer = null;

function showView(id) {
  document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== id; });
  document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t.dataset.view === id));
  clearInterval(statusTimer);
  if (id === "status-view") {
    loadStatus().catch(showError);
    statusTimer = setInterval(() => loadStatus().catch(showError), 5000);
  }
  if (id === "summary-view" && !$("summary-file").options.length) loadFiles().catch(showError);
}

document.addEventListener("DOMContentLoaded", () => {
  $("search-form").addEventListener("submit", runSearch);
  $("summary-form").addEventListener("submit", runSummary);
  document.querySelectorAll(".tab").forEach((t) => t.addEventListener("click", () => showView(t.dataset.view)));
  $("pv-prev").addEventListener("click", () => turnPage(-1));
  $("pv-next").addEventListener("click", () => turnPage(1));
  $("pv-close").addEventListener("click", () => { $("page-view").hidden = true; });
  document.addEventListener("keydown", (e) => {
    if ($("page-view").hidden) return;
    if (e.key === "Escape") $("page-view").hidden = true;
    if (e.key === "ArrowLeft") turnPage(-1);
    if (e.key === "ArrowRight") turnPage(1);
  });
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("plait-token", $("token").value.trim());
    $("token").value = "";
    $("token-form").hidden = true;
    clearError();
  });
  $("q").focus();
});
