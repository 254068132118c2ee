import { createHash } from "node:crypto";

/**
 * The views' one stylesheet and one script, served from /assets by the runtime itself (the
 * Content-Security-Policy allows scripts and styles from 'self' only). They live here as strings
 * so the compiled runtime carries them without a build step or a copy.
 */
export const VIEWS_CSS = String.raw`/* Watchkeeper views: one stylesheet, light and dark, readable at 320 px and up. */
:root{--bg:#fff;--fg:#1a1a1a;--muted:#555;--line:#d0d0d0;--card:#f6f7f9;--link:#0645ad;--focus:#1a73e8;
--ok:#0a6b2e;--ok-bg:#e3f4e8;--warn:#7a4b00;--warn-bg:#fff2d6;--bad:#a00000;--bad-bg:#fde7e7;--info:#4b2a82;--info-bg:#efe8fb;--none:#c9ccd1;
color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e8e8e8;--muted:#a8adb5;--line:#3a3f46;--card:#1e2126;--link:#8ab4f8;--focus:#8ab4f8;
--ok:#7fd79b;--ok-bg:#15341f;--warn:#f3c969;--warn-bg:#3a2e10;--bad:#ff8a8a;--bad-bg:#461818;--info:#c9b2ff;--info-bg:#2c2142;--none:#4a4f57}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible,main:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-9999px;top:0}.skip:focus{left:.5rem;top:.5rem;background:var(--bg);padding:.5rem;z-index:10}
.top{border-bottom:1px solid var(--line);background:var(--card)}
.top nav{max-width:72rem;margin:0 auto;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center}
.top .brand{font-weight:700;text-decoration:none;color:var(--fg);margin-right:auto}
.top [aria-current=page]{font-weight:700}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1.05rem;margin:1rem 0 .25rem}
.muted,small{color:var(--muted)}
form.inline{display:inline;margin:0}
button,input,select,textarea{font:inherit;color:inherit}
input,select,textarea{background:var(--bg);border:1px solid var(--muted);border-radius:4px;padding:.4rem .5rem;max-width:100%}
button{background:var(--card);border:1px solid var(--muted);border-radius:4px;padding:.4rem .9rem;cursor:pointer}
button.primary{background:var(--link);color:var(--bg);border-color:var(--link);font-weight:600}
button.link{background:none;border:0;padding:0;color:var(--link);text-decoration:underline}
label{font-weight:600}
.field{display:flex;flex-direction:column;gap:.2rem;margin:.5rem 0}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:0 0 1rem;padding:.75rem;background:var(--card);border-radius:6px}
.filters .field{margin:0;min-width:10rem;flex:1}
.pager{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.5rem 0}.pager p{margin:0}
.banner{padding:.75rem 1rem;border-radius:6px;margin:0 0 1rem;font-weight:600;border-left:6px solid}
.banner.ok{background:var(--ok-bg);border-color:var(--ok)}.banner.bad{background:var(--bad-bg);border-color:var(--bad)}
.banner.warn{background:var(--warn-bg);border-color:var(--warn)}.banner.info{background:var(--info-bg);border-color:var(--info)}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.85rem;font-weight:600;white-space:nowrap;border:1px solid}
.s-ok,.c-operational{color:var(--ok);background:var(--ok-bg)}
.s-pending,.s-erroring,.c-degraded{color:var(--warn);background:var(--warn-bg)}
.s-firing,.c-outage{color:var(--bad);background:var(--bad-bg)}
.s-acknowledged,.s-silenced,.s-maintenance,.c-maintenance{color:var(--info);background:var(--info-bg)}
.s-no-data{color:var(--muted);background:var(--card)}
.group{margin:0 0 1.5rem}
.monitors{list-style:none;margin:0;padding:0;display:grid;gap:.5rem}
.monitor{border:1px solid var(--line);border-radius:6px;padding:.6rem .75rem;background:var(--bg);display:grid;grid-template-columns:minmax(0,1fr);gap:.3rem}
.monitor .head{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:baseline}
.monitor .name{font-weight:600}
.monitor .facts{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.9rem;color:var(--muted)}
.monitor[hidden],.group[hidden]{display:none}
svg.bars,svg.spark,svg.chart{display:block;width:100%;height:auto}
svg.bars{height:1.75rem}
svg.spark{max-width:10rem;height:1.5rem}
.bar-ok{fill:var(--ok)}.bar-warn{fill:#d29a00}.bar-bad{fill:var(--bad)}.bar-none{fill:var(--none)}
.line-p50{stroke:var(--link);fill:none;stroke-width:1.5}.line-p95{stroke:var(--warn);fill:none;stroke-width:1.5;stroke-dasharray:4 3}
.spark-line{stroke:var(--link);fill:none;stroke-width:1.5}
.axis{fill:var(--muted);font-size:10px}.grid{stroke:var(--line);stroke-width:.5}
.legend{display:flex;gap:1rem;font-size:.85rem;color:var(--muted)}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{white-space:nowrap}
caption{text-align:left;color:var(--muted);padding:.25rem 0}
dl.facts{display:grid;grid-template-columns:minmax(7rem,max-content) minmax(0,1fr);gap:.3rem 1rem;margin:0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0}
pre{white-space:pre-wrap;background:var(--card);padding:.75rem;border-radius:6px;font-size:.85rem;overflow-x:auto}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid var(--line)}
ol.timeline li{margin:0 0 .6rem;padding-left:.9rem;position:relative}
ol.timeline li::before{content:"";position:absolute;left:-.45rem;top:.45rem;width:.6rem;height:.6rem;border-radius:50%;background:var(--muted)}
ol.timeline li.t-firing::before{background:var(--bad)}ol.timeline li.t-resolved::before{background:var(--ok)}
ol.timeline li.t-acknowledged::before{background:var(--info)}ol.timeline li.t-attempt::before{background:var(--link)}
.error{color:var(--bad)}
.notice{padding:.5rem .75rem;border-radius:6px;background:var(--card);border-left:4px solid var(--muted)}
.status-groups{display:grid;gap:1rem}
.status-group{border:1px solid var(--line);border-radius:6px;padding:.75rem}
.status-group h2{margin:0 0 .5rem;display:flex;justify-content:space-between;align-items:center;gap:.5rem;flex-wrap:wrap}
.status-group h2 .badge{font-size:.85rem}
.status-row{display:grid;gap:.25rem;padding:.4rem 0;border-top:1px solid var(--line)}
.status-row .head{display:flex;justify-content:space-between;gap:.5rem;flex-wrap:wrap}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.full{flex-basis:100%;margin:0}
#silence-form{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));align-items:end}
#silence-form .full,#silence-form [role=status]{grid-column:1/-1}
#silence-form .field{min-width:0}
button{white-space:nowrap}
.login{max-width:24rem}
@media (min-width:48rem){.monitor{grid-template-columns:minmax(0,2fr) minmax(0,3fr)}}
`;

