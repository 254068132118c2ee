import type { ServerResponse } from "node:http";
import { redactUrlsInText } from "../redact-url.js";
import { html, type Html } from "./html.js";

/**
 * Scripts and styles come only from the runtime's own /assets: no inline script, no inline style,
 * no other origin. A name or summary that slipped past escaping still could not run.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export interface PageOptions {
  title: string;
  /** The internal navigation (overview, silences); public pages have none. */
  nav?: { signedIn: boolean; current?: "overview" | "silences" | "status" };
  /** The server-sent events URL this page follows; its `#live` region is refreshed on changes. */
  live?: string;
  /** Where the page fetches the rows of monitors that changed (the overview); without it a change refreshes the live region. */
  rows?: string;
  /** Which monitor the page is about: only its changes refresh the page. */
  monitor?: string;
  /** Content above the live region that a refresh must not replace (filters keep their input). */
  fixed?: Html;
  /** Extra `<head>` lines (a robots meta). */
  head?: Html;
  body: Html;
}

/** A whole page: landmarks, skip link, one stylesheet, one script, the live region. */
export function page(o: PageOptions): string {
  const nav = o.nav
    ? html`<header class="top"><nav aria-label="Main"><a class="brand" href="/">Watchkeeper</a>
<a href="/"${o.nav.current === "overview" ? html` aria-current="page"` : ""}>Overview</a>
<a href="/silences"${o.nav.current === "silences" ? html` aria-current="page"` : ""}>Silences</a>
<a href="/status">Status page</a>
${o.nav.signedIn ? html`<form method="post" action="/logout" class="inline"><button type="submit" class="link">Sign out</button></form>` : ""}
</nav></header>`
    : "";
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${o.title}</title>
<link rel="stylesheet" href="/assets/views.css">
<script src="/assets/views.js" defer></script>
${o.head ?? ""}
</head>
<body${o.live ? html` data-live="${o.live}"` : ""}${o.rows ? html` data-rows="${o.rows}"` : ""}${o.monitor ? html` data-monitor="${o.monitor}"` : ""}>
<a class="skip" href="#content">Skip to content</a>
${nav}
<main id="content" tabindex="-1">
${o.fixed ?? ""}
<div id="live">
${o.body}
</div>
</main>
</body>
</html>
`.text;
}

/** Headers every HTML answer carries. */
export function securityHeaders(res: ServerResponse): void {
  res.setHeader("content-security-policy", CONTENT_SECURITY_POLICY);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "same-origin");
  res.setHeader("x-frame-options", "DENY");
}

/** Sends a page; internal pages are never cached by shared caches. URL credentials never leave. */
export function sendPage(res: ServerResponse, status: number, doc: string, cache = "no-store"): void {
  securityHeaders(res);
  const body = redactUrlsInText(doc);
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(body), "cache-control": cache });
  res.end(body);
}

/** The HTML 404 every unknown id gets. */
export function notFoundPage(what: string, signedIn: boolean | null): string {
  return page({
    title: "Not found",
    ...(signedIn === null ? {} : { nav: { signedIn } }),
    body: html`<h1>Not found</h1><p>${what}</p><p><a href="/">Back to the overview</a></p>`,
  });
}

/** A 400 page: which field of the address is wrong, and what it accepts. */
export function badRequestPage(error: string, signedIn: boolean): string {
  return page({ title: "Bad request", nav: { signedIn }, body: html`<h1>Bad request</h1><p>${error}</p><p><a href="/">Back to the overview</a></p>` });
}

/** "2026-12-01 10:05 UTC" (or with seconds) in a <time> element. */
export function when(ms: number | null | undefined, seconds = false): Html {
  if (ms === null || ms === undefined) return html`—`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, seconds ? 19 : 16).replace("T", " ")} UTC</time>`;
}

/** "3 h 20 min", "45 s", "2 d 4 h". */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "since 10:05 UTC (3 h ago)". */
export function since(ms: number | null, now: number): Html {
  if (ms === null) return html``;
  return html`since ${when(ms)} (${span(now - ms)} ago)`;
}
