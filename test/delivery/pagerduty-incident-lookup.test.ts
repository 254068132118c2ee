import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PagerDutyServer, type RecordedRequest, type VendorAnswer } from "../support/vendors/index.js";
import { intentFor, makeHarness, until, type Harness } from "./support/harness.js";
import { testChannel, testManifest, testMonitor } from "./support/manifest.js";

const TOKEN = "pd-token-lookup-0001";
const SERVICE = "PSVC001";

/** PagerDuty with two scripted misbehaviours: a 201 with no usable incident id, and refused lookups. */
class ScriptedPagerDuty extends PagerDutyServer {
  idlessCreates = false;
  /** The next this many `GET /incidents` are answered 403 (a token that may not list incidents). */
  refusedLookups = 0;

  protected override answer(req: RecordedRequest): VendorAnswer {
    if (req.method === "GET" && req.path === "/incidents" && this.refusedLookups > 0) {
      this.refusedLookups--;
      return { status: 403, body: { error: { message: "Access Denied", code: 2010 } }, problems: ["lookup refused"] };
    }
    const answer = super.answer(req);
    if (!this.idlessCreates || req.method !== "POST" || answer.status !== 201) return answer;
    const { incident } = answer.body as { incident: Record<string, unknown> };
    return { ...answer, body: { incident: { ...incident, id: "" } } };
  }
}

/**
 * When the incident id is not known (the create's answer was lost, or held no id), the channel
 * finds the open incident by its key, so acknowledge and resolve still reach PagerDuty.
 */
