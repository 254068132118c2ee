import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";

/** Fixed, printed, so a failure replays exactly: `WK_FUZZ_SEED=... npx vitest run test/hardening/http-fuzz.test.ts`. */
const SEED = Number(process.env["WK_FUZZ_SEED"] ?? 20_260_301);
const RUNS = Number(process.env["WK_FUZZ_RUNS"] ?? 400);
const API_TOKEN = "fuzz-api-token-0001";

/** Every route the runtime registers, with `:param` to be filled with whatever the generator picks. */
const ROUTES = [
  "/",
  "/healthz",
  "/readyz",
  "/metrics",
  "/api/monitors",
  "/api/monitors/:id",
  "/api/alerts",
  "/api/silences",
  "/api/silences/:id",
  "/api/deliveries",
  "/heartbeat/:id",
  "/webhooks/pagerduty",
  "/webhooks/uptime/:monitor",
  "/emergency",
  // The pages (docs/views.md); /events is left out: with the token it is a stream that never ends.
  "/monitors/:id",
  "/alerts/:id",
  "/alerts/:id/postmortem.md",
  "/overview/rows",
  "/silences",
  "/status",
  "/status/:id",
  "/badge/:id",
  "/login",
  "/logout",
];
const IDS = ["site", "cron-job", "uptime", "panic", "api-00000000-0000-0000-0000-000000000000"];

const bytes = (text: string) => Buffer.from(text, "latin1");
const raw = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));
/** Percent sequences that are not UTF-8, truncated, or control characters. */
const badPercent = fc.constantFrom("%", "%f", "%ff", "%FF%FE", "%C3%28", "%E0%A4%A", "%ED%A0%80", "%00", "%zz", "%%", "%2F..%2F", "%c0%af");

const param = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...IDS).map(bytes) },
  { weight: 2, arbitrary: badPercent.map(bytes) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...IDS), badPercent).map(([a, b]) => bytes(a + b)) },
  { weight: 1, arbitrary: raw.map((b) => Buffer.from(b.filter((x) => x > 0x20 && x !== 0x7f))) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map((s) => Buffer.from(encodeURIComponent(s), "utf8")) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => bytes("a".repeat(n))) },
);

const query = fc.oneof(
  fc.constant(bytes("")),
  fc.constantFrom("?all=1", "?token=wrong", `?token=${API_TOKEN}`, "?dedupKey=%ff", "?a=%E0%A4%A", "?expiredBy=ada", "?#frag", "?x=1&x=2;y", "#%ff").map(bytes),
  fc.string({ maxLength: 30 }).map((s) => Buffer.from(`?${s}`, "utf8")),
);

const target = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), param, param, query).map(([route, p1, p2, q]) => {
      const parts = route.split(/(:\w+)/);
      let used = 0;
      const out = parts.map((part) => (part.startsWith(":") ? (used++ === 0 ? p1 : p2) : bytes(part)));
      return Buffer.concat([...out, q]);
    }) },
  { weight: 1, arbitrary: fc.constantFrom("*", "http://127.0.0.1/healthz", "http://[::1", "//evil.example/x", "/../../etc/passwd", "/%", "/api//silences", "/api/silences/").map(bytes) },
  { weight: 1, arbitrary: fc.tuple(fc.constant(bytes("/")), raw).map(([a, b]) => Buffer.concat([a, Buffer.from(b.filter((x) => x > 0x20))])) },
);

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("GET", "POST", "DELETE", "HEAD", "PUT", "OPTIONS", "PATCH") },
  { weight: 1, arbitrary: fc.constantFrom("CONNECT", "TRACE", "PROPFIND", "get", "G\u00c9T", "") },
);

