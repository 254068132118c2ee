import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../runtime/checks/index.js";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { checkContext } from "../support/check-context.js";
import { monitorSpec } from "../runtime/support/manifest.js";

// A debug page prints the process's environment: a declared secret the check never sent is in
// its answer, and what the check quotes of it is stored, shown on the pages and sent to vendors.
const SENT = "sent-t0ken-the-check-read-itself";
const OTHER = "0ther-db-passw0rd-printed-by-a-debug-page";

let target: Server;
let base = "";

beforeAll(async () => {
  target = createServer((req, res) => {
    if (req.url?.startsWith("/api/v1/query")) {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: { job: "app", dsn: `postgres://app@db/${OTHER}` }, value: [1, "1"] }] } }));
    }
    res.writeHead(200, { "x-debug": `DB_PASSWORD=${OTHER}`, "content-type": "text/plain" }).end(`env: DB_PASSWORD=${OTHER}`);
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});

afterAll(async () => {
  target.closeAllConnections();
  await new Promise((r) => target.close(r));
});

const ctx = () => checkContext({ secrets: { SENT_TOKEN: SENT, DB_PASSWORD: OTHER } });

describe("a target that echoes a declared secret the check did not send", () => {
  it("an http check's result is scrubbed of it", async () => {
    const base0 = monitorSpec({ id: "debug-page" });
    const monitor = {
      ...base0,
      check: { ...base0.check, url: `${base}/debug`, headers: { authorization: { secret: "SENT_TOKEN" } }, expect: { ...(base0.check as { expect: object }).expect, headers: { "x-debug": "fine" } } },
    } as unknown as MonitorSpec;
    const out = await runCheck(monitor, ctx());
    expect(out.kind).toBe("results");
    const text = JSON.stringify(out);
    expect(text).toContain("[redacted]");
    expect(text).not.toContain(OTHER);
    expect(text).not.toContain(SENT);
  });

  it("a passing http check does not look at the secrets it did not read (its result holds only its own words)", async () => {
    const base0 = monitorSpec({ id: "healthy-page" });
    const monitor = { ...base0, check: { ...base0.check, url: `${base}/healthy` } } as unknown as MonitorSpec;
    let asked = 0;
    const out = await runCheck(monitor, checkContext({ secrets: { DB_PASSWORD: OTHER }, secretValues: () => (asked++, [OTHER]) }));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true }] });
    expect(asked).toBe(0);
  });

  it("a Prometheus check's series labels are scrubbed of it", async () => {
    const monitor = { id: "prom-echo", check: { kind: "prometheus", server: base, query: "up", headers: { authorization: { secret: "SENT_TOKEN" } }, timeout: "2s" } } as unknown as MonitorSpec;
    const out = await runCheck(monitor, ctx());
    expect(out.kind).toBe("results");
    const text = JSON.stringify(out);
    expect(text).toContain("[redacted]");
    expect(text).not.toContain(OTHER);
  });
});
