// huafeng page: plain JS against /api/v1 (no build step). State lives in `S`; every server call goes
// through api(), which adds the API token (asked for once, kept in a SameSite=Strict cookie).
"use strict";
const $ = (id) => document.getElementById(id);
const PROXY_SIDE = 384; // live preview runs on this downscaled copy: ~10x fewer pixels than a phone photo
const S = { file: null, proxy: null, style: "default", styleImage: null, filters: new Set(), previewSeq: 0, resultUrl: null, beforeUrl: null };

async function api(path, opts = {}) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const r = await fetch(path, Object.assign({ credentials: "same-origin" }, opts));
    if (r.status === 401 && attempt === 0) {
      const t = prompt("This huafeng server needs its API token:");
      if (!t) break;
      document.cookie = `huafeng_token=${encodeURIComponent(t)}; SameSite=Strict; path=/`;
      continue;
    }
    if (!r.ok) {
      let msg = `${r.status}`;
      try { msg = (await r.json()).detail || msg; } catch (e) { /* not JSON */ }
      if (r.status === 503) msg = `busy, try again in ${r.headers.get("Retry-After") || "a few"} s (${msg})`;
      throw new Error(msg);
    }
    return r;
  }
  throw new Error("not authorised");
}

function status(el, text, error = false) { el.textContent = text; el.classList.toggle("error", error); }
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  kids.forEach((k) => e.append(k));
  return e;
}
// cancel(): a full render must drop a preview still waiting out its delay, or that preview lands after
// the render and replaces the full-size result (and hides its download button)
function debounce(fn, ms) {
  let t; const f = (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  f.cancel = () => clearTimeout(t); return f;
}

// ------------------------------------------------------------------------------ input photo
async function makeProxy(file) {
  const bmp = await createImageBitmap(file, { imageOrientation: "from-image" });
  const f = Math.min(1, PROXY_SIDE / Math.max(bmp.width, bmp.height));
  const c = el("canvas"); c.width = Math.round(bmp.width * f); c.height = Math.round(bmp.height * f);
  c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
  return new Promise((res) => c.toBlob(res, "image/jpeg", 0.9));
}

async function setFile(file) {
  if (!file) return;
  if (!file.type.startsWith("image/") && file.type !== "") { status($("status"), `${file.name}: not an image`, true); return; }
  S.file = file;
  try { S.proxy = await makeProxy(file); } catch (e) { S.proxy = file; } // e.g. HEIC: the server can still read it
  if (S.beforeUrl) URL.revokeObjectURL(S.beforeUrl);
  S.beforeUrl = URL.createObjectURL(S.proxy);
  $("before").src = S.beforeUrl;
  $("after").removeAttribute("src");
  $("download").hidden = true;
  $("work").hidden = false;
  preview();
}

$("file").addEventListener("change", (e) => setFile(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("click", (e) => { if (e.target === drop || e.target.tagName === "P") $("file").click(); });
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); setFile(e.dataTransfer.files[0]); });
document.addEventListener("paste", (e) => {
  const item = [...(e.clipboardData || {}).items || []].find((i) => i.type.startsWith("image/"));
  if (item) setFile(item.getAsFile());
});

// ------------------------------------------------------------------------------ options
function look() {
  return { style: S.style, strength: parseFloat($("strength").value), preserve_color: $("preserve").checked, filters: [...S.filters] };
}
function form(blob, extra = {}) {
  const l = look(); const fd = new FormData();
  fd.append("image", blob, "photo");
  styleField(fd);
  fd.append("strength", l.strength); fd.append("preserve_color", l.preserve_color);
  fd.append("filters", l.filters.join(",")); fd.append("caption", $("caption").value);
  if ($("look").value) fd.append("look", $("look").value);
  for (const [k, v] of Object.entries(extra)) fd.append(k, v);
  return fd;
}

