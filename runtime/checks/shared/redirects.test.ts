import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { checkContext } from "../../../test/support/check-context.js";
import { CheckError } from "../check-error.js";
import { runHttpCheck } from "../http/http-check.js";
import { runPrometheusCheck } from "../prometheus/prometheus-check.js";
import { MAX_REDIRECTS } from "./http-request.js";
import { nextHop, type Hop } from "./redirect.js";

const API_KEY = "canary-api-key-5b1e0c";
const URL_KEY = "canary-url-key-77d2aa";

interface Seen {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A loopback server that records what reached it; `answer` decides the reply by path. */
function recordingServer(answer: (path: string) => Answer) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ path: req.url ?? "/", method: req.method ?? "", headers: req.headers, body });
      const a = answer(req.url ?? "/");
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? "");
    });
  });
  return { server, seen };
}

function listen(s: Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

// Two servers on two ports: two origins. `first` redirects; `other` is where a redirect may lead.
let first: ReturnType<typeof recordingServer>;
let other: ReturnType<typeof recordingServer>;
let firstBase: string;
let otherBase: string;

const PROMETHEUS_ANSWER = JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: { job: "api" }, value: [1, "1"] }] } });

beforeAll(async () => {
  first = recordingServer((path): Answer => {
    const url = new URL(path, "http://x");
    const hop = Number(url.searchParams.get("hop") ?? "0");
    switch (url.pathname) {
      case "/to-other":
        return { status: 302, headers: { location: `${otherBase}/landing` } };
      case "/to-self":
        return { status: 302, headers: { location: "/landing" } };
      case "/loop":
        return { status: 302, headers: { location: url.pathname + url.search } };
      case "/chain":
        return { status: 302, headers: { location: `/chain?hop=${hop + 1}&api_key=${URL_KEY}` } };
      case "/prometheus/api/v1/query":
        return { status: 307, headers: { location: `${otherBase}/api/v1/query` } };
      case "/chain-end":
        return hop < Number(url.searchParams.get("of")) ? { status: 302, headers: { location: `/chain-end?hop=${hop + 1}&of=${url.searchParams.get("of")}` } } : { status: 200, body: "done" };
      default:
        return { status: 200, body: "here" };
    }
  });
  other = recordingServer((path): Answer => {
    switch (path) {
      case "/bounce-back":
        return { status: 302, headers: { location: `${firstBase}/landing` } };
      case "/api/v1/query":
        return { status: 200, headers: { "content-type": "application/json" }, body: PROMETHEUS_ANSWER };
      default:
        return { status: 200, body: "elsewhere" };
    }
  });
  firstBase = await listen(first.server);
  otherBase = await listen(other.server);
});

beforeEach(() => {
  first.seen.length = 0;
  other.seen.length = 0;
});

