import { sparkline, historyBars } from "./charts.js";
import { html, seg, type Html } from "./html.js";
import { page, since, when } from "./layout.js";
import { monitorHistory, percent, type MonitorHistory } from "./history-view.js";
import { STATE_LABEL, STATE_ORDER, type DisplayState } from "./monitor-state.js";
import { currentSilences, history, monitorRows, type MonitorRow, type ViewDeps } from "./view-model.js";
import type { Silence } from "../notify/silences.js";
import type { ReplicaView } from "../server/status-page.js";

/** `/`: every monitor grouped by team and service, worst first, with its past and the silences in force. */
export async function renderOverview(d: ViewDeps, signedIn: boolean, extra: { notes?: Map<string, string>; replicas?: ReplicaView[] | null } = {}): Promise<string> {
  const now = d.clock.now();
  const rows = await monitorRows(d, now);
  const log = history(d);
  const histories = new Map(
    await Promise.all(
      rows.map(async (r) => {
        const h = await monitorHistory(log, r.monitor.id, now);
        // Within its first hours a monitor has too few hourly buckets for a line: use its latest results.
        if (h.latency.length < 2) h.latency = (await d.store.recentResults(r.monitor.id, 30)).filter((x) => !x.error).map((x) => x.durationMs).reverse();
        return [r.monitor.id, h] as const;
      }),
    ),
  );
  const silences = await currentSilences(d, now);
  const teams = [...new Map(rows.filter((r) => r.team).map((r) => [r.team!.id, r.team!.name])).entries()].sort((a, b) => a[1].localeCompare(b[1]));
  const title = d.manifest.settings.statusPage.title || d.manifest.project.name;

  const fixed = html`<h1>${title}: monitors</h1>
<form class="filters" role="search" aria-label="Filter monitors">
<div class="field"><label for="filter-text">Search</label><input id="filter-text" type="search" placeholder="name, id, service" autocomplete="off"></div>
<div class="field"><label for="filter-team">Team</label><select id="filter-team"><option value="">All teams</option>${teams.map(([id, name]) => html`<option value="${id}">${name}</option>`)}</select></div>
<div class="field"><label for="filter-state">State</label><select id="filter-state"><option value="">All states</option>${STATE_ORDER.map((s) => html`<option value="${s}">${STATE_LABEL[s]}</option>`)}</select></div>
<p id="filter-count" class="muted" role="status" aria-live="polite"></p>
</form>`;

  const counts = new Map<DisplayState, number>();
  for (const r of rows) counts.set(r.display.state, (counts.get(r.display.state) ?? 0) + 1);
  const firing = (counts.get("firing") ?? 0) + (counts.get("acknowledged") ?? 0);
  const banner =
    firing > 0
      ? html`<p class="banner bad" role="status">${firing} of ${rows.length} monitors firing</p>`
      : (counts.get("erroring") ?? 0) > 0
        ? html`<p class="banner warn" role="status">${counts.get("erroring")} of ${rows.length} monitors cannot be checked</p>`
        : html`<p class="banner ok" role="status">All ${rows.length} monitors OK</p>`;

  const body = html`${banner}
${silenceSection(silences, now)}
${groups(rows).map(([teamName, services]) => html`<section class="group" aria-labelledby="${groupId(teamName)}">
<h2 id="${groupId(teamName)}">${teamName}</h2>
${services.map(([serviceName, list]) => html`<h3>${serviceName}</h3><ul class="monitors">${list.map((r) => monitorItem(r, histories.get(r.monitor.id)!, now, extra.notes?.get(r.monitor.id)))}</ul>`)}
</section>`)}
${extra.replicas === undefined ? "" : replicaSection(extra.replicas, now)}
<p class="muted">As of ${when(now)}. History bars: one per UTC day over 90 days; uptime counts results that could be evaluated.</p>`;
  return page({ title: `${title}: monitors`, nav: { signedIn, current: "overview" }, live: "/events", fixed, body });
}

