import { redactUrlsInText } from "../redact-url.js";
import { EVENT_WORDS, OUTCOME_WORDS, type AlertRecord } from "./alert-record.js";
import { html, seg } from "./html.js";
import { page, span, when } from "./layout.js";

/** `/alerts/:id`: the alert's story, every notification attempt with the vendor's answer, its diagnostics. */
export function renderAlertPage(r: AlertRecord, now: number, signedIn: boolean): string {
  const a = r.alert;
  const title = r.monitor ? `${r.monitor.name}: alert` : `Alert ${r.dedupKey}`;
  const state = !a ? "unknown" : a.state === "firing" ? (a.acknowledgedAt ? "acknowledged" : "firing") : a.state === "inactive" ? "resolved" : a.state;
  const badgeClass = state === "resolved" ? "ok" : state;
  const body = html`<p class="muted"><a href="/">Overview</a>${r.monitor ? html` › <a href="/monitors/${seg(r.monitor.id)}">${r.monitor.name}</a>` : ""}</p>
<h1>${title} <span class="badge s-${badgeClass}">${state}</span></h1>
${a ? html`<p>${redactUrlsInText(a.summary)}</p>` : ""}
<dl class="facts">
<dt>Dedup key</dt><dd><code>${r.dedupKey}</code></dd>
${a && Object.keys(a.labels).length ? html`<dt>Labels</dt><dd>${Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(", ")}</dd>` : ""}
${a?.firedAt ? html`<dt>Fired</dt><dd>${when(a.firedAt)}${a.state === "firing" ? ` (${span(now - a.firedAt)} ago)` : ""}</dd>` : ""}
${a?.acknowledgedAt ? html`<dt>Acknowledged</dt><dd>${when(a.acknowledgedAt)} by ${a.acknowledgedBy ?? "someone"}</dd>` : ""}
${a?.state === "inactive" && a.resolvedAt ? html`<dt>Resolved</dt><dd>${when(a.resolvedAt)}${a.firedAt ? ` after ${span(a.resolvedAt - a.firedAt)}` : ""}</dd>` : ""}
</dl>
<p><a href="/alerts/${seg(r.dedupKey)}/postmortem.md">Postmortem draft (Markdown)</a></p>
<section aria-labelledby="tl-h"><h2 id="tl-h">Timeline</h2>
${r.timeline.length === 0 ? html`<p class="muted">Nothing recorded yet.</p>` : html`<ol class="timeline">${r.timeline.map((e) =>
    e.kind === "transition"
      ? html`<li class="t-${e.event}">${when(e.at, true)} <strong>${EVENT_WORDS[e.event]}</strong>${e.by ? html` by <strong class="who">${e.by}</strong>` : ""}${e.event === "firing" || e.event === "pending" ? html`<br><small>${redactUrlsInText(e.summary)}</small>` : ""}</li>`
      : html`<li class="t-attempt attempt">${when(e.at, true)} <strong>${e.attempt.type}</strong> to <strong>${e.attempt.destination}</strong>: ${OUTCOME_WORDS[e.attempt.outcome]} (attempt ${e.attempt.attempt}${e.attempt.vendorStatus !== null ? `, HTTP ${e.attempt.vendorStatus}` : ""})${e.attempt.detail ? html`<br><small>Vendor said: <code>${redactUrlsInText(e.attempt.detail)}</code></small>` : ""}</li>`,
  )}</ol>`}
${r.fromHistory ? "" : html`<p class="notice">The store holds no recorded history for this alert: the timeline shows its last episode's timestamps and each delivery's last attempt.</p>`}
</section>
<section aria-labelledby="diag-h"><h2 id="diag-h">Diagnostics</h2>
${r.diagnostics ? html`<pre>${redactUrlsInText(r.diagnostics)}</pre>` : html`<p class="muted">${r.monitor && r.monitor.diagnostics.length === 0 ? "This monitor runs no diagnostics." : "No diagnostics recorded for this alert."}</p>`}
</section>`;
  return page({ title, nav: { signedIn }, live: "/events", ...(r.monitor ? { monitor: r.monitor.id } : {}), body });
}