const preview = debounce(async () => {
  if (!S.proxy) return;
  const seq = ++S.previewSeq; // answers can arrive out of order: only the latest is shown
  $("busy").hidden = false;
  try {
    const r = await api("/api/v1/stylize", { method: "POST", body: form(S.proxy, { format: "jpeg" }) });
    const blob = await r.blob();
    if (seq !== S.previewSeq) return;
    showResult(blob, false);
    status($("status"), `preview: ${r.headers.get("X-Huafeng-Style")} in ${r.headers.get("X-Huafeng-Seconds")} s`);
  } catch (e) { if (seq === S.previewSeq) status($("status"), e.message, true); }
  finally { if (seq === S.previewSeq) $("busy").hidden = true; }
}, 200);

function showResult(blob, full, name) {
  if (S.resultUrl) URL.revokeObjectURL(S.resultUrl);
  S.resultUrl = URL.createObjectURL(blob);
  $("after").src = S.resultUrl;
  $("compare").dataset.state = full ? "full" : "preview";
  const dl = $("download");
  dl.href = S.resultUrl; dl.download = name || `huafeng-${S.styleImage ? "instant" : S.style}.jpg`; dl.hidden = !full;
}

$("strength").addEventListener("input", () => { $("strength-out").textContent = parseFloat($("strength").value).toFixed(2); preview(); });
$("preserve").addEventListener("change", preview);
$("look").addEventListener("change", preview);
$("caption").addEventListener("input", preview);
$("split").addEventListener("input", () => { $("after-clip").style.clipPath = `inset(0 0 0 ${$("split").value}%)`; });

$("render").addEventListener("click", async () => {
  if (!S.file) return;
  const fmt = $("format").value;
  preview.cancel(); // the render shows this very look at full size
  $("busy").hidden = false; $("render").disabled = true;
  try {
    const r = await api("/api/v1/stylize", { method: "POST", body: form(S.file, { format: fmt, save: "true" }) });
    S.previewSeq++; // a late preview must not replace the full-size result
    showResult(await r.blob(), true, `huafeng-${r.headers.get("X-Huafeng-Style")}.${fmt === "jpeg" ? "jpg" : fmt}`);
    status($("status"), `full size: ${r.headers.get("X-Huafeng-Seconds")} s — saved to history`);
    loadHistory();
  } catch (e) { status($("status"), e.message, true); }
  finally { $("busy").hidden = true; $("render").disabled = false; }
});

// ------------------------------------------------------------------------------ gallery
function selectStyle(name, reveal = false) {
  S.style = name; S.styleImage = null; // a gallery choice ends the instant look
  $("learn-try").classList.remove("selected");
  document.querySelectorAll(".style-card").forEach((c) => c.classList.toggle("selected", c.dataset.style === name));
  preview();
  // the gallery sits below the picture: bring the result back into view when a style is picked there
  const box = $("compare").getBoundingClientRect();
  if (reveal && !$("work").hidden && (box.bottom < 80 || box.top > window.innerHeight - 80)) {
    $("compare").scrollIntoView({ behavior: "smooth", block: "start" });
  }
}

async function loadStyles() {
  const styles = await (await api("/api/v1/styles")).json();
  const groups = {}, rank = {};
  for (const s of styles) { (groups[s.tradition_label] = groups[s.tradition_label] || []).push(s); rank[s.tradition_label] = s.tradition_rank; }
  const g = $("gallery"); g.replaceChildren();
  for (const [trad, items] of Object.entries(groups).sort((a, b) => rank[a[0]] - rank[b[0]] || a[0].localeCompare(b[0]))) {
    const grid = el("div", { class: "grid" });
    for (const s of items) {
      grid.append(el("button", { class: "style-card", "data-style": s.name, title: s.description, on: { click: () => selectStyle(s.name, true) } },
        el("img", { src: s.thumbnail, alt: s.name, loading: "lazy" }), el("div", { text: s.name.replace(/_/g, " ") })));
      if (s.default) S.style = s.name;
    }
    g.append(el("div", { class: "tradition" }, el("h3", { text: trad }), grid));
  }
  selectStyle(S.style);
}