function groupId(name: string): string {
  return `team-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
}

/** Teams, then services within them, each sorted by name; monitors worst first. */
function groups(rows: MonitorRow[]): Array<[string, Array<[string, MonitorRow[]]>]> {
  const byTeam = new Map<string, Map<string, MonitorRow[]>>();
  for (const r of rows) {
    const team = r.team?.name ?? "No team";
    const service = r.service?.name ?? "No service";
    const services = byTeam.get(team) ?? new Map<string, MonitorRow[]>();
    services.set(service, [...(services.get(service) ?? []), r]);
    byTeam.set(team, services);
  }
  const rank = (r: MonitorRow) => STATE_ORDER.indexOf(r.display.state);
  return [...byTeam.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([team, services]) => [team, [...services.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([s, list]) => [s, list.sort((a, b) => rank(a) - rank(b) || a.monitor.name.localeCompare(b.monitor.name))])]);
}

export function stateBadge(state: DisplayState, id?: string): Html {
  return html`<span class="badge s-${state}"${id ? html` data-monitor-state="${id}"` : ""}>${STATE_LABEL[state]}</span>`;
}

function monitorItem(r: MonitorRow, h: MonitorHistory, now: number, note?: string): Html {
  const m = r.monitor;
  const text = [m.name, m.id, r.service?.name ?? "", r.team?.name ?? "", ...Object.values(m.labels)].join(" ").toLowerCase();
  return html`<li class="monitor" data-id="${m.id}" data-state="${r.display.state}" data-team="${r.team?.id ?? ""}" data-text="${text}">
<div>
<div class="head"><a class="name" href="/monitors/${seg(m.id)}">${m.name}</a> ${stateBadge(r.display.state, m.id)}</div>
<div class="facts"><span>${since(r.display.since, now)}</span>${r.display.detail ? html`<span>${r.display.detail}</span>` : ""}${r.display.muting ? html`<span>${r.display.muting.kind === "maintenance" ? "maintenance" : "silence"}: ${r.display.muting.comment || r.display.muting.id}</span>` : ""}</div>
${note ? html`<div class="facts"><span>${note}</span></div>` : ""}
<div class="facts"><span>Uptime 24 h <strong>${percent(h.uptime.d1)}</strong></span><span>7 d <strong>${percent(h.uptime.d7)}</strong></span><span>30 d <strong>${percent(h.uptime.d30)}</strong></span></div>
</div>
<div>${historyBars(h.days)}<div class="facts"><span>Latency</span>${sparkline(h.latency)}</div></div>
</li>`;
}

/** Active and scheduled silences and maintenance windows, with what they match. */
export function silenceSection(silences: Silence[], now: number): Html {
  if (silences.length === 0) return html`<section aria-labelledby="silences-h"><h2 id="silences-h">Silences and maintenance</h2><p class="muted">None in force.</p></section>`;
  return html`<section aria-labelledby="silences-h"><h2 id="silences-h">Silences and maintenance</h2>
<ul>${silences.map((s) => html`<li><strong>${s.kind === "maintenance" ? "Maintenance" : "Silence"}</strong> ${s.startsAt <= now ? "until" : html`from ${when(s.startsAt)} until`} ${when(s.endsAt)}: ${s.comment || "(no comment)"} <span class="muted">— ${matcherWords(s)}, by ${s.createdBy}</span></li>`)}</ul>
<p><a href="/silences">Manage silences</a></p></section>`;
}

export function matcherWords(s: Silence): string {
  const parts = [
    ...(s.matchers.monitors.length ? [`monitors ${s.matchers.monitors.join(", ")}`] : []),
    ...(s.matchers.services.length ? [`services ${s.matchers.services.join(", ")}`] : []),
    ...Object.entries(s.matchers.labels).map(([k, v]) => `${k}=${v}`),
  ];
  return parts.join("; ") || "everything";
}

/** Scale-out: who shares the work, from where (null: Redis did not answer). */
function replicaSection(replicas: ReplicaView[] | null, now: number): Html {
  if (replicas === null) return html`<h2>Replicas</h2>\n<p>Replicas cannot be listed: Redis does not answer.</p>`;
  return html`<h2>Replicas</h2>
<div class="table-wrap"><table>
<caption>${replicas.length} replica${replicas.length === 1 ? "" : "s"} sharing the checks, as of ${new Date(now).toISOString()}</caption>
<thead><tr><th scope="col">Replica</th><th scope="col">Location</th><th scope="col">Manifest</th><th scope="col">Started</th></tr></thead>
<tbody>${replicas.map((r) => html`<tr><th scope="row">${r.id}</th><td>${r.location}</td><td><code>${r.manifest.slice(-12)}</code></td><td>${r.startedAt}</td></tr>`)}</tbody>
</table></div>`;
}
