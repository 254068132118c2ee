import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";
import { redactUrlsInText } from "../redact-url.js";
import { historyBars, latencyChart } from "./charts.js";
import { checkWords, conditionWords, pagingPath, scheduleWords } from "./describe.js";
import { html, seg } from "./html.js";
import { page, since, when } from "./layout.js";
import { monitorHistory, percent } from "./history-view.js";
import { stateBadge } from "./overview.js";
import { history, monitorRows, type ViewDeps } from "./view-model.js";

const DAY = 86_400_000;

/** `/monitors/:id`: the definition in words, who gets paged, latency, recent results, its alerts. */
export async function renderMonitorPage(d: ViewDeps, monitor: MonitorSpec, signedIn: boolean): Promise<string> {
  const now = d.clock.now();
  const [row] = await monitorRows(d, now, [monitor]);
  const log = history(d);
  const h = await monitorHistory(log, monitor.id, now);
  const from = now - DAY;
  const rolled = log ? await log.rollups(monitor.id, "minute", from, now + 1) : [];
  // Without rollups yet (a new monitor, a store without history), the latest results draw the line.
  const buckets = rolled.length >= 2 ? rolled : (await d.store.recentResults(monitor.id, 50)).filter((r) => !r.error && r.at >= from).map((r) => ({ start: r.at, count: 1, failures: r.firing ? 1 : 0, errors: 0, p50: r.durationMs, p95: r.durationMs, p99: r.durationMs, max: r.durationMs }));
  const results = log ? await log.resultsBetween(monitor.id, now - 2 * DAY, now + 1, 20) : await d.store.recentResults(monitor.id, 20);
  const path = pagingPath(d.manifest, monitor, now);
  const runbook = monitor.runbook && /^https?:\/\//i.test(monitor.runbook) ? monitor.runbook : null;
  const alerts = [...row!.alerts].sort((a, b) => b.updatedAt - a.updatedAt);

  const body = html`<p class="muted"><a href="/">Overview</a> › ${path.team?.name ?? "No team"} › ${path.service?.name ?? "No service"}</p>
<h1>${monitor.name} ${stateBadge(row!.display.state, monitor.id)}</h1>
<p>${since(row!.display.since, now)}${row!.display.detail ? html` — ${row!.display.detail}` : ""}</p>
${monitor.description ? html`<p>${monitor.description}</p>` : ""}
<section aria-labelledby="def-h"><h2 id="def-h">What it checks</h2>
<dl class="facts">
<dt>When</dt><dd>${scheduleWords(monitor.schedule)}</dd>
<dt>Check</dt><dd>${checkWords(monitor)}</dd>
<dt>Condition</dt><dd>${conditionWords(monitor)}</dd>
<dt>Severity</dt><dd>${monitor.severity}</dd>
<dt>Service</dt><dd>${path.service ? path.service.name : "none: it notifies its channels only"}</dd>
<dt>Escalation</dt><dd>${path.policy ? html`${path.policy.name}<ul>${path.policy.steps.map((s) => html`<li>${s}</li>`)}</ul>` : "—"}</dd>
<dt>On call now</dt><dd>${path.onCallNow.length > 0 ? path.onCallNow.join(", ") : "—"}</dd>
<dt>Channels</dt><dd>${path.channels.length > 0 ? path.channels.join(", ") : path.service ? "none besides the service's PagerDuty integration" : "none"}</dd>
<dt>Runbook</dt><dd>${runbook ? html`<a href="${runbook}" rel="noopener noreferrer">${runbook}</a>` : monitor.runbook ?? "none"}</dd>
<dt>Labels</dt><dd>${Object.entries(monitor.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "none"}</dd>
<dt>Defined in</dt><dd><code>${monitor.source}</code></dd>
</dl></section>
<section aria-labelledby="hist-h"><h2 id="hist-h">90 days</h2>${historyBars(h.days)}
<p>Uptime 24 h <strong>${percent(h.uptime.d1)}</strong> · 7 d <strong>${percent(h.uptime.d7)}</strong> · 30 d <strong>${percent(h.uptime.d30)}</strong> · 90 d <strong>${percent(h.uptime.d90)}</strong></p></section>
<section aria-labelledby="lat-h"><h2 id="lat-h">Latency, up to the last 24 hours</h2>${latencyChart(buckets, from, now)}</section>
<section aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts</h2>
${alerts.length === 0 ? html`<p class="muted">No alerts on record.</p>` : html`<div class="table-wrap"><table><thead><tr><th scope="col">Alert</th><th scope="col">State</th><th scope="col">Fired</th><th scope="col">Resolved</th><th scope="col">Summary</th></tr></thead><tbody>
${alerts.map((a) => html`<tr><th scope="row"><a href="/alerts/${seg(a.dedupKey)}">${Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(", ") || a.dedupKey}</a></th><td>${a.state === "firing" && a.acknowledgedAt ? "acknowledged" : a.state === "inactive" ? "resolved" : a.state}</td><td>${when(a.firedAt)}</td><td>${when(a.resolvedAt)}</td><td>${redactUrlsInText(a.summary)}</td></tr>`)}
</tbody></table></div>`}</section>
<section aria-labelledby="res-h"><h2 id="res-h">Recent results</h2>
${results.length === 0 ? html`<p class="muted">No results yet.</p>` : html`<div class="table-wrap"><table><thead><tr><th scope="col">Time</th><th scope="col">Result</th><th scope="col">Latency</th><th scope="col">Message</th></tr></thead><tbody>
${results.map((r) => html`<tr><td>${when(r.at, true)}</td><td>${resultBadge(r)}</td><td>${Math.round(r.durationMs)} ms</td><td>${redactUrlsInText(r.error ?? r.message)}</td></tr>`)}
</tbody></table></div>`}</section>
<p><a href="/badge/${seg(monitor.id)}.svg">Status badge</a> · <a href="/badge/${seg(monitor.id)}.svg?type=uptime&amp;window=30d">Uptime badge</a></p>`;
  return page({ title: monitor.name, nav: { signedIn }, live: "/events", monitor: monitor.id, body });
}

/**
 * A result's word: a tick that could not tell (`firing` null without an error of its own: the
 * locations that answered fell short of a quorum either way) is unknown, as uptime counts it, not ok.
 */
function resultBadge(r: ResultRow) {
  if (r.error) return html`<span class="badge s-erroring">error</span>`;
  if (r.firing === null) return html`<span class="badge s-no-data">unknown</span>`;
  return r.firing ? html`<span class="badge s-firing">failing</span>` : html`<span class="badge s-ok">ok</span>`;
}
