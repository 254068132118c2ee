import { API_TOKEN_SECRET } from "../http/api-auth.js";
import { html } from "./html.js";
import { page } from "./layout.js";

/** The sign-in form: one password field for the API token; `next` brings the person back. */
export function renderLogin(next: string, error: string | null): string {
  const body = html`<div class="login"><h1>Sign in</h1>
<p>The team's views need the runtime's API token (the <code>${API_TOKEN_SECRET}</code> secret). The browser keeps a signed session for 12 hours, never the token.</p>
${error ? html`<p class="banner bad" role="alert" id="login-error">${error}</p>` : ""}
<form method="post" action="/login"${error ? html` aria-describedby="login-error"` : ""}>
<input type="hidden" name="next" value="${next}">
<div class="field"><label for="token">API token</label><input id="token" name="token" type="password" required autocomplete="current-password"></div>
<div class="field"><button type="submit" class="primary">Sign in</button></div>
</form>
<p><a href="/status">Public status page</a></p></div>`;
  return page({ title: "Sign in", body, head: html`<meta name="robots" content="noindex">` });
}

/**
 * A team page asked for by a link on another site (chat, PagerDuty, email): the browser withheld
 * the SameSite=Strict session cookie from that navigation, but sends it when the runtime's own
 * page moves on to the same address, so a signed-in engineer lands on the page and a signed-out
 * one on the sign-in form. A refresh, not a script: the Content-Security-Policy runs none inline.
 */
export function renderReturn(path: string): string {
  return page({
    title: "Opening",
    head: html`<meta http-equiv="refresh" content="0; url=${path}"><meta name="robots" content="noindex">`,
    body: html`<p>Opening <a href="${path}">${path}</a>…</p>`,
  });
}

/** The internal views when no token is set and reads are not open: how to open them. */
export function renderClosed(): string {
  return page({
    title: "Views closed",
    body: html`<h1>The team's views are closed</h1>
<p>Set the <code>${API_TOKEN_SECRET}</code> secret and sign in, or set <code>runtime: { openReads: true }</code> in <code>watchkeeper.config.ts</code> to serve them without a token.</p>
<p><a href="/status">Public status page</a></p>`,
  });
}

/**
 * Only a path on this site may be a place to return to: never `//host` or `https://...`. It goes
 * out in a Location header, so it must be printable ASCII: browsers drop tabs and newlines from a
 * URL (`/<tab>/evil.example` is `//evil.example` to them), and Node refuses other characters there.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || /[^\x21-\x7e]/.test(next)) return "/";
  return next;
}
