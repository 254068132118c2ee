import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { simulatedCheckRunner } from "../../cli/unit-tests/simulated-check.js";
import { parseTest, type StepAction } from "../../cli/unit-tests/test-shape.js";
import { InMemoryInboundEvents, runCheck, type CheckContext, type CheckOutcome } from "../../runtime/checks/index.js";
import type { CheckSpec, MonitorSpec } from "../../sdk/manifest/index.js";
import { sampleManifest, sampleMonitor } from "../infra/sample-manifest.js";

const dnsCheck: CheckSpec = { kind: "dns", name: "example.com", recordType: "NS", resolver: null, expectValues: ["ns1.example.net", "ns2.example.net"], nameservers: ["192.0.2.53", "198.51.100.53"], timeout: "5s" };
const mxCheck: CheckSpec = { kind: "dns", name: "example.com", recordType: "MX", resolver: "10.0.0.53", expectValues: ["mail.example.com"], nameservers: [], timeout: "5s" };
const tcpCheck: CheckSpec = { kind: "tcp", host: "db.example.test", port: 5432, timeout: "5s" };

const monitors = { dns: sampleMonitor("dns-ns", { check: dnsCheck }), mx: sampleMonitor("dns-mx", { check: mxCheck }), tcp: sampleMonitor("db-port", { check: tcpCheck }) };
const manifest = sampleManifest((d) => d.monitors.push(monitors.dns, monitors.mx, monitors.tcp));

/** The steps as `wk test --unit` reads them from a test module, checked against the manifest. */
function parse(monitor: MonitorSpec, steps: Record<string, unknown>[]) {
  const raw = { file: "tests/dns.wktest.ts", line: 3, column: 1, name: "t", monitorId: monitor.id, start: "2026-12-05T03:12:00Z", steps: steps.map((s, i) => ({ at: `+${i}m`, ...s })), expect: [{ at: "+0s", alert: "inactive" }], others: [] };
  return parseTest(raw, manifest);
}

function actions(monitor: MonitorSpec, steps: Record<string, unknown>[]): StepAction[] {
  const { test, problems } = parse(monitor, steps);
  expect(problems).toEqual([]);
  return test!.steps.map((s) => s.action);
}

function context(monitor: MonitorSpec): CheckContext {
  return { now: new Date("2026-12-05T03:12:00Z"), startedAt: new Date("2026-12-05T03:00:00Z"), monitorId: monitor.id, signal: new AbortController().signal, secret: () => undefined, code: undefined, inbound: new InMemoryInboundEvents() };
}

/** Runs the monitor's check the way the unit-test simulation does, with the step as the world's answer. */
async function simulate(monitor: MonitorSpec, step: Record<string, unknown>): Promise<CheckOutcome> {
  const [action] = actions(monitor, [step]);
  return simulatedCheckRunner(() => action!)(monitor, context(monitor));
}

const only = (outcome: CheckOutcome) => {
  if (outcome.kind !== "results") throw new Error(`expected results, got ${JSON.stringify(outcome)}`);
  expect(outcome.results).toHaveLength(1);
  return outcome.results[0]!;
};

