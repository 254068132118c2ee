import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "api-token-silence-redaction";
const ROUTING_KEY = "R0UT1NGKEYpastedintoasilence42";
const monitors = [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })];
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

describe("a secret pasted into a silence", () => {
  it("is redacted from its comment, creator and expirer on the API, the silences page and the log", async () => {
    rt = await startHttpRuntime({ monitors, secrets: ["PD_ROUTING_KEY"], env: { WATCHKEEPER_API_TOKEN: TOKEN, PD_ROUTING_KEY: ROUTING_KEY } });
    const created = await fetch(`${rt.url}/api/silences`, {
      method: "POST",
      headers,
      body: JSON.stringify({ comment: `rotating key ${ROUTING_KEY}`, createdBy: `ada ${TOKEN}`, duration: "2h", matchers: { monitors: ["site"] } }),
    });
    expect(created.status).toBe(201);
    const shown = await created.text();
    expect(shown).not.toContain(ROUTING_KEY);
    expect(shown).not.toContain(TOKEN);
    expect(shown).toContain("rotating key [redacted]");
    const { id } = JSON.parse(shown) as { id: string };

    const list = await (await fetch(`${rt.url}/api/silences`, { headers })).text();
    expect(list).toContain("rotating key [redacted]");
    expect(list).not.toContain(ROUTING_KEY);
    const page = await (await fetch(`${rt.url}/silences`, { headers })).text();
    expect(page).toContain("rotating key");
    expect(page).not.toContain(ROUTING_KEY);
    expect(page).not.toContain(TOKEN);

    const expired = await fetch(`${rt.url}/api/silences/${id}`, { method: "DELETE", headers, body: JSON.stringify({ expiredBy: `bob ${ROUTING_KEY}`, comment: `done with ${ROUTING_KEY}` }) });
    expect(expired.status).toBe(204);
    expect(rt.logs()).toContain("silence expired");
    expect(rt.logs()).not.toContain(ROUTING_KEY);
    const records = await rt.runtime.store.silenceRecords(0, Date.now() + 86_400_000);
    expect(JSON.stringify(records)).not.toContain(ROUTING_KEY);
    expect(JSON.stringify(records)).toContain("bob [redacted]");
  });
});
