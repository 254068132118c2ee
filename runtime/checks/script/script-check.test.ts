import { describe, expect, it } from "vitest";
import type { MonitorCode } from "../../../sdk/result.js";
import { checkContext } from "../../../test/support/check-context.js";
import { runScriptCheck } from "./script-check.js";

const spec = { kind: "script", timeout: "1s" } as const;
const withRun = (run: MonitorCode["run"], secrets: Record<string, string> = {}) =>
  checkContext({ monitorId: "queue-age", code: { run }, secrets });

describe("script check", () => {
  it("passes the tick's time and secrets to the script", async () => {
    let seen: { now: Date; token: string | undefined } | null = null;
    await runScriptCheck(spec, withRun((ctx) => {
      seen = { now: ctx.now, token: ctx.secret("QUEUE_TOKEN") };
      return true;
    }, { QUEUE_TOKEN: "t0ken" }));
    expect(seen).toEqual({ now: new Date("2026-03-01T12:00:00Z"), token: "t0ken" });
  });

  it("normalises booleans, numbers and objects into check results", async () => {
    const [fromFalse] = await runScriptCheck(spec, withRun(() => false));
    expect(fromFalse).toMatchObject({ ok: false, value: null, message: "script failed" });
    const [fromNumber] = await runScriptCheck(spec, withRun(async () => 42));
    expect(fromNumber).toMatchObject({ ok: true, value: 42 });
    const [fromObject] = await runScriptCheck(spec, withRun(() => ({ ok: false, value: 7, message: "7 jobs stuck", labels: { queue: "emails" }, details: { oldest: "job-1" } })));
    expect(fromObject).toMatchObject({ ok: false, value: 7, message: "7 jobs stuck", labels: { queue: "emails" }, details: { oldest: "job-1" } });
  });

  it("a missing run export is an error naming the monitor", async () => {
    await expect(runScriptCheck(spec, checkContext({ monitorId: "queue-age", code: {} }))).rejects.toThrow("monitors.mjs has no run export for monitor queue-age");
  });

  it("a script that throws or returns garbage is a code error that says so", async () => {
    await expect(runScriptCheck(spec, withRun(() => { throw new Error("db down"); }))).rejects.toMatchObject({ reason: "code", message: "script of queue-age threw: db down" });
    await expect(runScriptCheck(spec, withRun((() => "yes") as unknown as MonitorCode["run"]))).rejects.toThrow(/returned a string; expected a boolean, a number/);
    await expect(runScriptCheck(spec, withRun(() => Number.NaN))).rejects.toThrow(/not a finite number/);
  });

  it("aborts the script's signal at the timeout", async () => {
    let aborted = false;
    const error = await runScriptCheck({ kind: "script", timeout: "100ms" }, withRun((ctx) => new Promise((_resolve, reject) => {
      ctx.signal.addEventListener("abort", () => { aborted = true; reject(new Error("stopped")); });
    }))).catch((e: unknown) => e);
    expect(aborted).toBe(true);
    expect(error).toMatchObject({ reason: "timeout" });
  });
});
