import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { runCheck } from "../../runtime/checks/index.js";
import { checkContext } from "../support/check-context.js";
import { startPrometheus, type PrometheusServer } from "../support/prometheus.js";

// A hostile or broken Prometheus (or whatever answers at its address: a proxy, a login page, a
// server under load). Every answer must end the check within its timeout with a bounded result.

const TOKEN = "canary-prom-bearer-4c1f9a";

/** What the fake answers for the path before `/api/v1/query`. */
const answers: Record<string, (res: import("node:http").ServerResponse) => void> = {
  // 1,000 series (the limit) and ~900 KB of warnings: under the 1 MiB body cap.
  "/warnings": (res) => {
    const result = Array.from({ length: 1000 }, (_, i) => ({ metric: { i: String(i) }, value: [1, "1"] }));
    const warnings = Array.from({ length: 900 }, (_, i) => `warning ${i} ${"w".repeat(990)}`);
    res.end(JSON.stringify({ status: "success", warnings, data: { resultType: "vector", result } }));
  },
  "/error-200": (res) => res.end(JSON.stringify({ status: "error", errorType: "bad_data", error: "1:5: parse error: unexpected <EOF>" })),
  "/html-200": (res) => res.end("<html><body>Please sign in</body></html>"),
  "/specials": (res) =>
    res.end(
      JSON.stringify({
        status: "success",
        data: { resultType: "vector", result: [["a", "NaN"], ["b", "+Inf"], ["c", "-Inf"]].map(([s, v]) => ({ metric: { s }, value: [1, v] })) },
      }),
    ),
  // 50 MB of JSON: read up to the cap, then the connection is closed.
  "/huge": (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"status":"success","data":{"resultType":"vector","result":[');
    const chunk = Buffer.from(`${'{"metric":{"a":"b"},"value":[1,"1"]},'.repeat(1000)}`);
    let sent = 0;
    const pump = (): void => {
      while (!res.destroyed && sent < 50 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed && sent < 50 * 1024 * 1024) res.once("drain", pump);
      else res.end("]}}");
    };
    pump();
  },
  // A label value that is not a string but 300,000 nested arrays.
  "/deep-label": (res) => res.end(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":${"[".repeat(300_000)}${"]".repeat(300_000)}},"value":[1,"1"]}]}}`),
  "/slow": (res) => void setTimeout(() => res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } })), 5000),
};

let fake: Server;
let base: string;

beforeAll(async () => {
  fake = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const path = (req.url ?? "/").replace(/\/api\/v1\/query$/, "");
      (answers[path] ?? ((r) => r.writeHead(404).end()))(res);
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});

afterAll(async () => {
  fake.closeAllConnections();
  await new Promise((r) => fake.close(r));
});

function monitor(server: string, query = "up", timeout = "2s"): MonitorSpec {
  return { id: "prom-attack", check: { kind: "prometheus", server, query, headers: { authorization: { secret: "PROM_TOKEN" } }, timeout } } as unknown as MonitorSpec;
}

const ctx = () => checkContext({ secrets: { PROM_TOKEN: TOKEN } });

describe("a hostile Prometheus answer", () => {
  it("stuffed with warnings gives results that stay small, quickly (warnings are capped, not copied into every series)", async () => {
    const started = performance.now();
    const out = await runCheck(monitor(`${base}/warnings`), ctx());
    const elapsed = performance.now() - started;
    expect(out.kind).toBe("results");
    if (out.kind !== "results") return;
    expect(out.results).toHaveLength(1000);
    // Each series' result is stored and may page: ~1 KB of warnings each, not the answer's 900 KB.
    expect(JSON.stringify(out.results[0]).length).toBeLessThan(4096);
    expect(JSON.stringify(out).length).toBeLessThan(4 * 1024 * 1024);
    const warnings = out.results[0]!.details.warnings as string[];
    expect(warnings.length).toBeLessThanOrEqual(10);
    expect(warnings[0]).toMatch(/^warning 0 w+/);
    expect(warnings.at(-1)).toMatch(/more warnings/);
    expect(elapsed).toBeLessThan(3000);
  });

  it("a 200 whose body says status error is a bad-response error quoting Prometheus's message", async () => {
    const out = await runCheck(monitor(`${base}/error-200`), ctx());
    expect(out).toMatchObject({ kind: "error", reason: "bad-response", error: "Prometheus rejected the query (bad_data): 1:5: parse error: unexpected <EOF>" });
  });

  it("a 200 that is not JSON (a login page) is a bad-response error naming the endpoint", async () => {
    const out = await runCheck(monitor(`${base}/html-200`), ctx());
    expect(out).toMatchObject({ kind: "error", reason: "bad-response", error: `${base}/html-200/api/v1/query answered 200 with a body that is not JSON` });
  });

  it("a label value that is not a string (a deep array) is a bad-response error naming the label, not a crash", async () => {
    const out = await runCheck(monitor(`${base}/deep-label`), ctx());
    expect(out).toMatchObject({ kind: "error", reason: "bad-response", error: `${base}/deep-label/api/v1/query returned a series whose label job is not a string` });
  });

  it("NaN and ±Inf samples become results whose value is IEEE, their text kept in the message", async () => {
    const out = await runCheck(monitor(`${base}/specials`), ctx());
    expect(out.kind).toBe("results");
    if (out.kind !== "results") return;
    expect(out.results.map((r) => r.message)).toEqual(['{s="a"} = NaN', '{s="b"} = +Inf', '{s="c"} = -Inf']);
    expect(out.results.map((r) => r.value)).toEqual([NaN, Infinity, -Infinity]);
  });

  it("a 50 MB answer is cut at the body limit with bounded memory and a bad-response error", async () => {
    const before = process.memoryUsage().heapUsed;
    const out = await runCheck(monitor(`${base}/huge`), ctx());
    expect(out).toMatchObject({ kind: "error", reason: "bad-response" });
    if (out.kind === "error") expect(out.error).toContain("more than the body limit; narrow the query");
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(40 * 1024 * 1024);
  });

  it("an answer slower than the timeout ends the check at its timeout, never showing the bearer token", async () => {
    const started = performance.now();
    const out = await runCheck(monitor(`${base}/slow`, "up", "300ms"), ctx());
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out).toMatchObject({ kind: "error", reason: "timeout" });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
  });
});

describe("a real Prometheus", () => {
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    prometheus = await startPrometheus({ targets: ["127.0.0.1:1"] });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
  });

  it("answers NaN, +Inf and -Inf samples that the check reads as IEEE values", async () => {
    for (const [query, value, text] of [
      ["vector(NaN)", NaN, "NaN"],
      ["vector(+Inf)", Infinity, "+Inf"],
      ["vector(-Inf)", -Infinity, "-Inf"],
    ] as const) {
      const out = await runCheck(monitor(prometheus.url, query), ctx());
      expect(out.kind).toBe("results");
      if (out.kind !== "results") continue;
      expect(out.results[0]!.value).toBe(value);
      expect(out.results[0]!.message).toBe(`{} = ${text}`);
    }
  });

  it("rejects a query it cannot parse: a bad-response error with Prometheus's own words", async () => {
    const out = await runCheck(monitor(prometheus.url, "sum(up"), ctx());
    expect(out).toMatchObject({ kind: "error", reason: "bad-response" });
    if (out.kind === "error") expect(out.error).toMatch(/^Prometheus rejected the query \(bad_data\): .*parse error/);
  });
});
