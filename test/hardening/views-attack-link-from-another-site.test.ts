import { createServer, type Server } from "node:http";
import { chromium, type Browser } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "link-token-4c7e";

let rt: HttpRuntime | null = null;
let other: Server | null = null;
let browser: Browser | null = null;
afterEach(async () => {
  await browser?.close();
  other?.close();
  await rt?.stop();
  [rt, other, browser] = [null, null, null];
});

/**
 * The session cookie is SameSite=Strict, so a browser withholds it from a navigation another site
 * started: the link in a Slack message, a PagerDuty incident or an email. Without more, every such
 * link sent a signed-in engineer to the sign-in form in the middle of an incident. The page a link
 * lands on must open for a signed-in browser, and still ask a signed-out one to sign in.
 */
describe("views: a link from another site to a team page", () => {
  it("opens the page for a signed-in browser, whether it says where the link came from (localhost, https) or only its Referer does (plain http)", async () => {
    rt = await startHttpRuntime({ monitors: [monitorSpec({ id: "site", name: "Site up", schedule: { kind: "every", every: "1h" } })], env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const port = new URL(rt.url).port;
    other = createServer((req, res) => {
      res.setHeader("content-type", "text/html");
      const target = new URL(req.url ?? "/", "http://x").searchParams.get("to") ?? "";
      res.end(`<a id="go" href="${target}">open</a>`);
    });
    await new Promise<void>((resolve) => other!.listen(0, "127.0.0.1", resolve));
    const chat = `http://chat.test:${(other.address() as { port: number }).port}`;
    browser = await chromium.launch({
      executablePath: process.env["WK_CHROMIUM"] || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--host-resolver-rules=MAP wk.corp.test 127.0.0.1, MAP chat.test 127.0.0.1"],
    });
    for (const runtime of [`http://127.0.0.1:${port}`, `http://wk.corp.test:${port}`]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const follow = async () => {
        await page.goto(`${chat}/?to=${encodeURIComponent(`${runtime}/monitors/site`)}`);
        await page.click("#go");
        // The page that lands (the monitor's, or the sign-in form) has a heading; a page passed through has none.
        await page.waitForSelector("h1");
        return new URL(page.url());
      };
      // Signed out: the link ends at the sign-in form, which returns to the page.
      const out = await follow();
      expect(out.pathname, runtime).toBe("/login");
      expect(out.searchParams.get("next"), runtime).toBe("/monitors/site");
      await page.fill("#token", TOKEN);
      await page.click("button[type=submit]");
      await page.waitForURL((url) => url.pathname === "/monitors/site");
      // Signed in: the link opens the page.
      const landed = await follow();
      expect(landed.pathname, runtime).toBe("/monitors/site");
      expect(await page.textContent("h1"), runtime).toContain("Site up");
      await context.close();
    }
  }, 60_000);
});
