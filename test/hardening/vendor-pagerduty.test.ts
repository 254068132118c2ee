import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PAGERDUTY_MAX_EVENT_BYTES, PagerDutyServer } from "../support/vendors/index.js";

/**
 * The PagerDuty fake refuses what PagerDuty refuses: Events API v2 and REST incident bodies are
 * checked against PagerDuty's published OpenAPI schemas and documented limits, and answered with
 * PagerDuty's status codes and error bodies. Valid bodies are PagerDuty's own documentation examples.
 */
const pd = new PagerDutyServer({ apiToken: "rest-token" });
const ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6";

beforeAll(async () => {
  await pd.start();
});
afterAll(async () => {
  await pd.stop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}, method = "POST"): Promise<{ status: number; json: any }> {
  const response = await fetch(`${pd.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? null : JSON.parse(text) };
}

/** The example body from PagerDuty's api-schema (reference/events-v2/openapiv3.json, createV2Event). */
function documentedTrigger(): Record<string, any> {
  return {
    payload: {
      summary: "DISK at 99% on machine prod-datapipe03.example.com",
      timestamp: "2015-07-17T08:42:58.315+0000",
      severity: "critical",
      source: "prod-datapipe03.example.com",
      component: "mysql",
      group: "prod-datapipe",
      class: "disk",
      custom_details: { "free space": "1%", "ping time": "1500ms", "load avg": 0.75 },
    },
    routing_key: ROUTING_KEY,
    dedup_key: "srv01/mysql",
    event_action: "trigger",
    client: "Sample Monitoring Service",
    client_url: "https://monitoring.service.com",
    links: [{ href: "http://pagerduty.example.com", text: "An example link." }],
    images: [{ src: "https://chart.googleapis.com/chart?chs=600x400&chd=t:6,2,9,5,2,5,7,4,8,2,1&cht=lc&chds=a&chxt=y&chm=D,0033FF,0,0,5,1", href: "https://google.com", alt: "An example link with an image" }],
  };
}

const restHeaders = { authorization: "Token token=rest-token", accept: "application/vnd.pagerduty+json;version=2", from: "oncall@example.com" };

/** The example body from PagerDuty's api-schema (reference/REST/openapiv3.json, createIncident). */
const documentedIncident = {
  incident: {
    type: "incident",
    title: "The server is on fire.",
    service: { id: "PWIXJZS", type: "service_reference" },
    priority: { id: "P53ZZH5", type: "priority_reference" },
    urgency: "high",
    incident_key: "baf7cf21b1da41b4b0221008339ff357",
    body: { type: "incident_body", details: "A disk is getting full on this machine." },
    incident_type: { name: "major_incident" },
    escalation_policy: { id: "PT20YPA", type: "escalation_policy_reference" },
  },
};

describe("Events API v2", () => {
  test("PagerDuty's documented trigger, acknowledge and resolve are accepted with 202 and the dedup key", async () => {
    const trigger = await post("/v2/enqueue", documentedTrigger());
    expect(trigger, JSON.stringify(pd.rejections())).toMatchObject({ status: 202, json: { status: "success", message: "Event processed", dedup_key: "srv01/mysql" } });
    for (const action of ["acknowledge", "resolve"]) {
      const answer = await post("/v2/enqueue", { routing_key: ROUTING_KEY, dedup_key: "srv01/mysql", event_action: action });
      expect(answer.status, JSON.stringify(pd.rejections())).toBe(202);
    }
  });

  test("a trigger without a dedup key gets one from PagerDuty", async () => {
    const { dedup_key: _, ...event } = documentedTrigger();
    const answer = await post("/v2/enqueue", event);
    expect(answer.status).toBe(202);
    expect(answer.json.dedup_key).toMatch(/^[0-9a-f]{32}$/);
  });

  const invalid: [string, (e: Record<string, any>) => unknown, RegExp][] = [
    ["a missing routing key", ({ routing_key: _, ...e }) => e, /'routing_key' is missing or blank/],
    ["a 33-character routing key", (e) => ({ ...e, routing_key: `${ROUTING_KEY}x` }), /Length of 'routing_key' is incorrect \(should be 32 characters\)/],
    ["a 256-character dedup key", (e) => ({ ...e, dedup_key: "k".repeat(256) }), /'dedup_key' is too long \(maiximum is 255 characters\)/],
    ["an unknown severity", (e) => ({ ...e, payload: { ...e["payload"], severity: "high" } }), /'payload.severity' is invalid \(must be one of: critical, warning, error, info\)/],
    ["a 1025-character summary", (e) => ({ ...e, payload: { ...e["payload"], summary: "s".repeat(1025) } }), /'summary' is too long \(maiximum is 1024 characters\)/],
    ["a trigger without a source", (e) => ({ ...e, payload: { ...e["payload"], source: undefined } }), /'payload.source' is missing or blank/],
    ["a trigger without a payload", ({ payload: _, ...e }) => e, /'payload' is missing or blank/],
    ["an unknown event action", (e) => ({ ...e, event_action: "escalate" }), /'event_action' is invalid/],
    ["a resolve without a dedup key", (e) => ({ routing_key: e["routing_key"], event_action: "resolve" }), /'dedup_key' is missing or blank/],
    ["custom details that are not an object", (e) => ({ ...e, payload: { ...e["payload"], custom_details: "text" } }), /'payload.custom_details' must be object/],
    ["a link without href", (e) => ({ ...e, links: [{ text: "no href" }] }), /'links\[0\].href' is missing or blank/],
    ["a timestamp that is not a date", (e) => ({ ...e, payload: { ...e["payload"], timestamp: "yesterday" } }), /'payload.timestamp' is not a valid date-time/],
  ];
  test.each(invalid)("%s is refused with 400 invalid event and PagerDuty's reason", async (_name, mutate, reason) => {
    const answer = await post("/v2/enqueue", mutate(documentedTrigger()));
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ status: "invalid event", message: "Event object is invalid" });
    expect(answer.json.errors.join("\n")).toMatch(reason);
    expect(pd.received.at(-1)!.problems.join("\n")).toMatch(reason);
  });

  test("an event over 512 KB is refused, one just under is accepted", async () => {
    const event = documentedTrigger();
    const base = Buffer.byteLength(JSON.stringify({ ...event, payload: { ...event["payload"], custom_details: { blob: "" } } }));
    const fitting = { ...event, payload: { ...event["payload"], custom_details: { blob: "x".repeat(PAGERDUTY_MAX_EVENT_BYTES - base) } } };
    expect(Buffer.byteLength(JSON.stringify(fitting))).toBe(PAGERDUTY_MAX_EVENT_BYTES);
    expect((await post("/v2/enqueue", fitting)).status).toBe(202);
    const over = { ...event, payload: { ...event["payload"], custom_details: { blob: "x".repeat(PAGERDUTY_MAX_EVENT_BYTES - base + 1) } } };
    const answer = await post("/v2/enqueue", over);
    expect(answer.status).toBe(400);
    expect(answer.json.errors[0]).toMatch(/too large/);
  });

  test("a body that is not JSON is refused with PagerDuty's parse error", async () => {
    const answer = await post("/v2/enqueue", "{not json");
    expect(answer).toMatchObject({ status: 400, json: { status: "invalid event", errors: ["JSON parse error"] } });
  });
});

describe("REST API incidents", () => {
  test("PagerDuty's documented create-incident request opens an incident (201), and a PUT acknowledges it", async () => {
    const created = await post("/incidents", documentedIncident, restHeaders);
    expect(created.status, JSON.stringify(pd.rejections())).toBe(201);
    expect(created.json.incident).toMatchObject({ type: "incident", status: "triggered", title: "The server is on fire." });
    const updated = await post(`/incidents/${created.json.incident.id}`, { incident: { type: "incident_reference", status: "acknowledged" } }, restHeaders, "PUT");
    expect(updated.status, JSON.stringify(pd.rejections())).toBe(200);
    expect(pd.incidents.get(created.json.incident.id)?.status).toBe("acknowledged");
  });

  test("a request without the From header is refused as PagerDuty does (400, code 2016)", async () => {
    const { from: _, ...headers } = restHeaders;
    const answer = await post("/incidents", documentedIncident, headers);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: 2016, message: expect.stringMatching(/"From" header/) });
  });

  test("a From header that is not an email address is refused as malformed", async () => {
    const answer = await post("/incidents", documentedIncident, { ...restHeaders, from: "on-call team" });
    expect(answer).toMatchObject({ status: 400, json: { error: { code: 1028 } } });
  });

  test("a wrong token is 401 and a missing v2 Accept header is 406", async () => {
    expect((await post("/incidents", documentedIncident, { ...restHeaders, authorization: "Token token=nope" })).status).toBe(401);
    expect((await post("/incidents", documentedIncident, { ...restHeaders, accept: "application/json" })).status).toBe(406);
  });

  const invalid: [string, unknown, RegExp][] = [
    ["no incident", {}, /incident: must have required property 'incident'/],
    ["no title", { incident: { ...documentedIncident.incident, title: undefined } }, /incident.title: must have required property 'title'/],
    ["a service that is not a reference", { incident: { ...documentedIncident.incident, service: { name: "mail" } } }, /incident.service/],
    ["an urgency PagerDuty does not know", { incident: { ...documentedIncident.incident, urgency: "urgent" } }, /incident.urgency: must be equal to one of the allowed values \(high, low\)/],
  ];
  test.each(invalid)("a create with %s is refused with 400 Invalid Input Provided", async (_name, body, reason) => {
    const answer = await post("/incidents", body, restHeaders);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ message: "Invalid Input Provided", code: 2001 });
    expect(answer.json.error.errors.join("\n")).toMatch(reason);
  });
});