export const VIEWS_JS = String.raw`// Watchkeeper views: filters, live updates over server-sent events, silence forms. Served from
// the runtime itself ('self' in the Content-Security-Policy); no inline script anywhere.
"use strict";
(function () {
  const body = document.body;
  let refreshes = 0;

  function applyFilters() {
    const text = (document.getElementById("filter-text")?.value || "").trim().toLowerCase();
    const team = document.getElementById("filter-team")?.value || "";
    const state = document.getElementById("filter-state")?.value || "";
    const monitors = document.querySelectorAll("#live .monitor");
    let shown = 0;
    monitors.forEach((el) => {
      const ok = (!text || (el.dataset.text || "").includes(text)) && (!team || el.dataset.team === team) && (!state || el.dataset.state === state);
      el.hidden = !ok;
      if (ok) shown++;
    });
    document.querySelectorAll("#live .group").forEach((g) => {
      g.hidden = g.querySelectorAll(".monitor:not([hidden])").length === 0 && g.querySelectorAll(".monitor").length > 0;
    });
    const count = document.getElementById("filter-count");
    if (count) count.textContent = monitors.length ? shown + " of " + monitors.length + " monitors shown" : "";
  }

  // Bumped by every whole refresh, so rows fetched before it are not applied over it.
  let generation = 0;

  async function refresh() {
    generation++;
    try {
      const res = await fetch(location.href, { headers: { accept: "text/html" }, credentials: "same-origin" });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const next = doc.getElementById("live");
      const live = document.getElementById("live");
      if (!next || !live) return;
      live.replaceChildren(...Array.from(next.childNodes).map((n) => document.importNode(n, true)));
      refreshes++;
      body.dataset.refreshes = String(refreshes);
      applyFilters();
    } catch (_) {
      // The next change or the stream's reconnect tries again.
    }
  }

  let pending = null;
  function soon() {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      void refresh();
    }, 250);
  }

  // Row by row (the overview): the monitors that changed, gathered for 250 ms like a refresh.
  const queued = new Map();
  let rowTimer = null;
  let rowUpdates = 0;
  function rowsSoon(changed) {
    changed.forEach((c) => queued.set(c.id, c));
    if (rowTimer) return;
    rowTimer = setTimeout(() => {
      rowTimer = null;
      const list = Array.from(queued.values());
      queued.clear();
      void applyRows(list);
    }, 250);
  }

  function rowOf(id) {
    return document.querySelector("#live .monitor[data-id=\"" + CSS.escape(String(id)) + "\"]");
  }

  // A row whose state changed takes its place in its service's list (worst first, then by name).
  // A list at the page's edge may go on in the next or previous page: false, the page must refresh.
  function reorder(el) {
    const list = el.parentElement;
    const lists = document.querySelectorAll("#live ul.monitors");
    if (lists[0] === list && document.querySelector("#live a[rel=prev]")) return false;
    if (lists[lists.length - 1] === list && document.querySelector("#live a[rel=next]")) return false;
    const rank = Number(el.dataset.rank);
    const name = el.querySelector(".name")?.textContent || "";
    const after = Array.from(list.children).find((x) => {
      if (x === el) return false;
      const r = Number(x.dataset.rank);
      return r > rank || (r === rank && (x.querySelector(".name")?.textContent || "").localeCompare(name) > 0);
    });
    list.insertBefore(el, after || null);
    return true;
  }

  async function applyRows(changed) {
    const params = new URLSearchParams(location.search);
    const state = params.get("state") || "";
    const paged = document.querySelector("#live a[rel=prev], #live a[rel=next]") !== null;
    const ids = [];
    for (const c of changed) {
      if (rowOf(c.id)) {
        ids.push(c.id);
        continue;
      }
      // Not on this page: it may join it (its filter, or its list straddling the page's edge).
      if (state && (c.state === state || c.was === state)) return soon();
      if (paged && document.querySelector("#live .monitor[data-group=\"" + CSS.escape(String(c.group || "")) + "\"]")) return soon();
    }
    if (ids.length === 0) return;
    params.set("ids", ids.join(","));
    const started = generation;
    try {
      const res = await fetch(body.dataset.rows + "?" + params.toString(), { headers: { accept: "text/html" }, credentials: "same-origin" });
      if (!res.ok) return soon();
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const rows = doc.getElementById("rows");
      if (started !== generation) return;
      if (!rows || rows.dataset.refresh) return soon();
      for (const next of Array.from(rows.querySelectorAll("li.monitor"))) {
        const old = rowOf(next.dataset.id);
        if (!old) return soon();
        const moved = old.dataset.rank !== next.dataset.rank;
        const el = document.importNode(next, true);
        old.replaceWith(el);
        if (moved && !reorder(el)) return soon();
      }
      for (const sel of [".banner", "#as-of"]) {
        const mine = document.querySelector("#live " + sel);
        const theirs = rows.querySelector(sel);
        if (mine && theirs) mine.replaceWith(document.importNode(theirs, true));
      }
      rowUpdates++;
      body.dataset.rowUpdates = String(rowUpdates);
      applyFilters();
    } catch (_) {
      soon();
    }
  }

  function follow(url) {
    if (!("EventSource" in window)) return;
    const source = new EventSource(url);
    source.addEventListener("change", (event) => {
      let message = {};
      try {
        message = JSON.parse(event.data) || {};
      } catch (_) {
        message = {};
      }
      const changed = message.changed || [];
      const mine = body.dataset.monitor;
      if (mine) {
        if (changed.length === 0 || changed.some((c) => c.id === mine)) soon();
        return;
      }
      if (body.dataset.rows && !message.full && changed.length > 0) return rowsSoon(changed);
      soon();
    });
    source.addEventListener("open", () => (body.dataset.stream = "open"));
    window.addEventListener("pagehide", () => source.close());
  }

  function message(form, text, bad) {
    const out = form.querySelector("[role=status]");
    if (out) {
      out.textContent = text;
      out.className = bad ? "error" : "muted";
    }
  }

  async function createSilence(form) {
    const data = new FormData(form);
    const monitors = data.getAll("monitor").map(String).filter(Boolean);
    // A pair that cannot be read stops the form: dropped, the silence would match more than asked
    // ("__proto__" too: assigned into an object it would vanish the same way).
    const labels = {};
    const unreadable = [];
    String(data.get("labels") || "")
      .split(/[\n,]+/)
      .map((s) => s.trim())
      .filter(Boolean)
      .forEach((pair) => {
        const eq = pair.indexOf("=");
        const name = eq > 0 ? pair.slice(0, eq).trim() : "";
        if (name === "" || name === "__proto__") unreadable.push(pair);
        else labels[name] = pair.slice(eq + 1).trim();
      });
    if (unreadable.length > 0) return message(form, "Labels must be name=value pairs separated by commas; not understood: " + unreadable.map((p) => JSON.stringify(p)).join(", "), true);
    const payload = {
      createdBy: String(data.get("createdBy") || ""),
      comment: String(data.get("comment") || ""),
      duration: String(data.get("duration") || ""),
      matchers: { monitors, labels },
    };
    try {
      localStorage.setItem("wk-name", payload.createdBy);
    } catch (_) {}
    const res = await fetch("/api/silences", { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) return message(form, (answer.error || "The silence was not created") + (answer.issues ? ": " + answer.issues.join("; ") : ""), true);
    message(form, "Silence created until " + answer.endsAt, false);
    form.reset();
    prefillName();
    void refresh();
  }

  async function expireSilence(button) {
    const name = (document.querySelector("[name=createdBy]")?.value || "").trim();
    const res = await fetch("/api/silences/" + encodeURIComponent(button.dataset.expire), {
      method: "DELETE",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ expiredBy: name || undefined, comment: "expired from the silences page" }),
    });
    if (!res.ok) {
      const answer = await res.json().catch(() => ({}));
      button.insertAdjacentText("afterend", " " + (answer.error || "could not expire"));
      return;
    }
    void refresh();
  }

  function prefillName() {
    const field = document.querySelector("#silence-form [name=createdBy]");
    try {
      if (field && !field.value) field.value = localStorage.getItem("wk-name") || "";
    } catch (_) {}
  }

  document.addEventListener("input", (e) => {
    if (e.target.closest && e.target.closest(".filters")) applyFilters();
  });
  document.addEventListener("change", (e) => {
    if (e.target.closest && e.target.closest(".filters")) applyFilters();
  });
  document.addEventListener("submit", (e) => {
    if (e.target.id === "silence-form") {
      e.preventDefault();
      void createSilence(e.target);
    }
  });
  document.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest("button[data-expire]");
    if (button) void expireSilence(button);
  });

  applyFilters();
  prefillName();
  if (body.dataset.live) follow(body.dataset.live);
  body.dataset.ready = "1";
})();
`;

/** An ETag per asset, so browsers revalidate instead of downloading again. */
export const ASSET_ETAGS = {
  css: `"${createHash("sha256").update(VIEWS_CSS).digest("base64url").slice(0, 16)}"`,
  js: `"${createHash("sha256").update(VIEWS_JS).digest("base64url").slice(0, 16)}"`,
};
