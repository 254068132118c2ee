import fc from "fast-check";
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

describe("whatever matchers are sent", () => {
  it("a silence is created with exactly the matchers sent, or refused: never with fewer", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const text = fc.constantFrom("site", "env", "prod", "__proto__", "constructor", "toString", "hasOwnProperty", "");
    // Objects written as JSON text: an object literal would treat "__proto__" as the prototype.
    const object = (entries: Array<[string, unknown]>) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${typeof v === "string" && v.startsWith("{") ? v : JSON.stringify(v)}`).join(",")}}`;
    const labels = fc.uniqueArray(fc.tuple(text, text), { maxLength: 3, selector: ([k]) => k });
    const matchers = fc.record({
      monitors: fc.option(fc.array(text, { maxLength: 2 }), { nil: undefined }),
      services: fc.option(fc.array(text, { maxLength: 2 }), { nil: undefined }),
      labels: fc.option(labels, { nil: undefined }),
      extra: fc.option(fc.constantFrom("monitor", "service", "label", "Labels", "__proto__", "matchers"), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(matchers, async (m) => {
        const entries: Array<[string, unknown]> = [];
        if (m.monitors) entries.push(["monitors", m.monitors]);
        if (m.services) entries.push(["services", m.services]);
        if (m.labels) entries.push(["labels", object(m.labels)]);
        if (m.extra) entries.push([m.extra, ["site"]]);
        const body = `{"comment":"c","createdBy":"ada","duration":"1h","matchers":${object(entries)}}`;
        const res = await fetch(`${rt!.url}/api/silences`, { method: "POST", headers, body });
        const sent = { monitors: m.monitors ?? [], services: m.services ?? [], labels: Object.fromEntries(m.labels ?? []) };
        const readable = m.extra === undefined && !(m.labels ?? []).some(([k]) => k === "__proto__");
        const some = sent.monitors.length + sent.services.length + (m.labels ?? []).length > 0;
        if (res.status === 201) {
          expect(readable && some, body).toBe(true);
          expect(((await res.json()) as { matchers: unknown }).matchers, body).toEqual(sent);
        } else {
          expect(res.status, body).toBe(400);
          expect(readable && some, body).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });
});