const header = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(
    "content-type: application/json",
    "content-type: application/json; charset=latin1",
    "content-type: application/x-www-form-urlencoded",
    "content-type: text/plain",
    "content-type: \u00ff\u00fe",
    `authorization: Bearer ${API_TOKEN}`,
    "authorization: Bearer wrong",
    "authorization: Bearer",
    "authorization: Basic Og==",
    "origin: https://evil.example",
    "origin: null",
    "sec-fetch-site: cross-site",
    "sec-fetch-site: same-origin",
    "x-pagerduty-signature: v1=zz",
    "x-pagerduty-signature: v1=" + "0".repeat(64),
    "x-webhook-id: \u00e9\u00e9",
    "x-watchkeeper-token: wrong",
    "x-forwarded-for: ,,,",
    "transfer-encoding: chunked",
    "expect: 100-continue",
    "host: ",
    "content-length: -1",
    "content-length: 99999999999",
  ) },
  { weight: 4, arbitrary: fc.tuple(fc.stringMatching(/^[a-z-]{1,12}$/), fc.uint8Array({ maxLength: 40 })).map(([n, v]) => `${n}: ${Buffer.from(v.filter((x) => x >= 0x20 && x !== 0x7f)).toString("latin1")}`) },
  { weight: 1, arbitrary: fc.integer({ min: 9_000, max: 20_000 }).map((n) => `x-big: ${"b".repeat(n)}`) },
);

const body = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.json().map((j) => Buffer.from(j, "utf8")),
  fc.constantFrom(
    '{"comment":"x","createdBy":"y","duration":"1h","matchers":{"monitors":["site"]}}',
    '{"comment":" ","createdBy":"y","duration":"999w","matchers":{"monitors":["site"]}}',
    '{"comment":"x","createdBy":"y","startsAt":"not a date","endsAt":"2026-01-01T00:00:00Z","matchers":{"labels":{"a":"b"}}}',
    '{"event":{"id":"e","event_type":"incident.acknowledged","resource_type":"incident","occurred_at":"2026-01-01T00:00:00Z","data":{}}}',
    '{"event":"down","message":"\ud800"}',
    "monitor=panic&message=help&password=nope&form_token=1.x",
    '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}',
    "[".repeat(5_000),
  ).map((s) => Buffer.from(s, "utf8")),
  fc.constantFrom("\xff\xfe{", '{"a":"\xc3\x28"}', "\x80\x81\x82").map(bytes),
);

/** How the bytes go out: whole, cut off mid-body, or with a lying or broken framing. */
const delivery = fc.constantFrom("whole", "whole", "whole", "abort-mid-body", "short-content-length", "bad-chunked");

interface FuzzRequest {
  method: string;
  target: Buffer;
  headers: string[];
  body: Buffer;
  delivery: string;
}

const request: fc.Arbitrary<FuzzRequest> = fc.record({ method, target, headers: fc.array(header, { maxLength: 4 }), body, delivery });

function encode(r: FuzzRequest, port: number): Buffer {
  const framing =
    r.delivery === "bad-chunked"
      ? ["transfer-encoding: chunked"]
      : r.delivery === "short-content-length"
        ? [`content-length: ${r.body.length + 10}`]
        : r.headers.some((h) => /^(content-length|transfer-encoding):/i.test(h))
          ? []
          : [`content-length: ${r.body.length}`];
  const head = Buffer.concat([
    bytes(`${r.method} `),
    r.target,
    bytes(` HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n`),
    bytes([...r.headers, ...framing].map((h) => `${h}\r\n`).join("")),
    bytes("\r\n"),
  ]);
  const payload = r.delivery === "bad-chunked" ? Buffer.concat([bytes("zz\r\n"), r.body, bytes("\r\n0\r\n")]) : r.body;
  return Buffer.concat([head, payload]);
}

/** Sends raw bytes and returns the status line (or what happened instead). */
function send(port: number, r: FuzzRequest): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    const done = (what: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(what);
    };
    // A request that promises more body than it sends is answered only at the server's timeout.
    const timer = setTimeout(() => done(answer.split("\r\n")[0] || "no answer (client gave up)"), 1_000);
    socket.on("data", (c: Buffer) => (answer += c.toString("latin1")));
    socket.on("end", () => done(answer.split("\r\n")[0] || "closed without answer"));
    socket.on("error", (e) => done(answer.split("\r\n")[0] || `socket error ${(e as NodeJS.ErrnoException).code}`));
    socket.on("connect", () => {
      const bytesOut = encode(r, port);
      if (r.delivery === "abort-mid-body") {
        socket.write(bytesOut.subarray(0, Math.max(1, bytesOut.length - Math.ceil(r.body.length / 2) - 1)));
        setTimeout(() => done("aborted by client"), 5);
      } else if (r.delivery === "short-content-length") {
        socket.write(bytesOut);
        setTimeout(() => done(answer.split("\r\n")[0] || "client gave up"), 50);
      } else socket.write(bytesOut);
    });
  });
}

