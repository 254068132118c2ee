import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { checkContext } from "../../../test/support/check-context.js";
import { freeTcpPort } from "../../../test/support/free-port.js";
import { startPrometheus, type PrometheusServer } from "../../../test/support/prometheus.js";
import { CheckError } from "../check-error.js";
import { runPrometheusCheck } from "./prometheus-check.js";

// The exporter the test controls: request counters by status, in the text exposition format.
const requests: Record<string, number> = { "200": 120, "500": 7, "503": 2 };
let exporter: Server;
let garbage: Server;
let garbageUrl: string;
let prometheus: PrometheusServer;

function listen(s: Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  exporter = createServer((_req, res) => {
    res.setHeader("content-type", "text/plain; version=0.0.4");
    res.end(
      "# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n" +
        Object.entries(requests).map(([status, n]) => `http_requests_total{service="checkout",status="${status}"} ${n}\n`).join(""),
    );
  });
  const exporterPort = await listen(exporter);
  garbage = createServer((_req, res) => res.end("<html><body>502 Bad Gateway</body></html>"));
  garbageUrl = `http://127.0.0.1:${await listen(garbage)}`;
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${exporterPort}`] });
  await prometheus.waitForSeries('http_requests_total{status="503"}');
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((r) => exporter.close(r));
  await new Promise((r) => garbage.close(r));
});

function spec(query: string, server = prometheus.url): CheckSpecOf<"prometheus"> {
  return { kind: "prometheus", server, query, headers: {}, timeout: "5s" };
}

// Prometheus evaluates at the tick's time; data only exists from "now" on, so ticks are real time here.
const tick = () => checkContext({ now: new Date() });

describe("prometheus check (real Prometheus)", () => {
  it("returns one result per series with labels carried and __name__ dropped", async () => {
    const results = await runPrometheusCheck(spec("http_requests_total"), tick());
    const byStatus = Object.fromEntries(results.map((r) => [r.labels.status, r]));
    expect(Object.keys(byStatus).sort()).toEqual(["200", "500", "503"]);
    expect(byStatus["500"]!.labels).toEqual({ instance: expect.stringMatching(/^127\.0\.0\.1:\d+$/), job: "exporter", service: "checkout", status: "500" });
    expect(byStatus["500"]!.value).toBe(7);
    expect(byStatus["500"]!.ok).toBe(true);
    expect(byStatus["500"]!.message).toMatch(/^http_requests_total\{.*status="500"\} = 7$/);
  });

  it("series follow what the exporter serves: a filtered query returns only matching series", async () => {
    requests["502"] = 4;
    await prometheus.waitForSeries('http_requests_total{status="502"}');
    const results = await runPrometheusCheck(spec('sum by (status) (http_requests_total{status=~"5.."})'), tick());
    expect(results.map((r) => [r.labels, r.value]).sort()).toEqual([
      [{ status: "500" }, 7],
      [{ status: "502" }, 4],
      [{ status: "503" }, 2],
    ].sort());
  });

  it("an empty vector is no results, and a scalar is one unlabelled result", async () => {
    expect(await runPrometheusCheck(spec('http_requests_total{status="418"}'), tick())).toEqual([]);
    const [scalar] = await runPrometheusCheck(spec("scalar(sum(http_requests_total{status=\"500\"}))"), tick());
    expect(scalar).toMatchObject({ labels: {}, value: 7 });
  });

  it("evaluates the query at the tick's time", async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    const [result] = await runPrometheusCheck(spec("time()"), checkContext({ now }));
    expect(result!.value).toBe(now.getTime() / 1000);
  });

  it("a query Prometheus rejects is a bad-response error with Prometheus's reason", async () => {
    const error = (await runPrometheusCheck(spec("sum(("), tick()).catch((e: unknown) => e)) as CheckError;
    expect(error.reason).toBe("bad-response");
    expect(error.message).toMatch(/^Prometheus rejected the query \(bad_data\): .*parse error/);
  });

  it("a range-vector query is refused with a hint", async () => {
    await expect(runPrometheusCheck(spec("http_requests_total[1m]"), tick())).rejects.toThrow(/range vector; an alerting query needs an instant vector/);
  });

  it("a server answering garbage is a bad-response error", async () => {
    const error = (await runPrometheusCheck(spec("up", garbageUrl), tick()).catch((e: unknown) => e)) as CheckError;
    expect(error.reason).toBe("bad-response");
    expect(error.message).toBe(`${garbageUrl}/api/v1/query answered 200 with a body that is not JSON`);
  });

  it("a Prometheus that is down is an unreachable error", async () => {
    const port = await freeTcpPort();
    const error = (await runPrometheusCheck(spec("up", `http://127.0.0.1:${port}`), tick()).catch((e: unknown) => e)) as CheckError;
    expect(error.reason).toBe("unreachable");
    expect(error.message).toBe(`connection refused by http://127.0.0.1:${port}/api/v1/query`);
  });
});