describe("DNS steps in wk test --unit are judged by the runtime's DNS check", () => {
  test("records that hold every expected value pass, with the answers, the lookup time and each nameserver in the result", async () => {
    const r = only(await simulate(monitors.dns, { dns: { answers: ["ns1.example.net.", "ns2.example.net."], latency: "20ms" } }));
    expect(r).toMatchObject({ ok: true, value: 20, durationMs: 20, message: "NS example.com: ns1.example.net., ns2.example.net.; nameservers answering: 192.0.2.53, 198.51.100.53" });
    expect(r.details).toMatchObject({ name: "example.com", recordType: "NS", resolver: "system", answers: ["ns1.example.net.", "ns2.example.net."], answeringNameservers: ["192.0.2.53", "198.51.100.53"], silentNameservers: [] });
  });

  test("a nameserver that times out, or answers without a value, fails the check and is named", async () => {
    const r = only(
      await simulate(monitors.dns, { dns: { answers: ["ns1.example.net", "ns2.example.net"], nameservers: { "198.51.100.53": { rcode: "TIMEOUT" }, "192.0.2.53": { answers: ["ns1.example.net"] } } } }),
    );
    expect(r.ok).toBe(false);
    expect(r.message).toBe("nameserver 192.0.2.53 answered without ns2.example.net; nameserver 198.51.100.53 did not answer (timeout)");
    expect(r.details["silentNameservers"]).toEqual(["192.0.2.53", "198.51.100.53"]);
  });

  test("an rcode is what the resolver's error means to the runtime: NXDOMAIN and NODATA fail, REFUSED and TIMEOUT leave no result", async () => {
    const nx = only(await simulate(monitors.dns, { dns: { rcode: "NXDOMAIN" } }));
    // Nameservers the step leaves out answer as the resolver does.
    expect(nx).toMatchObject({
      ok: false,
      value: 0,
      message: "NS example.com: no such name (NXDOMAIN); nameserver 192.0.2.53 answered no such name (NXDOMAIN); nameserver 198.51.100.53 answered no such name (NXDOMAIN)",
    });
    expect(nx.details).toMatchObject({ answers: [], negative: "ENOTFOUND" });
    expect(only(await simulate(monitors.dns, { dns: { rcode: "NODATA" } })).details["negative"]).toBe("ENODATA");
    expect(await simulate(monitors.dns, { dns: { rcode: "REFUSED" } })).toMatchObject({ kind: "error", reason: "unreachable", error: "DNS server the system resolver refused the NS example.com query (EREFUSED)" });
    expect(await simulate(monitors.dns, { dns: { rcode: "TIMEOUT" } })).toMatchObject({ kind: "error", reason: "timeout" });
  });

  test("records are written as people write them: an MX answer matches its exchange", async () => {
    expect(only(await simulate(monitors.mx, { dns: { answers: ["10 mail.example.com"] } }))).toMatchObject({ ok: true, message: "MX example.com: 10 mail.example.com" });
    expect(only(await simulate(monitors.mx, { dns: { answers: ["10 other.example.com"] } })).message).toBe("MX example.com is missing mail.example.com (got 10 other.example.com)");
  });

  test("the older { ok, answers } step still gives the result directly", async () => {
    expect(only(await simulate(monitors.dns, { dns: { ok: false, message: "lame delegation" } }))).toMatchObject({ ok: false, message: "lame delegation" });
  });

  test("a bad DNS step is refused at its place, with the fix", () => {
    const problems = (step: Record<string, unknown>) => parse(monitors.dns, [step]).problems.map((p) => `${p.path}: ${p.message}`);
    expect(problems({ dns: { answers: [] } })).toEqual(['steps[0]: `dns` answers is empty; a name without records of this type answers rcode: "NODATA"']);
    expect(problems({ dns: { rcode: "NOPE" } })).toEqual(['steps[0]: `dns` rcode "NOPE" is not one of NXDOMAIN, NODATA, SERVFAIL, REFUSED, TIMEOUT']);
    expect(problems({ dns: { answers: ["a"], nameservers: { "203.0.113.9": { rcode: "TIMEOUT" } } } })).toEqual([
      "steps[0]: `dns` nameservers: 203.0.113.9 is not one of dns-ns's nameservers (192.0.2.53, 198.51.100.53)",
    ]);
  });
});

describe("TCP steps in wk test --unit are judged by the runtime's TCP check", () => {
  let server: Server;
  let openPort = 0;
  let closedPort = 0;
  beforeAll(async () => {
    server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    openPort = (server.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test("a connection carries the connect time and target, as a real connection's result does", async () => {
    const r = only(await simulate(monitors.tcp, { tcp: { connected: true, latency: "35ms" } }));
    expect(r).toEqual({ ok: true, value: 35, message: "connected to db.example.test:5432 in 35ms", labels: {}, details: { target: "db.example.test:5432", connectMs: 35 }, durationMs: 35 });
    // The real check against a real listener carries the same fields.
    const real = sampleMonitor("real-port", { check: { kind: "tcp", host: "127.0.0.1", port: openPort, timeout: "5s" } });
    const live = only(await runCheck(real, context(real)));
    expect(Object.keys(live.details).sort()).toEqual(Object.keys(r.details).sort());
    expect(live.message).toMatch(/^connected to 127\.0\.0\.1:\d+ in \d+ms$/);
  });

  test("a refused connection carries the socket's error code, as a real refused one does; a timeout takes the check's timeout", async () => {
    const refused = only(await simulate(monitors.tcp, { tcp: { connected: false } }));
    expect(refused).toMatchObject({ ok: false, value: null, message: "cannot connect to db.example.test:5432: ECONNREFUSED", details: { target: "db.example.test:5432", error: "ECONNREFUSED" } });
    const real = sampleMonitor("real-closed", { check: { kind: "tcp", host: "127.0.0.1", port: closedPort, timeout: "5s" } });
    expect(only(await runCheck(real, context(real))).details).toEqual({ target: `127.0.0.1:${closedPort}`, error: "ECONNREFUSED" });

    expect(only(await simulate(monitors.tcp, { tcp: { connected: false, error: "EHOSTUNREACH" } })).details["error"]).toBe("EHOSTUNREACH");
    const timeout = only(await simulate(monitors.tcp, { tcp: { connected: false, error: "timeout" } }));
    expect(timeout).toMatchObject({ ok: false, value: null, durationMs: 5000, details: { error: "timeout" } });
    expect(timeout.message).toMatch(/^no connection to db\.example\.test:5432 within 5/);
  });

  test("a bad TCP step is refused at its place, with the fix", () => {
    const problems = (step: Record<string, unknown>) => parse(monitors.tcp, [step]).problems.map((p) => p.message);
    expect(problems({ tcp: { connected: false, error: "refused" } })).toEqual(['`tcp` error "refused" is not a socket error code (ECONNREFUSED, EHOSTUNREACH, ...) or "timeout"']);
    expect(problems({ tcp: { connected: true, error: "ECONNREFUSED" } })).toEqual(["`tcp` a connected step has no error"]);
  });
});
