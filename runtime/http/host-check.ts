import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * DNS rebinding: a page served from a name its owner then re-points at this runtime's address is,
 * to the browser, the same origin as the runtime, so it can read what the runtime answers (the
 * internal views under `runtime.openReads`, the Origin checks pass because Origin matches Host).
 * The browser still sends the attacker's name as Host, so a request naming a host the runtime
 * does not answer to is refused before any route runs (docs/runtime.md "HTTP").
 *
 * Accepted without configuration: IP literals (v4, bracketed v6; what Kubernetes probes and
 * `docker run -p` send), `localhost` and `*.localhost` (browsers resolve these to loopback
 * themselves), single-label names and Kubernetes service names (`*.svc`, `*.svc.cluster.local`),
 * which resolve only in the network's own DNS, where no outside page's owner can point them.
 * Named hosts beyond these: the host of `settings.publicUrl`, and the names listed in `extra`.
 *
 * Only a runtime whose internal views are open to read (`runtime.openReads`) installs the check:
 * otherwise they need the API token or a sign-in, which a browser never sends to a rebound name
 * (a session cookie belongs to the name it was set for), so such a page reads only what is public.
 */
export interface HostPolicy {
  /** Whether a request whose Host (or absolute-form target) names `authority` is answered. */
  accepts(authority: string): boolean;
  /** The named hosts accepted beyond the built-in ones, for the refusal's message. */
  readonly named: readonly string[];
}

/** What a refused request gets: 421 Misdirected Request and what to configure. */
export type HostRefusal = { status: 421; error: string };

/**
 * Paths answered whatever the Host: probes and scrapes (kubelet, Prometheus through a service
 * name or a pod address), heartbeat pings and signed webhooks (machines that may use any name the
 * network gives the runtime; refusing them would lose pings and page someone), and the public
 * status pages with what they load (a status page is often served on a name of its own, such as
 * `status.example.com`). A rebinding page gains nothing on these that a plain cross-site request,
 * or anyone on the internet, does not already have.
 */
const ANY_HOST_PATHS = new Set(["healthz", "readyz", "metrics", "status", "favicon.ico"]);
const ANY_HOST_PREFIXES = new Set(["heartbeat", "webhooks", "status", "assets"]);

/** Host header syntax: a bracketed IPv6 literal or a name without userinfo, path or spaces, and an optional port. */
const AUTHORITY_RE = /^(?:\[[0-9a-f:.]+\]|[^\s@/\\?#[\]:]+)(?::\d{1,5})?$/i;

export function hostPolicyOf(publicUrl: string | null, extra: readonly string[] = []): HostPolicy {
  const named = new Set<string>();
  const publicHost = publicUrl ? hostnameOf(publicUrl, true) : null;
  if (publicHost) named.add(publicHost);
  for (const name of extra) {
    const host = hostnameOf(name, false);
    if (host) named.add(host);
  }
  return {
    named: [...named],
    accepts(authority) {
      if (!AUTHORITY_RE.test(authority)) return false;
      const host = hostnameOf(authority, false);
      return host !== null && (builtIn(host) || named.has(host));
    },
  };
}

/**
 * The refusal for a request to `path` whose Host the policy does not accept, or null. A request
 * without a Host header (HTTP/1.0: no browser sends one) passes; an absolute-form target
 * (`GET http://name/ HTTP/1.1`) is checked as well, since that names the host for HTTP.
 */
export function refuseHost(req: IncomingMessage, path: string, policy: HostPolicy): HostRefusal | null {
  if (answeredForAnyHost(path)) return null;
  const hosts: string[] = [];
  const header = req.headers.host;
  if (header !== undefined) hosts.push(header);
  const target = req.url ?? "/";
  if (!target.startsWith("/") && URL.canParse(target)) hosts.push(new URL(target).host);
  const refused = hosts.find((h) => !policy.accepts(h));
  if (refused === undefined) return null;
  const shown = JSON.stringify(refused.slice(0, 200));
  const configured = policy.named.length > 0 ? `, ${policy.named.join(", ")}` : "";
  return {
    status: 421,
    error:
      `this runtime does not answer to the host ${shown} (a guard against DNS rebinding): reach it by IP address, localhost, ` +
      `a Kubernetes service name (*.svc, *.svc.cluster.local)${configured}, or set settings.publicUrl in watchkeeper.config.ts to the address people use`,
  };
}

/**
 * Whether a page that names its origin (`Origin`) sent this request through a Host the runtime
 * does not answer to. A page on a rebound DNS name is the runtime's own origin to the browser, so
 * the same-origin checks pass; only the Host still names the attacker's name. Requests no page
 * sent (curl, cron jobs) carry no Origin and are never refused here.
 */
export function fromPageOnForeignHost(req: IncomingMessage, policy: HostPolicy): boolean {
  const host = req.headers.host;
  return req.headers.origin !== undefined && host !== undefined && !policy.accepts(host);
}

function answeredForAnyHost(path: string): boolean {
  const [pathname, query = ""] = path.split("#")[0]!.split("?", 2) as [string, string?];
  const segments = pathname.split("/").filter(Boolean);
  if (segments.length === 1 && ANY_HOST_PATHS.has(segments[0]!)) return true;
  // A public status page's live updates (`/events?status=ID`); the team's stream stays behind the check.
  if (segments.length === 1 && segments[0] === "events" && new URLSearchParams(query).has("status")) return true;
  return segments.length > 1 && ANY_HOST_PREFIXES.has(segments[0]!);
}

function builtIn(host: string): boolean {
  if (host.startsWith("[") || isIP(host) === 4) return true;
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (!host.includes(".")) return true;
  return host.endsWith(".svc") || host.endsWith(".svc.cluster.local");
}

/**
 * The host name of an authority (`name:port`) or of a URL, lower-cased, IDNA-encoded and without
 * a trailing dot, as the browser sends it; null when it is not one.
 */
function hostnameOf(text: string, isUrl: boolean): string | null {
  const url = isUrl ? text : `http://${text}`;
  if (!URL.canParse(url)) return null;
  const host = new URL(url).hostname;
  if (host === "") return null;
  return host.endsWith(".") ? host.slice(0, -1) : host;
}