describe("PagerDuty incident whose id was not learned", () => {
  const pd = new ScriptedPagerDuty({ apiToken: TOKEN });
  const idless = new ScriptedPagerDuty({ apiToken: TOKEN });
  idless.idlessCreates = true;
  let h: Harness;

  beforeAll(async () => {
    await Promise.all([pd.start(), idless.start()]);
  });
  afterEach(async () => {
    pd.heal();
    pd.refusedLookups = 0;
    await h?.destroy();
  });
  afterAll(async () => Promise.all([pd.stop(), idless.stop()]));

  const harness = (monitorId: string, server: PagerDutyServer = pd): Harness =>
    makeHarness({
      manifest: testManifest({
        monitors: [testMonitor(monitorId, { channels: ["incident"] })],
        channels: [testChannel("incident", "pagerdutyIncident", { token: { secret: "PD" }, from: "oncall@example.com", service: SERVICE, urgency: "high", baseUrl: server.url })],
        secrets: ["PD"],
      }),
      secrets: { PD: TOKEN },
    });
  const incidentsFor = (key: string, server: PagerDutyServer = pd) => [...server.incidents.values()].filter((i) => i.incident_key === key);
  const requests = (server: PagerDutyServer, method: string) => server.received.filter((r) => r.method === method && r.path.startsWith("/incidents"));
  const creates = (key: string) => requests(pd, "POST").filter((r) => (r.json as { incident?: { incident_key?: string } }).incident?.incident_key === key);
  const settled = (key: string, count: number) => () => {
    const deliveries = h.deliveries.forAlert(key);
    return deliveries.length === count && deliveries.every((d) => d.status !== "pending");
  };
  /** Refusals other than the two this story expects: a lost answer and "already exists". */
  const unexpectedRefusals = (server: PagerDutyServer) => server.rejections().filter((r) => !/answer lost|matching dedup key already exists|lookup refused|injected fault/.test(r));
  /** A trigger sent without the incident's id: its create answer lost, and the lookup after it refused. */
  const triggerWithoutId = async (monitorId: string) => {
    const before = h.deliveries.forAlert(`wk-${monitorId}`).length;
    pd.loseAnswers("POST", "/incidents", 1);
    pd.refusedLookups = 1;
    h.enqueue(intentFor(monitorId, "trigger"));
    await until(settled(`wk-${monitorId}`, before + 1), 10_000, "the trigger sent");
    expect(h.deliveries.forAlert(`wk-${monitorId}`)[before]!.status).toBe("sent");
    pd.refusedLookups = 0;
  };

  it("resolves the incident PagerDuty opened although the create's answer was lost and the retry heard 'already exists'", async () => {
    h = harness("lost-answer");
    pd.loseAnswers("POST", "/incidents", 1);
    h.delivery.start();
    h.enqueue(intentFor("lost-answer", "trigger"));
    h.enqueue(intentFor("lost-answer", "resolve"));
    await until(settled("wk-lost-answer", 2), 10_000, "both deliveries settled");

    const incidents = incidentsFor("wk-lost-answer");
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ status: "resolved", service: SERVICE });
    expect(creates("wk-lost-answer").map((r) => r.status)).toEqual([201, 400]);
    expect(requests(pd, "PUT").filter((r) => r.path === `/incidents/${incidents[0]!.id}`)).toHaveLength(1);
    expect(h.deliveries.forAlert("wk-lost-answer").map((d) => [d.type, d.status])).toEqual([
      ["trigger", "sent"],
      ["resolve", "sent"],
    ]);
    expect(unexpectedRefusals(pd)).toEqual([]);
  });

  it("resolves the alert's current incident, not the one an earlier firing left behind", async () => {
    h = harness("second-firing");
    h.delivery.start();
    h.enqueue(intentFor("second-firing", "trigger"));
    h.enqueue(intentFor("second-firing", "resolve"));
    await until(() => incidentsFor("wk-second-firing")[0]?.status === "resolved", 10_000, "the first incident resolved");

    pd.loseAnswers("POST", "/incidents", 1);
    h.enqueue(intentFor("second-firing", "trigger"));
    h.enqueue(intentFor("second-firing", "resolve"));
    await until(() => incidentsFor("wk-second-firing").length === 2 && settled("wk-second-firing", 4)(), 10_000, "the second firing settled");

    expect(incidentsFor("wk-second-firing").map((i) => i.status)).toEqual(["resolved", "resolved"]);
    expect(h.deliveries.forAlert("wk-second-firing").every((d) => d.status === "sent")).toBe(true);
    expect(unexpectedRefusals(pd)).toEqual([]);
  });

  it("resolves the alert's current incident when neither its create answer nor the lookup after it came through", async () => {
    h = harness("second-blind");
    h.delivery.start();
    h.enqueue(intentFor("second-blind", "trigger"));
    h.enqueue(intentFor("second-blind", "resolve"));
    await until(() => incidentsFor("wk-second-blind")[0]?.status === "resolved" && settled("wk-second-blind", 2)(), 10_000, "the first incident resolved");

    await triggerWithoutId("second-blind");
    h.enqueue(intentFor("second-blind", "resolve"));
    await until(settled("wk-second-blind", 4), 10_000, "the second firing settled");

    expect(incidentsFor("wk-second-blind").map((i) => i.status)).toEqual(["resolved", "resolved"]);
    expect(creates("wk-second-blind").map((r) => r.status)).toEqual([201, 201, 400]);
    expect(h.deliveries.forAlert("wk-second-blind").every((d) => d.status === "sent")).toBe(true);
    expect(unexpectedRefusals(pd)).toEqual([]);
  });

  it("resolves an incident whose create answer held no usable id", async () => {
    h = harness("idless", idless);
    h.delivery.start();
    h.enqueue(intentFor("idless", "trigger"));
    h.enqueue(intentFor("idless", "resolve"));
    await until(settled("wk-idless", 2), 10_000, "both deliveries settled");

    expect(incidentsFor("wk-idless", idless).map((i) => i.status)).toEqual(["resolved"]);
    expect(h.deliveries.forAlert("wk-idless").map((d) => d.status)).toEqual(["sent", "sent"]);
    expect(idless.rejections()).toEqual([]);
  });

  it("counts a resolve as done when a person already resolved the alert's incident in PagerDuty", async () => {
    h = harness("nothing-open");
    h.delivery.start();
    await triggerWithoutId("nothing-open");
    const [incident] = incidentsFor("wk-nothing-open");
    incident!.status = "resolved";
    h.enqueue(intentFor("nothing-open", "resolve"));
    await until(settled("wk-nothing-open", 2), 10_000, "the resolve settled");

    expect(h.deliveries.forAlert("wk-nothing-open")[1]).toMatchObject({ type: "resolve", status: "sent", lastError: null });
    expect(requests(pd, "PUT").filter((r) => r.path === `/incidents/${incident!.id}`)).toEqual([]);
    expect(unexpectedRefusals(pd)).toEqual([]);
  });

  it("retries a resolve whose lookup failed, then resolves the alert's incident", async () => {
    h = harness("lookup-fails");
    h.delivery.start();
    await triggerWithoutId("lookup-fails");
    pd.failNext(1, { status: 503, body: { error: { message: "Service Unavailable" } } });
    h.enqueue(intentFor("lookup-fails", "resolve"));
    await until(settled("wk-lookup-fails", 2), 10_000, "the resolve settled");

    expect(incidentsFor("wk-lookup-fails").map((i) => i.status)).toEqual(["resolved"]);
    expect(h.deliveries.forAlert("wk-lookup-fails")[1]).toMatchObject({ type: "resolve", status: "sent", attempts: 2 });
    expect(unexpectedRefusals(pd)).toEqual([]);
  });

  it("looks up by key, service and open statuses over all dates, as listIncidents documents them", async () => {
    h = harness("lookup-query");
    pd.loseAnswers("POST", "/incidents", 1);
    h.delivery.start();
    h.enqueue(intentFor("lookup-query", "trigger"));
    await until(settled("wk-lookup-query", 1), 10_000, "the trigger settled");

    const lookup = requests(pd, "GET").at(-1)!;
    expect(lookup.status).toBe(200);
    expect(lookup.query).toMatchObject({ incident_key: "wk-lookup-query", "service_ids[]": SERVICE, date_range: "all" });
    expect(lookup.headers["authorization"]).toBe(`Token token=${TOKEN}`);
    expect(h.deliveries.forAlert("wk-lookup-query")[0]!.vendorAnswer ?? "").not.toContain(TOKEN);
  });
});

