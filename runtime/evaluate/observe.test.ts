import { describe, expect, it } from "vitest";
import { monitorSpec } from "../../test/runtime/support/manifest.js";
import type { CheckResult } from "../../sdk/result.js";
import { observe } from "./observe.js";
import { withScrubbedSummary } from "./summary.js";

const result = (over: Partial<CheckResult> = {}): CheckResult => ({
  ok: true, value: 120, message: "HTTP 200 in 120ms", labels: {}, details: {}, durationMs: 120, ...over,
});

describe("observe", () => {
  it("gives the observation the result's details with its message and duration, a `__proto__` key kept as data", () => {
    const m = monitorSpec({ id: "api" });
    const details = JSON.parse('{"status": 200, "__proto__": {"polluted": true}, "message": "from the check"}') as Record<string, unknown>;
    const o = observe({ kind: "results", results: [result({ details })] }, m, undefined, [])[0]!.observation;
    const seen = (o as { details: Record<string, unknown> }).details;
    expect(seen).toEqual({ ...details, message: "HTTP 200 in 120ms", durationMs: 120 });
    expect(Object.keys(seen)).toEqual(["status", "__proto__", "message", "durationMs"]);
    expect(Object.getPrototypeOf(seen)).toBe(Object.prototype);
    expect((seen as { polluted?: boolean }).polluted).toBeUndefined();
    expect(seen).not.toBe(details);
  });

  it("observes a result that carries no details at all, as before", () => {
    const m = monitorSpec({ id: "api" });
    const o = observe({ kind: "results", results: [result({ details: null as unknown as Record<string, unknown> })] }, m, undefined, [])[0]!.observation;
    expect((o as { details: Record<string, unknown> }).details).toEqual({ message: "HTTP 200 in 120ms", durationMs: 120 });
  });

  it("fires on the check's own failure when there is no threshold or condition", () => {
    const m = monitorSpec({ id: "api" });
    expect(observe({ kind: "results", results: [result({ ok: false })] }, m, undefined, [])[0]!.observation.kind).toBe("failing");
    expect(observe({ kind: "results", results: [result()] }, m, undefined, [])[0]!.observation.kind).toBe("ok");
  });

  it("applies the threshold to the value (alert when value op threshold)", () => {
    const m = monitorSpec({ id: "api", threshold: { op: ">", value: 500 } });
    expect(observe({ kind: "results", results: [result({ value: 900 })] }, m, undefined, [])[0]!.firing).toBe(true);
    expect(observe({ kind: "results", results: [result({ value: 100 })] }, m, undefined, [])[0]!.firing).toBe(false);
  });

  it("lets the code condition decide, and treats a throwing condition as a check error", () => {
    const m = monitorSpec({ id: "api", code: { condition: true, summary: false, run: false, extract: false }, onError: "unknown" });
    const code = { condition: (r: CheckResult) => (r.value ?? 0) > 100 };
    expect(observe({ kind: "results", results: [result()] }, m, code, [])[0]!.observation.kind).toBe("failing");
    const throwing = { condition: () => { throw new Error("boom"); } };
    const out = observe({ kind: "results", results: [result()] }, m, throwing, [])[0]!;
    expect(out.observation).toEqual({ kind: "unknown", reason: "condition threw: boom" });
  });

  it("treats a vanished series as ok and keeps per-series labels", () => {
    const m = monitorSpec({ id: "prom" });
    const out = observe({ kind: "results", results: [result({ labels: { instance: "a" }, ok: false })] }, m, undefined, [{ instance: "a" }, { instance: "b" }]);
    expect(out.map((o) => [o.labels, o.observation.kind])).toEqual([[{ instance: "a" }, "failing"], [{ instance: "b" }, "ok"]]);
  });

  it("fires for every returned PromQL series when the monitor has no threshold or condition, like an alerting rule", () => {
    const m = monitorSpec({
      id: "errors",
      check: { kind: "prometheus", server: "http://127.0.0.1:9090", query: "rate(x[5m]) > 0.05", headers: {}, timeout: "5s" },
    });
    const out = observe({ kind: "results", results: [result({ labels: { pod: "a" }, value: 0.2 })] }, m, undefined, [{ pod: "b" }]);
    expect(out.map((o) => [o.labels, o.observation.kind])).toEqual([[{ pod: "a" }, "failing"], [{ pod: "b" }, "ok"]]);
  });

  it("a PromQL threshold monitor fires on +Inf but not on NaN or -Inf, as `x > 5` in Prometheus", () => {
    const m = monitorSpec({
      id: "temp",
      threshold: { op: ">", value: 5 },
      check: { kind: "prometheus", server: "http://127.0.0.1:9090", query: "temp", headers: {}, timeout: "5s" },
    });
    const fired = (value: number | null) => observe({ kind: "results", results: [result({ value })] }, m, undefined, [])[0]!.firing;
    expect([fired(NaN), fired(Infinity), fired(-Infinity), fired(null), fired(9)]).toEqual([false, true, false, false, true]);
  });

  it("refuses results that share a label set once the monitor's labels win, naming it, and records the error", () => {
    const m = monitorSpec({ id: "pair", labels: { team: "ops" }, onError: "unknown" });
    const out = observe({ kind: "results", results: [result({ labels: { x: "1", team: "a" } }), result({ labels: { x: "1", team: "b" } })] }, m, undefined, []);
    expect(out).toHaveLength(1);
    expect(out[0]!.observation).toEqual({ kind: "unknown", reason: 'vector contains metrics with the same labelset after applying alert labels: {team="ops", x="1"}' });
    expect(out[0]!.error).toMatchObject({ reason: "duplicate-labelset" });
  });

  it("maps a check error to failing or unknown as onError says", () => {
    expect(observe({ kind: "error", error: "timeout", durationMs: 5 }, monitorSpec({ id: "a" }), undefined, [])[0]!.observation.kind).toBe("failing");
    expect(observe({ kind: "error", error: "timeout", durationMs: 5 }, monitorSpec({ id: "a", onError: "unknown" }), undefined, [])[0]!.observation.kind).toBe("unknown");
  });

  it("fills the summary template and caps its length", () => {
    const m = monitorSpec({ id: "api", name: "Payments API", summary: "{{name}} {{value}} {{message}} on {{labels.instance}}" });
    const out = observe({ kind: "results", results: [result({ ok: false, labels: { instance: "i-1" } })] }, m, undefined, []);
    expect(out[0]!.observation).toMatchObject({ summary: "Payments API 120 HTTP 200 in 120ms on i-1" });
    const long = observe({ kind: "results", results: [result({ ok: false, message: "x".repeat(5000) })] }, m, undefined, []);
    expect((long[0]!.observation as { summary: string }).summary.length).toBe(1024);
  });

  it("folds the summary onto one line and leaves unknown placeholders readable", () => {
    const m = monitorSpec({ id: "api", name: "Payments API", summary: "  {{name}}\n\t{{ message }}  {{nope}} {{labels.missing}}|" });
    const out = observe({ kind: "results", results: [result({ ok: false, message: "HTTP 500" })] }, m, undefined, []);
    expect(out[0]!.observation).toMatchObject({ summary: "Payments API HTTP 500 {{nope}} |" });
    const plain = monitorSpec({ id: "api", name: "Payments API", summary: "" });
    expect(observe({ kind: "results", results: [result({ ok: false, message: "HTTP 500" })] }, plain, undefined, [])[0]!.observation).toMatchObject({ summary: "Payments API: HTTP 500" });
  });
});

