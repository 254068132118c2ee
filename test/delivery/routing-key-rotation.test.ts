import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeRoutingKeys } from "../../cli/plan/deployed-files.js";
import { PagerDutyServer, WebhookReceiver } from "../support/vendors/index.js";
import { intentFor, makeHarness, routingKey, until, type Harness } from "./support/harness.js";
import { testChannel, testManifest, testMonitor, testService } from "./support/manifest.js";

/**
 * PagerDuty scopes an incident to the integration its trigger came in on: a resolve sent with
 * another routing key answers 202 and leaves the incident open, escalating. After a rotation (a
 * deploy that writes new keys, a new secret value), the events that follow a trigger must still go
 * with the key the trigger went with, and no key may reach the store or the logs.
 */
const OLD = routingKey("oldkeyAAAA");
const NEW = routingKey("newkeyBBBB");
const fileManifest = testManifest({ monitors: [testMonitor("api", { service: "orders" })], services: [testService("orders")] });
const secretManifest = testManifest({
  monitors: [testMonitor("api", { service: "payments" })],
  services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
  secrets: ["PD_ROUTING_PAYMENTS"],
});

describe("a routing key rotated while an alert is open", () => {
  const pd = new PagerDutyServer();
  const harnesses: Harness[] = [];
  const folders: string[] = [];
  let keysFile = "";

  /** Writes the keys file as a deploy does, with a new mtime even within the same millisecond. */
  const writeKeys = (content: unknown) => {
    writeFileSync(keysFile, JSON.stringify(content));
    const later = new Date(Date.now() + 2_000 * (folders.length + harnesses.length + 1));
    utimesSync(keysFile, later, later);
  };
  const open = (dir?: string, o: Partial<Parameters<typeof makeHarness>[0]> = {}) => {
    const h = makeHarness({ manifest: fileManifest, secrets: {}, ...(dir ? { dir } : {}), options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url, WK_ROUTING_KEYS_FILE: keysFile } }, ...o });
    harnesses.push(h);
    h.delivery.start();
    return h;
  };
  const incident = (key: string) => pd.eventIncidents.find((i) => i.routingKey === key && i.dedupKey === "wk-api");

  beforeAll(async () => void (await pd.start()));
  afterEach(async () => {
    pd.received.length = 0;
    pd.eventIncidents.length = 0;
    for (const h of harnesses.splice(0)) await h.destroy();
    for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
  });
  afterAll(async () => pd.stop());

  const keysFolder = () => {
    const folder = mkdtempSync(join(tmpdir(), "wk-keys-"));
    folders.push(folder);
    keysFile = join(folder, "routing-keys.json");
  };

  it("a resolve after wk deploy wrote a new key resolves the incident the trigger opened, and the next trigger takes the new key", async () => {
    keysFolder();
    writeKeys({ orders: OLD });
    const h = open();
    h.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    expect(pd.openIncident(OLD, "wk-api")).toBeDefined();

    writeKeys({ orders: NEW });
    h.enqueue(intentFor("api", "acknowledge", { acknowledgedBy: "Ada" }));
    h.enqueue(intentFor("api", "resolve"));
    await pd.waitFor(() => pd.events().length === 3);
    expect(pd.events().map((e) => [e["event_action"], e["routing_key"] === OLD ? "old" : "new"])).toEqual([
      ["trigger", "old"],
      ["acknowledge", "old"],
      ["resolve", "old"],
    ]);
    expect(incident(OLD)).toMatchObject({ status: "resolved", events: 3 });

    h.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 4);
    expect(pd.events()[3]).toMatchObject({ event_action: "trigger", routing_key: NEW });
    expect(pd.openIncident(NEW, "wk-api")).toBeDefined();
  });

  it("a keys file saved by a Windows editor (with a byte order mark) pages with the key as written, and never logs it", async () => {
    keysFolder();
    writeFileSync(keysFile, `\uFEFF${JSON.stringify({ orders: OLD })}\r\n`);
    const h = open();
    h.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    expect(pd.events()[0]).toMatchObject({ event_action: "trigger", routing_key: OLD });
    expect(pd.openIncident(OLD, "wk-api")).toBeDefined();
    for (const line of h.lines) expect(line.includes(OLD)).toBe(false);
  });

  it("after a restart, the key the deploy kept as previous still resolves the incident", async () => {
    keysFolder();
    await writeRoutingKeys(keysFile, { orders: OLD });
    const h = open();
    h.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    await h.close();

    await writeRoutingKeys(keysFile, { orders: NEW });
    expect(JSON.parse(readFileSync(keysFile, "utf8"))).toEqual({ orders: NEW, $previous: { orders: [OLD] } });
    const h2 = open(h.dir);
    h2.enqueue(intentFor("api", "resolve"));
    await pd.waitFor(() => pd.events().length === 2);
    expect(pd.events()[1]).toMatchObject({ event_action: "resolve", routing_key: OLD });
    expect(incident(OLD)).toMatchObject({ status: "resolved" });
  });

  it("a service named `constructor` (a valid id, and an Object property) is paged with the key wk deploy wrote for it, and its rotation keeps the old one", async () => {
    keysFolder();
    const manifest = testManifest({ monitors: [testMonitor("api", { service: "constructor" })], services: [testService("constructor")] });
    await writeRoutingKeys(keysFile, { constructor: OLD });
    const h = open(undefined, { manifest });
    h.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    expect(pd.events()[0]).toMatchObject({ event_action: "trigger", routing_key: OLD });

    await writeRoutingKeys(keysFile, { constructor: NEW });
    expect(JSON.parse(readFileSync(keysFile, "utf8"))).toEqual({ constructor: NEW, $previous: { constructor: [OLD] } });
    h.enqueue(intentFor("api", "resolve"));
    await pd.waitFor(() => pd.events().length === 2);
    expect(pd.events()[1]).toMatchObject({ event_action: "resolve", routing_key: OLD });
    for (const line of h.lines) expect(line.includes(OLD) || line.includes(NEW)).toBe(false);
  });

  it("a routing key held in a secret that changes while the runtime runs: the resolve goes with the value the trigger used", async () => {
    const secrets: Record<string, string> = { PD_ROUTING_PAYMENTS: OLD };
    const h = makeHarness({ manifest: secretManifest, secrets, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url } } });
    harnesses.push(h);
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    secrets["PD_ROUTING_PAYMENTS"] = NEW;
    h.enqueue(intentFor("api", "resolve"));
    await pd.waitFor(() => pd.events().length === 2);
    expect(pd.events()[1]).toMatchObject({ event_action: "resolve", routing_key: OLD });
    expect(incident(OLD)).toMatchObject({ status: "resolved" });
  });

  it("a routing key secret with a stray space or line break holds the page, with a warning naming the secret, until it is fixed; PagerDuty never gets the bad key", async () => {
    const secrets: Record<string, string> = { PD_ROUTING_PAYMENTS: `${OLD} \n` };
    const h = makeHarness({ manifest: secretManifest, secrets, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url }, backoff: { initialMs: 50, maxMs: 400, missingSecretWaitMs: 100 } } });
    harnesses.push(h);
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h.lines.some((l) => l.includes("delivery waits")), 5_000, "the warning");
    const warning = JSON.parse(h.lines.find((l) => l.includes("delivery waits"))!) as Record<string, unknown>;
    expect(warning).toMatchObject({ level: 40, secret: "PD_ROUTING_PAYMENTS" });
    expect(String(warning["msg"])).toBe("delivery waits: secret PD_ROUTING_PAYMENTS holds a space, line break or other invisible character; a routing key is one word");
    expect(pd.received).toHaveLength(0);

    secrets["PD_ROUTING_PAYMENTS"] = OLD;
    await pd.waitFor(() => pd.events().length === 1);
    expect(pd.events()[0]).toMatchObject({ event_action: "trigger", routing_key: OLD });
    for (const line of h.lines) expect(line.includes(OLD)).toBe(false);
  });

  it("a routing key secret that is not 32 characters (quoted in an .env file) holds the page with a warning saying so, instead of PagerDuty's 400 losing it", async () => {
    const secrets: Record<string, string> = { PD_ROUTING_PAYMENTS: `"${OLD}"` };
    const h = makeHarness({ manifest: secretManifest, secrets, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url }, backoff: { initialMs: 50, maxMs: 400, missingSecretWaitMs: 100 } } });
    harnesses.push(h);
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h.lines.some((l) => l.includes("delivery waits")), 5_000, "the warning");
    const warning = JSON.parse(h.lines.find((l) => l.includes("delivery waits"))!) as Record<string, unknown>;
    expect(warning).toMatchObject({ level: 40, secret: "PD_ROUTING_PAYMENTS" });
    expect(String(warning["msg"])).toBe("delivery waits: secret PD_ROUTING_PAYMENTS is 34 characters long; a PagerDuty routing key is 32 (quotes or more than the key copied?)");
    expect(pd.received).toHaveLength(0);

    secrets["PD_ROUTING_PAYMENTS"] = OLD;
    await pd.waitFor(() => pd.events().length === 1);
    expect(pd.events()[0]).toMatchObject({ event_action: "trigger", routing_key: OLD });
    for (const line of h.lines) expect(line.includes(OLD)).toBe(false);
  });

  it("a pagerduty channel whose baseUrl is another service than PagerDuty sends a key of another length as it is", async () => {
    const receiver = new WebhookReceiver();
    await receiver.start();
    try {
      const key = "third-party-key-of-forty-characters-0001";
      const manifest = testManifest({
        monitors: [testMonitor("api", { channels: ["oncall-tool"] })],
        channels: [testChannel("oncall-tool", "pagerduty", { routingKey: { secret: "ONCALL_TOOL_KEY" }, baseUrl: receiver.url })],
        secrets: ["ONCALL_TOOL_KEY"],
      });
      const h = makeHarness({ manifest, secrets: { ONCALL_TOOL_KEY: key }, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url }, backoff: { initialMs: 50, maxMs: 400, missingSecretWaitMs: 100 } } });
      harnesses.push(h);
      h.delivery.start();
      h.enqueue(intentFor("api", "trigger"));
      await until(() => receiver.received.length === 1, 5_000, "the event at the other service");
      expect(receiver.received[0]!.json).toMatchObject({ event_action: "trigger", routing_key: key });
    } finally {
      await receiver.stop();
    }
  });

  it("when the trigger's key is no longer known, the resolve goes with the current key and a warning names the monitor and alert, never a key", async () => {
    keysFolder();
    writeKeys({ orders: OLD });
    const h = open();
    h.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    await h.close();

    writeKeys({ orders: NEW });
    const h2 = open(h.dir);
    h2.enqueue(intentFor("api", "resolve"));
    await pd.waitFor(() => pd.events().length === 2);
    expect(pd.events()[1]).toMatchObject({ event_action: "resolve", routing_key: NEW });
    await until(() => h2.lines.some((l) => l.includes("no longer known")), 5_000, "the warning");
    const warning = JSON.parse(h2.lines.find((l) => l.includes("no longer known"))!) as Record<string, unknown>;
    expect(warning).toMatchObject({ level: 40, monitorId: "api", dedupKey: "wk-api", notification: "resolve" });
    expect(String(warning["msg"])).toMatch(/alert wk-api of monitor api/);
    await until(() => h2.deliveries.forAlert("wk-api").some((d) => d.status === "sent" && d.type === "resolve"), 5_000, "the resolve recorded");
    const resolve = h2.deliveries.forAlert("wk-api").find((d) => d.type === "resolve")!;
    expect(resolve.vendorAnswer).toContain("no longer known");
    for (const line of [...h.lines, ...h2.lines]) expect(line.includes(OLD) || line.includes(NEW)).toBe(false);
    // What PagerDuty does with it: the incident under the old integration stays open.
    expect(pd.openIncident(OLD, "wk-api")).toBeDefined();
  });

  it("the state store and the logs keep a fingerprint of the key, never the key", async () => {
    keysFolder();
    writeKeys({ orders: OLD });
    const h = open();
    h.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    await until(() => h.deliveries.forAlert("wk-api").some((d) => d.status === "sent"), 5_000, "the trigger recorded");
    expect(h.store.lastSent("wk-api", "service:orders")).toMatchObject({ state: "trigger", ref: expect.stringMatching(/^pd-key:[0-9a-f]{16}$/) });
    writeKeys({ orders: NEW });
    h.enqueue(intentFor("api", "resolve"));
    await pd.waitFor(() => pd.events().length === 2);
    await until(() => h.deliveries.forAlert("wk-api").every((d) => d.status === "sent"), 5_000, "the resolve recorded");
    await h.close();
    for (const name of readdirSync(h.dir)) {
      const bytes = readFileSync(join(h.dir, name));
      expect([name, bytes.includes(OLD), bytes.includes(NEW)]).toEqual([name, false, false]);
    }
    for (const line of h.lines) expect(line.includes(OLD) || line.includes(NEW)).toBe(false);
  });
});
