import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Manifest, StatusPageSpec } from "../../sdk/manifest/schema.js";
import { apiAccessOf, navigatedFromAnotherSite, refuse, refuseCrossOrigin, refuseRead, tokenEquals } from "../http/api-auth.js";
import { hostPolicyOf, refuseHost } from "../http/host-check.js";
import { clientAddress, reachedOverHttps } from "../http/http-io.js";
import { sendJson, sendText, SMALL_BODY_BYTES, type Router } from "../http/router.js";
import { hasSession, issueSession, sessionCookie, sessionIssuedAt, sessionsOf, SESSION_TTL_MS } from "../http/session.js";
import { SignedOutSessions, type SignedOutLog } from "../http/signed-out.js";
import type { TokenGuesses } from "../http/token-guesses.js";
import { attemptCounter, rateLimitKey, type SharedAttempts } from "../inbound/rate-limit.js";
import type { Silence, SilenceLog, SilenceRecord, SilenceRecords } from "../notify/silences.js";
import { Silences } from "../notify/silences.js";
import type { Clock } from "../scheduler/clock.js";
import type { ReplicaView } from "../server/status-page.js";
import type { ChangeFeed } from "../store/change-feed.js";
import { readAlertRecord } from "./alert-record.js";
import { renderAlertPage } from "./alert-page.js";
import { ASSET_ETAGS, VIEWS_CSS, VIEWS_JS } from "./assets.js";
import { badge } from "./charts.js";
import { EventHub, type Snapshot } from "./events.js";
import { monitorHistory, percent } from "./history-view.js";
import { badRequestPage, notFoundPage, securityHeaders, sendPage } from "./layout.js";
import { renderClosed, renderLogin, renderReturn, safeNext } from "./login-page.js";
import { STATE_LABEL, CUSTOMER_LABEL, customerState, worstCustomerState, type DisplayState } from "./monitor-state.js";
import { renderMonitorPage } from "./monitor-page.js";
import { OVERVIEW_ROWS_MAX, parseOverviewQuery, renderOverview, renderOverviewRows, stateCounts, type StateCounts } from "./overview.js";
import { pagingPath } from "./describe.js";
import { renderPostmortem } from "./postmortem.js";
import { publicRows, renderPublicStatus, renderStatusIndex } from "./public-status.js";
import { renderSilencesPage } from "./silences-page.js";
import { history, monitorRows, type ViewDeps, type ViewStore } from "./view-model.js";
import { monitorsById } from "../monitors-by-id.js";

export interface ViewRouteDeps {
  manifest: Manifest;
  /** With shared attempts (Redis), the sign-in limit holds across every replica. */
  store: ViewStore & SilenceLog & Partial<SilenceRecords> & Partial<ChangeFeed> & Partial<SharedAttempts> & Partial<SignedOutLog>;
  clock: Clock;
  logger: Logger;
  secret(name: string): string | undefined;
  /**
   * Behind a trusted proxy (WK_TRUST_PROXY=1) the sign-in limit counts the forwarded client's
   * address: counted by the proxy's, ten wrong tokens a minute from anyone would lock every user out.
   */
  trustProxy?: boolean;
  /** Wrong API tokens per client, one count for every route of the runtime (counted with `trustProxy` as its own). */
  tokenGuesses?: TokenGuesses;
  /**
   * Sessions signed out, shared with every route that takes a session; without it the views keep
   * their own over `store` (read from it once, at registration).
   */
  signedOut?: SignedOutSessions;
  /** Monitors that do not run as their spec asks, and why (shown on the overview). */
  monitorNotes?: () => Promise<Map<string, string>>;
  /** Scale-out: the replicas sharing the work (listed on the overview; null when Redis does not answer). */
  replicas?: () => Promise<ReplicaView[]>;
  /** Host names answered beyond IP addresses, localhost, service names and the publicUrl's host (runtime/http/host-check.ts). */
  allowedHosts?: readonly string[];
  /**
   * A clock that never steps (ms), for how old a kept public render is: performance.now, which a
   * wall clock set back cannot make keep a render for good. Tests step it instead of waiting.
   */
  monotonic?: () => number;
  /** Tuning for tests: event stream limits, poll interval (stores without a change feed) and batching. */
  events?: { maxClients?: number; maxPublicClients?: number; pollMs?: number; heartbeatMs?: number; batchMs?: number };
}