async function loadFilters() {
  const filters = await (await api("/api/v1/filters")).json();
  const box = $("filters"); box.replaceChildren();
  for (const f of filters) {
    box.append(el("button", { class: "chip", "data-filter": f.name, title: f.description, text: f.name, on: { click: (e) => {
      S.filters.has(f.name) ? S.filters.delete(f.name) : S.filters.add(f.name);
      e.target.classList.toggle("on", S.filters.has(f.name)); preview();
    } } }));
  }
}

// ------------------------------------------------------------------------------ phrases, looks
// "Say it": the phrase sets the controls (style, strength, colour, filters), so what it meant
// stays visible and editable instead of being a hidden server-side override.
$("ask").addEventListener("input", debounce(async () => {
  const phrase = $("ask").value.trim();
  if (!phrase) { status($("ask-out"), ""); return; }
  try {
    const p = await (await api(`/api/v1/ask?phrase=${encodeURIComponent(phrase)}`)).json();
    const cur = look();
    const excluded = new Set(p.excluded.includes("*") ? cur.filters : p.excluded);
    applyLook({
      style: p.style || cur.style,
      strength: p.strength ?? cur.strength,
      preserve_color: p.preserve_color ?? cur.preserve_color,
      filters: [...cur.filters.filter((f) => !excluded.has(f)), ...p.filters.filter((f) => !cur.filters.includes(f))],
    });
    status($("ask-out"), p.matched.map((m) => `${m[0]} → ${m[1]}`).join(" · ") + (p.warnings.length ? ` (${p.warnings.join("; ")})` : ""));
  } catch (e) { status($("ask-out"), e.message, true); }
}, 400));

async function loadLooks() {
  const looks = await (await api("/api/v1/looks")).json();
  const sel = $("look");
  looks.forEach((l) => sel.append(el("option", { value: l.name, text: l.name })));
  $("look-row").hidden = looks.length === 0;
}

// ------------------------------------------------------------------------------ memes, stickers
// memes and stickers are made from exactly what the preview shows: style, strength, colours, filters
// the instant look (a picture's style) while it is on, as the preview shows; else the gallery's style
function styleField(fd) {
  if (S.styleImage) fd.append("style_image", S.styleImage, "style"); else fd.append("style", S.style);
}
function previewSettings(fd) {
  const l = look(); styleField(fd);
  fd.append("strength", l.strength); fd.append("preserve_color", l.preserve_color);
  fd.append("filters", l.filters.join(","));
}
async function captionRequest(path, fd, name) {
  $("busy").hidden = false;
  try {
    const r = await api(path, { method: "POST", body: fd });
    S.previewSeq++;
    showResult(await r.blob(), true, name);
    status($("status"), `${path.split("/").pop()} ready`);
  } catch (e) { status($("status"), e.message, true); }
  finally { $("busy").hidden = true; }
}
$("meme").addEventListener("click", () => {
  if (!S.file) return;
  const fd = new FormData();
  fd.append("image", S.file, "photo"); previewSettings(fd);
  fd.append("top", $("meme-top").value); fd.append("bottom", $("meme-bottom").value);
  fd.append("vertical", $("meme-vertical").checked);
  captionRequest("/api/v1/meme", fd, `huafeng-meme-${S.styleImage ? "instant" : S.style}.jpg`);
});
$("sticker").addEventListener("click", () => {
  if (!S.file) return;
  const fd = new FormData();
  fd.append("image", S.file, "photo"); previewSettings(fd);
  fd.append("text", $("meme-bottom").value || $("meme-top").value || $("caption").value || "画风");
  fd.append("anim", $("sticker-anim").value);
  captionRequest("/api/v1/sticker", fd, `huafeng-sticker-${S.styleImage ? "instant" : S.style}.gif`);
});

