import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../logger.js";
import { CodeHost, CodeHostError } from "./code-host.js";

// The project's code as a compiled monitors.mjs: some monitors behave, others never return, exit
// the thread or throw from a timer.
const BUNDLE = `
import * as workerThreads from "node:worker_threads";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let calls = 0;
export default {
  healthy: {
    condition: (r) => r.value > 10,
    summary: (r, m) => m.name + " is at " + r.value,
    run: async ({ now, secret, signal }) => { await sleep(150); return { ok: true, value: now.getTime(), message: secret("TOKEN") ?? "none", details: { at: now, f: () => 1, big: 5n, j: { toJSON: () => "as-json" } } }; },
    extract: (body) => body.items.length,
  },
  "loops-sync": { condition: () => { while (true) {} } },
  "loops-a": { condition: () => { while (true) {} } },
  "loops-b": { summary: () => { while (true) {} } },
  "loops-c": { extract: () => { while (true) {} } },
  "loops-later": { run: async () => { await sleep(20); for (;;) {} } },
  "loops-in-getter": { run: async () => ({ ok: true, get message() { for (;;) {} } }) },
  exits: { run: async () => { await sleep(20); process.exit(3); } },
  "throws-later": { run: async () => { setTimeout(() => { throw new Error("late"); }, 1); return true; } },
  throws: { condition: () => { throw new TypeError("bad field"); } },
  counts: { condition: () => { calls++; return calls > 1; } },
  proxy: { extract: () => new Proxy({}, {}) },
  getter: { extract: () => ({ get n() { throw new Error("getter broke"); } }) },
  hogs: { run: async () => { const keep = []; for (;;) keep.push(new Array(1e6).fill(1)); } },
  ignores: { run: () => new Promise(() => undefined) },
  "leaves-a-loop": { condition: () => { setTimeout(() => { for (;;) {} }, 30); return true; } },
  "closes-port": { condition: () => { workerThreads.parentPort.close(); return true; } },
  "patches-atomics": { condition: () => { Atomics.add = () => 0; Atomics.store = () => 0; return true; } },
  "throws-a-loop": { condition: () => { throw { toString() { for (;;) {} } }; } },
  "timer-throws-a-loop": { condition: () => { setTimeout(() => { throw { toString() { for (;;) {} } }; }, 1); return true; } },
  "finds-the-slot": { condition: () => workerThreads.workerData?.shared === undefined && !Object.values(workerThreads.workerData ?? {}).some((v) => v instanceof SharedArrayBuffer) },
};
`;

/** A bundle whose top level sets a loop going in a timer, and one that reaches the loop through a promise no call started. */
const LOAD_TIMER_BUNDLE = `
setTimeout(() => { for (;;) {} }, 50);
setInterval(() => { for (;;) {} }, 80);
setImmediate(() => { globalThis.ranImmediate = true; });
export default { healthy: { condition: () => globalThis.ranImmediate !== true } };
`;
const OUTSIDE_LOOP_BUNDLE = `
// A message port opened at the top level: its callbacks run in no call's context.
const { port1, port2 } = new MessageChannel();
port1.on("message", () => { for (;;) {} });
let poked = false;
export default {
  healthy: { run: async () => { await new Promise((r) => setTimeout(r, 100)); return true; } },
  pokes: { condition: () => { if (!poked) { poked = true; port2.postMessage(1); } return true; } },
};
`;

const silent = pino({ level: "silent" });
let dir: string | undefined;
const hosts: CodeHost[] = [];

