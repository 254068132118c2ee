import { check, diagnostic, monitor, type MonitorProps } from "watchkeeper";
import { website } from "../../policies/services.js";
import { webTeam } from "../../policies/teams.js";

// The website's endpoints. Each has its own monitor (so a page says which one broke), and one
// site-down monitor that inhibits them all: when everything is down, people get one page, not four.
const HOME = "https://www.example.com/";
const LOGIN = "https://www.example.com/login";
const API_HEALTH = "https://api.example.com/health";

/** Attached to every website page: what DNS answers, how each endpoint answers, how loaded the host is. */
const websiteDiagnostics = [
  diagnostic.dns({ name: "www.example.com", recordType: "A" }),
  diagnostic.httpSweep({ urls: [HOME, LOGIN, API_HEALTH], timeout: "5s" }),
  // The runtime runs on the web host; /proc/loadavg and /proc/meminfo are the host's own.
  diagnostic.hostLoad(),
];

const common: Pick<MonitorProps, "owner" | "service" | "severity" | "failureThreshold" | "successThreshold" | "for" | "diagnostics"> = {
  owner: webTeam,
  service: website,
  severity: "error",
  // Two failures in a row before pending, two passes before resolving: one lost packet is not an incident.
  failureThreshold: 2,
  successThreshold: 2,
  // Endpoint monitors hold a minute more, so when the whole site is down the site-down monitor
  // fires first and mutes them (inhibition only mutes what has not been sent yet).
  for: "1m",
  diagnostics: websiteDiagnostics,
};

/** The home page answers 200 within 2 s and its certificate is good for two more weeks. */
export const websiteHome = monitor({
  ...common,
  id: "website-home",
  name: "Website home page",
  schedule: { every: "30s" },
  check: check.http({
    url: HOME,
    expect: { status: 200, maxLatency: "2s", bodyContains: "<title>", tlsExpiryWithin: "14d" },
  }),
  labels: { team: "web", endpoint: "home" },
  runbook: "https://runbooks.example.com/web/endpoint-down",
});

/** The login page answers 200 within 2 s (a 302 to an error page counts as down). */
export const websiteLogin = monitor({
  ...common,
  id: "website-login",
  name: "Website login",
  schedule: "*/1 * * * *",
  check: check.http({
    url: LOGIN,
    followRedirects: false,
    expect: { status: 200, maxLatency: "2s", tlsExpiryWithin: "14d" },
  }),
  labels: { team: "web", endpoint: "login" },
  runbook: "https://runbooks.example.com/web/login-down",
});

/** The web API's health endpoint reports itself and its database healthy, within 1 s. */
export const websiteApiHealth = monitor({
  ...common,
  id: "website-api-health",
  name: "Website API health",
  schedule: { every: "1m" },
  check: check.http({
    url: API_HEALTH,
    headers: { accept: "application/json" },
    timeout: "5s",
    expect: {
      status: 200,
      maxLatency: "1s",
      headers: { "content-type": "application/json" },
      json: [
        { path: "status", equals: "ok" },
        { path: "checks.database.status", equals: "ok" },
      ],
      tlsExpiryWithin: "14d",
    },
  }),
  labels: { team: "web", endpoint: "api-health" },
  summary: "Website API unhealthy: {{message}}",
  runbook: "https://runbooks.example.com/web/api-health",
});

const ENDPOINTS = [HOME, LOGIN, API_HEALTH];

/**
 * The whole site is down: none of the endpoints answers at all (a 5xx counts as not answering).
 * Critical, and it mutes the per-endpoint monitors while it fires.
 */
export const websiteSiteDown = monitor({
  ...common,
  id: "website-site-down",
  name: "Website down",
  description: "No endpoint of www.example.com answers.",
  schedule: { every: "30s" },
  check: check.script({
    timeout: "15s",
    run: async ({ signal }) => {
      const answers = await Promise.all(
        ENDPOINTS.map(async (url) => {
          try {
            const res = await fetch(url, { method: "HEAD", redirect: "manual", signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) });
            return res.status < 500;
          } catch {
            return false;
          }
        }),
      );
      const up = answers.filter(Boolean).length;
      return { ok: up > 0, value: up, message: `${up} of ${ENDPOINTS.length} endpoints answer` };
    },
  }),
  severity: "critical",
  for: "0s",
  inhibits: [websiteHome, websiteLogin, websiteApiHealth],
  // Keep paging every 30 minutes while nobody has acknowledged.
  repeatEvery: "30m",
  labels: { team: "web", endpoint: "all" },
  summary: "www.example.com is DOWN: {{message}}",
  runbook: "https://runbooks.example.com/web/site-down",
});
