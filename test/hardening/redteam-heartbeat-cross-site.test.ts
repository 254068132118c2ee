import { createServer, type Server } from "node:http";
import { chromium } from "playwright-core";
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

  it("is not taken from a page on another site when the runtime is reached over plain http, where browsers say nothing of where a request comes from", async () => {
    rt = await startHttpRuntime({ monitors });
    const port = new URL(rt.url).port;
    // Fetch Metadata (Sec-Fetch-Site) goes only to https and localhost, and an <img> sends no
    // Origin: to http://wk.corp.test an image on another site looks like a cron job's GET.
    const attacker: Server = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<img src="http://wk.corp.test:${port}/heartbeat/nightly-backup" referrerpolicy="no-referrer"><a id="go" href="http://wk.corp.test:${port}/heartbeat/nightly-backup">go</a>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    const browser = await chromium.launch({
      executablePath: process.env["WK_CHROMIUM"] || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--host-resolver-rules=MAP wk.corp.test 127.0.0.1, MAP attacker.test 127.0.0.1"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://attacker.test:${(attacker.address() as { port: number }).port}/`);
      await page.click("#go");
      await page.waitForLoadState();
      expect(await page.textContent("body")).toContain("give the heartbeat a token");
      expect(await rt.runtime.store.lastHeartbeat("nightly-backup")).toBeNull();
    } finally {
      await browser.close();
      attacker.close();
    }
    const ping = (headers: Record<string, string>) => fetch(`${rt!.url}/heartbeat/nightly-backup`, { headers }).then((r) => r.status);
    // Scripts and schedulers, whatever they call themselves, still ping.
    for (const agent of ["curl/8.5.0", "Wget/1.21.4", "python-requests/2.31.0", "Go-http-client/1.1", "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.1"]) {
      expect(await ping({ "user-agent": agent }), agent).toBe(200);
    }
    // A browser that says where its request comes from (https, localhost) is judged by that.
    const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    expect(await ping({ "user-agent": chrome, "sec-fetch-site": "none" })).toBe(200);
    expect(await ping({ "user-agent": chrome, "sec-fetch-site": "cross-site" })).toBe(403);
    expect(await ping({ "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" })).toBe(403);
  }, 60_000);

  it("is not taken from a page on a rebound DNS name, which the browser counts as the runtime's own origin", async () => {
    rt = await startHttpRuntime({ monitors, publicUrl: "http://wk.corp.test" });
    const port = new URL(rt.url).port;
    // --host-resolver-rules plays the attacker's DNS: their name now resolves to the runtime's
    // address, so their page's script reaches it as same-origin, with their name as Host.
    const browser = await chromium.launch({
      executablePath: process.env["WK_CHROMIUM"] || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1, MAP wk.corp.test 127.0.0.1"],
    });
    try {
      const page = await browser.newPage();
      const ping = () => page.evaluate(async () => [(await fetch("/heartbeat/nightly-backup")).status, (await fetch("/heartbeat/nightly-backup", { method: "POST" })).status]);
      // The public status page answers any Host: the attacker's page is served by the runtime itself.
      await page.goto(`http://rebind.attacker.test:${port}/status`);
      expect(await ping()).toEqual([403, 403]);
      expect(await rt.runtime.store.lastHeartbeat("nightly-backup")).toBeNull();
      // Posted from a page of the runtime, by a name it answers to (its publicUrl's host), it counts.
      await page.goto(`http://wk.corp.test:${port}/status`);
      expect((await ping())[1]).toBe(200);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