function host(options: { stallMs?: number; heapMb?: number; bundle?: string; sealed?: boolean; callDeadlineMs?: number; logged?: { level: string; lines: string[] } } = {}) {
  dir = mkdtempSync(join(tmpdir(), "wk-code-host-"));
  writeFileSync(join(dir, "monitors.mjs"), options.bundle ?? BUNDLE);
  const restarts: string[] = [];
  const logged = options.logged;
  const h = new CodeHost({
    bundleUrl: pathToFileURL(join(dir, "monitors.mjs")).href,
    ...(options.sealed ? { bundleSha256: createHash("sha256").update(options.bundle ?? BUNDLE).digest("hex") } : {}),
    logger: logged ? pino({ level: logged.level }, { write: (line: string) => void logged.lines.push(JSON.parse(line).msg) }) : silent,
    stallMs: options.stallMs ?? 400,
    quarantineMs: 60_000,
    ...(options.heapMb ? { heapMb: options.heapMb } : {}),
    ...(options.callDeadlineMs ? { callDeadlineMs: options.callDeadlineMs } : {}),
    onRestart: (reason) => restarts.push(reason),
  });
  hosts.push(h);
  return { h, restarts };
}

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the project's code runs in a worker the runtime can end", () => {
  it("answers conditions, summaries, extracts and scripts as the code would", async () => {
    const { h } = host();
    await expect(h.call("healthy", "condition", [{ value: 11 }])).resolves.toBe(true);
    await expect(h.call("healthy", "condition", [{ value: 9 }])).resolves.toBe(false);
    await expect(h.call("healthy", "summary", [{ value: 3 }, { name: "API" }])).resolves.toBe("API is at 3");
    await expect(h.call("healthy", "extract", [{ items: [1, 2, 3] }, {}])).resolves.toBe(3);
    const now = new Date("2026-03-01T12:00:00Z");
    const outcome = await h.call("healthy", "run", [{ now }], { timeoutMs: 1000, secrets: { TOKEN: "t0ken" } });
    // As JSON.stringify would see it: toJSON honoured, functions dropped; BigInts left for the runtime's normalising.
    expect(outcome).toEqual({ ok: true, value: now.getTime(), message: "t0ken", details: { at: now.toISOString(), big: 5n, j: "as-json" } });
  });

  it("keeps the code's state between calls (a module-level counter)", async () => {
    const { h } = host();
    await expect(h.call("counts", "condition", [{}])).resolves.toBe(false);
    await expect(h.call("counts", "condition", [{}])).resolves.toBe(true);
  });

  it("an error the code throws arrives with its own message", async () => {
    const { h } = host();
    const error = await h.call("throws", "condition", [{}]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CodeHostError);
    expect((error as Error).message).toBe("bad field");
  });

  it("stops a condition that never returns, blames its monitor alone, and answers the others", async () => {
    const { h, restarts } = host();
    const innocent = h.call("healthy", "run", [{ now: new Date() }], { timeoutMs: 5000 });
    const culprit = h.call("loops-sync", "condition", [{}]).catch((e: unknown) => e);
    const started = performance.now();
    const error = await culprit;
    expect(error).toBeInstanceOf(CodeHostError);
    expect((error as Error).message).toMatch(/^ran for more than 400 ms without returning \(an endless loop\?\) and was stopped$/);
    expect(performance.now() - started).toBeLessThan(3000);
    // The script that was waiting on a timer in the same thread is run again on the new one.
    await expect(innocent).resolves.toMatchObject({ ok: true });
    expect(restarts).toEqual(["stalled"]);
    // Held back: no new thread and no new stall for every tick of a broken monitor.
    const again = await h.call("loops-sync", "condition", [{}]).catch((e: unknown) => e);
    expect((again as Error).message).toMatch(/^is held back for 1 min: its condition ran for more than 400 ms/);
    expect(restarts).toEqual(["stalled"]);
    await expect(h.call("healthy", "condition", [{ value: 50 }])).resolves.toBe(true);
  });

  it("an innocent call in flight through several culprits' stalls in a row is answered, not failed", async () => {
    const { h, restarts } = host();
    const innocent = h.call("healthy", "run", [{ now: new Date() }], { timeoutMs: 10_000 });
    const culprits = await Promise.all([
      h.call("loops-a", "condition", [{}]).catch((e: unknown) => e),
      h.call("loops-b", "summary", [{}, {}]).catch((e: unknown) => e),
      h.call("loops-c", "extract", [{}, {}]).catch((e: unknown) => e),
    ]);
    for (const error of culprits) expect((error as Error).message).toMatch(/without returning/);
    expect(restarts).toEqual(["stalled", "stalled", "stalled"]);
    await expect(innocent).resolves.toMatchObject({ ok: true });
  });

  it("finds the culprit when the loop runs after an await, and in a getter of what it returned", async () => {
    const { h } = host();
    const later = await h.call("loops-later", "run", [{ now: new Date() }], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((later as Error).message).toMatch(/without returning/);
    const getter = await h.call("loops-in-getter", "run", [{ now: new Date() }], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((getter as Error).message).toMatch(/without returning/);
    await expect(h.call("healthy", "condition", [{ value: 50 }])).resolves.toBe(true);
  });

  it("blames the monitor whose finished call left a loop behind in a timer, not the call in flight when it spun", async () => {
    const { h, restarts } = host();
    await expect(h.call("leaves-a-loop", "condition", [{}])).resolves.toBe(true);
    // This script is waiting on its timer when the leftover loop takes the thread: it is sent again, not failed.
    await expect(h.call("healthy", "run", [{ now: new Date() }], { timeoutMs: 5000 })).resolves.toMatchObject({ ok: true });
    expect(restarts).toEqual(["stalled"]);
    await expect(h.call("leaves-a-loop", "condition", [{}])).rejects.toThrow(/^is held back for 1 min: its condition ran for more than 400 ms without returning/);
    await expect(h.call("healthy", "condition", [{ value: 50 }])).resolves.toBe(true);
  });

  it("code that replaces Atomics' methods does not hide a later stall", async () => {
    const { h } = host();
    await expect(h.call("patches-atomics", "condition", [{}])).resolves.toBe(true);
    await expect(h.call("loops-sync", "condition", [{}])).rejects.toThrow(/without returning/);
  });

  it("a worker whose code closed its port fails the call after the deadline instead of holding the tick for ever", async () => {
    const { h } = host({ callDeadlineMs: 300 });
    await expect(h.call("closes-port", "condition", [{}])).rejects.toThrow("got no answer from the code worker within 300 ms");
    // The deaf worker is replaced: the next call is answered.
    await expect(h.call("healthy", "condition", [{ value: 50 }])).resolves.toBe(true);
  });

  it("process.exit in the code ends the worker, not the runtime", async () => {
    const { h, restarts } = host();
    const error = await h.call("exits", "run", [{ now: new Date() }], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe("was running when the code ended the worker (process.exit(3))");
    expect(restarts).toEqual(["exited"]);
    await expect(h.call("healthy", "condition", [{ value: 50 }])).resolves.toBe(true);
  });

  it("code that fills its heap ends the worker, not the runtime", async () => {
    const { h, restarts } = host({ heapMb: 32, stallMs: 10_000 });
    const error = await h.call("hogs", "run", [{ now: new Date() }], { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodeHostError);
    expect((error as Error).message).toBe("was running when the code filled the worker's 32 MB heap");
    expect(restarts).toEqual(["exited"]);
    await expect(h.call("healthy", "condition", [{ value: 50 }])).resolves.toBe(true);
  });

  it("a throw from a timer the code set is reported and the worker goes on", async () => {
    const { h } = host();
    await expect(h.call("throws-later", "run", [{ now: new Date() }], { timeoutMs: 1000 })).resolves.toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    await expect(h.call("healthy", "condition", [{ value: 50 }])).resolves.toBe(true);
  });

  it("what the code returns is read as JSON would read it: a Proxy is its fields, a throwing getter the call's error", async () => {
    const { h } = host();
    await expect(h.call("proxy", "extract", [{}, {}])).resolves.toEqual({});
    await expect(h.call("getter", "extract", [{}, {}])).rejects.toThrow("getter broke");
  });

  it("a script that ignores its signal is abandoned when the caller's signal aborts", async () => {
    const { h } = host();
    const stop = new AbortController();
    const pending = h.call("ignores", "run", [{ now: new Date() }], { timeoutMs: 100, signal: stop.signal }).catch((e: unknown) => e);
    setTimeout(() => stop.abort(new Error("timed out")), 100);
    expect(((await pending) as Error).message).toBe("timed out");
  });

  it("a thrown value whose toString loops is blamed on the call that threw it, not on the calls beside it", async () => {
    const { h, restarts } = host();
    const innocent = h.call("healthy", "run", [{ now: new Date() }], { timeoutMs: 5000 });
    await expect(h.call("throws-a-loop", "condition", [{}])).rejects.toThrow(/without returning/);
    await expect(innocent).resolves.toMatchObject({ ok: true });
    await expect(h.call("throws-a-loop", "condition", [{}])).rejects.toThrow(/^is held back for 1 min/);
    // The same from a timer the call left behind: the error is read as its owner's.
    await expect(h.call("timer-throws-a-loop", "condition", [{}])).resolves.toBe(true);
    await expect(h.call("healthy", "run", [{ now: new Date() }], { timeoutMs: 5000 })).resolves.toMatchObject({ ok: true });
    await expect(h.call("timer-throws-a-loop", "condition", [{}])).rejects.toThrow(/^is held back for 1 min/);
    expect(restarts).toEqual(["stalled", "stalled"]);
  });

  it("the code cannot reach the worker's shared slot to fake its heartbeat", async () => {
    const { h } = host();
    await expect(h.call("finds-the-slot", "condition", [{}])).resolves.toBe(true);
  });

  it("timers the bundle sets at its top level never run in the worker, and the runtime says so once", async () => {
    const warnings: string[] = [];
    const { h, restarts } = host({ bundle: LOAD_TIMER_BUNDLE, logged: { level: "warn", lines: warnings } });
    await expect(h.call("healthy", "condition", [{}])).resolves.toBe(true);
    await new Promise((r) => setTimeout(r, 700));
    await expect(h.call("healthy", "condition", [{}])).resolves.toBe(true);
    expect(restarts).toEqual([]);
    expect(warnings.filter((w) => /set timers at its top level while loading; they were cancelled/.test(w))).toHaveLength(1);
  });

  it("a loop in code no call started fails no call: those in flight are sent again", async () => {
    const errors: string[] = [];
    const { h, restarts } = host({ bundle: OUTSIDE_LOOP_BUNDLE, logged: { level: "error", lines: errors } });
    const innocent = h.call("healthy", "run", [{ now: new Date() }], { timeoutMs: 5000 });
    await expect(h.call("pokes", "condition", [{}])).resolves.toBe(true);
    await expect(innocent).resolves.toBe(true);
    expect(restarts).toEqual(["stalled"]);
    expect(errors.join("\n")).toMatch(/in code monitors\.mjs runs outside any monitor's function/);
    // Nobody is held back: no call's code was running.
    await expect(h.call("pokes", "condition", [{}])).resolves.toBe(true);
  });

  it("a worker started after monitors.mjs changed on disk runs none of the new code: calls fail, naming the change", async () => {
    const { h } = host({ sealed: true });
    await expect(h.call("counts", "condition", [{}])).resolves.toBe(false);
    // A compile into the same folder (or half a deploy) while the runtime runs; then a stall replaces the worker.
    writeFileSync(join(dir!, "monitors.mjs"), BUNDLE.replace("calls > 1", "true").replace("r.value > 10", "true"));
    await h.call("loops-sync", "condition", [{}]).catch(() => undefined);
    const error = await h.call("healthy", "condition", [{ value: 1 }]).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/monitors\.mjs changed on disk since this runtime started .*restart the runtime on both files of one `wk compile`/);
  });

  it("a bundle whose top-level code throws fails calls with the reason, and closes cleanly", async () => {
    const { h } = host({ bundle: "throw new Error('no config'); export default {};" });
    const error = await h.call("healthy", "condition", [{}]).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/did not load in the code worker: no config/);
    await h.close();
    await expect(h.call("healthy", "condition", [{}])).rejects.toThrow(/the runtime is stopping/);
  });
});

describe("what the project's code prints", () => {
  it("goes through the runtime's log, redacted, never straight to its stdout or stderr", async () => {
    const canary = "print-canary-7d1a-not-in-logs";
    const bundle = `export default { prints: { condition: () => { console.log("debug token=" + process.env.PRINT_TOKEN); console.error("failed with", process.env.PRINT_TOKEN); process.stdout.write("partial "); return true; } } };`;
    dir = mkdtempSync(join(tmpdir(), "wk-code-host-"));
    writeFileSync(join(dir, "monitors.mjs"), bundle);
    let logged = "";
    const destination = new Writable({ write(chunk, _enc, done) { logged += String(chunk); done(); } });
    const written: string[] = [];
    const spies = [process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, "write").mockImplementation(((chunk: unknown) => {
        written.push(String(chunk));
        return true;
      }) as typeof stream.write),
    );
    const before = process.env["PRINT_TOKEN"];
    process.env["PRINT_TOKEN"] = canary;
    try {
      const h = new CodeHost({ bundleUrl: pathToFileURL(join(dir, "monitors.mjs")).href, logger: createLogger({ secretValues: () => [canary], destination }), stallMs: 2_000 });
      hosts.push(h);
      await expect(h.call("prints", "condition", [{}])).resolves.toBe(true);
      await vi.waitFor(() => expect(logged).toContain("failed with [redacted]"), { timeout: 10_000 });
      await h.close();
      expect(logged).toContain("debug token=[redacted]");
      // A line without its end is logged when the worker's stream ends, which may come after close.
      await vi.waitFor(() => expect(logged).toContain("partial"), { timeout: 10_000 });
      expect(logged).not.toContain(canary);
      expect(written.join("")).not.toContain(canary);
    } finally {
      for (const spy of spies) spy.mockRestore();
      if (before === undefined) delete process.env["PRINT_TOKEN"];
      else process.env["PRINT_TOKEN"] = before;
    }
  });
});