describe("the runtime's HTTP server (separate process, random requests)", () => {
  let dir: string;
  let child: RunningChild;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-http-fuzz-"));
    const hour = { kind: "every", every: "1h" } as const;
    const manifest = manifestOf(
      [
        monitorSpec({ id: "site", schedule: hour }),
        monitorSpec({ id: "cron-job", schedule: hour, check: { kind: "heartbeat", every: "1h", grace: "5m", token: { secret: "HEARTBEAT_TOKEN" } } }),
        monitorSpec({ id: "uptime", schedule: hour, check: { kind: "webhook", format: "generic", token: { secret: "UPTIME_TOKEN" } } }),
        monitorSpec({ id: "panic", schedule: hour, check: { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title: "Panic" } }),
      ],
      ["HEARTBEAT_TOKEN", "UPTIME_TOKEN", "EMERGENCY_PASSWORD", "PAGERDUTY_WEBHOOK_SECRET"],
    );
    await writeArtifact(join(dir, "artifact"), manifest);
    await mkdir(join(dir, "state"), { recursive: true });
    const script = await bundleChild("http-fuzz");
    child = await startChild(script, {
      WK_CHILD_ARTIFACT: join(dir, "artifact"),
      WK_CHILD_STATE: join(dir, "state"),
      WK_CHILD_DELIVERY: "full",
      WK_LOG_LEVEL: "warn",
      WATCHKEEPER_API_TOKEN: API_TOKEN,
      HEARTBEAT_TOKEN: "heartbeat-token-0001",
      UPTIME_TOKEN: "uptime-token-0001",
      EMERGENCY_PASSWORD: "emergency-password-0001",
      PAGERDUTY_WEBHOOK_SECRET: "pd-webhook-secret-0001",
      // Nothing may leave loopback: vendor URLs point at a closed port.
      WK_PAGERDUTY_EVENTS_URL: "http://127.0.0.1:9/v2/enqueue",
      WK_PAGERDUTY_API_URL: "http://127.0.0.1:9",
    });
    port = Number(new URL(child.url).port);
  }, 60_000);

  afterAll(async () => {
    if (child && child.proc.exitCode === null) {
      child.proc.kill("SIGTERM");
      await child.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("survives malformed paths, headers, bodies and aborted requests: /healthz answers 200 and the process lives", async () => {
    console.log(`http fuzz: seed ${SEED}, ${RUNS} requests (WK_FUZZ_SEED / WK_FUZZ_RUNS to change)`);
    const statuses = new Map<string, number>();
    let last: FuzzRequest | null = null;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        last = r;
        const status = (await send(port, r)).split(" ").slice(0, 2).join(" ");
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (child.proc.exitCode !== null) return false;
        const health = await fetch(`${child.url}/healthz`);
        return health.status === 200;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    ).catch((error: unknown) => {
      const r = last as FuzzRequest | null;
      const shown = r ? { ...r, target: r.target.toString("latin1").slice(0, 200), body: r.body.toString("latin1").slice(0, 200) } : null;
      throw new Error(`the runtime did not survive request ${JSON.stringify(shown)}\n${String(error)}\nchild stderr:\n${child.stderr().slice(-3000)}\nchild stdout:\n${child.stdout().slice(-3000)}`);
    });
    console.log("http fuzz answers:", Object.fromEntries([...statuses].sort((a, b) => b[1] - a[1])));
    expect(child.proc.exitCode).toBeNull();
    expect((await fetch(`${child.url}/healthz`)).status).toBe(200);
    // A crash that left the process up would still show as an unhandled error in its output.
    expect(child.stderr() + child.stdout()).not.toMatch(/uncaught|unhandled/i);
  }, 120_000);

  it("answers 400, not a crash, to malformed percent-encoding in a route parameter", async () => {
    for (const path of ["/heartbeat/%ff", "/heartbeat/%E0%A4%A", "/api/monitors/%C3%28", "/webhooks/uptime/%", "/api/silences/%ff"]) {
      const res = await fetch(`${child.url}${path}`, { method: path.startsWith("/webhooks") ? "POST" : "GET", headers: { authorization: `Bearer ${API_TOKEN}` } });
      expect(res.status, path).toBe(400);
    }
    expect(child.proc.exitCode).toBeNull();
  });
});
