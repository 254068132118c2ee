import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "api-token-redteam-dates";
const monitors = [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })];
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const silence = (over: Record<string, unknown>) => JSON.stringify({ comment: "deploy", createdBy: "ada", matchers: { monitors: ["site"] }, ...over });

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

describe("a silence must lie within the dates a clock can show", () => {
  it("refuses (400) a silence that starts or ends beyond the last representable date, and the silence list keeps answering", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const bodies = [
      // Date.parse accepts the last representable instant; a duration added to it leaves the range.
      silence({ startsAt: "+275760-09-13T00:00:00.000Z", duration: "1h" }),
      silence({ startsAt: "+275760-09-12T23:30:00.000Z", endsAt: "+275760-09-13T00:00:00.000Z" }),
    ];
    for (const body of bodies) {
      const res = await fetch(`${rt.url}/api/silences`, { method: "POST", headers, body });
      expect(res.status, body).toBe(400);
      expect(await res.text()).not.toContain("internal error");
    }
    const list = await fetch(`${rt.url}/api/silences`, { headers });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { silences: unknown[] }).silences).toEqual([]);
    expect(rt.logs()).not.toContain("request handler failed");
  });
});

describe("a silence's times name instants", () => {
  it("refuses (400) a time without Z or an offset, which the runtime machine's zone would decide, and takes one with either", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const later = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
    for (const over of [{ endsAt: later(2).slice(0, 19) }, { endsAt: later(2).slice(0, 10) }, { startsAt: later(1).slice(0, 16), duration: "1h" }, { endsAt: new Date(Date.now() + 7_200_000).toString() }]) {
      const res = await fetch(`${rt.url}/api/silences`, { method: "POST", headers, body: silence(over) });
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(await res.text()).toMatch(/(startsAt|endsAt) must be an ISO 8601 date-time with Z or an offset/);
    }
    const offset = later(2).replace("Z", "+00:00");
    for (const over of [{ endsAt: later(2) }, { endsAt: offset }, { startsAt: later(1), duration: "1h" }]) {
      const res = await fetch(`${rt.url}/api/silences`, { method: "POST", headers, body: silence(over) });
      expect(res.status, JSON.stringify(over)).toBe(201);
    }
  });
});

describe("a silence body that is not a JSON object", () => {
  it("is refused (400) with what to send, whatever it is", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    for (const body of ['{"matchers":', "null", "[]", '"silence"', "42", "\u00ff\u00fe", ""]) {
      const res = await fetch(`${rt.url}/api/silences`, { method: "POST", headers, body });
      expect(res.status, body).toBe(400);
      const answer = (await res.json()) as { error: string; issues: string[] };
      expect(answer.issues.join(" "), body).toContain("the body must be a JSON object");
      expect(answer.issues.join(" ")).toContain('"createdBy": "ada"');
    }
    const list = await fetch(`${rt.url}/api/silences`, { headers });
    expect(((await list.json()) as { silences: unknown[] }).silences).toEqual([]);
    expect(rt.logs()).not.toContain("request handler failed");
  });
});
