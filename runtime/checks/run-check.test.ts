import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckSpec, MonitorSpec } from "../../sdk/manifest/schema.js";
import type { MonitorCode } from "../../sdk/result.js";
import { checkContext } from "../../test/support/check-context.js";
import { runCheck } from "./index.js";

const CANARY = "canary-4b1e-not-for-logs";
let server: Server;
let base: string;
/** Requests to /hang whose connection the check has closed. */
let hangsClosed = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/hang") {
      req.socket.once("close", () => hangsClosed++);
      return;
    }
    if (req.url?.startsWith("/count")) return void res.end('{"count":3}');
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function monitor(check: CheckSpec): MonitorSpec {
  return {
    id: "probe", name: "Probe", description: null, owner: null, schedule: { kind: "every", every: "30s" }, check,
    threshold: null, for: "0s", keepFiringFor: "0s", failureThreshold: 1, successThreshold: 1, repeatEvery: null, onError: "fail",
    severity: "warning", service: null, channels: [], ackChannels: [], inhibits: [], labels: {}, summary: "", runbook: null,
    diagnostics: [], code: { condition: false, summary: false, run: true, extract: false }, codeHash: "", source: "monitors/probe.ts",
  };
}

const script = (timeout = "200ms") => monitor({ kind: "script", timeout });
const http = (path: string, timeout = "2s"): CheckSpec => ({
  kind: "http", url: `${base}${path}`, method: "GET", headers: {}, body: null, timeout, followRedirects: true,
  expect: { status: [], maxLatency: null, headers: {}, json: [], bodyContains: null, tlsExpiryWithin: null },
});

describe("runCheck", () => {
  it("returns the runner's results for a healthy check", async () => {
    const outcome = await runCheck(monitor(http("/ok")), checkContext());
    expect(outcome.kind).toBe("results");
    if (outcome.kind === "results") expect(outcome.results[0]!.ok).toBe(true);
  });

  it("a hanging check is cut off at its timeout, even when it ignores its signal", async () => {
    const hangs: MonitorCode = { run: () => new Promise<boolean>(() => undefined) };
    const started = Date.now();
    const outcome = await runCheck(script("200ms"), checkContext({ code: hangs }));
    const elapsed = Date.now() - started;
    expect(outcome).toMatchObject({ kind: "error", reason: "timeout", error: "check of probe timed out after 200ms" });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1000);
  });

  it("a target that never answers becomes a timeout error, not a hang", async () => {
    const outcome = await runCheck(monitor(http("/hang", "250ms")), checkContext());
    expect(outcome).toMatchObject({ kind: "error", reason: "timeout" });
  });

  it("an HTTP check cut off at its timeout or by shutdown closes its connection to the target", async () => {
    const before = hangsClosed;
    expect(await runCheck(monitor(http("/hang", "150ms")), checkContext())).toMatchObject({ kind: "error", reason: "timeout" });
    const shutdown = new AbortController();
    const pending = runCheck(monitor(http("/hang", "5s")), checkContext({ signal: shutdown.signal }));
    await new Promise((r) => setTimeout(r, 50));
    shutdown.abort();
    expect(await pending).toMatchObject({ kind: "error", reason: "aborted" });
    for (let i = 0; i < 100 && hangsClosed < before + 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hangsClosed).toBe(before + 2);
  });

  it("a hanging check does not delay checks running beside it", async () => {
    const hangs: MonitorCode = { run: () => new Promise<boolean>(() => undefined) };
    const started = Date.now();
    const hanging = runCheck(script("1s"), checkContext({ code: hangs }));
    const quick = await runCheck(monitor(http("/ok")), checkContext());
    expect(quick.kind).toBe("results");
    expect(Date.now() - started).toBeLessThan(500);
    expect((await hanging).kind).toBe("error");
  });

  it("catches anything a check throws and returns a classified error", async () => {
    const throwsString: MonitorCode = { run: () => { throw "plain string"; } };
    const outcome = await runCheck(script("1s"), checkContext({ code: throwsString }));
    expect(outcome).toMatchObject({ kind: "error", reason: "code", error: "script of probe threw: plain string" });
  });

  it("scrubs secret values from errors and results, whatever the code did with them", async () => {
    const leaky: MonitorCode = { run: (ctx) => { throw new Error(`auth failed with ${ctx.secret("API_TOKEN")}`); } };
    const error = await runCheck(script("1s"), checkContext({ code: leaky, secrets: { API_TOKEN: CANARY } }));
    expect(error).toMatchObject({ kind: "error", error: "script of probe threw: auth failed with [redacted]" });
    const chatty: MonitorCode = { run: (ctx) => ({ ok: false, message: `token ${ctx.secret("API_TOKEN")}`, details: { echoed: ctx.secret("API_TOKEN") } }) };
    const result = await runCheck(script("1s"), checkContext({ code: chatty, secrets: { API_TOKEN: CANARY } }));
    expect(JSON.stringify(result)).not.toContain(CANARY);
    expect(JSON.stringify(result)).toContain("[redacted]");
  });

  it("scrubs every declared secret from a script's output, even one it read without asking secret()", async () => {
    // Project code runs in the runtime's process: it could read a secret from the environment.
    const fromEnvironment: MonitorCode = { run: () => ({ ok: false, message: `env says ${CANARY}`, details: { token: CANARY } }) };
    const result = await runCheck(script("1s"), checkContext({ code: fromEnvironment, secrets: { API_TOKEN: CANARY } }));
    expect(JSON.stringify(result)).not.toContain(CANARY);
    expect(result).toMatchObject({ kind: "results", results: [{ message: "env says [redacted]" }] });
    const throwsIt: MonitorCode = { run: () => { throw new Error(`denied for ${CANARY}`); } };
    const error = await runCheck(script("1s"), checkContext({ code: throwsIt, secrets: { API_TOKEN: CANARY } }));
    expect(error).toMatchObject({ kind: "error", error: "script of probe threw: denied for [redacted]" });
  });

  it("scrubs every declared secret from what an extract function throws, as from a script's", async () => {
    // The extract function is project code too: it could read a secret from the environment and throw it.
    const check: CheckSpec = { kind: "httpWindow", url: `${base}/count?from={{from}}`, method: "GET", headers: {}, body: null, window: "10m", timeFormat: "iso", extract: null, timeout: "2s" };
    const spec = { ...monitor(check), code: { condition: false, summary: false, run: false, extract: true } };
    const throwsIt: MonitorCode = { extract: () => { throw new Error(`no count for ${CANARY}`); } };
    const error = await runCheck(spec, checkContext({ code: throwsIt, secrets: { API_TOKEN: CANARY } }));
    expect(error).toMatchObject({ kind: "error", reason: "code", error: "extract of probe threw: no count for [redacted]" });
  });

  it("a runtime shutdown cancels the check", async () => {
    const shutdown = new AbortController();
    const hangs: MonitorCode = { run: () => new Promise<boolean>(() => undefined) };
    const pending = runCheck(script("5s"), checkContext({ code: hangs, signal: shutdown.signal }));
    shutdown.abort();
    expect(await pending).toMatchObject({ kind: "error", reason: "aborted" });
  });

  it("heartbeat, webhook and manual checks run without a timeout of their own", async () => {
    const outcome = await runCheck(monitor({ kind: "heartbeat", every: "1m", grace: "30s", token: null }), checkContext());
    expect(outcome.kind).toBe("results");
  });
});
