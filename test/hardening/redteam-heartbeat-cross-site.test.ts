import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

// A heartbeat without a token can be pinged by anyone who reaches the port. A page on another
// site reaches it through every colleague's browser that opens it (an <img> or a form post needs
// no script and no answer): it could keep a dead backup job looking alive from outside a network
// it cannot reach itself. Browsers say when a request is cross-site; cron jobs never do.

const monitors = [monitorSpec({ id: "nightly-backup", schedule: { kind: "every", every: "1h" }, check: { kind: "heartbeat", every: "1h", grace: "5m" } as never })];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

describe("a heartbeat without a token", () => {
  it("is not taken from a page on another site, and is from cron jobs and the runtime's own pages", async () => {
    rt = await startHttpRuntime({ monitors });
    const ping = (method: string, headers: Record<string, string>) => fetch(`${rt!.url}/heartbeat/nightly-backup`, { method, headers }).then((r) => r.status);
    // <img src> on another site, a form posted from it, a fetch from a sibling subdomain.
    expect(await ping("GET", { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image" })).toBe(403);
    expect(await ping("POST", { origin: "https://evil.example", "sec-fetch-site": "cross-site", "content-type": "application/x-www-form-urlencoded" })).toBe(403);
    expect(await ping("POST", { origin: "https://evil.example" })).toBe(403);
    expect(await ping("GET", { "sec-fetch-site": "same-site" })).toBe(403);
    expect(await rt.runtime.store.lastHeartbeat("nightly-backup")).toBeNull();
    // curl, wget, a cron job's HTTP client: no browser headers.
    expect(await ping("GET", {})).toBe(200);
    expect(await ping("POST", {})).toBe(200);
    // Opened by hand in a browser (a typed URL) or from the runtime's own page.
    expect(await ping("GET", { "sec-fetch-site": "none" })).toBe(200);
    expect(await ping("POST", { "sec-fetch-site": "same-origin", origin: rt.url })).toBe(200);
  });
});