afterAll(async () => {
  for (const s of [first.server, other.server]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function httpSpec(url: string, headers: CheckSpecOf<"http">["headers"]): CheckSpecOf<"http"> {
  return {
    kind: "http",
    url,
    method: "GET",
    headers,
    body: null,
    timeout: "3s",
    followRedirects: true,
    expect: { status: [], maxLatency: null, headers: {}, json: [], bodyContains: null, tlsExpiryWithin: null },
  };
}

const monitorHeaders = { "x-api-key": { secret: "API_KEY" }, authorization: { secret: "API_KEY" }, "x-team": "payments" };
const withKey = () => checkContext({ secrets: { API_KEY } });

describe("redirects and the monitor's headers", () => {
  it("a redirect to another origin does not carry the monitor's headers there", async () => {
    const [result] = await runHttpCheck(httpSpec(`${firstBase}/to-other`, monitorHeaders), withKey());
    expect(result!.ok).toBe(true);
    expect(first.seen[0]!.headers["x-api-key"]).toBe(API_KEY);
    expect(other.seen).toHaveLength(1);
    const sent = other.seen[0]!.headers;
    expect(sent["x-api-key"]).toBeUndefined();
    expect(sent.authorization).toBeUndefined();
    expect(sent["x-team"]).toBeUndefined();
    expect(JSON.stringify(sent)).not.toContain(API_KEY);
  });

  it("a redirect within the same origin keeps the monitor's headers", async () => {
    const [result] = await runHttpCheck(httpSpec(`${firstBase}/to-self`, monitorHeaders), withKey());
    expect(result!.ok).toBe(true);
    expect(first.seen.map((s) => s.path)).toEqual(["/to-self", "/landing"]);
    expect(first.seen[1]!.headers["x-api-key"]).toBe(API_KEY);
    expect(first.seen[1]!.headers.authorization).toBe(API_KEY);
    expect(first.seen[1]!.headers["x-team"]).toBe("payments");
  });

  it("headers dropped on the way out stay dropped when the redirect comes back to the first origin", async () => {
    const [result] = await runHttpCheck(httpSpec(`${otherBase}/bounce-back`, monitorHeaders), withKey());
    expect(result!.ok).toBe(true);
    expect(other.seen[0]!.headers["x-api-key"]).toBe(API_KEY);
    expect(first.seen).toHaveLength(1);
    expect(first.seen[0]!.headers["x-api-key"]).toBeUndefined();
  });

  it("a Prometheus server that redirects elsewhere gets the query, but not the monitor's headers", async () => {
    const spec: CheckSpecOf<"prometheus"> = { kind: "prometheus", server: `${firstBase}/prometheus`, query: "up == 0", headers: monitorHeaders, timeout: "3s" };
    const results = await runPrometheusCheck(spec, withKey());
    expect(results.map((r) => r.labels)).toEqual([{ job: "api" }]);
    const sent = other.seen[0]!;
    expect(sent.method).toBe("POST");
    expect(new URLSearchParams(sent.body).get("query")).toBe("up == 0");
    expect(sent.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(sent.headers["x-api-key"]).toBeUndefined();
    expect(sent.headers.authorization).toBeUndefined();
  });
});

describe("too many redirects", () => {
  it("a target that redirects in a loop is an error that says so and names the limit, without the URL's secrets", async () => {
    const url = `${firstBase.replace("://", "://ops:hunter2@")}/loop?api_key=${URL_KEY}`;
    const error = (await runHttpCheck(httpSpec(url, {}), checkContext()).catch((e: unknown) => e)) as CheckError;
    expect(error).toBeInstanceOf(CheckError);
    expect(error.reason).toBe("bad-response");
    expect(error.message).toContain(`redirected more than ${MAX_REDIRECTS} times`);
    expect(error.message).toContain(`${firstBase}/loop?api_key=[redacted]`);
    expect(error.message).not.toContain(URL_KEY);
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain("UND_ERR");
  });

  it("a chain longer than the limit is the same error, not the last redirect judged as the answer", async () => {
    const error = (await runHttpCheck(httpSpec(`${firstBase}/chain`, {}), checkContext()).catch((e: unknown) => e)) as CheckError;
    expect(error).toBeInstanceOf(CheckError);
    expect(error.message).toContain(`redirected more than ${MAX_REDIRECTS} times`);
    expect(error.message).not.toContain(URL_KEY);
    expect(first.seen).toHaveLength(MAX_REDIRECTS + 1);
  });

  it(`follows a chain of exactly ${MAX_REDIRECTS} redirects`, async () => {
    const [result] = await runHttpCheck(httpSpec(`${firstBase}/chain-end?of=${MAX_REDIRECTS}`, {}), checkContext());
    expect(result!.ok).toBe(true);
    expect(first.seen).toHaveLength(MAX_REDIRECTS + 1);
  });
});

describe("which redirects keep the monitor's headers", () => {
  const hop = (origin: string): Hop => ({ origin, path: "/", method: "GET", headers: { "x-api-key": API_KEY }, protocolHeaders: null, body: null, redirects: 0 });
  const kept = (from: string, to: string) => nextHop(hop(from), 301, to, `${from}/`).headers !== null;

  it("keeps them on the same host's move from http to https, and nowhere else off the origin", () => {
    expect(kept("http://status.example.test", "https://status.example.test/health")).toBe(true);
    expect(kept("http://status.example.test", "https://status.example.test:443/health")).toBe(true);
    expect(kept("https://status.example.test", "http://status.example.test/health")).toBe(false);
    expect(kept("http://status.example.test:8080", "https://status.example.test/health")).toBe(false);
    expect(kept("http://status.example.test", "https://status.example.test:8443/health")).toBe(false);
    expect(kept("http://status.example.test", "https://other.example.test/health")).toBe(false);
    expect(kept("http://status.example.test", "http://status.example.test/moved")).toBe(true);
  });
});
