import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { opsgenieNotifier } from "../../runtime/notify/channels/opsgenie/opsgenie-notifier.js";
import type { ChannelSpec } from "../../sdk/manifest/schema.js";
import { intentFor } from "../delivery/support/harness.js";
import { testChannel, testManifest, testMonitor } from "../delivery/support/manifest.js";
import { OpsgenieServer } from "../support/vendors/index.js";

/**
 * The OpsGenie fake refuses what OpsGenie refuses: Alert API bodies are checked against OpsGenie's
 * published OpenAPI (opsgenie-oas) and the Alert API's documented limits, answered 202 / 422 with
 * errors per field. Valid bodies follow the Alert API documentation's examples.
 */
const og = new OpsgenieServer({ apiKey: "genie-key" });

beforeAll(async () => {
  await og.start();
});
afterAll(async () => {
  await og.stop();
});

async function post(path: string, body?: unknown, key = "genie-key"): Promise<{ status: number; json: any }> {
  const response = await fetch(`${og.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `GenieKey ${key}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

/** The create-alert example from OpsGenie's Alert API documentation. */
function documentedAlert(): Record<string, any> {
  return {
    message: "An example alert message",
    alias: "Life is too short for no alias",
    description: "Every alert needs a description",
    responders: [
      { id: "4513b7ea-3b91-438f-b7e4-e3e54af9147c", type: "team" },
      { name: "NOC", type: "team" },
      { id: "bb4d9938-c3c2-455d-aaab-727aa701c0d8", type: "user" },
      { username: "trinity@opsgenie.com", type: "user" },
      { id: "aee8a0de-c80f-4515-a232-501c0bc9d715", type: "escalation" },
      { name: "Nightwatch Escalation", type: "escalation" },
      { id: "80564037-1984-4f38-b98e-8a1f662df552", type: "schedule" },
      { name: "First Responders Schedule", type: "schedule" },
    ],
    visibleTo: [
      { id: "4513b7ea-3b91-438f-b7e4-e3e54af9147c", type: "team" },
      { name: "rocket_team", type: "team" },
      { id: "bb4d9938-c3c2-455d-aaab-727aa701c0d8", type: "user" },
      { username: "trinity@opsgenie.com", type: "user" },
    ],
    actions: ["Restart", "AnExampleAction"],
    tags: ["OverwriteQuietHours", "Critical"],
    details: { key1: "value1", key2: "value2" },
    entity: "An example entity",
    priority: "P1",
  };
}

const OK = { result: "Request will be processed", took: expect.any(Number), requestId: expect.any(String) };

describe("create alert", () => {
  test("the documented create-alert request is accepted with 202 and a request id", async () => {
    const answer = await post("/v2/alerts", documentedAlert());
    expect(answer.status, JSON.stringify(og.rejections())).toBe(202);
    expect(answer.json).toMatchObject(OK);
    expect(og.alerts.get("Life is too short for no alias")).toMatchObject({ status: "open", priority: "P1" });
  });

  const invalid: [string, (a: Record<string, any>) => unknown, string, RegExp][] = [
    ["a 131-character message", (a) => ({ ...a, message: "m".repeat(131) }), "message", /can not be longer than 130 characters/],
    ["no message", ({ message: _, ...a }) => a, "message", /can not be empty/],
    ["a blank message", (a) => ({ ...a, message: "   " }), "message", /can not be empty/],
    ["a 513-character alias", (a) => ({ ...a, alias: "a".repeat(513) }), "alias", /512/],
    ["a 15001-character description", (a) => ({ ...a, description: "d".repeat(15_001) }), "description", /15000/],
    ["details over 8000 characters in total", (a) => ({ ...a, details: { one: "x".repeat(4_000), two: "y".repeat(4_000) } }), "details", /8000 characters in total/],
    ["a detail value that is not a string", (a) => ({ ...a, details: { count: 3 } }), "details.count", /must be string/],
    ["21 tags", (a) => ({ ...a, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), "tags", /more than 20/],
    ["a 51-character tag", (a) => ({ ...a, tags: ["t".repeat(51)] }), "tags[0]", /50 characters/],
    ["a responder without id, name or username", (a) => ({ ...a, responders: [{ type: "team" }] }), "responders[0]", /anyOf|must have required/],
    ["a responder of an unknown type", (a) => ({ ...a, responders: [{ id: "x", type: "robot" }] }), "responders[0].type", /should be one of/],
    ["priority P6", (a) => ({ ...a, priority: "P6" }), "priority", /should be one of \[P1, P2, P3, P4, P5\]/],
  ];
  test.each(invalid)("%s is refused with 422 and the field's error", async (_name, mutate, field, reason) => {
    const answer = await post("/v2/alerts", mutate(documentedAlert()));
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({ message: "Request body is not processable. Please check the errors.", took: expect.any(Number), requestId: expect.any(String) });
    expect(answer.json.errors[field]).toMatch(reason);
    expect(og.received.at(-1)!.problems.join("\n")).toContain(field);
  });

  test("details of exactly 8000 characters are accepted", async () => {
    const answer = await post("/v2/alerts", { message: "fits", details: { abcd: "v".repeat(7_996) } });
    expect(answer.status, JSON.stringify(og.rejections())).toBe(202);
  });

  test("a wrong GenieKey is 401", async () => {
    expect((await post("/v2/alerts", documentedAlert(), "other")).status).toBe(401);
  });
});

describe("close and acknowledge", () => {
  test("close without identifierType is accepted and closes by alert id, the documented default", async () => {
    await post("/v2/alerts", { message: "by id", alias: "alias-by-id" });
    const alert = og.alerts.get("alias-by-id")!;
    const answer = await post(`/v2/alerts/${alert.id}/close`, { user: "Monitoring Script", source: "AWS Lambda", note: "Action executed via Alert API" });
    expect(answer.status, JSON.stringify(og.rejections())).toBe(202);
    expect(answer.json).toMatchObject(OK);
    expect(alert.status).toBe("closed");
  });

  test("acknowledge and close by alias and by tiny id are accepted, with or without a body", async () => {
    await post("/v2/alerts", { message: "by alias", alias: "service/a b" });
    const alert = og.alerts.get("service/a b")!;
    expect((await post(`/v2/alerts/${encodeURIComponent("service/a b")}/acknowledge?identifierType=alias`)).status).toBe(202);
    expect(alert.status).toBe("acked");
    expect((await post(`/v2/alerts/${alert.tinyId}/close?identifierType=tiny`, { note: "done" })).status).toBe(202);
    expect(alert.status).toBe("closed");
  });

  test("an identifierType OpsGenie does not know is refused with 422", async () => {
    const answer = await post("/v2/alerts/x/close?identifierType=name", {});
    expect(answer.status).toBe(422);
    expect(answer.json.errors.identifierType).toMatch(/id, alias, tiny/);
  });

  test("a close note over 25000 characters is refused with 422", async () => {
    const answer = await post("/v2/alerts/x/close?identifierType=alias", { note: "n".repeat(25_001) });
    expect(answer.status).toBe(422);
    expect(answer.json.errors.note).toMatch(/25000/);
  });
});

describe("the OpsGenie notifier against the validating fake", () => {
  test("a user responder goes out by username and every responder kind is accepted", async () => {
    const channel = testChannel("og", "opsgenie", {
      apiKey: { secret: "OG_KEY" },
      region: "us",
      responders: [
        { type: "user", name: "trinity@example.com" },
        { type: "team", name: "NOC" },
        { type: "schedule", name: "First Responders" },
        { type: "escalation", name: "Nightwatch" },
      ],
      tags: ["shop"],
      baseUrl: og.url,
    }) as Extract<ChannelSpec, { kind: "opsgenie" }>;
    const manifest = testManifest({ monitors: [testMonitor("checkout")], channels: [channel] });
    const result = await opsgenieNotifier(channel).send(intentFor("checkout", "trigger"), { manifest, monitor: null }, {
      signal: AbortSignal.timeout(5_000),
      secret: (name) => (name === "OG_KEY" ? "genie-key" : undefined),
      previousRef: null,
      now: Date.now(),
    });
    expect(result.ok, JSON.stringify(og.rejections())).toBe(true);
    expect((og.received.filter((r) => r.path === "/v2/alerts").at(-1)!.json as { responders: unknown[] }).responders[0]).toEqual({ type: "user", username: "trinity@example.com" });
  });

  test("a user responder named by `name` is refused, as OpsGenie's UserRecipient takes `username`", async () => {
    const answer = await post("/v2/alerts", { message: "m", responders: [{ type: "user", name: "trinity@example.com" }] });
    expect(answer.status).toBe(422);
    expect(Object.keys(answer.json.errors)).toContain("responders[0]");
  });
});