/** The views as the runtime holds them: close() ends the event streams at shutdown. */
export interface Views {
  readonly events: EventHub;
  close(): void;
}

type Page = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, signedIn: boolean) => Promise<void> | void;

const LOGIN_ATTEMPTS_PER_MINUTE = 10;
/** How often live views look whether a silence or maintenance window began or ended on its own. */
const SILENCE_BOUNDARY_CHECK_MS = 15_000;
/** How long a rendered public status page is served again (see publicPage). */
const PUBLIC_PAGE_TTL_MS = 5_000;
const UPTIME_WINDOWS: Record<string, keyof Awaited<ReturnType<typeof monitorHistory>>["uptime"]> = { "24h": "d1", "1d": "d1", "7d": "d7", "30d": "d30", "90d": "d90" };
const STATE_COLOR: Record<DisplayState, string> = {
  firing: "#c62828",
  acknowledged: "#6a1b9a",
  erroring: "#b26a00",
  pending: "#b26a00",
  silenced: "#6a1b9a",
  maintenance: "#6a1b9a",
  ok: "#2e7d32",
  "no-data": "#757575",
};

/**
 * The pages people look at (docs/views.md): the team's overview, monitor, alert, postmortem and
 * silences pages behind the API token (a bearer token, or a browser session from /login) unless
 * `runtime.openReads`; public status pages and badges of monitors they name open to anyone.
 */