describe("a summary function's text", () => {
  it("is scrubbed of every declared secret, whether or not the function asked for it", () => {
    const canary = "canary-summary-7f3a-never-paged";
    const m = monitorSpec({ id: "api", code: { condition: false, summary: true, run: false, extract: false } });
    // The function reads the secret behind the runtime's back (process.env in real code).
    const code = withScrubbedSummary({ summary: (r) => `token ${canary} saw ${r.message}` }, () => [canary]);
    const result: CheckResult = { ok: false, value: null, message: "status 500", labels: {}, details: {}, durationMs: 3 };
    const [observed] = observe({ kind: "results", results: [result] }, m, code, []);
    expect(observed!.observation).toMatchObject({ summary: "token [redacted] saw status 500" });
    expect(withScrubbedSummary(undefined, () => [canary])).toBeUndefined();
  });
});

describe("an error a condition or summary function throws", () => {
  it("is scrubbed of every declared secret before it becomes the check's error or the page's summary", () => {
    const canary = "canary-thrown-9d2c-never-stored";
    const failing: CheckResult = { ok: false, value: null, message: "status 500", labels: {}, details: {}, durationMs: 3 };
    // The function reads the secret behind the runtime's back and throws it (a failed login, say).
    const summarising = monitorSpec({ id: "api", code: { condition: false, summary: true, run: false, extract: false } });
    const summary = withScrubbedSummary({ summary: () => { throw new Error(`login as ${canary} refused`); } }, () => [canary]);
    const [summarised] = observe({ kind: "results", results: [failing] }, summarising, summary, []);
    expect(JSON.stringify(summarised)).not.toContain(canary);
    expect(summarised!.observation).toMatchObject({ summary: expect.stringContaining("summary function failed: login as [redacted] refused") });

    const judging = monitorSpec({ id: "api", code: { condition: true, summary: false, run: false, extract: false }, onError: "unknown" });
    const condition = withScrubbedSummary({ condition: () => { throw new TypeError(`cannot read ${encodeURIComponent(canary)}`); } }, () => [canary]);
    const [judged] = observe({ kind: "results", results: [failing] }, judging, condition, []);
    expect(JSON.stringify(judged)).not.toContain("canary-thrown");
    expect(judged!.observation).toEqual({ kind: "unknown", reason: "condition threw: cannot read [redacted]" });
  });
});
