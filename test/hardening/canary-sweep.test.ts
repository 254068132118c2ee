import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uptimeWebhookHandler } from "../../runtime/inbound/uptime-webhook.js";
import { redactThenShorten } from "../../runtime/text/redact.js";
import { canonicalJson, sealManifest, type Manifest, type MonitorSpec } from "../../sdk/manifest/index.js";
import { testChannel, testManifest, testMonitor, testService } from "../delivery/support/manifest.js";
import { ensureBuild, kill, ROOT, startRun, writeArtifact, type RunProcess } from "../delivery/support/process.js";

/**
 * A canary sweep over the real runtime process: every kind of secret holds a distinct canary, every
 * outbound path fails in a way that echoes what it was sent (4xx/5xx answers that echo the request,
 * redirects, TLS errors, an SMTP server that rejects AUTH with the credentials, a Prometheus error
 * that echoes the query and headers, a failing incident lookup, a Redis that echoes its commands),
 * and then everything observable is searched for every canary in every encoding: logs (JSON and
 * pretty), the API, pages, metrics, health, the state database's text and the manifest.
 */

const core = () => randomBytes(6).toString("hex");

/** A canary: a distinctive hex core inside characters that change under URL and JSON encoding. */
function canary(name: string, plain = false): { name: string; value: string; core: string } {
  const c = core();
  return { name, core: c, value: plain ? `cn${name}${c}` : `cn-${name}-${c}+a/b=c&d"e\\f` };
}

/** A canary as long as a PagerDuty routing key (32 characters): the runtime holds back a key of any other length. */
function routingKeyCanary(name: string): { name: string; value: string; core: string } {
  const c = canary(name);
  const value = `${c.value}${"x".repeat(32)}`.slice(0, 32);
  if (!value.includes(c.core)) throw new Error(`canary name ${name} is too long for a routing key`);
  return { ...c, value };
}

// Secrets that are whole values (headers, tokens, passwords).
const API_TOKEN = canary("apitoken");
const PD_WEBHOOK = canary("pdwebhook");
const SVC_KEY = routingKeyCanary("svckey");
const FILE_KEY = canary("filekey", true);
const PD_CHAN_KEY = routingKeyCanary("pdchankey");
const PDI_TOKEN = canary("pditoken");
const GENIE = canary("geniekey");
const HOOK_HEADER = canary("hookheader");
const HOOK_HMAC = canary("hookhmac");
const SMTP_USER = canary("smtpuser", true);
const SMTP_PASS = canary("smtppass");
const CHK_AUTH = canary("chkauth");
const CHK_KEY = canary("chkkey");
const WIN_AUTH = canary("winauth");
const PROM_AUTH = canary("promauth");
const UPTIME_TOKEN = canary("uptimetoken", true);
const MANUAL_PASS = canary("manualpass");
// Pieces of URL secrets (URL-safe, since they sit in paths, userinfo and queries).
const SLACK_PATH = canary("slackpath", true);
const HOOK_PATH = canary("hookpath", true);
const HOOK_USERPASS = canary("hookpass", true);
const HOOK_QUERY = canary("hookquery", true);
const TLS_HOOK_PATH = canary("tlshookpath", true);
const REDIS_PASS = canary("redispass", true);
// URL credentials written into check URLs (the monitor's own text, so the manifest holds them).
const CHK_URLPASS = canary("chkurlpass", true);
const TLS_URLPASS = canary("tlsurlpass", true);
const PROM_URLPASS = canary("promurlpass", true);

const ALL = [
  API_TOKEN, PD_WEBHOOK, SVC_KEY, FILE_KEY, PD_CHAN_KEY, PDI_TOKEN, GENIE, HOOK_HEADER, HOOK_HMAC, SMTP_USER, SMTP_PASS, CHK_AUTH,
  CHK_KEY, WIN_AUTH, PROM_AUTH, UPTIME_TOKEN, MANUAL_PASS, SLACK_PATH, HOOK_PATH, HOOK_USERPASS, HOOK_QUERY, TLS_HOOK_PATH, REDIS_PASS,
  CHK_URLPASS, TLS_URLPASS, PROM_URLPASS,
];
/** Canaries the monitor's author wrote into the manifest themselves (URL credentials of checks). */
const IN_MANIFEST_BY_AUTHOR = new Set([CHK_URLPASS, TLS_URLPASS, PROM_URLPASS]);

