import { sparkline, historyBars } from "./charts.js";
import { html, seg, type Html } from "./html.js";
import { page, since, when } from "./layout.js";
import { monitorHistory, percent, type MonitorHistory } from "./history-view.js";
import { STATE_LABEL, STATE_ORDER, type DisplayState } from "./monitor-state.js";
import { currentSilences, history, monitorRows, type MonitorRow, type ViewDeps } from "./view-model.js";
import type { Silence } from "../notify/silences.js";
import type { ReplicaView } from "../server/status-page.js";
import { monitorsById } from "../monitors-by-id.js";

/** What the overview shows: a filter (text, team, state) and a page of the monitors that match. */
export interface OverviewQuery {
  /** Lower-case text found in the name, id, service, team or a label value; "" for any. */
  text: string;
  /** A team id; "" for any. */
  team: string;
  state: DisplayState | "";
  /** 1-based. */
  page: number;
  perPage: number;
}

export const OVERVIEW_PAGE_SIZE = 100;
export const OVERVIEW_MAX_PAGE_SIZE = 500;
const DEFAULT_QUERY: OverviewQuery = { text: "", team: "", state: "", page: 1, perPage: OVERVIEW_PAGE_SIZE };

/**
 * Reads the overview's query string (`q`, `team`, `state`, `page`, `per`); a value the page
 * cannot mean is refused with the field and what it accepts.
 */
export function parseOverviewQuery(params: URLSearchParams, teams: Set<string>): { ok: true; query: OverviewQuery } | { ok: false; error: string } {
  const text = (params.get("q") ?? "").trim().toLowerCase().slice(0, 200);
  const team = params.get("team") ?? "";
  if (team !== "" && !teams.has(team)) return { ok: false, error: `team must be one of the project's team ids (${[...teams].join(", ") || "none defined"}), not "${team}"` };
  const state = params.get("state") ?? "";
  if (state !== "" && !STATE_ORDER.includes(state as DisplayState)) return { ok: false, error: `state must be one of ${STATE_ORDER.join(", ")}, not "${state}"` };
  const whole = (name: string, fallback: number, max: number): number | string => {
    const raw = params.get(name);
    if (raw === null || raw === "") return fallback;
    const n = Number(raw);
    return Number.isInteger(n) && n >= 1 && n <= max ? n : `${name} must be a whole number from 1 to ${max}, not "${raw}"`;
  };
  const page = whole("page", 1, 1_000_000);
  if (typeof page === "string") return { ok: false, error: page };
  const perPage = whole("per", OVERVIEW_PAGE_SIZE, OVERVIEW_MAX_PAGE_SIZE);
  if (typeof perPage === "string") return { ok: false, error: perPage };
  return { ok: true, query: { text, team, state: state as DisplayState | "", page, perPage } };
}

/**
 * `/`: the monitors grouped by team and service, worst first, a page at a time (filtered on the
 * server, so 10,000 monitors cost one page of history reads), with the silences in force. The
 * banner counts every monitor, whatever the filter.
 */
