import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { checkContext } from "../../../test/support/check-context.js";
import { CheckError } from "../check-error.js";
import { runPrometheusCheck } from "./prometheus-check.js";

/** The documented limit (docs/authoring.md, `check.prometheus`). */
const MAX_SERIES_PER_QUERY = 1_000;

// A fake Prometheus on loopback: `/api/v1/query` answers an instant vector of as many series as the
// query's text asks for, in the HTTP API's documented shape.
let fake: Server;
let server: string;

function vector(count: number): string {
  const result = Array.from({ length: count }, (_, i) => ({ metric: { i: String(i) }, value: [1772366400, "0"] }));
  return JSON.stringify({ status: "success", data: { resultType: "vector", result } });
}

beforeAll(async () => {
  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const query = new URLSearchParams(Buffer.concat(chunks).toString()).get("query") ?? "";
      const count = Number(/series_(\d+)/.exec(query)?.[1] ?? "0");
      res.writeHead(200, { "content-type": "application/json" }).end(vector(count));
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  server = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});

afterAll(async () => {
  fake.closeAllConnections();
  await new Promise((r) => fake.close(r));
});

function spec(series: number): CheckSpecOf<"prometheus"> {
  return { kind: "prometheus", server, query: `up{fleet="series_${series}"} == 0`, headers: {}, timeout: "5s" };
}

describe("series per Prometheus query", () => {
  it(`turns up to ${MAX_SERIES_PER_QUERY} series into one result each`, async () => {
    const results = await runPrometheusCheck(spec(MAX_SERIES_PER_QUERY), checkContext());
    expect(results).toHaveLength(MAX_SERIES_PER_QUERY);
  });

  it("a query that returns more series is an error naming the count, the limit and the fix, not thousands of alerts", async () => {
    const error = (await runPrometheusCheck(spec(MAX_SERIES_PER_QUERY + 1), checkContext()).catch((e: unknown) => e)) as CheckError;
    expect(error).toBeInstanceOf(CheckError);
    expect(error.reason).toBe("bad-response");
    expect(error.message).toContain(`returned ${MAX_SERIES_PER_QUERY + 1} series`);
    expect(error.message).toContain(`at most ${MAX_SERIES_PER_QUERY}`);
    expect(error.message).toMatch(/narrow the query with a label selector or an aggregation/i);
  });

  it("refuses a vector of tens of thousands of series that fits the body limit", async () => {
    expect(vector(20_000).length).toBeLessThan(1024 * 1024);
    await expect(runPrometheusCheck(spec(20_000), checkContext())).rejects.toThrow("returned 20000 series");
  });
});