/** Every form a canary could take in text: raw, URL-encoded, JSON-escaped, its core, base64 of basic auth. */
function forms(c: { value: string; core: string }, users: string[] = []): string[] {
  const out = new Set([c.value, encodeURIComponent(c.value), JSON.stringify(c.value).slice(1, -1), c.core, Buffer.from(c.value).toString("base64")]);
  for (const user of users) out.add(Buffer.from(`${user}:${c.value}`).toString("base64"));
  return [...out];
}

const BASIC_USERS: Record<string, string[]> = { [CHK_URLPASS.name]: ["chkuser"], [PROM_URLPASS.name]: ["promuser"], [HOOK_USERPASS.name]: ["hookuser"], [TLS_URLPASS.name]: ["tlsuser"] };

function leaks(where: string, text: string, except: Set<{ name: string }> = new Set()): string[] {
  const found: string[] = [];
  for (const c of ALL) {
    if (except.has(c)) continue;
    for (const form of forms(c, BASIC_USERS[c.name] ?? [])) {
      const at = text.indexOf(form);
      if (at >= 0) found.push(`${where}: ${c.name} (${form === c.value ? "raw" : form === c.core ? "core" : "encoded"}) in …${text.slice(Math.max(0, at - 80), at + form.length + 40)}…`);
    }
  }
  return found;
}

/** Everything a request carried, as text. */
async function echoOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return `${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${Buffer.concat(chunks).toString()}`;
}

/** Requests the echo server saw, as "METHOD /first-segment", so the sweep can show it reached every path. */
const seen = new Set<string>();
/** Whether the plain check target answers 200 (to resolve its alert, which makes the incident lookup run). */
let targetHealthy = false;

/** One server for every vendor and target; each answers a failure that echoes the request. */
function echoServer(): Server {
  return createHttpServer((req, res) => {
    void echoOf(req).then((echo) => {
      const url = req.url ?? "/";
      seen.add(`${req.method} /${url.split(/[/?]/)[1] ?? ""}${url.startsWith("/pdi/incidents?") ? "?" : ""}`);
      if (targetHealthy && url.startsWith("/check")) return void res.writeHead(200).end("ok");
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
      const h = (s: string) => s.replace(/[^\x20-\x7e]/g, "?").slice(0, 4000);
      if (url.startsWith("/pdi/incidents") && req.method === "POST") {
        return json(400, { error: { message: "Open incident with matching dedup key already exists on this service", code: 2001, errors: [echo] } });
      }
      if (url.startsWith("/pdi/incidents")) return json(500, { error: { message: `lookup failed: ${echo}` } }, { "x-echo": h(echo) });
      if (url.startsWith("/slack/")) {
        res.writeHead(302, { location: `http://127.0.0.1:1${url}`, "x-echo": h(echo) }).end(`moved: ${echo}`);
        return;
      }
      if (url.startsWith("/prom/")) {
        return json(400, { status: "error", errorType: "bad_data", error: `cannot parse query: ${echo}` }, { "x-echo": h(echo) });
      }
      if (url.startsWith("/redirect")) {
        res.writeHead(302, { location: `/landing?echo=${encodeURIComponent(echo)}`, "x-echo": h(echo) }).end(echo);
        return;
      }
      if (url.startsWith("/ok-echo")) {
        // The credentials first, so the 80-character quote of a failed expectation holds them whole.
        const creds = `${req.headers["authorization"] ?? ""} ${req.headers["x-api-key"] ?? ""} ${echo}`;
        return json(200, { status: creds, token: creds }, { "x-echo": h(creds) });
      }
      if (url.startsWith("/og/")) return json(403, { message: `Key is invalid: ${echo}`, took: 0.001, requestId: "r" }, { "x-echo": h(echo) });
      if (url.startsWith("/pd/") || url.startsWith("/pdc/")) return json(url.startsWith("/pd/") ? 500 : 400, { status: "invalid event", message: "Event object is invalid", errors: [echo] });
      // Check targets and the generic webhook: a 500 whose body and headers echo the request.
      res.writeHead(500, { "content-type": "text/plain", "x-echo": h(echo) }).end(echo);
    });
  });
}

