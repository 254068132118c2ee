import { spawn } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { routingKey, until } from "./support/harness.js";
import { ensureBuild, ROOT } from "./support/process.js";

describe("wk dev", () => {
  beforeAll(() => ensureBuild(), 180_000);

  it("starts recording servers, prints how to point a runtime at them, and prints what they receive", async () => {
    const proc = spawn(process.execPath, [join(ROOT, "bin/watchkeeper.js"), "dev"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    try {
      await until(() => /WK_PAGERDUTY_EVENTS_URL=(\S+)/.test(out) && out.includes("Ctrl-C"), 20_000, "wk dev banner");
      const events = /WK_PAGERDUTY_EVENTS_URL=(\S+)/.exec(out)![1]!;
      const good = { routing_key: routingKey("dev"), event_action: "trigger", dedup_key: "wk-dev", payload: { summary: "dev trial", source: "laptop", severity: "info" } };
      const ok = await fetch(`${events}/v2/enqueue`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(good) });
      expect(ok.status).toBe(202);
      const bad = await fetch(`${events}/v2/enqueue`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...good, routing_key: "short" }) });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ status: "invalid event", errors: [expect.stringContaining("routing_key")] });
      await until(() => out.includes("trigger wk-dev") && out.includes("-> 400"), 5000, "request lines");
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
