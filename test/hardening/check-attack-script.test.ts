import { describe, expect, it } from "vitest";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { MonitorCode } from "../../sdk/result.js";
import { runCheck } from "../../runtime/checks/index.js";
import { checkContext } from "../support/check-context.js";

// A script check runs the project's own code in the runtime. Whatever it returns, the outcome must
// be something the store can keep: a result the store cannot serialise is an evaluation that
// "fails alone and writes nothing" (runtime/store/conformance.ts), so a failing check never fires.

const monitor = { id: "queue-age", check: { kind: "script", timeout: "500ms" } } as unknown as MonitorSpec;

function run(fn: (...args: never[]) => unknown) {
  return runCheck(monitor, checkContext({ monitorId: "queue-age", code: { run: fn as unknown as MonitorCode["run"] } }));
}

describe("what a script returns", () => {
  it("details holding a BigInt (a row count from a database driver) keep the verdict and store as text", async () => {
    const out = await run(() => ({ ok: false, message: "queue stuck", details: { waiting: 12345678901234567890n } }));
    expect(out.kind).toBe("results");
    if (out.kind !== "results") return;
    expect(out.results[0]!.ok).toBe(false);
    expect(JSON.parse(JSON.stringify(out.results[0]!.details))).toEqual({ waiting: "12345678901234567890" });
  });

  it("circular details keep the verdict and store with the cycle marked", async () => {
    const job: Record<string, unknown> = { id: "job-1" };
    job.self = job;
    const out = await run(() => ({ ok: false, details: { job } }));
    expect(out.kind).toBe("results");
    if (out.kind !== "results") return;
    expect(out.results[0]!.ok).toBe(false);
    expect(JSON.parse(JSON.stringify(out.results[0]!.details))).toEqual({ job: { id: "job-1", self: "[circular]" } });
  });

  it("details serialise as JSON.stringify would: Dates as ISO text, toJSON honoured, functions dropped", async () => {
    const at = new Date("2026-03-01T11:59:00Z");
    const out = await run(() => ({ ok: true, details: { at, amount: { toJSON: () => "12.50" }, retry: () => undefined, missing: undefined } }));
    expect(out).toMatchObject({ kind: "results", results: [{ details: { at: "2026-03-01T11:59:00.000Z", amount: "12.50" } }] });
    if (out.kind === "results") expect(Object.keys(out.results[0]!.details)).toEqual(["at", "amount"]);
  });

  it("details that are not an object are kept under a name instead of becoming the details", async () => {
    const out = await run(() => ({ ok: true, details: "all good" }));
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true, details: { value: "all good" } }] });
  });

  it("a message that is not text is a code error naming the field", async () => {
    const out = await run(() => ({ ok: false, message: { code: 7 } }));
    expect(out).toMatchObject({ kind: "error", reason: "code", error: "script of queue-age returned a message that is an object; expected a string" });
  });

  it("labels that are not an object of strings are a code error naming the field", async () => {
    const out = await run(() => ({ ok: false, labels: ["emails"] }));
    expect(out).toMatchObject({ kind: "error", reason: "code", error: "script of queue-age returned labels that are an array; expected an object of strings" });
  });

  it("a script that never settles and ignores its signal is cut off at its timeout", async () => {
    const started = performance.now();
    const out = await run(() => new Promise(() => undefined));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out).toMatchObject({ kind: "error", reason: "timeout", error: "check of queue-age timed out after 500ms" });
  });
});
