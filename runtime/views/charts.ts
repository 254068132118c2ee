import type { RollupBucket } from "../store/history.js";
import { html, trusted, type Html } from "./html.js";
import { percent, type DayBar } from "./history-view.js";

/**
 * Charts are small server-rendered SVG: they cost no script, show without JavaScript, need no
 * style attribute (the CSP forbids inline styles; colours come from classes in views.css), and
 * redraw with the rest of the live region. docs/views.md says why not a chart library.
 */

function barClass(d: DayBar): string {
  if (d.uptime === null) return "bar-none";
  if (d.uptime >= 0.999) return "bar-ok";
  if (d.uptime >= 0.95) return "bar-warn";
  return "bar-bad";
}

/** 90 daily bars, each with its day and uptime as a tooltip, one summary for screen readers. */
export function historyBars(days: DayBar[]): Html {
  // Every day with a failure, also one whose uptime (99.9 % and above) still draws it green.
  const bad = days.filter((d) => d.uptime !== null && d.failures > 0).length;
  const known = days.filter((d) => d.uptime !== null).length;
  const label = known === 0 ? `${days.length}-day history: no results yet` : `${days.length}-day history: ${known} days with results, ${bad} with failures`;
  const w = 3;
  const rects = days.map((d, i) => {
    const day = new Date(d.start).toISOString().slice(0, 10);
    const tip = d.uptime === null ? `${day}: no data` : `${day}: ${percent(d.uptime)} up, ${d.failures} failing of ${d.count} results`;
    return html`<rect class="${barClass(d)}" x="${i * w}" y="0" width="${w - 1}" height="20" rx="0.5"><title>${tip}</title></rect>`;
  });
  return html`<svg class="bars" viewBox="0 0 ${days.length * w} 20" preserveAspectRatio="none" role="img" aria-label="${label}">${rects}</svg>`;
}

/** A latency sparkline: no axes, the newest value named for screen readers. */
export function sparkline(values: number[]): Html {
  if (values.length < 2) return html`<span class="muted">${values.length === 1 ? `${Math.round(values[0]!)} ms` : "no latency yet"}</span>`;
  const max = Math.max(...values, 1);
  const points = values.map((v, i) => `${((i / (values.length - 1)) * 100).toFixed(1)},${(22 - (v / max) * 20).toFixed(1)}`).join(" ");
  const last = Math.round(values[values.length - 1]!);
  return html`<svg class="spark" viewBox="0 0 100 24" preserveAspectRatio="none" role="img" aria-label="Latency over the last day, now ${last} ms, peak ${Math.round(max)} ms"><polyline class="spark-line" points="${points}" vector-effect="non-scaling-stroke"></polyline></svg>`;
}

/** Median and p95 latency per bucket, with a y axis in ms and the window's ends on the x axis. */
export function latencyChart(buckets: RollupBucket[], from: number, to: number): Html {
  const withData = buckets.filter((b) => b.p50 !== null);
  if (withData.length === 0) return html`<p class="muted">No latency recorded in this window yet.</p>`;
  // A monitor younger than the window is drawn over the time it has, not squeezed against the right edge.
  from = Math.max(from, Math.min(...withData.map((b) => b.start)));
  const W = 600;
  const H = 180;
  const left = 44;
  const bottom = 20;
  const max = niceMax(Math.max(...withData.map((b) => b.p95 ?? b.p50 ?? 0), 1));
  const x = (t: number) => left + ((t - from) / Math.max(1, to - from)) * (W - left - 4);
  const y = (v: number) => 4 + (1 - v / max) * (H - bottom - 8);
  const line = (pick: (b: RollupBucket) => number | null) =>
    withData
      .map((b) => [x(b.start), pick(b)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== null)
      .map(([px, v]) => `${px.toFixed(1)},${y(v).toFixed(1)}`)
      .join(" ");
  const ticks = [0, max / 2, max].map((v) => html`<line class="grid" x1="${left}" x2="${W}" y1="${y(v)}" y2="${y(v)}"></line><text class="axis" x="${left - 4}" y="${y(v) + 3}" text-anchor="end">${Math.round(v)} ms</text>`);
  const stamp = (t: number) => new Date(t).toISOString().slice(5, 16).replace("T", " ");
  const median = withData.map((b) => b.p50!).sort((a, b) => a - b)[Math.floor(withData.length / 2)]!;
  return html`<figure class="chart-figure">
<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Latency from ${stamp(from)} to ${stamp(to)} UTC: median ${Math.round(median)} ms, highest p95 ${Math.round(Math.max(...withData.map((b) => b.p95 ?? 0)))} ms">
${ticks}
<polyline class="line-p95" points="${line((b) => b.p95)}"></polyline>
<polyline class="line-p50" points="${line((b) => b.p50)}"></polyline>
<text class="axis" x="${left}" y="${H - 4}">${stamp(from)} UTC</text><text class="axis" x="${W}" y="${H - 4}" text-anchor="end">${stamp(to)} UTC</text>
</svg>
<figcaption class="legend"><span>── median (p50)</span><span>- - p95</span></figcaption>
</figure>`;
}

/** Characters XML 1.0 does not allow in a document (C0 controls but tab, LF, CR; U+FFFE, U+FFFF). */
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function xmlText(text: string): string {
  return text.replace(NOT_XML_CHAR, "\ufffd");
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/**
 * A shields-style badge: grey label, coloured value; text is escaped, widths estimated per
 * character. A badge is an XML document: a control character in a monitor's name would make it
 * ill-formed and the image would not show at all, so those become U+FFFD.
 */
export function badge(label: string, value: string, color: string): string {
  label = xmlText(label);
  value = xmlText(value);
  const cw = (t: string) => Math.round(t.length * 6.6 + 12);
  const lw = cw(label);
  const vw = cw(value);
  const total = lw + vw;
  return trusted(
    html`<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${label}: ${value}"><title>${label}: ${value}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${total}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${vw}" height="20" fill="${color}"/><rect width="${total}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${lw / 2}" y="14">${label}</text><text x="${lw + vw / 2}" y="14">${value}</text></g></svg>
`.text,
  ).text;
}
