import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import type { TimeWindow } from "../../../sdk/result.js";
import { checkContext } from "../../../test/support/check-context.js";
import { runHttpWindowCheck } from "./http-window-check.js";

interface Seen { url: string; body: string; auth: string | undefined }
let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", body: Buffer.concat(chunks).toString(), auth: req.headers.authorization });
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/errors") {
        // An error-count API: counts requests in the window the caller asked for.
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ data: { count: "17", from: url.searchParams.get("from"), to: url.searchParams.get("to") } }));
      } else if (url.pathname === "/broken") res.writeHead(500).end("oops");
      else if (url.pathname === "/html") res.end("<html>not json</html>");
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

function spec(overrides: Partial<CheckSpecOf<"httpWindow">>): CheckSpecOf<"httpWindow"> {
  return { kind: "httpWindow", url: `${base}/errors?from={{from}}&to={{to}}`, method: "GET", headers: {}, body: null, window: "10m", timeFormat: "iso", extract: "data.count", timeout: "2s", ...overrides };
}

const now = new Date("2026-03-01T12:00:00Z");

describe("httpWindow check", () => {
  it("asks for the window ending at the tick's time, URL-encoded, and extracts the value by path", async () => {
    seen.length = 0;
    const [result] = await runHttpWindowCheck(spec({}), checkContext({ now }));
    expect(seen[0]!.url).toBe("/errors?from=2026-03-01T11%3A50%3A00.000Z&to=2026-03-01T12%3A00%3A00.000Z");
    expect(result).toMatchObject({ ok: true, value: 17 });
    expect(result!.details).toMatchObject({ from: "2026-03-01T11:50:00.000Z", to: "2026-03-01T12:00:00.000Z" });
  });

  it("formats window bounds as epoch seconds or milliseconds, in the URL and the body", async () => {
    seen.length = 0;
    await runHttpWindowCheck(spec({ timeFormat: "epoch-s", method: "POST", body: '{"range":[{{from}},{{to}}]}' }), checkContext({ now }));
    expect(seen[0]!.url).toBe("/errors?from=1772365800&to=1772366400");
    expect(seen[0]!.body).toBe('{"range":[1772365800,1772366400]}');
    seen.length = 0;
    await runHttpWindowCheck(spec({ timeFormat: "epoch-ms" }), checkContext({ now }));
    expect(seen[0]!.url).toBe("/errors?from=1772365800000&to=1772366400000");
  });

  it("extracts with the monitor's extract function, given the body and the window", async () => {
    let window: TimeWindow | null = null;
    const extract = (body: unknown, w: TimeWindow): number => {
      window = w;
      return Number((body as { data: { count: string } }).data.count) * 2;
    };
    const [result] = await runHttpWindowCheck(spec({ extract: null }), checkContext({ now, code: { extract } }));
    expect(result!.value).toBe(34);
    expect(window).toEqual({ from: new Date("2026-03-01T11:50:00Z"), to: now });
  });

  it("is not ok when the request fails or no number can be extracted", async () => {
    const [status] = await runHttpWindowCheck(spec({ url: `${base}/broken` }), checkContext({ now }));
    expect(status).toMatchObject({ ok: false, value: null, message: `${base}/broken answered 500` });
    const [html] = await runHttpWindowCheck(spec({ url: `${base}/html` }), checkContext({ now }));
    expect(html).toMatchObject({ ok: false, message: `response from ${base}/html is not JSON` });
    const [missing] = await runHttpWindowCheck(spec({ extract: "data.nope" }), checkContext({ now }));
    expect(missing!.ok).toBe(false);
    expect(missing!.message).toContain("no number at data.nope");
  });

  it("without an extract path or function, is an error naming the monitor", async () => {
    await expect(runHttpWindowCheck(spec({ extract: null }), checkContext({ now, monitorId: "error-rate" }))).rejects.toThrow("monitors.mjs has no extract export for monitor error-rate");
  });

  it("resolves secret headers and never shows their values", async () => {
    seen.length = 0;
    const [result] = await runHttpWindowCheck(spec({ headers: { authorization: { secret: "LOGS_TOKEN" } }, url: `${base}/broken?k=canary-77c1d2` }), checkContext({ now, secrets: { LOGS_TOKEN: "canary-77c1d2" } }));
    expect(seen[0]!.auth).toBe("canary-77c1d2");
    expect(JSON.stringify(result)).not.toContain("canary-77c1d2");
  });
});