describe("PagerDuty stand-in: listIncidents", () => {
  const pd = new PagerDutyServer({ apiToken: TOKEN });
  const headers = { authorization: `Token token=${TOKEN}`, accept: "application/vnd.pagerduty+json;version=2", "content-type": "application/json" };
  const list = async (query: string, h: Record<string, string> = headers) => {
    const res = await fetch(`${pd.url}/incidents?${query}`, { headers: h });
    return { status: res.status, json: (await res.json()) as { incidents: { id: string; status: string; service: { id: string } }[]; limit: number; offset: number; more: boolean; total: number | null } };
  };

  beforeAll(async () => {
    await pd.start();
    const at = new Date().toISOString();
    const old = new Date(Date.now() - 40 * 24 * 3600_000).toISOString();
    pd.incidents.set("PA", { id: "PA", incident_number: 1, incident_key: "k", status: "triggered", title: "t", service: SERVICE, from: "a@example.com", created_at: at });
    pd.incidents.set("PB", { id: "PB", incident_number: 2, incident_key: "k", status: "acknowledged", title: "t", service: "POTHER", from: "a@example.com", created_at: old });
    pd.incidents.set("PC", { id: "PC", incident_number: 3, incident_key: "k", status: "resolved", title: "t", service: SERVICE, from: "a@example.com", created_at: at });
  });
  afterAll(async () => pd.stop());

  it("filters by every repeated statuses[] value, the key and the services, over the last month unless date_range=all", async () => {
    const open = await list("incident_key=k&statuses[]=triggered&statuses[]=acknowledged&date_range=all");
    expect(open.status).toBe(200);
    expect(open.json.incidents.map((i) => i.id)).toEqual(["PA", "PB"]);
    expect(open.json).toMatchObject({ limit: 25, offset: 0, more: false, total: null });
    expect((await list("incident_key=k&statuses[]=triggered&statuses[]=acknowledged")).json.incidents.map((i) => i.id)).toEqual(["PA"]);
    expect((await list(`incident_key=k&service_ids[]=${SERVICE}&date_range=all&total=true`)).json).toMatchObject({ incidents: [{ id: "PA", service: { id: SERVICE, type: "service_reference" } }, { id: "PC" }], total: 2 });
    expect((await list("incident_key=k&date_range=all&limit=1")).json).toMatchObject({ incidents: [{ id: "PA" }], more: true });
  });

  it("refuses what PagerDuty refuses: a wrong token, another Accept, an unknown status", async () => {
    expect((await list("incident_key=k", { ...headers, authorization: "Token token=nope" })).status).toBe(401);
    expect((await list("incident_key=k", { ...headers, accept: "application/json" })).status).toBe(406);
    expect((await list("incident_key=k&statuses[]=open")).status).toBe(400);
    expect((await list("incident_key=k&limit=ten")).status).toBe(400);
  });
});
