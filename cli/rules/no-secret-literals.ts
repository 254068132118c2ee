import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { isSecretParamName } from "../../runtime/redact-url.js";
import { isCredentialHeader } from "../../runtime/text/credential-headers.js";
import { unlessClean, type RuleContext } from "./types.js";

interface Pattern {
  what: string;
  re: RegExp;
  /** The part of a match that is safe to show (a fixed prefix, never key material). */
  shown: (match: string) => string;
  /** A second look at a match the expression alone cannot tell from prose. */
  accept?: (match: string) => boolean;
}

/** `Basic <base64>` whose decoded form is `user:password` ("Basic authentication" is prose). */
function basicCredentials(match: string): boolean {
  const decoded = Buffer.from(match.replace(/^Basic\s+/, ""), "base64").toString("utf8");
  return /^[^\s:]{1,256}:[^\s]{1,256}$/.test(decoded);
}

const prefix = (p: string) => () => p;

/** The header name a credential-header match starts with, without its quotes. */
const headerName = (match: string) => match.slice(0, match.search(/["']?\s*:/)).replace(/^["']/, "");
/** The literal value a credential-header match ends with, without its quotes. */
const headerValue = (match: string) => match.slice(match.search(/:\s*["'`]/)).replace(/^:\s*["'`]/, "").slice(0, -1);

/** Credential shapes that leak when committed. Each pattern is anchored on non-secret context. */
export const SECRET_PATTERNS: Pattern[] = [
  { what: "a private key", re: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/g, shown: prefix("-----BEGIN … PRIVATE KEY-----") },
  { what: "a Slack webhook URL", re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{8,}/g, shown: prefix("https://hooks.slack.com/…") },
  { what: "a Slack token", re: /\bxox[abpr]-[A-Za-z0-9-]{10,}/g, shown: (m) => m.slice(0, 5) + "…" },
  { what: "an AWS access key id", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, shown: (m) => m.slice(0, 4) + "…" },
  { what: "a PagerDuty REST API token", re: /Token token=[A-Za-z0-9_+\-]{10,}/g, shown: prefix("Token token=…") },
  { what: "an OpsGenie API key", re: /GenieKey\s+[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}/g, shown: prefix("GenieKey …") },
  { what: "a bearer token", re: /\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*/g, shown: prefix("Bearer …") },
  { what: "basic-auth credentials", re: /\bBasic\s+[A-Za-z0-9+/]{8,}={0,2}(?![A-Za-z0-9+/=])/g, shown: prefix("Basic …"), accept: basicCredentials },
  { what: "a Discord webhook URL", re: /https:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api\/(?:v\d{1,2}\/)?webhooks\/\d{5,}\/[A-Za-z0-9_-]{20,}/g, shown: prefix("https://discord.com/api/webhooks/…") },
  {
    what: "a Microsoft Teams webhook URL",
    re: /https:\/\/(?:[A-Za-z0-9-]{1,63}\.webhook\.office\.com\/webhookb2|outlook\.office(?:365)?\.com\/webhook)\/[A-Za-z0-9@/_-]{20,}/g,
    shown: prefix("https://….webhook.office.com/webhookb2/…"),
  },
  // `<bot id>:AA<33 characters>`: the id names the bot; what follows the colon is its password.
  { what: "a Telegram bot token", re: /(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{30,}/g, shown: (m) => `${m.slice(0, m.indexOf(":"))}:…` },
  { what: "a Google API key", re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, shown: prefix("AIza…") },
  { what: "a Stripe secret key", re: /\b(?:sk|rk)_live_[0-9A-Za-z]{16,}/g, shown: (m) => m.slice(0, 8) + "…" },
  { what: "a GitLab token", re: /\bglpat-[0-9A-Za-z_-]{20,}/g, shown: prefix("glpat-…") },
  { what: "an npm token", re: /\bnpm_[0-9A-Za-z]{36}(?![0-9A-Za-z])/g, shown: prefix("npm_…") },
  { what: "a GitHub token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g, shown: (m) => m.slice(0, m.startsWith("github_pat_") ? 11 : 4) + "…" },
  // A password in a URL's userinfo (`https://user:password@host`, `postgres://app:pw@db/app`,
  // `redis://:pw@cache`): the whole URL would reach the manifest and every log line that names the
  // target, or sit in a script check's code. A `${...}` part is code, not a literal. A scheme is at
  // most 32 characters: unbounded, each start inside a long `a.a.a…` would scan to its end, time in
  // the square of its length.
  { what: "a password in a URL", re: /\b[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s/:@"'`]*:[^\s/@"'`${}]+@/g, shown: (m) => `${m.slice(0, m.indexOf("//") + 2)}…:…@` },
  // A credential in a query or fragment parameter (`?api_key=…`, `&token=…`): the runtime redacts
  // it from its own output by the parameter's name, but the plan would print the URL whole.
  {
    what: "a credential in a URL parameter",
    re: /[?&#][A-Za-z0-9_.%-]{1,64}=[^\s&#"'`${}]{8,}/g,
    shown: (m) => `${m.slice(0, m.indexOf("=") + 1)}…`,
    accept: (m) => isSecretParamName(m.slice(1, m.indexOf("="))),
  },
  { what: "a PagerDuty integration key", re: /(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])/g, shown: prefix("<32 hex characters>") },
  // A literal in a header whose name says it is a credential (`"X-Api-Key": "abc123"`), whatever
  // the value looks like; a reference (`secret("KEY")`), a template with `${...}` and a string
  // that code adds to are not literals.
  {
    what: "a credential header's value",
    re: /(?<![A-Za-z0-9_-])(["']?)(?:proxy-authorization|authorization|x-api-key|api-key|x-auth-token|cookie|[A-Za-z0-9_-]{0,60}-(?:token|key|secret))\1\s*:\s*(["'`])(?:(?!\2)[^\\\n$])+\2(?!\s*\+)/gi,
    shown: (m) => `${m.slice(0, m.length - headerValue(m).length - 1)}…${m.at(-1)}`,
    // A UUID under an API-key header is the UUID finding's (`<uuid>`), as before this pattern; a
    // value another pattern already cut (`<uuid>`, `Bearer …`) is cut enough.
    accept: (m) => {
      const value = headerValue(m);
      if (!isCredentialHeader(headerName(m)) || value.trim() === "" || value === "<uuid>" || value.includes("…")) return false;
      return !(AUTH_LINE_RE.test(m) && WHOLE_UUID_RE.test(value));
    },
  },
];

/**
 * Text with every credential-looking part cut to what is safe to show ("Bearer …"). The plan
 * shows a git base's values and code, which may hold the token a pull request removes, or one
 * committed before this rule existed: a plan comment must not repeat it. A UUID is cut where this
 * rule flags one: on a line that sets an authorization header or API key, or, for a value shown
 * on its own, under such a property (`context`, the value's path: `check.headers.X-Api-Key`).
 */
export function maskCredentials(text: string, context = ""): string {
  // Again until nothing changes: a cut can set a match free that its neighbour hid
  // (`GenieKey <uuid>AKIA…`: the AWS key id starts at a word boundary only once the UUID is cut).
  const authContext = AUTH_LINE_RE.test(context);
  let out = text;
  for (let pass = 0; pass < 4; pass++) {
    const next = maskOnce(out, authContext);
    if (next === out) break;
    out = next;
  }
  return out;
}

function maskOnce(text: string, authContext: boolean): string {
  let out = text;
  for (const p of SECRET_PATTERNS) out = out.replace(p.re, (match) => (p.accept && !p.accept(match) ? match : p.shown(match)));
  if (out.search(UUID_RE) < 0) return out;
  if (authContext) return out.replace(UUID_RE, "<uuid>");
  return out
    .split("\n")
    .map((line) => (AUTH_LINE_RE.test(line) ? line.replace(UUID_RE, "<uuid>") : line))
    .join("\n");
}

/** A UUID on a line that sets an authorization header: OpsGenie keys are UUIDs. */
const UUID_RE = /[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}/g;
const AUTH_LINE_RE = /authorization|api[-_]?key|genie/i;
const WHOLE_UUID_RE = new RegExp(`^${UUID_RE.source}$`);

/**
 * Whether any pattern matches anywhere in the file: running each expression over the file once
 * is far cheaper than over each of its lines, and most files match none. A match within a line is
 * a match within the file (the expressions' edges treat a newline as the line's end), so this
 * never skips a file the line-by-line scan would flag (a property test holds it to that).
 */
const anyMatch = (source: string) => SECRET_PATTERNS.some((p) => source.search(p.re) >= 0) || (AUTH_LINE_RE.test(source) && source.search(UUID_RE) >= 0);

/**
 * No credential-looking literal in a module's source: tokens, webhook URLs, routing keys and
 * private keys belong in `secret("NAME")`. Findings say where and what kind, never the value.
 */
export function noSecretLiterals(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [file, source] of [...ctx.sources].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(...unlessClean(ctx, "no-secret-literals", ctx.hashes?.source(file), () => literalsIn(file, source)));
  }
  return out;
}

export function literalsIn(file: string, source: string): Diagnostic[] {
  return anyMatch(source) ? scanLines(file, source) : [];
}

/** The findings of each line of a file; `literalsIn` runs it only on a file where some pattern matches. */
export function scanLines(file: string, source: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  source.split("\n").forEach((text, i) => {
    const hits: { column: number; what: string; shown: string }[] = [];
    const covered: [number, number][] = [];
    for (const p of SECRET_PATTERNS) {
      for (const m of text.matchAll(p.re)) {
        const start = m.index;
        const end = start + m[0].length;
        if (p.accept && !p.accept(m[0])) continue;
        if (covered.some(([a, b]) => start < b && end > a)) continue;
        covered.push([start, end]);
        hits.push({ column: start + 1, what: p.what, shown: p.shown(m[0]) });
      }
    }
    if (AUTH_LINE_RE.test(text)) {
      for (const m of text.matchAll(UUID_RE)) {
        const start = m.index;
        if (covered.some(([a, b]) => start < b && start + m[0].length > a)) continue;
        hits.push({ column: start + 1, what: "an API key (a UUID in an authorization header)", shown: "<uuid>" });
      }
    }
    for (const hit of hits) {
      out.push(
        diagnostic(
          "error",
          "no-secret-literals",
          `this looks like ${hit.what} (${hit.shown}) written into the source`,
          'move it to a secret: declare its name in watchkeeper.config.ts and use secret("NAME"); then rotate the leaked credential',
          { file, line: i + 1, column: hit.column },
        ),
      );
    }
  });
  return out;
}
