import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pagerDutySignature } from "../../runtime/inbound/signature.js";
import { ensureBuild, kill, startRun, type RunProcess } from "../delivery/support/process.js";
import { routingKey } from "../delivery/support/harness.js";
import { PagerDutyServer } from "../support/vendors/index.js";
import { DIAGNOSTICS_CANARY, writeViewsProject, XSS } from "./support/project.js";
import { ARTIFACTS, compile, launchChromium, seedHistory, Target } from "./support/runtime.js";

const TOKEN = "views-api-token-canary-7f3a";
const WEBHOOK_SECRET = "pd-webhook-secret-views";
const UPTIME_TOKEN = DIAGNOSTICS_CANARY;
const ACKER = "Grace Hopper";

/**
 * The pages people look at, in Debian's Chromium, against `wk run` on a compiled project whose
 * monitors check loopback targets, with the real SQLite store seeded with ten days of results.
 */
describe("views in a real browser", () => {
  const target = new Target();
  const pd = new PagerDutyServer();
  let dir: string;
  let run: RunProcess;
  let browser: Browser;
  let team: BrowserContext;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    ensureBuild();
    dir = await mkdtemp(join(tmpdir(), "wk-views-"));
    await mkdir(ARTIFACTS, { recursive: true });
    await target.start();
    await pd.start();
    await writeViewsProject(join(dir, "project"), target.url);
    await compile(join(dir, "project"));
    // Ten days of hourly results: the checkout API failed all afternoon three days ago.
    seedHistory(join(dir, "state"), Date.now(), ["checkout-api", "website"], 10, (id, dayAgo, hour) => id === "checkout-api" && dayAgo === 3 && hour >= 12 && hour < 18);
    run = await startRun(join(dir, "project", "dist", "watchkeeper"), join(dir, "state"), {
      WATCHKEEPER_API_TOKEN: TOKEN,
      PD_ROUTING_SHOP: routingKey("shop"),
      PAGERDUTY_WEBHOOK_SECRET: WEBHOOK_SECRET,
      UPTIME_TOKEN,
      WK_PAGERDUTY_EVENTS_URL: pd.url,
    });
    base = run.url;
    browser = await launchChromium();
    team = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await team.newPage();
    page.on("dialog", () => {
      throw new Error("a dialog opened: injected script ran");
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (run) await kill(run, "SIGTERM");
    await pd.stop();
    await target.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A signed PagerDuty v3 `incident.acknowledged` for the incident of this alert's current firing. */
  const acknowledge = async (dedupKey: string, agent: string) => {
    const occurred = new Date().toISOString();
    const body = JSON.stringify({
      event: {
        id: `evt-views-${dedupKey}-${Date.now()}`,
        event_type: "incident.acknowledged",
        resource_type: "incident",
        occurred_at: occurred,
        agent: { id: "PAGENT1", summary: agent, type: "user_reference" },
        data: { id: `PINC-${dedupKey}`, type: "incident", incident_key: dedupKey, created_at: occurred, title: dedupKey },
      },
    });
    const answer = await fetch(`${base}/webhooks/pagerduty`, { method: "POST", body, headers: { "content-type": "application/json", "x-pagerduty-signature": pagerDutySignature(body, WEBHOOK_SECRET) } });
    return (await answer.json()) as { status: string };
  };
  const shot = (name: string, p: Page = page) => p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  // Strings run in the page (this file is type-checked without the DOM library).
  const injectedRan = (p: Page = page) => p.evaluate<number>("window.__xss ?? 0");

  it("asks for the token, signs in with an HttpOnly SameSite=Strict cookie, and shows history after simulated days", async () => {
    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/login?next=%2F`);
    await page.getByLabel("API token").fill("wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.textContent("body")).toContain("That is not the API token.");
    await page.getByLabel("API token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/`);
    const [cookie] = await team.cookies();
    expect(cookie).toMatchObject({ name: "wk_session", httpOnly: true, sameSite: "Strict" });
    expect(cookie!.value).not.toContain(TOKEN);

    const website = page.locator('.monitor[data-id="website"]');
    expect(await website.locator("rect.bar-ok").count()).toBeGreaterThanOrEqual(10);
    const checkout = page.locator('.monitor[data-id="checkout-api"]');
    expect(await checkout.locator("rect.bar-bad, rect.bar-warn").count()).toBe(1);
    expect(await website.textContent()).toMatch(/7 d 100%/);
    expect(await checkout.textContent()).toMatch(/7 d 9\d\.\d\d%/);
    expect(await website.locator("svg.spark").count()).toBe(1);
    await shot("overview");
  }, 60_000);

  it("turns a monitor firing on the open overview without a reload", async () => {
    await page.goto(`${base}/`);
    await page.evaluate("window.__marker = 42");
    // Polling in the page would need eval, which the Content-Security-Policy forbids: poll from here.
    await expect.poll(() => page.getAttribute("body", "data-stream")).toBe("open");
    await page.waitForTimeout(2_500); // the hub's first comparison is the baseline
    target.failing = true;
    await expect.poll(() => page.textContent('[data-monitor-state="checkout-api"]'), { timeout: 20_000 }).toBe("Firing");
    expect(await page.evaluate<number>("window.__marker")).toBe(42);
    await expect.poll(() => page.textContent(".banner")).toContain("firing");
    // Row by row: the changed monitor's row was fetched and replaced, the rest of the page left as it was.
    expect(Number(await page.getAttribute("body", "data-row-updates"))).toBeGreaterThanOrEqual(1);
    expect(await page.getAttribute("body", "data-refreshes")).toBeNull();
    // In its service's list, worst first.
    const list = page.locator('.monitor[data-id="checkout-api"]').locator("xpath=..");
    expect(await list.locator(".monitor").first().getAttribute("data-id")).toBe("checkout-api");
  }, 40_000);

  it("shows every notification attempt with PagerDuty's answer on the alert page", async () => {
    await expect.poll(() => pd.events().length, { timeout: 20_000 }).toBeGreaterThan(0);
    await page.goto(`${base}/alerts/wk-checkout-api`);
    const attempts = page.locator("li.attempt");
    await expect.poll(async () => (await attempts.allTextContents()).join("\n"), { timeout: 10_000 }).toMatch(/trigger to .*: sent.*HTTP 202/s);
    expect(await page.textContent("ol.timeline")).toContain("fired");
    await shot("alert");
  }, 40_000);

  it("drafts a postmortem that names who was on call and who acknowledged", async () => {
    expect(await acknowledge("wk-checkout-api", ACKER)).toMatchObject({ status: "acknowledged" });

    await page.goto(`${base}/alerts/wk-checkout-api`);
    await expect.poll(() => page.textContent("ol.timeline"), { timeout: 10_000 }).toContain(`acknowledged by ${ACKER}`);
    const draft = await page.request.get(`${base}/alerts/wk-checkout-api/postmortem.md`);
    expect(draft.headers()["content-type"]).toBe("text/markdown; charset=utf-8");
    const text = await draft.text();
    expect(text).toContain("# Postmortem draft: Checkout API");
    expect(text).toMatch(/## Who acknowledged\n\n- Grace Hopper /);
    expect(text).toMatch(/## Who was on call\n\nService Shop API, escalation policy Shop escalation/);
    expect(text).toMatch(/Step 1: (Grace Hopper|Alan Turing) \(\S+@example\.com\) \(schedule Shop rotation\)/);
    expect(text).toContain("## Notifications sent");
    expect(text).toMatch(/\| trigger \| service:shop-api \| sent, attempt 1 \| HTTP 202/);
    await shot("alert-acknowledged");
  }, 40_000);

  it("creates a silence from the page, and the monitor reads silenced", async () => {
    await page.goto(`${base}/silences`);
    await page.getByLabel("Monitors").selectOption("checkout-api");
    await page.getByLabel("Your name").fill("Alan <b>Turing</b>");
    await page.getByLabel("Reason").fill(`deploying ${XSS}`);
    await page.getByRole("button", { name: "Create silence" }).click();
    await expect.poll(() => page.locator("tr.silence").count(), { timeout: 10_000 }).toBe(1);
    expect(await page.textContent("tr.silence")).toContain(`deploying ${XSS}`);
    await shot("silences");
    await page.goto(`${base}/`);
    expect(await page.textContent('[data-monitor-state="checkout-api"]')).toBe("Silenced");
    await shot("overview-silenced");

    await page.goto(`${base}/silences`);
    await page.getByRole("button", { name: /Expire silence/ }).click();
    await expect.poll(() => page.locator("tr.silence").count(), { timeout: 10_000 }).toBe(0);
    await page.goto(`${base}/`);
    expect(await page.textContent('[data-monitor-state="checkout-api"]')).toBe("Acknowledged");
  }, 40_000);

  it("changes nothing for admin actions without the token", async () => {
    const create = { createdBy: "mallory", comment: "hide it", duration: "1h", matchers: { monitors: ["checkout-api"] } };
    const anonymous = await fetch(`${base}/api/silences`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(create) });
    expect(anonymous.status).toBe(401);
    const forged = await fetch(`${base}/api/silences`, { method: "POST", headers: { "content-type": "application/json", cookie: "wk_session=1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", origin: base }, body: JSON.stringify(create) });
    expect(forged.status).toBe(401);
    // A real session without an Origin (not a browser's own request) cannot change anything either.
    const cookie = (await team.cookies())[0]!;
    const noOrigin = await fetch(`${base}/api/silences`, { method: "POST", headers: { "content-type": "application/json", cookie: `wk_session=${cookie.value}` }, body: JSON.stringify(create) });
    expect(noOrigin.status).toBe(401);
    const list = await fetch(`${base}/api/silences`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await list.json()) as { silences: Array<{ active: boolean }> }).silences.filter((s) => s.active)).toEqual([]);
    expect((await fetch(`${base}/`, { redirect: "manual" })).status).toBe(303);
    expect((await fetch(`${base}/events`)).status).toBe(401);
  });

  it("serves a public status page with customer words and no hostname or error text", async () => {
    const visitor = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const p = await visitor.newPage();
    const requested: string[] = [];
    p.on("request", (r) => void requested.push(new URL(r.url()).pathname + new URL(r.url()).search));
    await p.goto(`${base}/status`);
    expect(p.url()).toBe(`${base}/status/public`);
    // The public page follows its own stream only (which says that it changed, never which monitor), and asks for no rows.
    expect(await p.getAttribute("body", "data-live")).toBe("/events?status=public");
    expect(await p.getAttribute("body", "data-rows")).toBeNull();
    await expect.poll(() => p.getAttribute("body", "data-stream")).toBe("open");
    expect(requested.filter((r) => r.startsWith("/overview") || r === "/events")).toEqual([]);
    expect((await fetch(`${base}/overview/rows?ids=checkout-api`, { redirect: "manual" })).status).toBe(303);
    const text = (await p.textContent("body"))!;
    expect(text).toContain("Acme status");
    expect(text).toMatch(/Checkout\s*Outage/);
    expect(text).toMatch(/Website\s*Operational/);
    const html = await p.content();
    for (const leak of ["127.0.0.1", target.url.split("//")[1]!, "internal.acme.net", "expected status", "500", "Nightly export", "Uptime service", "Grace Hopper", "runbooks.example.com"]) {
      expect(html, `the public page shows ${leak}`).not.toContain(leak);
    }
    expect(await injectedRan(p)).toBe(0);
    await shot("status-page", p);
    await visitor.close();
  });

  it("runs none of the markup injected into names, summaries, check output, webhook content, agent names and silence comments", async () => {
    // The overview stays open meanwhile: the injected agent's name reaches it through the row update.
    await page.goto(`${base}/`);
    await expect.poll(() => page.getAttribute("body", "data-stream")).toBe("open");
    await page.waitForTimeout(2_500); // the hub's first read is the baseline
    const rowUpdates = Number((await page.getAttribute("body", "data-row-updates")) ?? 0);
    const report = await fetch(`${base}/webhooks/uptime/uptime-webhook`, { method: "POST", headers: { "content-type": "application/json", "x-watchkeeper-token": UPTIME_TOKEN }, body: JSON.stringify({ up: false, message: `down ${XSS}` }) });
    expect(report.status).toBe(202);
    const firing = async () => ((await (await fetch(`${base}/api/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { alerts: Array<{ dedupKey: string; state: string }> }).alerts.some((a) => a.dedupKey === "wk-uptime-webhook" && a.state === "firing");
    await expect.poll(firing, { timeout: 15_000 }).toBe(true);
    // The uptime monitor's alert fired with the webhook's message in its summary; someone with markup in their name acknowledges it.
    expect(await acknowledge("wk-uptime-webhook", `Mallory ${XSS}`)).toMatchObject({ status: "acknowledged" });
    const row = page.locator('.monitor[data-id="uptime-webhook"]');
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain(`by Mallory ${XSS}`);
    expect(Number(await page.getAttribute("body", "data-row-updates"))).toBeGreaterThan(rowUpdates);
    expect(await page.getAttribute("body", "data-refreshes")).toBeNull();
    expect(await injectedRan()).toBe(0);
    expect(await page.locator("main img, main script").count()).toBe(0);
    for (const path of ["/", "/monitors/checkout-api", "/monitors/script-output", "/monitors/uptime-webhook", "/alerts/wk-uptime-webhook", "/alerts/wk-checkout-api", "/silences"]) {
      await page.goto(`${base}${path}`);
      await page.waitForTimeout(300);
      expect(await injectedRan(), path).toBe(0);
      expect(await page.locator("main img, main script").count(), path).toBe(0);
    }
    await page.goto(`${base}/alerts/wk-uptime-webhook`);
    expect(await page.textContent("main")).toContain(`acknowledged by Mallory ${XSS}`);
    expect(await page.textContent("main")).toContain(`down ${XSS}`);
    // The diagnostics recorded when it fired: shown as text, the secret's value redacted.
    const diagnostics = (await page.textContent("section[aria-labelledby=diag-h] pre"))!;
    expect(diagnostics).toContain("Diagnostics at ");
    expect(diagnostics).toContain(`/nonexistent/${XSS}`);
    expect(diagnostics).toContain("[redacted]");
    expect(await page.content()).not.toContain(DIAGNOSTICS_CANARY);
    const draft = await (await page.request.get(`${base}/alerts/wk-uptime-webhook/postmortem.md`)).text();
    expect(draft).toContain("Mallory &lt;img");
    // Markup appears only inside the diagnostics' fenced code block, which Markdown shows as text.
    const [outside, fenced] = draft.split("## Diagnostics at the time it fired\n\n```text\n");
    expect(outside).not.toMatch(/<img|<script/);
    expect(fenced).toContain(`/nonexistent/${XSS}`);
    expect(fenced!.trimEnd().endsWith("```")).toBe(true);
    expect(draft).not.toContain(DIAGNOSTICS_CANARY);
    await page.goto(`${base}/`);
    expect(await page.textContent("main")).toContain(`Nightly export ${XSS}`);
    await page.goto(`${base}/monitors/uptime-webhook`);
    expect(await page.textContent("main")).toContain(`down ${XSS}`);
    await page.goto(`${base}/monitors/script-output`);
    expect(await page.textContent("main")).toContain(`export done ${XSS}`);
    const res = await page.request.get(`${base}/`);
    expect(res.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(res.headers()["content-security-policy"]).not.toContain("unsafe-inline");
    await page.goto(`${base}/monitors/checkout-api`);
    await shot("monitor", page);
  }, 60_000);

  it("answers unknown ids with an HTML 404 page", async () => {
    for (const path of ["/monitors/nope", "/alerts/nope", "/status/nope", "/badge/nope.svg"]) {
      const res = await page.request.get(`${base}${path}`);
      expect(res.status(), path).toBe(404);
      expect(res.headers()["content-type"], path).toContain("text/html");
      expect(await res.text(), path).toContain("<h1>Not found</h1>");
    }
  });

  it("serves status and uptime badges, public only for monitors a status page names", async () => {
    const status = await fetch(`${base}/badge/website.svg`);
    expect(status.headers.get("content-type")).toContain("image/svg+xml");
    expect(await status.text()).toContain(">Operational</text>");
    const uptime = await (await fetch(`${base}/badge/website.svg?type=uptime&window=30d`)).text();
    expect(uptime).toContain(">uptime 30d</text>");
    expect(uptime).toContain(">100%</text>");
    expect(await (await fetch(`${base}/badge/checkout-api.svg`)).text()).toContain(">Outage</text>");
    // The team's badge of a private monitor, whose name carries markup: escaped.
    const named = await (await fetch(`${base}/badge/script-output.svg`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(named).not.toContain("<img");
    expect(named).toContain("&lt;img");
    expect((await fetch(`${base}/badge/script-output.svg`)).status).toBe(403);
    expect((await fetch(`${base}/badge/website.svg?type=uptime&window=2y`)).status).toBe(400);
  });

  it("has no horizontal scroll on a 375 px phone, in dark mode too", async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, colorScheme: "dark", storageState: await team.storageState() });
    const p = await phone.newPage();
    for (const [name, path] of [["overview", "/"], ["monitor", "/monitors/checkout-api"], ["alert", "/alerts/wk-checkout-api"], ["silences", "/silences"], ["status-page", "/status/public"]] as const) {
      await p.goto(`${base}${path}`);
      const [scroll, inner] = await p.evaluate<[number, number]>("[document.documentElement.scrollWidth, window.innerWidth]");
      expect(scroll, `${path} scrolls sideways`).toBeLessThanOrEqual(inner!);
      await shot(`${name}-phone-dark`, p);
    }
    await phone.close();
  }, 40_000);

  it("closes its event streams on SIGTERM and exits 0", async () => {
    const stream = await fetch(`${base}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const reader = stream.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(": connected");
    const started = Date.now();
    run.proc.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await reader.cancel().catch(() => undefined);
  }, 20_000);
});