// ------------------------------------------------------------------------------ presets
async function loadPresets() {
  const presets = await (await api("/api/v1/presets")).json();
  const box = $("presets"); box.replaceChildren();
  for (const p of presets) {
    const chip = el("span", { class: "chip" });
    chip.append(el("a", { href: "#", text: p.name, on: { click: (e) => { e.preventDefault(); applyLook(p.params); } } }),
      el("a", { href: "#", class: "x", title: "delete", text: "×", on: { click: async (e) => {
        e.preventDefault(); await api(`/api/v1/presets/${encodeURIComponent(p.name)}`, { method: "DELETE" }); loadPresets();
      } } }));
    box.append(chip);
  }
}
function applyLook(p) {
  $("strength").value = p.strength; $("strength-out").textContent = Number(p.strength).toFixed(2);
  $("preserve").checked = p.preserve_color;
  S.filters = new Set(p.filters);
  document.querySelectorAll("[data-filter]").forEach((c) => c.classList.toggle("on", S.filters.has(c.dataset.filter)));
  selectStyle(p.style);
}
$("preset-save").addEventListener("click", async () => {
  const name = $("preset-name").value.trim();
  if (!name) return;
  try {
    await api(`/api/v1/presets/${encodeURIComponent(name)}`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(look()) });
    $("preset-name").value = ""; loadPresets();
  } catch (e) { status($("status"), e.message, true); }
});

// ------------------------------------------------------------------------------ history
async function loadHistory() {
  const items = await (await api("/api/v1/history?limit=40")).json();
  const box = $("history"); box.replaceChildren();
  for (const h of items) {
    const label = h.kind === "stylize" ? `${h.params.style} · ${h.params.strength}` : `${h.kind} · ${h.params.style}`;
    const media = h.kind === "video"
      ? el("video", { src: h.result, muted: "", preload: "metadata", controls: "" })
      : el("img", { src: h.result, alt: label, loading: "lazy", on: { click: () => openHistory(h) } });
    box.append(el("div", { class: "history-item" }, media, el("div", { text: label })));
  }
}
function openHistory(h) {
  $("work").hidden = false;
  $("before").src = h.source || h.result; $("after").src = h.result;
  const dl = $("download"); dl.href = h.result; dl.download = `huafeng-${h.id}`; dl.hidden = false;
  if (h.kind === "stylize") applyLook(Object.assign({ filters: [] }, h.params));
  window.scrollTo({ top: 0, behavior: "smooth" });
}

// ------------------------------------------------------------------------------ jobs
// Long work (stories, videos) is a job: POST returns it at once, progress arrives as server-sent events.
function followJob(job, bar, statusEl, button, onDone) {
  const es = new EventSource(`/api/v1/jobs/${job.id}/events`);
  es.addEventListener("progress", (ev) => {
    const j = JSON.parse(ev.data);
    bar.value = j.progress; status(statusEl, j.message);
    if (j.status === "done" || j.status === "failed") {
      es.close(); button.disabled = false;
      if (j.status === "failed") { status(statusEl, j.error, true); return; }
      onDone(j); loadHistory();
    }
  });
  es.onerror = () => { es.close(); button.disabled = false; };
}

$("video-file").addEventListener("change", (e) => { $("video-go").disabled = e.target.files.length === 0; });
$("video-go").addEventListener("click", async () => {
  const fd = new FormData();
  fd.append("video", $("video-file").files[0], "clip");
  const l = look(); styleField(fd); fd.append("strength", l.strength); fd.append("preserve_color", l.preserve_color);
  const name = S.styleImage ? "instant" : l.style;
  const bar = $("video-progress"); bar.hidden = false; bar.value = 0; $("video-go").disabled = true;
  try {
    const job = await (await api("/api/v1/videos", { method: "POST", body: fd })).json();
    followJob(job, bar, $("video-status"), $("video-go"), (j) => {
      $("video-result").replaceChildren(el("video", { src: j.results.video, controls: "", playsinline: "" }),
        el("p", {}, el("a", { href: j.results.video, download: `huafeng-${name}.mp4`, text: "download (MP4)" })));
    });
  } catch (e) { status($("video-status"), e.message, true); $("video-go").disabled = false; }
});

