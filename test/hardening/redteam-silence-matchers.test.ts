import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "api-token-redteam-matchers";
const monitors = [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" }, labels: { env: "prod" } })];
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

describe("a silence's matchers are read whole or refused", () => {
  it("refuses (400) a matcher it cannot read, naming it, instead of dropping it and silencing more than was asked", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const cases: Array<[string, string]> = [
      // A misspelt key: dropped, the silence would be every prod alert of every monitor.
      ['{ "monitor": ["site"], "labels": { "env": "prod" } }', "monitor"],
      ['{ "service": ["payments"], "monitors": ["site"] }', "service"],
      // JSON.parse keeps "__proto__" as a key; a schema builds its result by assignment and loses it.
      ['{ "monitors": ["site"], "labels": { "__proto__": "x" } }', "__proto__"],
      ['{ "monitors": ["site"], "labels": { "__proto__": "x", "region": "eu" } }', "__proto__"],
    ];
    for (const [matchers, named] of cases) {
      const body = `{ "comment": "deploy", "createdBy": "ada", "duration": "1h", "matchers": ${matchers} }`;
      const res = await fetch(`${rt.url}/api/silences`, { method: "POST", headers, body });
      const answer = await res.text();
      expect(res.status, matchers).toBe(400);
      expect(answer, matchers).toContain(named);
    }
    const list = await fetch(`${rt.url}/api/silences`, { headers });
    expect(((await list.json()) as { silences: unknown[] }).silences).toEqual([]);
  });

  it("still takes every matcher it documents", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const body = JSON.stringify({ comment: "deploy", createdBy: "ada", duration: "1h", matchers: { monitors: ["site"], services: [], labels: { env: "prod", constructor: "x" } } });
    const res = await fetch(`${rt.url}/api/silences`, { method: "POST", headers, body });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { matchers: unknown }).matchers).toEqual({ monitors: ["site"], services: [], labels: { env: "prod", constructor: "x" } });
  });
});
