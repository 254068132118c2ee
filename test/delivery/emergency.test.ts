import { accessSync, constants } from "node:fs";
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

function form(fields: Record<string, string>): RequestInit {
  return { method: "POST", body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } };
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
    const res = await fetch(`${base}/emergency`, form({ monitor: "shop-down", message: "Checkout shows an error page", password: PASSWORD }));
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

  it("refuses a wrong password with 401, and rate limits each client to 5 attempts a minute", async () => {
    const base = await open([emergencyMonitor("shop-down", "Shop is down", ["pd-incident"])]);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await fetch(`${base}/emergency`, form({ monitor: "shop-down", message: "help", password: `guess-${i}` }))).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await fetch(`${base}/emergency`, form({ monitor: "shop-down", message: "help", password: PASSWORD }))).status).toBe(429);
    expect(h.store.lastEmergency("shop-down")).toBeNull();
    expect(h.store.depth()).toBe(0);
    expect(h.lines.join("\n")).not.toContain(PASSWORD);
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