/** An SMTP server that refuses AUTH and echoes the credentials it was given. */
let smtpAuths = 0;
function smtpEcho(): SMTPServer {
  return new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    logger: false,
    onAuth: (a, _s, cb) => (smtpAuths++, cb)(Object.assign(new Error(`Invalid login ${a.username} / ${a.password}`), { responseCode: 535 })),
  });
}

/** A "Redis" that answers every command with an error echoing the command (AUTH and its password). */
function redisEcho(): TcpServer {
  return createTcpServer((socket) => {
    socket.on("data", (d: Buffer) => socket.write(`-ERR unknown command ${d.toString().replace(/\r\n/g, " ")}\r\n`));
    socket.on("error", () => {});
  });
}

const portOf = (s: { address(): unknown }) => (s.address() as { port: number }).port;

describe("canary sweep: no secret reaches any output of a runtime whose every path fails", () => {
  let dir = "";
  let echo: Server;
  let smtp: SMTPServer;
  let redis: TcpServer;
  let base = "";
  let smtpPort = 0;
  let redisPort = 0;
  const runs: RunProcess[] = [];

  beforeAll(async () => {
    ensureBuild();
    echo = echoServer();
    smtp = smtpEcho();
    redis = redisEcho();
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => redis.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${portOf(echo)}`;
    smtpPort = portOf(smtp.server);
    redisPort = portOf(redis);
    dir = await mkdtemp(join(tmpdir(), "wk-canary-"));
  }, 180_000);

  afterAll(async () => {
    for (const r of runs) await kill(r, "SIGKILL");
    echo?.closeAllConnections();
    await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    await new Promise<void>((r) => (redis ? redis.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function manifest() {
    const hp = base.replace("http://", "");
    const http = (id: string, url: string, headers: Record<string, unknown>, extra: Partial<MonitorSpec> = {}, followRedirects = false) => {
      const b = testMonitor(id);
      return testMonitor(id, {
        schedule: { kind: "every", every: "1s" },
        check: { ...(b.check as Extract<MonitorSpec["check"], { kind: "http" }>), url, headers, timeout: "2s", followRedirects } as MonitorSpec["check"],
        summary: "{{name}}: {{message}}",
        ...extra,
      });
    };
    const everyChannel = ["pd-chan", "pdi", "og", "slack", "hook", "hook-tls", "mail"];
    const monitors: MonitorSpec[] = [
      http("chk-http", `http://chkuser:${CHK_URLPASS.value}@${hp}/check?api_key=${CHK_URLPASS.value}`, { authorization: { secret: "CHK_AUTH" }, "x-api-key": { secret: "CHK_KEY" } }, { service: "svc-secret", channels: everyChannel }),
      testMonitor("chk-body", {
        schedule: { kind: "every", every: "1s" },
        check: {
          ...(http("x", base, {}).check as Extract<MonitorSpec["check"], { kind: "http" }>),
          url: `${base}/ok-echo`,
          headers: { authorization: { secret: "CHK_AUTH" }, "x-api-key": { secret: "CHK_KEY" } },
          // Every expectation fails on the echo, so each failure line quotes what was echoed.
          expect: { status: [], maxLatency: null, headers: { "x-echo": "fine" }, json: [{ path: "token", equals: "fine" }], bodyContains: "healthy", tlsExpiryWithin: null },
        },
        summary: "{{name}}: {{message}}",
      }),
      http("chk-redirect", `${base}/redirect`, { authorization: { secret: "CHK_AUTH" } }, { service: "svc-file" }, true),
      http("chk-redirect-stop", `${base}/redirect`, { "x-api-key": { secret: "CHK_KEY" } }),
      http("chk-tls", `https://tlsuser:${TLS_URLPASS.value}@${hp}/tls`, { authorization: { secret: "CHK_AUTH" } }),
      testMonitor("chk-window", {
        schedule: { kind: "every", every: "1s" },
        check: { kind: "httpWindow", url: `${base}/window?from={{from}}&to={{to}}`, method: "GET", headers: { authorization: { secret: "WIN_AUTH" } }, body: null, window: "10m", timeFormat: "iso", extract: "value", timeout: "2s" },
        summary: "{{name}}: {{message}}",
      }),
      testMonitor("chk-prom", {
        schedule: { kind: "every", every: "1s" },
        check: { kind: "prometheus", server: `http://promuser:${PROM_URLPASS.value}@${hp}/prom/`, query: "up == 0", headers: { authorization: { secret: "PROM_AUTH" } }, timeout: "2s" },
        summary: "{{name}}: {{message}}",
      }),
      testMonitor("uptime-in", { check: { kind: "webhook", format: "generic", token: { secret: "UPTIME_TOKEN" } } }),
      testMonitor("manual-in", { check: { kind: "manual", password: { secret: "MANUAL_PASS" }, title: "Report an outage" }, channels: ["pdi"] }),
    ];
    const channels = [
      testChannel("pd-chan", "pagerduty", { routingKey: { secret: "PD_CHAN_KEY" }, baseUrl: `${base}/pdc` }),
      testChannel("pdi", "pagerdutyIncident", { token: { secret: "PDI_TOKEN" }, from: "ops@example.com", service: "PSVC123", urgency: "high", baseUrl: `${base}/pdi` }),
      testChannel("og", "opsgenie", { apiKey: { secret: "GENIE_KEY" }, region: "us", responders: [], tags: [], baseUrl: `${base}/og` }),
      testChannel("slack", "slack", { webhookUrl: { secret: "SLACK_URL" }, channel: null }),
      testChannel("hook", "webhook", { url: { secret: "HOOK_URL" }, headers: { "x-api-key": { secret: "HOOK_HEADER" } }, hmacSecret: { secret: "HOOK_HMAC" } }),
      testChannel("hook-tls", "webhook", { url: { secret: "TLS_HOOK_URL" }, headers: {}, hmacSecret: null }),
      testChannel("mail", "email", { smtp: { host: "127.0.0.1", port: smtpPort, secure: false, user: { secret: "SMTP_USER" }, password: { secret: "SMTP_PASS" } }, from: "wk@example.com", to: ["ops@example.com"] }),
    ];
    return testManifest({
      monitors,
      channels,
      services: [testService("svc-secret", { routingKey: { secret: "SVC_KEY" } }), testService("svc-file")],
      secrets: ["SVC_KEY", "PD_CHAN_KEY", "PDI_TOKEN", "GENIE_KEY", "SLACK_URL", "HOOK_URL", "TLS_HOOK_URL", "HOOK_HEADER", "HOOK_HMAC", "SMTP_USER", "SMTP_PASS", "CHK_AUTH", "CHK_KEY", "WIN_AUTH", "PROM_AUTH", "UPTIME_TOKEN", "MANUAL_PASS"],
    });
  }

  it("finds no canary in logs, API, pages, metrics, health, the state database or the manifest", async () => {
    const artifact = join(dir, "artifact");
    const state = join(dir, "state");
    const secretsDir = join(dir, "secrets");
    await mkdir(secretsDir, { recursive: true });
    await writeArtifact(artifact, manifest());
    // Half the secrets come from files in WK_SECRETS_DIR, half from the environment.
    const fileSecrets: Record<string, string> = {
      PDI_TOKEN: PDI_TOKEN.value,
      GENIE_KEY: GENIE.value,
      SLACK_URL: `http://127.0.0.1:${portOf(echo)}/slack/services/T000/B000/${SLACK_PATH.value}`,
      HOOK_HMAC: HOOK_HMAC.value,
      SMTP_PASS: SMTP_PASS.value,
      PROM_AUTH: PROM_AUTH.value,
      MANUAL_PASS: MANUAL_PASS.value,
      PAGERDUTY_WEBHOOK_SECRET: PD_WEBHOOK.value,
    };
    for (const [name, value] of Object.entries(fileSecrets)) await writeFile(join(secretsDir, name), value);
    const routingKeysFile = join(dir, "routing-keys.json");
    await writeFile(routingKeysFile, JSON.stringify({ "svc-file": FILE_KEY.value }));
    const env: Record<string, string> = {
      WK_SECRETS_DIR: secretsDir,
      WK_ROUTING_KEYS_FILE: routingKeysFile,
      WK_PAGERDUTY_EVENTS_URL: `${base}/pd`,
      WATCHKEEPER_API_TOKEN: API_TOKEN.value,
      SVC_KEY: SVC_KEY.value,
      PD_CHAN_KEY: PD_CHAN_KEY.value,
      HOOK_URL: `http://hookuser:${HOOK_USERPASS.value}@127.0.0.1:${portOf(echo)}/hook/${HOOK_PATH.value}?token=${HOOK_QUERY.value}`,
      TLS_HOOK_URL: `https://127.0.0.1:${portOf(echo)}/hooktls/${TLS_HOOK_PATH.value}`,
      HOOK_HEADER: HOOK_HEADER.value,
      SMTP_USER: SMTP_USER.value,
      CHK_AUTH: CHK_AUTH.value,
      CHK_KEY: CHK_KEY.value,
      WIN_AUTH: WIN_AUTH.value,
      UPTIME_TOKEN: UPTIME_TOKEN.value,
    };
    const haystacks: Record<string, string> = {};

    // JSON logs first, then pretty logs on the same state.
    const run = await startRun(artifact, state, { ...env, WK_LOG_FORMAT: "json", WK_LOG_LEVEL: "debug" });
    runs.push(run);
    const auth = { authorization: `Bearer ${API_TOKEN.value}` };
    // Requests that carry secrets themselves: an uptime webhook with the token in the query, a
    // PagerDuty webhook with a bad signature, a wrong token that holds a canary, paths holding canaries.
    await fetch(`${run.url}/webhooks/uptime/uptime-in?token=${encodeURIComponent(UPTIME_TOKEN.value)}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ up: false, message: `down ${UPTIME_TOKEN.value}` }) });
    await fetch(`${run.url}/webhooks/pagerduty`, { method: "POST", headers: { "content-type": "application/json", "x-pagerduty-signature": `v1=${PD_WEBHOOK.core}` }, body: JSON.stringify({ event: { id: PD_WEBHOOK.value } }) });
    await fetch(`${run.url}/api/monitors/${encodeURIComponent(API_TOKEN.value)}`, { headers: auth });
    await fetch(`${run.url}/monitors/${encodeURIComponent(SVC_KEY.value)}`, { headers: auth });

    // Let every check fail and every delivery fail at least once (the first retries wait 1-2 s).
    const deadline = Date.now() + 12_000;
    const db = join(state, "state.db");
    const attempted = () => {
      try {
        return execFileSync("sqlite3", [db, "SELECT COUNT(DISTINCT destination) FROM delivery_attempts"], { encoding: "utf8" }).trim();
      } catch {
        return "0";
      }
    };
    while (Date.now() < deadline && Number(attempted()) < 8) await new Promise((r) => setTimeout(r, 500));
    // Recovery: the resolves go out, and the incident channel, which never learned its incident's
    // id, looks it up with GET /incidents, which fails with an echo.
    targetHealthy = true;
    const lookupDeadline = Date.now() + 10_000;
    while (Date.now() < lookupDeadline && !seen.has("GET /pdi?")) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, 500));

    const get = async (path: string, headers: Record<string, string> = auth) => {
      // The event stream never ends: read what arrives within a moment.
      const signal = AbortSignal.timeout(path === "/events" ? 1_000 : 5_000);
      try {
        const res = await fetch(`${run.url}${path}`, { headers, redirect: "manual", signal });
        let text = "";
        try {
          for await (const chunk of res.body ?? []) text += Buffer.from(chunk as Uint8Array).toString();
        } catch {
          // cut off by the timeout; what arrived is kept
        }
        return `${res.status} ${JSON.stringify([...res.headers])}\n${text}`;
      } catch {
        return "";
      }
    };
    const paths = [
      "/api/monitors", "/api/alerts?all=1", "/api/deliveries", "/api/silences", "/metrics", "/readyz", "/healthz", "/", "/monitors", "/status", "/silences", "/events", "/overview/rows", "/big",
      ...["chk-http", "chk-body", "chk-redirect", "chk-redirect-stop", "chk-tls", "chk-window", "chk-prom", "uptime-in"].flatMap((id) => [
        `/api/monitors/${id}`, `/monitors/${id}`, `/alerts/wk-${id}`, `/alerts/wk-${id}/postmortem.md`, `/api/deliveries?dedupKey=wk-${id}`, `/badge/${id}.svg`,
      ]),
    ];
    await Promise.all(paths.map(async (path) => {
      haystacks[`GET ${path}`] = await get(path);
      haystacks[`GET ${path} (no token)`] = await get(path, {});
    }));
    await kill(run, "SIGTERM");
    haystacks["json logs"] = run.output();

    const pretty = await startRun(artifact, state, { ...env, WK_LOG_FORMAT: "pretty" });
    runs.push(pretty);
    await new Promise((r) => setTimeout(r, 2_500));
    await fetch(`${pretty.url}/api/monitors/${encodeURIComponent(API_TOKEN.value)}`, { headers: auth });
    await kill(pretty, "SIGTERM");
    haystacks["pretty logs"] = pretty.output();

    // A replica whose Redis echoes its commands, and one whose Redis is not there.
    for (const [label, port] of [["echoing Redis", redisPort], ["absent Redis", 1]] as const) {
      const out = await runWithRedis(artifact, join(dir, `state-${port}`), { ...env, WATCHKEEPER_REDIS_URL: `redis://default:${REDIS_PASS.value}@127.0.0.1:${port}/0` }, 5_000);
      haystacks[`run with ${label}`] = out;
    }

    haystacks["state.db dump"] = execFileSync("sqlite3", [db, ".dump"], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const manifestText = await readFile(join(artifact, "manifest.json"), "utf8");

    // The sweep saw what it meant to: deliveries were attempted and failed, checks erred.
    expect(haystacks["state.db dump"]).toContain("delivery_attempts");
    expect(Number(attempted())).toBeGreaterThanOrEqual(8);
    for (const path of ["GET /check", "GET /ok-echo", "GET /redirect", "GET /landing", "GET /window", "POST /prom", "POST /pd", "POST /pdc", "POST /pdi", "GET /pdi?", "POST /og", "POST /slack", "POST /hook"]) {
      expect(seen, `the sweep never reached ${path}`).toContain(path);
    }
    expect(smtpAuths).toBeGreaterThan(0);
    expect(haystacks["state.db dump"]).toMatch(/finding the open PagerDuty incident/);

    const found = Object.entries(haystacks).flatMap(([where, text]) => leaks(where, text));
    found.push(...leaks("manifest.json", manifestText, IN_MANIFEST_BY_AUTHOR));
    expect(found, found.join("\n\n")).toEqual([]);
  }, 90_000);

  /** Starts a replica on a Redis URL and returns what it printed within `ms` (or until it exited). */
  async function runWithRedis(artifact: string, state: string, env: Record<string, string>, ms: number): Promise<string> {
    await mkdir(state, { recursive: true });
    const proc = spawn(process.execPath, [join(ROOT, "bin/watchkeeper.js"), "run", "--artifact", artifact, "--state", state, "--port", "0", "--host", "127.0.0.1"], {
      cwd: state,
      env: { ...process.env, WK_SPREAD: "0s", WK_LOG_LEVEL: "debug", WK_LOG_FORMAT: "json", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    await Promise.race([exited, new Promise((r) => setTimeout(r, ms))]);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await exited;
    }
    return out;
  }
});


describe("canary sweep findings, one by one", () => {
  it("a vendor answer that holds the refused request as a string inside its JSON loses the secret", () => {
    const secret = `rk-${core()}+a/b=c&d"e\\f`;
    const request = JSON.stringify({ routing_key: secret, event_action: "trigger" });
    // The vendor's error holds the request body as a string: the secret is JSON-escaped twice.
    const answer = JSON.stringify({ status: "invalid event", errors: [`bad request: ${request}`] });
    // And a log line or API answer holding that answer escapes it a third time.
    for (const text of [answer, JSON.stringify({ answer })]) {
      const clean = redactThenShorten(text, 2000, [secret]);
      expect(clean).not.toContain(secret.slice(3, 15));
      expect(clean).toContain("[redacted]");
    }
  });

  it("an uptime report's message is stored without any declared secret", async () => {
    const token = `tok-${core()}`;
    const other = `other-${core()}`;
    const values: Record<string, string> = { UPTIME_TOKEN: token, OTHER: other };
    const stored: { message: string }[] = [];
    const monitor = testMonitor("uptime-in", { check: { kind: "webhook", format: "generic", token: { secret: "UPTIME_TOKEN" } } });
    const handler = uptimeWebhookHandler({
      manifest: testManifest({ monitors: [monitor], secrets: ["UPTIME_TOKEN", "OTHER"] }),
      inbound: { recordUptimeReport: (_id: string, report: { message: string }) => void stored.push(report) } as never,
      secret: (name) => values[name],
      secretValues: () => Object.values(values),
      logger: { warn() {} } as never,
      clock: () => 0,
      maxAgeMs: 600_000,
    });
    const req = { headers: { "x-watchkeeper-token": token }, url: "/webhooks/uptime/uptime-in", socket: {} } as unknown as IncomingMessage;
    const res = { writeHead: () => res, end: () => res } as unknown as ServerResponse;
    await handler(req, res, { monitor: "uptime-in" }, Buffer.from(JSON.stringify({ up: false, message: `down: GET https://x.example/?key=${other} with ${token}` })));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.message).not.toContain(token);
    expect(stored[0]!.message).not.toContain(other);
  });
});

describe("canary sweep: wk compile and wk plan of this repository's project", () => {
  it("print and write no canary, whatever format", async () => {
    ensureBuild();
    const work = await mkdtemp(join(tmpdir(), "wk-canary-plan-"));
    try {
      const wk = (args: string[], env: Record<string, string>) => {
        try {
          return execFileSync(process.execPath, [join(ROOT, "bin/watchkeeper.js"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, WK_CACHE_DIR: join(work, "cache"), ...env }, stdio: ["ignore", "pipe", "pipe"] });
        } catch (error) {
          const e = error as { stdout?: string; stderr?: string; status?: number };
          throw new Error(`wk ${args[0]} exited ${e.status}:\n${e.stdout}\n${e.stderr}`);
        }
      };
      wk(["compile", "--project", ".", "--out", join(work, "first")], {});
      const declared = (JSON.parse(await readFile(join(work, "first", "manifest.json"), "utf8")) as Manifest).secrets;
      expect(declared.length).toBeGreaterThan(0);
      const canaries = [...declared, "WATCHKEEPER_API_TOKEN", "PAGERDUTY_WEBHOOK_SECRET", "PAGERDUTY_TOKEN"].map((name) => ({ ...canary(name.toLowerCase()), name }));
      const env = Object.fromEntries(canaries.map((c) => [c.name, c.value]));
      const outputs: Record<string, string> = { compile: wk(["compile", "--project", ".", "--out", join(work, "artifact")], env) };
      const built = JSON.parse(await readFile(join(work, "artifact", "manifest.json"), "utf8")) as Manifest;
      outputs["manifest.json"] = await readFile(join(work, "artifact", "manifest.json"), "utf8");
      // Against an empty base, every monitor, channel and PagerDuty resource is new: the whole plan is printed.
      const { hash: _hash, ...rest } = built;
      const empty = { ...rest, monitors: [], channels: [], services: [], escalationPolicies: [], schedules: [], teams: [], users: [], silences: [] };
      await writeFile(join(work, "base.json"), canonicalJson(sealManifest(empty as Omit<Manifest, "hash">)));
      for (const format of ["text", "markdown", "json"]) {
        outputs[`plan ${format}`] = wk(["plan", "--project", ".", "--base-manifest", join(work, "base.json"), "--format", format, "--out", join(work, `plan-${format}.json`)], env);
        outputs[`plan ${format} document`] = await readFile(join(work, `plan-${format}.json`), "utf8");
      }
      expect(outputs["plan text"]).toMatch(/to add/);
      const found: string[] = [];
      for (const [where, text] of Object.entries(outputs)) {
        for (const c of canaries) for (const form of forms(c)) if (text.includes(form)) found.push(`${where}: ${c.name}`);
      }
      expect(found).toEqual([]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);
});
