import type { Manifest } from "../../sdk/manifest/schema.js";
import type { Alert, AlertState } from "../alerts/state.js";
import { redactUrlsInText } from "../redact-url.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";

/** What the status page shows for one monitor. */
export interface MonitorStatus {
  id: string;
  name: string;
  state: AlertState | "erroring" | "no data";
  lastResult: ResultRow | null;
  /** Why the monitor does not run as its spec asks (a location no replica serves). */
  note?: string;
}

/** A scale-out replica as the status page lists it. */
export interface ReplicaView {
  id: string;
  location: string;
  manifest: string;
  startedAt: string;
}

/**
 * The worst state among a monitor's alerts. A latest tick that errored is "erroring" unless an
 * alert still fires: with `onError: "unknown"` the alerts stay as they were, so "Operational"
 * would claim a health nobody checked.
 */
export function worstState(alerts: Alert[], latest: ResultRow | null = null): AlertState | "erroring" {
  if (alerts.some((a) => a.state === "firing")) return "firing";
  if (latest?.error) return "erroring";
  if (alerts.some((a) => a.state === "pending")) return "pending";
  return "inactive";
}

const LABEL: Record<MonitorStatus["state"], string> = {
  firing: "Down",
  pending: "Degraded",
  erroring: "Unknown: check erroring",
  inactive: "Operational",
  "no data": "No data yet",
};

/**
 * The public status page: plain server-rendered HTML, a real table with a caption and header
 * cells, state spelled out in words (never colour alone), and no script at all.
 */
export function renderStatusPage(manifest: Manifest, monitors: MonitorStatus[], now: number, replicas?: ReplicaView[] | null): string {
  const title = manifest.settings.statusPage.title || manifest.project.name;
  const down = monitors.filter((m) => m.state === "firing").length;
  const erroring = monitors.filter((m) => m.state === "erroring").length;
  const overall =
    down > 0
      ? `${down} of ${monitors.length} monitors down`
      : erroring > 0
        ? `${erroring} of ${monitors.length} monitors cannot be checked`
        : "All systems operational";
  const rows = monitors
    .map((m) => {
      const last = m.lastResult;
      const when = last ? `<time datetime="${new Date(last.at).toISOString()}">${esc(new Date(last.at).toISOString().replace("T", " ").slice(0, 19))} UTC</time>` : "—";
      return `<tr class="state-${m.state.replace(" ", "-")}"><th scope="row">${esc(m.name)}</th><td>${LABEL[m.state]}</td><td>${last ? esc(redactUrlsInText(last.message)) : "—"}${m.note ? `<br><small>${esc(m.note)}</small>` : ""}</td><td>${when}</td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a1a1a;background:#fff}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.5rem;border-bottom:1px solid #ccc}
.state-firing td:nth-child(2){color:#a00000;font-weight:bold}.state-pending td:nth-child(2){color:#7a4b00}
.state-inactive td:nth-child(2){color:#0a5a0a}.state-erroring td:nth-child(2){color:#5a2a82;font-weight:bold}
</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
<p role="status">${esc(overall)}</p>
<table>
<caption>Monitors and their latest result, as of ${esc(new Date(now).toISOString())}</caption>
<thead><tr><th scope="col">Monitor</th><th scope="col">State</th><th scope="col">Last result</th><th scope="col">Checked</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${replicas === undefined ? "" : replicaTable(replicas, now)}
</main>
</body>
</html>
`;
}

/** Scale-out: who shares the work, from where (null: Redis did not answer). */
function replicaTable(replicas: ReplicaView[] | null, now: number): string {
  if (replicas === null) return `<h2>Replicas</h2>\n<p>Replicas cannot be listed: Redis does not answer.</p>`;
  const rows = replicas
    .map((r) => `<tr><th scope="row">${esc(r.id)}</th><td>${esc(r.location)}</td><td><code>${esc(r.manifest.slice(-12))}</code></td><td>${esc(r.startedAt)}</td></tr>`)
    .join("\n");
  return `<h2>Replicas</h2>
<table>
<caption>${replicas.length} replica${replicas.length === 1 ? "" : "s"} sharing the checks, as of ${esc(new Date(now).toISOString())}</caption>
<thead><tr><th scope="col">Replica</th><th scope="col">Location</th><th scope="col">Manifest</th><th scope="col">Started</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