// ------------------------------------------------------------------------------ own style
function learnReady() {
  $("learn-go").disabled = $("learn-files").files.length === 0 || !$("learn-name").value.trim();
  $("learn-try").disabled = $("learn-files").files.length === 0;
}
$("learn-try").addEventListener("click", () => {
  S.styleImage = $("learn-files").files[0];
  document.querySelectorAll(".style-card").forEach((c) => c.classList.remove("selected"));
  $("learn-try").classList.add("selected");
  status($("learn-status"), S.proxy ? "instant look: your picture's style, read at once; Learn style gets closer"
    : "instant look chosen: add a photo above to see it");
  preview();
  if (!$("work").hidden) $("compare").scrollIntoView({ behavior: "smooth", block: "start" }); // show it
});
$("learn-files").addEventListener("change", learnReady);
$("learn-name").addEventListener("input", learnReady);
$("learn-go").addEventListener("click", async () => {
  const fd = new FormData();
  [...$("learn-files").files].forEach((f) => fd.append("images", f, f.name));
  fd.append("name", $("learn-name").value.trim()); fd.append("minutes", $("learn-minutes").value);
  const bar = $("learn-progress"); bar.hidden = false; bar.value = 0; $("learn-go").disabled = true;
  try {
    const job = await (await api("/api/v1/styles/learn", { method: "POST", body: fd })).json();
    followJob(job, bar, $("learn-status"), $("learn-go"), async (j) => {
      await loadStyles(); selectStyle(j.style);
      $("learn-result").replaceChildren(el("img", { src: j.results.preview, alt: `your picture and a photo in ${j.style}` }),
        el("p", { text: `"${j.style}" is ready: selected in the gallery above, and usable as huafeng stylize -s ${j.style}.` }));
    });
  } catch (e) { status($("learn-status"), e.message, true); learnReady(); }
});

// ------------------------------------------------------------------------------ story
$("story-files").addEventListener("change", (e) => {
  const box = $("story-captions"); box.replaceChildren();
  [...e.target.files].forEach((f, i) => box.append(el("input", { type: "text", maxlength: "200", placeholder: `caption ${i + 1} (${f.name})` })));
  $("story-go").disabled = e.target.files.length === 0;
});
$("story-go").addEventListener("click", async () => {
  const files = [...$("story-files").files];
  const fd = new FormData();
  files.forEach((f) => fd.append("photos", f, f.name));
  document.querySelectorAll("#story-captions input").forEach((i) => fd.append("captions", i.value));
  const l = look(); styleField(fd); fd.append("strength", l.strength); fd.append("preserve_color", l.preserve_color);
  fd.append("format", $("story-format").value); fd.append("title", $("story-title").value);
  const bar = $("story-progress"); bar.hidden = false; bar.value = 0; $("story-go").disabled = true;
  try {
    const job = await (await api("/api/v1/stories", { method: "POST", body: fd })).json();
    followJob(job, bar, $("story-status"), $("story-go"), (j) => {
      $("story-result").replaceChildren(el("img", { src: j.results.gif, alt: "story animation" }), el("img", { src: j.results.strip, alt: "story page" }),
        el("p", {}, el("a", { href: j.results.strip, download: "story.png", text: "page (PNG)" }), " · ", el("a", { href: j.results.gif, download: "story.gif", text: "animation (GIF)" })));
    });
  } catch (e) { status($("story-status"), e.message, true); $("story-go").disabled = false; }
});

Promise.all([loadStyles(), loadFilters(), loadPresets(), loadHistory(), loadLooks()]).catch((e) => status($("status"), e.message, true));