export function registerViewRoutes(router: Router, o: ViewRouteDeps): Views {
  const signedOut = o.signedOut ?? new SignedOutSessions(o.store, o.logger);
  if (!o.signedOut) void signedOut.refresh(o.clock.now()).catch((err: unknown) => o.logger.warn({ err }, "signed-out sessions could not be read from the store"));
  const access = apiAccessOf(o.manifest, o.secret, () => o.clock.now(), o.tokenGuesses, signedOut);
  // An open stream's credentials, asked again while it runs, are no guess: never counted, never held back.
  const { guesses: _uncounted, ...recheck } = access;
  const d: ViewDeps = { manifest: o.manifest, store: o.store, silences: new Silences(o.store, o.manifest), clock: o.clock, access };
  const monitors = monitorsById(o.manifest);
  const statusPages = new Map((o.manifest.statusPages ?? []).map((p) => [p.id, p]));
  const publicMonitors = new Set([...statusPages.values()].flatMap((p) => p.groups.flatMap((g) => g.monitors)));
  const logins = attemptCounter("login", LOGIN_ATTEMPTS_PER_MINUTE, o.store);
  const title = o.manifest.settings.statusPage.title || o.manifest.project.name;
  // Pages read through a rebound name would be the attacker's to read: refused unless the Host is the runtime's.
  const hosts = hostPolicyOf(o.manifest.settings.publicUrl, o.allowedHosts);
  if (access.openReads) router.guard("host", (req, path) => refuseHost(req, path, hosts));

  const signedIn = (req: IncomingMessage) => {
    const token = access.token();
    return token ? hasSession(req, token, o.clock.now(), signedOut) : false;
  };
  /** An internal page: open reads, a bearer token or a session; else the sign-in form (or "closed"). */
  const guardPage = (handler: Page) => async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => {
    const refused = refuseRead(req, access);
    if (refused === null) return handler(req, res, params, signedIn(req));
    if (refused.status === 403) return sendPage(res, 403, renderClosed());
    if (refused.status === 429) {
      res.setHeader("retry-after", String(Math.ceil((refused.retryAfterMs ?? 60_000) / 1000)));
      return sendPage(res, 429, renderLogin(safeNext(req.url), "Too many wrong tokens from this address; wait a minute."));
    }
    // A link on another site: the browser kept the session cookie back; from the runtime's own page it sends it.
    const path = req.url ?? "/";
    if (safeNext(path) === path && navigatedFromAnotherSite(req, access.publicUrl)) return sendPage(res, 200, renderReturn(path));
    res.writeHead(303, { location: `/login?next=${encodeURIComponent(path)}`, "cache-control": "no-store" }).end();
  };
  const notFound = (res: ServerResponse, what: string, req: IncomingMessage | null) => sendPage(res, 404, notFoundPage(what, req ? signedIn(req) : null));

  router.add("GET", "/assets/views.css", (req, res) => asset(req, res, VIEWS_CSS, "text/css; charset=utf-8", ASSET_ETAGS.css));
  router.add("GET", "/assets/views.js", (req, res) => asset(req, res, VIEWS_JS, "text/javascript; charset=utf-8", ASSET_ETAGS.js));

  router.add("GET", "/favicon.ico", (_req, res) => void res.writeHead(204, { "cache-control": "max-age=86400" }).end());
  const teamIds = new Set(o.manifest.teams.map((t) => t.id));
  router.add("GET", "/", guardPage(async (req, res, _p, s) => {
    const parsed = parseOverviewQuery(new URL(req.url ?? "/", "http://x").searchParams, teamIds);
    if (!parsed.ok) return sendPage(res, 400, badRequestPage(parsed.error, s));
    const notes = o.monitorNotes ? await o.monitorNotes().catch(() => new Map<string, string>()) : new Map<string, string>();
    const replicas = o.replicas ? await o.replicas().catch(() => null) : undefined;
    sendPage(res, 200, await renderOverview(d, s, { notes, replicas, query: parsed.query }));
  }));
  // The live update of an open overview: only the rows of the monitors that changed (docs/views.md).
  router.add("GET", "/overview/rows", guardPage(async (req, res, _p, s) => {
    const params = new URL(req.url ?? "/", "http://x").searchParams;
    const parsed = parseOverviewQuery(params, teamIds);
    if (!parsed.ok) return sendPage(res, 400, badRequestPage(parsed.error, s));
    const ids = (params.get("ids") ?? "").split(",").filter((id) => id !== "");
    if (ids.length === 0 || ids.length > OVERVIEW_ROWS_MAX) return sendPage(res, 400, badRequestPage(`ids must name 1 to ${OVERVIEW_ROWS_MAX} monitors, separated by commas`, s));
    const notes = o.monitorNotes ? await o.monitorNotes().catch(() => new Map<string, string>()) : new Map<string, string>();
    sendPage(res, 200, await renderOverviewRows(d, ids, parsed.query, { notes, counts: liveCounts() }));
  }));
  router.add("GET", "/monitors", (_req, res) => void res.writeHead(302, { location: "/" }).end());
  router.add("GET", "/monitors/:id", guardPage(async (req, res, params, s) => {
    const monitor = monitors.get(params.id!);
    if (!monitor) return notFound(res, `There is no monitor "${params.id}".`, req);
    sendPage(res, 200, await renderMonitorPage(d, monitor, s));
  }));
  router.add("GET", "/alerts/:id", guardPage(async (req, res, params, s) => {
    const record = await readAlertRecord(d, params.id!);
    if (!record) return notFound(res, `There is no alert "${params.id}".`, req);
    sendPage(res, 200, renderAlertPage(record, o.clock.now(), s));
  }));
  router.add("GET", "/alerts/:id/postmortem.md", guardPage(async (req, res, params) => {
    const record = await readAlertRecord(d, params.id!);
    if (!record) return notFound(res, `There is no alert "${params.id}".`, req);
    const now = o.clock.now();
    // Every silence on record, pruned ones included (their records are kept as long as alert history):
    // the draft asks what was in force then. Stored silences without a record (none in SQLite; in
    // Redis, those made before records existed) are still listed.
    const records: SilenceRecord[] = o.store.silenceRecords ? await o.store.silenceRecords(0, Number.MAX_SAFE_INTEGER) : [];
    const recorded = new Set(records.map((r) => r.id));
    const silences: Array<Silence | SilenceRecord> = [
      ...o.manifest.silences.map((s) => ({ id: s.id, kind: s.kind, origin: "manifest" as const, comment: s.comment, createdBy: s.source, startsAt: Date.parse(s.start), endsAt: Date.parse(s.end), matchers: s.matchers })),
      ...records,
      ...(await o.store.currentSilences(0)).filter((s) => !recorded.has(s.id)),
    ];
    const text = renderPostmortem(record, o.manifest, silences, now, o.manifest.settings.publicUrl);
    securityHeaders(res);
    res.setHeader("content-disposition", `inline; filename="postmortem-${record.dedupKey.replace(/[^A-Za-z0-9._-]/g, "_")}.md"`);
    res.setHeader("cache-control", "no-store");
    sendText(res, 200, text, "text/markdown; charset=utf-8");
  }));
  router.add("GET", "/silences", guardPage(async (_req, res, _p, s) => sendPage(res, 200, await renderSilencesPage(d, s, access.token() !== undefined))));

  router.add("GET", "/status", (req, res) => {
    const pages = [...statusPages.values()];
    if (pages.length === 1) return void res.writeHead(302, { location: `/status/${encodeURIComponent(pages[0]!.id)}` }).end();
    sendPage(res, 200, renderStatusIndex(pages, title, refuseRead(req, access) === null ? signedIn(req) : null), "no-cache");
  });
  // A public status page is the one page anyone may ask for as often as they like: each is
  // rendered at most once per PUBLIC_PAGE_TTL_MS, and asks that come while it renders share the
  // render, so a flood of visitors costs renders of one page, not one each (a flood of 200
  // clients once held /healthz for seconds). A change of what the page shows, as the live hub
  // holds it while anyone listens, renders it afresh at the next ask.
  const monotonic = o.monotonic ?? (() => performance.now());
  const publicRenders = new Map<string, { at: number; shows: string | undefined; page: Promise<string> }>();
  const publicPage = (spec: StatusPageSpec): Promise<string> => {
    const shows = events.current()?.snapshot.get(`status:${spec.id}`);
    const now = monotonic();
    const kept = publicRenders.get(spec.id);
    if (kept && now - kept.at < PUBLIC_PAGE_TTL_MS && kept.shows === shows) return kept.page;
    const page = renderPublicStatus(d, spec);
    publicRenders.set(spec.id, { at: now, shows, page });
    page.catch(() => {
      if (publicRenders.get(spec.id)?.page === page) publicRenders.delete(spec.id);
    });
    return page;
  };
  router.add("GET", "/status/:id", async (_req, res, params) => {
    const spec = statusPages.get(params.id!);
    if (!spec) return notFound(res, `There is no status page "${params.id}".`, null);
    sendPage(res, 200, await publicPage(spec), "no-cache");
  });

  // A badge, like a public status page, is asked for by anyone as often as they like (a README on a
  // busy site, a loop of curl): each kind of badge of a monitor is rendered at most once per
  // PUBLIC_PAGE_TTL_MS, and asks that come while it renders share the render. A change of the
  // monitor's state, as the live hub holds it while anyone listens, renders it afresh.
  const badgeRenders = new Map<string, { at: number; shows: string | undefined; svg: Promise<string> }>();
  const renderedBadge = (key: string, monitorId: string, render: () => Promise<string>): Promise<string> => {
    const shows = events.current()?.snapshot.get(monitorId);
    const now = monotonic();
    const kept = badgeRenders.get(key);
    if (kept && now - kept.at < PUBLIC_PAGE_TTL_MS && kept.shows === shows) return kept.svg;
    const svg = render();
    badgeRenders.set(key, { at: now, shows, svg });
    svg.catch(() => {
      if (badgeRenders.get(key)?.svg === svg) badgeRenders.delete(key);
    });
    return svg;
  };
  router.add("GET", "/badge/:file", async (req, res, params) => {
    const file = params.file!;
    const monitor = file.endsWith(".svg") ? monitors.get(file.slice(0, -4)) : undefined;
    if (!monitor) return notFound(res, `There is no badge "${file}".`, null);
    const isPublic = publicMonitors.has(monitor.id);
    const team = refuseRead(req, access) === null;
    // What the team's credentials read must not reach anyone else through a shared cache.
    const cache = access.openReads ? "open" : team ? "team" : "anonymous";
    if (!isPublic && !team) return sendBadge(res, 403, badge(monitor.id, "private", "#757575"), cache);
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    if (query.get("type") === "uptime") {
      const window = query.get("window") ?? "30d";
      // Own keys only: `constructor` or `__proto__` would otherwise name Object's and draw "NaN%".
      const key = Object.hasOwn(UPTIME_WINDOWS, window) ? UPTIME_WINDOWS[window] : undefined;
      if (!key) return sendText(res, 400, `window must be one of ${Object.keys(UPTIME_WINDOWS).join(", ")}\n`);
      const svg = await renderedBadge(`${monitor.id}\nuptime\n${window}`, monitor.id, async () => {
        const h = await monitorHistory(history(d), monitor.id, o.clock.now());
        const value = h.uptime[key];
        const color = value === null ? "#757575" : value >= 0.999 ? "#2e7d32" : value >= 0.99 ? "#9e9d24" : value >= 0.95 ? "#b26a00" : "#c62828";
        return badge(`uptime ${window}`, percent(value), color);
      });
      return sendBadge(res, 200, svg, cache);
    }
    // A public badge says what the public page says; the team's badge says the team's state.
    const audience = isPublic && !team ? "public" : "team";
    const svg = await renderedBadge(`${monitor.id}\nstatus\n${audience}`, monitor.id, async () => {
      const [row] = await monitorRows(d, o.clock.now(), [monitor]);
      if (audience === "public") {
        const state = customerState(row!.display);
        return badge(monitor.name, CUSTOMER_LABEL[state], state === "operational" ? "#2e7d32" : state === "outage" ? "#c62828" : state === "maintenance" ? "#6a1b9a" : "#b26a00");
      }
      return badge(monitor.name, STATE_LABEL[row!.display.state].toLowerCase(), STATE_COLOR[row!.display.state]);
    });
    sendBadge(res, 200, svg, cache);
  });

  // What each monitor's key in the live snapshot says, and the status pages that show each monitor.
  const pagesOf = new Map<string, string[]>();
  for (const spec of statusPages.values()) for (const id of new Set(spec.groups.flatMap((g) => g.monitors))) pagesOf.set(id, [...(pagesOf.get(id) ?? []), spec.id]);
  const groupOf = new Map(o.manifest.monitors.map((m) => {
    const path = pagingPath(o.manifest, m);
    return [m.id, `${path.team?.id ?? ""}/${path.service?.id ?? ""}`];
  }));
  const feed = o.store.watchChanges ? o.store.watchChanges.bind(o.store) : null;
  const events = new EventHub({
    logger: o.logger,
    ...o.events,
    // A team page learns the monitor's list (team/service) and the state it left, to tell whether
    // the change can be applied row by row or moves monitors between its pages.
    describe: (id, value, before) => ({ id, state: value.split("|")[0]!, was: before?.split("|")[0] ?? "", group: groupOf.get(id) ?? "" }),
    snapshot: async (touched) => {
      const now = o.clock.now();
      const snapshot: Snapshot = new Map();
      const only = touched === null ? undefined : touched.map((id) => monitors.get(id)).filter((m) => m !== undefined);
      for (const r of await monitorRows(d, now, only)) snapshot.set(r.monitor.id, `${r.display.state}|${r.display.since ?? ""}|${r.display.detail ?? ""}`);
      const pages = touched === null ? [...statusPages.values()] : [...new Set(touched.flatMap((id) => pagesOf.get(id) ?? []))].map((id) => statusPages.get(id)!);
      for (const spec of pages) {
        const groups = await publicRows(d, spec, now);
        snapshot.set(`status:${spec.id}`, groups.map((g) => `${worstCustomerState(g.rows.map((r) => r.state))}:${g.rows.map((r) => r.state).join(",")}`).join(";"));
      }
      return snapshot;
    },
    ...(feed
      ? {
          watch: async (onChange: (monitors: string[] | null) => void) => {
            const stop = await feed(onChange);
            // A silence starting or ending on its own commits nothing: look at the silences in force now and then.
            let inForce: string | null = null;
            const boundaries = setInterval(() => {
              void d.silences.active(o.clock.now()).then(
                (active) => {
                  const ids = active.map((s) => s.id).sort().join(",");
                  if (inForce !== null && ids !== inForce) onChange(null);
                  inForce = ids;
                },
                () => undefined,
              );
            }, SILENCE_BOUNDARY_CHECK_MS);
            boundaries.unref();
            return () => {
              clearInterval(boundaries);
              stop();
            };
          },
        }
      : {}),
  });
  // Every monitor's state as the live hub holds it (while pages listen), counted once per change.
  let counted: { version: number; counts: StateCounts } | null = null;
  function liveCounts(): StateCounts | null {
    const live = events.current();
    if (live === null) return null;
    if (counted?.version !== live.version) {
      const states: DisplayState[] = [];
      for (const [key, value] of live.snapshot) if (!key.startsWith("status:")) states.push(value.slice(0, value.indexOf("|")) as DisplayState);
      counted = { version: live.version, counts: stateCounts(states) };
    }
    return counted.counts;
  }
  router.add("GET", "/events", (req, res) => {
    const status = new URL(req.url ?? "/", "http://x").searchParams.get("status");
    if (status !== null) {
      if (!statusPages.has(status)) return sendJson(res, 404, { error: `no status page ${status}` });
      return events.open(req, res, `status:${status}`, rateLimitKey(clientAddress(req, o.trustProxy === true)));
    }
    const refused = refuseRead(req, access);
    if (refused) return refuse(res, refused);
    // The same credentials are asked again while the stream is open (a rotated token, an expired session end it).
    events.open(req, res, null, rateLimitKey(clientAddress(req, o.trustProxy === true)), () => refuseRead(req, recheck) === null);
  });

  router.add("GET", "/login", (req, res) => {
    const next = safeNext(new URL(req.url ?? "/", "http://x").searchParams.get("next"));
    // Without a token there is nothing to sign in with: open reads go straight on, closed ones say how to open.
    if (!access.token()) return access.openReads ? void res.writeHead(302, { location: next }).end() : sendPage(res, 403, renderClosed());
    sendPage(res, 200, renderLogin(next, null));
  });
  router.add("POST", "/login", async (req, res, _params, raw) => {
    const token = access.token();
    if (!token) return sendPage(res, 403, renderClosed());
    const crossSite = refuseCrossOrigin(req, access.publicUrl);
    if (crossSite) return sendPage(res, 403, notFoundPage("Sign-in from another site is refused.", null));
    const form = new URLSearchParams(raw.toString("utf8"));
    const next = safeNext(form.get("next"));
    const now = o.clock.now();
    const limited = await logins(rateLimitKey(clientAddress(req, o.trustProxy === true)), now);
    if (limited.kind === "unavailable") {
      // Uncounted guesses would be unlimited: no token is checked while the count cannot be kept.
      o.logger.error({ err: limited.error }, "views sign-in refused: attempts cannot be counted (the store does not answer)");
      return sendPage(res, 503, renderLogin(next, "Sign-in cannot be checked right now; try again in a minute."));
    }
    if (limited.kind === "limited") {
      res.setHeader("retry-after", String(Math.ceil(limited.retryAfterMs / 1000)));
      return sendPage(res, 429, renderLogin(next, "Too many sign-in attempts; wait a minute."));
    }
    if (!tokenEquals(form.get("token") ?? "", token)) {
      o.logger.warn({ remote: req.socket.remoteAddress }, "views sign-in refused: wrong token");
      return sendPage(res, 401, renderLogin(next, "That is not the API token."));
    }
    res.setHeader("set-cookie", sessionCookie(issueSession(token, now), secureRequest(req, access.publicUrl, o.trustProxy === true)));
    res.writeHead(303, { location: next, "cache-control": "no-store" }).end();
  }, { maxBodyBytes: SMALL_BODY_BYTES });
  router.add("POST", "/logout", async (req, res) => {
    // A page on another site must not sign people out (the answer's Set-Cookie would clear the session).
    if (refuseCrossOrigin(req, access.publicUrl)) return sendPage(res, 403, notFoundPage("Signing out from another site is refused.", null));
    res.setHeader("set-cookie", sessionCookie("", secureRequest(req, access.publicUrl, o.trustProxy === true), 0));
    // Clearing the cookie is the browser's part; a copy of it (another browser, a proxy's log) is refused here.
    const token = access.token();
    const now = o.clock.now();
    const sessions = token ? sessionsOf(req, token, now) : [];
    const recorded = await Promise.all(sessions.map((value) => signedOut.signOut(value, sessionIssuedAt(value)! + SESSION_TTL_MS).then(() => true, (err: unknown) => {
      o.logger.error({ err }, "views sign-out not recorded in the store: the session is refused by this replica only");
      return false;
    })));
    if (recorded.includes(false)) return sendPage(res, 503, notFoundPage("Signed out of this browser, but the store did not take the sign-out: a copy of this session may still open the pages on another replica until it expires. Rotate the API token to end every session.", null));
    res.writeHead(303, { location: "/login", "cache-control": "no-store" }).end();
  }, { maxBodyBytes: SMALL_BODY_BYTES });

  return { events, close: () => events.close() };
}