export async function renderOverview(
  d: ViewDeps,
  signedIn: boolean,
  extra: { notes?: Map<string, string>; replicas?: ReplicaView[] | null; query?: OverviewQuery; /** The benchmark's baseline: 90 days of hours per monitor. */ readHistory?: typeof monitorHistory } = {},
): Promise<string> {
  const now = d.clock.now();
  const query = extra.query ?? DEFAULT_QUERY;
  const rows = await monitorRows(d, now);
  const log = history(d);
  const teams = [...new Map(rows.filter((r) => r.team).map((r) => [r.team!.id, r.team!.name])).entries()].sort((a, b) => a[1].localeCompare(b[1]));
  const matching = ordered(rows.filter((r) => matches(r, query)));
  const pages = Math.max(1, Math.ceil(matching.length / query.perPage));
  const pageNo = Math.min(query.page, pages);
  const shown = matching.slice((pageNo - 1) * query.perPage, pageNo * query.perPage);
  const read = extra.readHistory ?? monitorHistory;
  const histories = new Map(
    await Promise.all(
      shown.map(async (r) => {
        const h = await read(log, r.monitor.id, now);
        // Within its first hours a monitor has too few hourly buckets for a line: use its latest results.
        if (h.latency.length < 2) h.latency = (await d.store.recentResults(r.monitor.id, 30)).filter((x) => !x.error).map((x) => x.durationMs).reverse();
        return [r.monitor.id, h] as const;
      }),
    ),
  );
  const silences = await currentSilences(d, now);
  const title = d.manifest.settings.statusPage.title || d.manifest.project.name;

  const fixed = html`<h1>${title}: monitors</h1>
<form class="filters" role="search" aria-label="Filter monitors" method="get" action="/">
<div class="field"><label for="filter-text">Search</label><input id="filter-text" name="q" type="search" placeholder="name, id, service" autocomplete="off" value="${query.text}"></div>
<div class="field"><label for="filter-team">Team</label><select id="filter-team" name="team"><option value="">All teams</option>${teams.map(([id, name]) => html`<option value="${id}"${id === query.team ? html` selected` : ""}>${name}</option>`)}</select></div>
<div class="field"><label for="filter-state">State</label><select id="filter-state" name="state"><option value="">All states</option>${STATE_ORDER.map((s) => html`<option value="${s}"${s === query.state ? html` selected` : ""}>${STATE_LABEL[s]}</option>`)}</select></div>
${query.perPage !== OVERVIEW_PAGE_SIZE ? html`<input type="hidden" name="per" value="${String(query.perPage)}">` : ""}
<div class="field"><button type="submit">Filter</button></div>
<p id="filter-count" class="muted" role="status" aria-live="polite"></p>
</form>`;

  const banner = bannerOf(stateCounts(rows.map((r) => r.display.state)));

  const pager = pagerNav(query, pageNo, pages, matching.length, shown.length);
  const body = html`${banner}
${silenceSection(silences, now)}
${pager}
${matching.length === 0 ? html`<p class="muted">No monitor matches this filter. <a href="/">Show all monitors</a></p>` : ""}
${groups(shown).map(([teamName, services]) => html`<section class="group" aria-labelledby="${groupId(teamName)}">
<h2 id="${groupId(teamName)}">${teamName}</h2>
${services.map(([serviceName, list]) => html`<h3>${serviceName}</h3><ul class="monitors">${list.map((r) => monitorItem(r, histories.get(r.monitor.id)!, now, extra.notes?.get(r.monitor.id)))}</ul>`)}
</section>`)}
${pages > 1 ? pager : ""}
${extra.replicas === undefined ? "" : replicaSection(extra.replicas, now)}
${asOf(now)}`;
  return page({ title: `${title}: monitors`, nav: { signedIn, current: "overview" }, live: "/events", rows: "/overview/rows", fixed, body });
}

/** Monitors per display state, and how many in all: what the banner says. */
export interface StateCounts {
  byState: Map<DisplayState, number>;
  total: number;
}

export function stateCounts(states: Iterable<DisplayState>): StateCounts {
  const byState = new Map<DisplayState, number>();
  let total = 0;
  for (const s of states) {
    byState.set(s, (byState.get(s) ?? 0) + 1);
    total++;
  }
  return { byState, total };
}

function bannerOf({ byState, total }: StateCounts): Html {
  const firing = (byState.get("firing") ?? 0) + (byState.get("acknowledged") ?? 0);
  return firing > 0
    ? html`<p class="banner bad" role="status">${firing} of ${total} monitors firing</p>`
    : (byState.get("erroring") ?? 0) > 0
      ? html`<p class="banner warn" role="status">${byState.get("erroring")} of ${total} monitors cannot be checked</p>`
      : html`<p class="banner ok" role="status">All ${total} monitors OK</p>`;
}

function asOf(now: number): Html {
  return html`<p class="muted" id="as-of">As of ${when(now)}. History bars: one per UTC day over 90 days; uptime counts results that could be evaluated.</p>`;
}

/** The most monitors one rows request may name: a page's worth. */
export const OVERVIEW_ROWS_MAX = OVERVIEW_MAX_PAGE_SIZE;

