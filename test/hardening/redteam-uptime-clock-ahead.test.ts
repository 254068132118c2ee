import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

// An uptime service's clock may run up to a minute ahead of the runtime's (the accepted skew). A
// report that says when it was made must still be judged against the reports before it on the
// sender's own clock: an older report replayed (or retried late) never overwrites a newer one.

const UPTIME_TOKEN = "canary-uptime-token-clock-4e";
const monitors = [monitorSpec({ id: "site-uptime", schedule: { kind: "every", every: "1h" }, check: { kind: "webhook", format: "generic", token: { secret: "UPTIME_TOKEN" } } as never })];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

const report = (body: Record<string, unknown>) =>
  fetch(`${rt!.url}/webhooks/uptime/site-uptime`, { method: "POST", headers: { "content-type": "application/json", "x-watchkeeper-token": UPTIME_TOKEN }, body: JSON.stringify(body) });

describe("uptime reports from a sender whose clock runs ahead", () => {
  it("an earlier report sent after a later one changes nothing, though both lie ahead of the runtime's clock", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["UPTIME_TOKEN"], env: { UPTIME_TOKEN } });
    const now = Date.now();
    // The sender, 50 s ahead, reported up at its 12:00:00 and down at its 12:00:20.
    const up = { up: true, message: "recovered", at: new Date(now + 30_000).toISOString() };
    const down = { up: false, message: "HTTP 503 from the origin", at: new Date(now + 50_000).toISOString() };
    expect((await report(down)).status).toBe(202);
    // The earlier "up" arrives now: a late retry, or someone replaying what they captured.
    const late = await report(up);
    expect(((await late.json()) as { status: string }).status).toBe("out-of-order");
    expect(await rt.runtime.store.lastUptimeReport("site-uptime")).toMatchObject({ up: false, message: "HTTP 503 from the origin" });
    // A later report from the same sender still goes through.
    expect((await report({ up: true, message: "back", at: new Date(now + 55_000).toISOString() })).status).toBe(202);
  });
});