/**
 * Secure cookies when the runtime is reached over https: its public URL says so, the connection is
 * TLS, or the trusted proxy that ended TLS says so (else a session signed in through an ingress
 * without a publicUrl would go in clear text to any http:// link to the same host).
 */
function secureRequest(req: IncomingMessage, publicUrl: string | null, trustProxy: boolean): boolean {
  return (publicUrl ?? "").toLowerCase().startsWith("https://") || reachedOverHttps(req, trustProxy);
}

function asset(req: IncomingMessage, res: ServerResponse, body: string, type: string, etag: string): void {
  res.setHeader("etag", etag);
  res.setHeader("cache-control", "no-cache");
  res.setHeader("x-content-type-options", "nosniff");
  if (req.headers["if-none-match"] === etag) return void res.writeHead(304).end();
  sendText(res, 200, body, type);
}

/**
 * Badges are cached a minute, but what one says can depend on who asks (the team's state, or the
 * customer word, or "private"): unless reads are open, caches must key on the credentials
 * (`Vary`), and an answer read with them is for that browser alone (`private`), so a CDN in front
 * of the runtime never hands the team's badge to the public.
 */
function sendBadge(res: ServerResponse, status: number, svg: string, cache: "open" | "team" | "anonymous"): void {
  res.setHeader("cache-control", cache === "team" ? "private, max-age=60" : "max-age=60");
  if (cache !== "open") res.setHeader("vary", "Authorization, Cookie");
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("content-security-policy", "default-src 'none'");
  sendText(res, status, svg, "image/svg+xml; charset=utf-8");
}