/**
 * `/overview/rows?ids=a,b&q=&team=&state=`: the live update of an open overview page, costing the
 * monitors that changed rather than the page. The page names the changed monitors it shows; the
 * answer holds their rows, rendered exactly as the full page renders them, plus the banner and the
 * "as of" line. A named monitor that no longer matches the page's filter is not sent: the answer
 * asks for a full refresh instead (`data-refresh`), so a page never receives a row it would not
 * show. `counts` (the live hub's copy of every monitor's state) spares the read of every monitor
 * for the banner; without it every state is read.
 */
export async function renderOverviewRows(
  d: ViewDeps,
  ids: string[],
  query: OverviewQuery,
  extra: { notes?: Map<string, string>; counts?: StateCounts | null } = {},
): Promise<string> {
  const now = d.clock.now();
  const byId = monitorsById(d.manifest);
  const named = [...new Set(ids)].slice(0, OVERVIEW_ROWS_MAX).map((id) => byId.get(id));
  const known = named.filter((m) => m !== undefined);
  const rows = await monitorRows(d, now, known);
  const keep = rows.filter((r) => matches(r, query));
  // A monitor the page named that is gone from the manifest or from its filter: the page's set changed.
  const refresh = keep.length !== named.length;
  const log = history(d);
  const items = await Promise.all(
    keep.map(async (r) => {
      const h = await monitorHistory(log, r.monitor.id, now);
      if (h.latency.length < 2) h.latency = (await d.store.recentResults(r.monitor.id, 30)).filter((x) => !x.error).map((x) => x.durationMs).reverse();
      return monitorItem(r, h, now, extra.notes?.get(r.monitor.id));
    }),
  );
  const counts = extra.counts ?? stateCounts((await monitorRows(d, now)).map((r) => r.display.state));
  return html`<!doctype html>
<div id="rows"${refresh ? html` data-refresh="1"` : ""}>
${bannerOf(counts)}
<ul class="monitors">${items}</ul>
${asOf(now)}
</div>
`.text;
}

/** The list a monitor sits in on the overview (its team and service): a state change moves it only within it. */
function groupKey(r: MonitorRow): string {
  return `${r.team?.id ?? ""}/${r.service?.id ?? ""}`;
}

function matches(r: MonitorRow, q: OverviewQuery): boolean {
  if (q.team !== "" && r.team?.id !== q.team) return false;
  if (q.state !== "" && r.display.state !== q.state) return false;
  return q.text === "" || searchText(r).includes(q.text);
}

function searchText(r: MonitorRow): string {
  const m = r.monitor;
  return [m.name, m.id, r.service?.name ?? "", r.team?.name ?? "", ...Object.values(m.labels)].join(" ").toLowerCase();
}

/** The order the page lists them in: teams, then services, each by name; monitors worst first. */
function ordered(rows: MonitorRow[]): MonitorRow[] {
  return groups(rows).flatMap(([, services]) => services.flatMap(([, list]) => list));
}

/** Links to the pages of the matching monitors: plain links, so they work without script and by keyboard. */
function pagerNav(q: OverviewQuery, pageNo: number, pages: number, total: number, shown: number): Html {
  const link = (n: number) => {
    const p = new URLSearchParams();
    if (q.text) p.set("q", q.text);
    if (q.team) p.set("team", q.team);
    if (q.state) p.set("state", q.state);
    if (q.perPage !== OVERVIEW_PAGE_SIZE) p.set("per", String(q.perPage));
    if (n > 1) p.set("page", String(n));
    const s = p.toString();
    return s ? `/?${s}` : "/";
  };
  const first = total === 0 ? 0 : (pageNo - 1) * q.perPage + 1;
  return html`<nav class="pager" aria-label="Pages of monitors">
<p class="muted">Monitors ${first}–${first + shown - Math.min(1, shown)} of ${total}${q.text || q.team || q.state ? " matching" : ""} (page ${pageNo} of ${pages})</p>
${pageNo > 1 ? html`<a href="${link(pageNo - 1)}" rel="prev">Previous page</a>` : ""}
${pageNo < pages ? html`<a href="${link(pageNo + 1)}" rel="next">Next page</a>` : ""}
</nav>`;
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
  const text = searchText(r);
  return html`<li class="monitor" data-id="${m.id}" data-state="${r.display.state}" data-rank="${String(STATE_ORDER.indexOf(r.display.state))}" data-group="${groupKey(r)}" data-team="${r.team?.id ?? ""}" data-text="${text}">
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
