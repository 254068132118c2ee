import { accessSync, constants } from "node:fs";
import { createServer } from "node:http";
import { delimiter, isAbsolute, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { PagerDutyServer, SmtpFixture } from "../support/vendors/index.js";
import { makeHarness, until, type Harness } from "./support/harness.js";
import { testChannel, testManifest, testMonitor } from "./support/manifest.js";

const PASSWORD = "correct horse battery staple";
const smtp = new SmtpFixture();
const pd = new PagerDutyServer({ apiToken: "pd-token-emergency" });

function emergencyMonitor(id: string, title: string, channels: string[]): MonitorSpec {
  return testMonitor(id, {
    check: { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title },
    channels,
    ackChannels: ["customer"],
    diagnostics: [{ kind: "httpSweep", urls: ["https://shop.example.com/"], timeout: "5s" }],
    severity: "critical",
  });
}

function manifest(monitors: MonitorSpec[]) {
  return testManifest({
    monitors,
    channels: [
      testChannel("pd-incident", "pagerdutyIncident", { token: { secret: "PD_API_TOKEN" }, from: "oncall@example.com", service: "PSHOP01", urgency: "high", baseUrl: pd.url }),
      testChannel("customer", "email", {
        smtp: { host: "127.0.0.1", port: smtp.port, secure: false, user: null, password: null },
        from: "status@example.com",
        to: ["customer@example.com"],
      }),
    ],
    secrets: ["EMERGENCY_PASSWORD", "PD_API_TOKEN"],
  });
}

/** Playwright needs a path: resolve WK_CHROMIUM (default `chromium`) on PATH. */
function chromiumPath(): string {
  const name = process.env["WK_CHROMIUM"] || "chromium";
  if (isAbsolute(name)) return name;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found on PATH; set WK_CHROMIUM`);
}

const secrets = { EMERGENCY_PASSWORD: PASSWORD, PD_API_TOKEN: "pd-token-emergency" };

function form(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return { method: "POST", body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded", ...headers } };
}

/** The anti-forgery token of a freshly served form, as a browser would submit it. */
async function formToken(base: string): Promise<string> {
  const html = await (await fetch(`${base}/emergency`)).text();
  const m = /name="form_token" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("the form carries no form_token");
  return m[1]!;
}

describe("emergency page", () => {
  let h: Harness;
  beforeAll(async () => {
    await smtp.start();
    await pd.start();
  });
  afterEach(async () => h?.destroy());
  afterAll(async () => {
    await smtp.stop();
    await pd.stop();
  });

  const open = async (monitors: MonitorSpec[]) => {
    h = makeHarness({
      manifest: manifest(monitors),
      secrets,
      options: { diagnose: async (m) => `HTTP sweep for ${m.id}: https://shop.example.com/ 502 in 31ms`, emergencyAttemptsPerMinute: 5 },
    });
    return h.serve();
  };

  it("serves an accessible form: labelled fields, a monitor select only when there are several", async () => {
    let base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"])]);
    let html = await (await fetch(`${base}/emergency`)).text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<label for="message">');
    expect(html).toContain('<label for="password">');
    expect(html).toContain('type="hidden" name="monitor" value="shop-down"');
    expect(html).not.toContain("<select");
    await h.destroy();
    base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"]), emergencyMonitor("payments-down", "Payments fail", ["pd-incident"])]);
    html = await (await fetch(`${base}/emergency`)).text();
    expect(html).toContain('<label for="monitor">');
    expect(html).toContain('<option value="payments-down">Payments fail</option>');
  });

  it("opens a PagerDuty incident and emails the customer, with the diagnostics attached", async () => {
    const base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"])]);
    h.delivery.start();
    const res = await fetch(`${base}/emergency`, form({ monitor: "shop-down", message: "Checkout shows an error page", password: PASSWORD, form_token: await formToken(base) }));
    expect(res.status).toBe(202);
    expect(await res.text()).toContain("being paged");
    expect(h.store.lastEmergency("shop-down")).toMatchObject({ message: "Checkout shows an error page" });
    await pd.waitFor(() => pd.incidents.size === 1);
    const incident = [...pd.incidents.values()][0]!;
    expect(incident).toMatchObject({ incident_key: "wk-shop-down", service: "PSHOP01", from: "oncall@example.com" });
    expect(incident.title).toBe("Shop is down: Checkout shows an error page");
    const request = pd.accepted().find((r) => r.path === "/incidents")!;
    expect(JSON.stringify(request.json)).toContain("HTTP sweep for shop-down");
    await until(() => smtp.mails.length >= 1, 5000, "customer email");
    const mail = smtp.mails.at(-1)!;
    expect(mail.to).toEqual(["customer@example.com"]);
    expect(mail.raw).toContain("HTTP sweep for shop-down");
    expect(mail.raw).toContain("Checkout shows an error page");
  });

  it("a second report while the first one's incident is open reaches PagerDuty as a note on it", async () => {
    const base = await open([emergencyMonitor("site-on-fire", "Site is on fire", ["pd-incident"])]);
    h.delivery.start();
    const before = pd.incidents.size;
    const press = async (message: string) =>
      (await fetch(`${base}/emergency`, form({ monitor: "site-on-fire", message, password: PASSWORD, form_token: await formToken(base) }))).status;
    expect(await press("Checkout shows an error page")).toBe(202);
    await pd.waitFor(() => pd.incidents.size === before + 1);
    expect(await press("Now the whole site is down, FIRE in the building")).toBe(202);
    const incident = [...pd.incidents.values()].at(-1)!;
    await until(() => (incident.notes ?? []).length === 1, 10_000, "the second report as a note");
    expect(incident.notes![0]).toContain("Now the whole site is down, FIRE in the building");
    expect(pd.incidents.size).toBe(before + 1);
  });

  it("refuses a wrong password with 401, and rate limits each client to 5 attempts a minute", async () => {
    const base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"])]);
    const statuses: number[] = [];
    const token = await formToken(base);
    for (let i = 0; i < 6; i++) {
      statuses.push((await fetch(`${base}/emergency`, form({ monitor: "shop-down", message: "help", password: `guess-${i}`, form_token: token }))).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await fetch(`${base}/emergency`, form({ monitor: "shop-down", message: "help", password: PASSWORD, form_token: token }))).status).toBe(429);
    expect(h.store.lastEmergency("shop-down")).toBeNull();
    expect(h.store.depth()).toBe(0);
    expect(h.lines.join("\n")).not.toContain(PASSWORD);
  });

  it("refuses a post from another site (Origin or Sec-Fetch-Site), even with the right password and token, and opens nothing", async () => {
    const base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"])]);
    h.delivery.start();
    const fields = { monitor: "shop-down", message: "Checkout shows an error page", password: PASSWORD, form_token: await formToken(base) };
    const foreign = await fetch(`${base}/emergency`, form(fields, { origin: "https://evil.example" }));
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain("can only be sent from this page");
    expect((await fetch(`${base}/emergency`, form(fields, { origin: "null" }))).status).toBe(403);
    expect((await fetch(`${base}/emergency`, form(fields, { "sec-fetch-site": "cross-site" }))).status).toBe(403);
    expect((await fetch(`${base}/emergency`, form(fields, { "sec-fetch-site": "same-site" }))).status).toBe(403);
    expect(h.store.lastEmergency("shop-down")).toBeNull();
    expect(h.store.depth()).toBe(0);
    // Refusals do not use up the rate limit: the same client can still report.
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/emergency`, form(fields, { origin: "https://evil.example" }))).status).toBe(403);
    const own = await fetch(`${base}/emergency`, form(fields, { origin: base, "sec-fetch-site": "same-origin" }));
    expect(own.status).toBe(202);
  });

  it("refuses a post without the form token, with a forged one, or with one older than an hour, and opens nothing", async () => {
    let now = Date.parse("2026-03-01T12:00:00Z");
    h = makeHarness({ manifest: manifest([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"])]), secrets, clock: () => now, options: { emergencyAttemptsPerMinute: 50 } });
    const base = await h.serve();
    const fields = { monitor: "shop-down", message: "Checkout shows an error page", password: PASSWORD };
    const missing = await fetch(`${base}/emergency`, form(fields));
    expect(missing.status).toBe(403);
    const again = await missing.text();
    expect(again).toContain("This form has expired");
    // The refused form is served again, filled in, with a fresh token the user can send.
    expect(again).toContain("Checkout shows an error page");
    expect(again).toMatch(/name="form_token" value="[^"]+"/);
    const token = await formToken(base);
    const [issued, mac] = token.split(".");
    const forged = [`${issued}.${"A".repeat(43)}`, `${Number(issued) + 1}.${mac}`, `${issued}.${mac}x`, "", "garbage"];
    for (const bad of forged) expect((await fetch(`${base}/emergency`, form({ ...fields, form_token: bad }))).status, bad).toBe(403);
    now += 60 * 60 * 1000 + 1;
    expect((await fetch(`${base}/emergency`, form({ ...fields, form_token: token }))).status).toBe(403);
    expect(h.store.lastEmergency("shop-down")).toBeNull();
    expect(h.store.depth()).toBe(0);
    expect((await fetch(`${base}/emergency`, form({ ...fields, form_token: await formToken(base) }))).status).toBe(202);
  });

  it("forbids framing the form and caching its token", async () => {
    const base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"])]);
    const res = await fetch(`${base}/emergency`);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses a form that a page on another site submits in a real browser, even with a valid token and password", async () => {
    const base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"])]);
    const token = await formToken(base);
    // The attacker's page, on another origin (localhost vs 127.0.0.1 are different sites).
    const evil = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><form id="f" method="post" action="${base}/emergency">
<input name="monitor" value="shop-down"><input name="message" value="forged"><input name="password" value="${PASSWORD}">
<input name="form_token" value="${token}"></form><script>document.getElementById("f").submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    let browser: Browser | null = null;
    try {
      browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
      const page = await browser.newPage();
      const answered = page.waitForResponse((r) => r.url() === `${base}/emergency` && r.request().method() === "POST");
      await page.goto(`http://localhost:${(evil.address() as { port: number }).port}/`);
      expect((await answered).status()).toBe(403);
    } finally {
      await browser?.close();
      await new Promise<void>((r) => evil.close(() => r()));
    }
    expect(h.store.lastEmergency("shop-down")).toBeNull();
    expect(h.store.depth()).toBe(0);
  });

  it("is filled in and submitted in a real browser", async () => {
    const base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"]), emergencyMonitor("payments-down", "Payments fail", ["pd-incident"])]);
    h.delivery.start();
    const before = pd.incidents.size;
    let browser: Browser | null = null;
    try {
      browser = await chromium.launch({
        executablePath: chromiumPath(),
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      });
      const page = await browser.newPage();
      await page.goto(`${base}/emergency`);
      await page.getByLabel("What is affected").selectOption("payments-down");
      await page.getByLabel("What is happening").fill("Card payments are declined for everyone");
      await page.getByLabel("Emergency password").fill(PASSWORD);
      await page.getByRole("button", { name: "Page the on-call engineer" }).click();
      await page.getByRole("status").waitFor();
      expect(await page.getByRole("status").innerText()).toContain("Payments fail");
    } finally {
      await browser?.close();
    }
    await pd.waitFor(() => pd.incidents.size === before + 1);
    expect([...pd.incidents.values()].at(-1)).toMatchObject({ incident_key: "wk-payments-down", title: "Payments fail: Card payments are declined for everyone" });
  });
});
