import type { StatusPageSpec } from "../../sdk/manifest/schema.js";
import { historyBars } from "./charts.js";
import { html, seg } from "./html.js";
import { page, when } from "./layout.js";
import { monitorHistory, percent } from "./history-view.js";
import { CUSTOMER_LABEL, customerState, worstCustomerState, type CustomerState } from "./monitor-state.js";
import { history, monitorRows, type ViewDeps } from "./view-model.js";
import { monitorsById } from "../monitors-by-id.js";

const BANNER: Record<CustomerState, [string, string]> = {
  operational: ["ok", "All systems operational"],
  degraded: ["warn", "Some systems are degraded"],
  outage: ["bad", "Some systems have an outage"],
  maintenance: ["info", "Maintenance in progress"],
};

/** What a public page shows per monitor: its name, a customer word and uptime. Nothing else leaves. */
export interface PublicRow {
  name: string;
  state: CustomerState;
}

/** The customer states of a page's monitors, by group: also what its live stream compares. */
export async function publicRows(d: ViewDeps, spec: StatusPageSpec, now: number): Promise<Array<{ name: string; rows: Array<PublicRow & { id: string }> }>> {
  const byId = monitorsById(d.manifest);
  const named = [...new Set(spec.groups.flatMap((g) => g.monitors))].map((id) => byId.get(id)).filter((m) => m !== undefined);
  const rows = new Map((await monitorRows(d, now, named)).map((r) => [r.monitor.id, r]));
  return spec.groups.map((g) => ({
    name: g.name,
    rows: g.monitors.flatMap((id) => {
      const r = rows.get(id);
      return r ? [{ id, name: r.monitor.name, state: customerState(r.display) }] : [];
    }),
  }));
}

/**
 * `/status/:id`: a status page defined as code. It names only what the page names, in customers'
 * words; no check output, error, message, URL or hostname is ever read into it.
 */
export async function renderPublicStatus(d: ViewDeps, spec: StatusPageSpec): Promise<string> {
  const now = d.clock.now();
  const groups = await publicRows(d, spec, now);
  const log = history(d);
  const uptimes = new Map(
    await Promise.all(groups.flatMap((g) => g.rows).map(async (r) => [r.id, await monitorHistory(log, r.id, now)] as const)),
  );
  const overall = worstCustomerState(groups.flatMap((g) => g.rows.map((r) => r.state)));
  const [tone, words] = BANNER[overall];
  const body = html`<h1>${spec.title}</h1>
${spec.description ? html`<p>${spec.description}</p>` : ""}
<p class="banner ${tone}" role="status">${words}</p>
<div class="status-groups">
${groups.map((g) => {
    const state = worstCustomerState(g.rows.map((r) => r.state));
    return html`<section class="status-group" aria-label="${g.name}"><h2><span>${g.name}</span> <span class="badge c-${state}">${CUSTOMER_LABEL[state]}</span></h2>
${g.rows.map((r) => {
      const h = uptimes.get(r.id)!;
      return html`<div class="status-row"><div class="head"><span>${r.name}</span><span class="badge c-${r.state}">${CUSTOMER_LABEL[r.state]}</span></div>${historyBars(h.days)}<small>${h.uptime.d90 === null ? "No history yet" : `${percent(h.uptime.d90)} uptime over 90 days`}</small></div>`;
    })}
</section>`;
  })}
</div>
<p class="muted">Updated ${when(now)}.</p>`;
  return page({ title: spec.title, live: `/events?status=${seg(spec.id)}`, body });
}

/** `/status` with several pages: a list of them. */
export function renderStatusIndex(pages: StatusPageSpec[], title: string, signedIn: boolean | null): string {
  const body =
    pages.length === 0
      ? html`<h1>${title}</h1><p>This project defines no public status page yet.</p>
<p>Define one in a project module with <code>statusPage({ id: "public", title: "Acme status", groups: [{ name: "API", monitors: [apiUp] }] })</code>; it is served at <code>/status/public</code>.</p>
<p><a href="/">Monitors (team view)</a></p>`
      : html`<h1>${title}</h1><ul>${pages.map((p) => html`<li><a href="/status/${seg(p.id)}">${p.title}</a></li>`)}</ul>`;
  return page({ title, ...(signedIn === null ? {} : { nav: { signedIn, current: "status" } }), body });
}
