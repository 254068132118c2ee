import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "api-token-canary-7f3a";
const hour = { kind: "every", every: "1h" } as const;
const monitors = [monitorSpec({ id: "site", schedule: hour })];
const DETAIL_READS = ["/api/monitors", "/api/monitors/site", "/api/alerts", "/api/silences", "/api/deliveries"];
const PUBLIC_READS = ["/status", "/healthz", "/readyz", "/metrics"];
/** The team's pages follow the detail API's rule (docs/views.md). */
const TEAM_PAGES = ["/", "/monitors/site", "/silences"];
const silence = (over: Record<string, unknown> = {}) => JSON.stringify({ comment: "deploy 42", createdBy: "ada", duration: "1h", matchers: { monitors: ["site"] }, ...over });
const bearer = { authorization: `Bearer ${TOKEN}` };
const json = { "content-type": "application/json" };

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(`${rt!.url}${path}`, init);
  return { status: res.status, body: await res.text() };
}

const create = (body: string, headers: Record<string, string> = { ...bearer, ...json }) => call("/api/silences", { method: "POST", body, headers });

describe("mutating APIs are closed by default", () => {
  it("refuses every change with 403 naming WATCHKEEPER_API_TOKEN when no token is configured", async () => {
    rt = await startHttpRuntime({ monitors });
    const created = await create(silence(), { ...json, authorization: "Bearer anything" });
    expect(created.status).toBe(403);
    expect(created.body).toContain("WATCHKEEPER_API_TOKEN");
    const expired = await call("/api/silences/api-x?expiredBy=ada", { method: "DELETE" });
    expect(expired.status).toBe(403);
    expect(expired.body).toContain("WATCHKEEPER_API_TOKEN");
  });

  it("closes the detail API with 403 naming runtime.openReads when no token is configured; the public views stay open", async () => {
    rt = await startHttpRuntime({ monitors });
    for (const path of DETAIL_READS) {
      const res = await call(path);
      expect(res.status, path).toBe(403);
      expect(res.body, path).toContain("runtime.openReads");
      expect(res.body, path).toContain("WATCHKEEPER_API_TOKEN");
    }
    for (const path of PUBLIC_READS) expect((await call(path)).status, path).toBe(200);
    for (const path of TEAM_PAGES) expect((await call(path)).status, path).toBe(403);
  });

  it("opens the detail API without a token when runtime.openReads is true, while changes stay closed", async () => {
    rt = await startHttpRuntime({ monitors, runtime: { openReads: true } });
    for (const path of DETAIL_READS) expect((await call(path)).status, path).toBe(200);
    for (const path of TEAM_PAGES) expect((await call(path)).status, path).toBe(200);
    expect((await create(silence())).status).toBe(403);
  });

  it("with a token, reads and changes need Authorization: Bearer <token> (401 otherwise)", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    for (const path of DETAIL_READS) {
      expect((await call(path)).status, path).toBe(401);
      expect((await call(path, { headers: { authorization: "Bearer wrong" } })).status, path).toBe(401);
      expect((await call(path, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` } })).status, path).toBe(401);
      expect((await call(path, { headers: bearer })).status, path).toBe(200);
    }
    // A token in the query string is not accepted: URLs end up in logs and browser history.
    expect((await call(`/api/alerts?token=${TOKEN}`)).status).toBe(401);
    const refused = await create(silence(), json);
    expect(refused.status).toBe(401);
    expect((await create(silence(), { ...json, authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await create(silence())).status).toBe(201);
    expect(rt.logs()).not.toContain(TOKEN);
  });

  it("a token file saved by a Windows editor (with a byte order mark) still authenticates, and the token is never logged", async () => {
    const secretsDir = await mkdtemp(join(tmpdir(), "wk-token-bom-"));
    try {
      await writeFile(join(secretsDir, "WATCHKEEPER_API_TOKEN"), `\uFEFF${TOKEN}\r\n`);
      rt = await startHttpRuntime({ monitors, secretsDir });
      expect((await call("/api/alerts", { headers: bearer })).status).toBe(200);
      // The mark's UTF-8 bytes, as a client that copied the file's bytes would send them: not the token.
      expect((await call("/api/alerts", { headers: { authorization: `Bearer \xEF\xBB\xBF${TOKEN}` } })).status).toBe(401);
      expect((await create(silence())).status).toBe(201);
      expect(rt.logs()).not.toContain(TOKEN);
    } finally {
      await rm(secretsDir, { recursive: true, force: true });
    }
  });

  it("warns at start, naming the secret and never the token, when the API token holds what no client can send (a space, a character outside ASCII)", async () => {
    for (const token of ["two words-7f3a", "t\u00f6ken-7f3a-canary"]) {
      rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: token } });
      const warning = rt.logs().split("\n").find((l) => l.includes("no client can send"));
      expect(warning, token).toBeDefined();
      expect(JSON.parse(warning!)).toMatchObject({ level: 40, secret: "WATCHKEEPER_API_TOKEN" });
      expect(rt.logs()).not.toContain(token);
      await rt.stop();
      rt = null;
    }
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    expect(rt.logs()).not.toContain("no client can send");
  });

  it("refuses a change whose body is not Content-Type: application/json with 415", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      expect((await create(silence(), { ...bearer, "content-type": type })).status, type).toBe(415);
    }
    expect((await create(silence(), bearer)).status).toBe(415);
    expect((await create(silence(), { ...bearer, "content-type": "application/json; charset=utf-8" })).status).toBe(201);
    expect((await call("/api/silences")).status).toBe(401);
  });

  it("refuses cross-origin browser requests to change state (Origin, Sec-Fetch-Site), even with the token", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN }, publicUrl: "https://status.example.com" });
    const h = { ...bearer, ...json };
    const foreign: Array<Record<string, string>> = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: "https://status.example.com.evil.example" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
    ];
    for (const extra of foreign) {
      const res = await create(silence(), { ...h, ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(403);
    }
    const own = new URL(rt.url).origin;
    expect((await create(silence(), { ...h, origin: own, "sec-fetch-site": "same-origin" })).status).toBe(201);
    // Behind a proxy the browser's origin is the publicUrl's.
    expect((await create(silence(), { ...h, origin: "https://status.example.com" })).status).toBe(201);
    // curl and scripts send neither header.
    expect((await create(silence(), h)).status).toBe(201);
  });
});

describe("silences say who, why and for how long", () => {
  it("needs a non-blank createdBy and comment", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    for (const bad of [{ createdBy: "" }, { createdBy: "   " }, { comment: "\t" }, { comment: undefined }, { createdBy: undefined }]) {
      const res = await create(silence(bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await create("{not json")).status).toBe(400);
    // Valid JSON but for one byte that is not UTF-8: refused, not stored as U+FFFD.
    const invalidUtf8 = Buffer.concat([Buffer.from('{"comment":"'), Buffer.from([0xff]), Buffer.from('","createdBy":"ada","duration":"1h","matchers":{"monitors":["site"]}}')]);
    expect((await call("/api/silences", { method: "POST", body: invalidUtf8, headers: { ...bearer, ...json } })).status).toBe(400);
  });

  it("refuses a silence longer than runtime.maxSilence with 400 naming the limit and the setting", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN }, runtime: { maxSilence: "2h" } });
    const tooLong = await create(silence({ duration: "3h" }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain("2h");
    expect(tooLong.body).toContain("runtime.maxSilence");
    expect(tooLong.body).toContain("watchkeeper.config.ts");
    const start = Date.now() + 60_000;
    const byDates = await create(silence({ duration: undefined, startsAt: new Date(start).toISOString(), endsAt: new Date(start + 2 * 3_600_000 + 1_000).toISOString() }));
    expect(byDates.status).toBe(400);
    expect((await create(silence({ duration: "2h" }))).status).toBe(201);
  });

  it("defaults runtime.maxSilence to 14 days", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    expect((await create(silence({ duration: "15d" }))).status).toBe(400);
    expect((await create(silence({ duration: "14d" }))).status).toBe(201);
  });

  it("logs who created and who expired a silence, why, its id and matchers; an expiry that names nobody says so", async () => {
    rt = await startHttpRuntime({ monitors, env: { WATCHKEEPER_API_TOKEN: TOKEN } });
    const created = await create(silence({ comment: "deploy 42", createdBy: "ada" }));
    const { id } = JSON.parse(created.body) as { id: string };
    const lines = () => rt!.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines().find((l) => l["msg"] === "silence created")).toMatchObject({ level: 30, silence: id, createdBy: "ada", comment: "deploy 42", matchers: { monitors: ["site"] } });

    expect((await call(`/api/silences/${id}`, { method: "DELETE", headers: { ...bearer, "content-type": "text/plain" }, body: "grace" })).status).toBe(415);
    const expired = await call(`/api/silences/${id}`, { method: "DELETE", headers: { ...bearer, ...json }, body: JSON.stringify({ expiredBy: "grace", comment: "deploy done" }) });
    expect(expired.status).toBe(204);
    expect(lines().find((l) => l["msg"] === "silence expired")).toMatchObject({ level: 30, silence: id, expiredBy: "grace", comment: "deploy done", createdBy: "ada", matchers: { monitors: ["site"] } });

    const second = JSON.parse((await create(silence())).body) as { id: string };
    expect((await call(`/api/silences/${second.id}?expiredBy=hopper&comment=oops`, { method: "DELETE", headers: bearer })).status).toBe(204);
    expect(lines().filter((l) => l["msg"] === "silence expired").at(-1)).toMatchObject({ silence: second.id, expiredBy: "hopper", comment: "oops" });

    const third = JSON.parse((await create(silence())).body) as { id: string };
    expect((await call(`/api/silences/${third.id}`, { method: "DELETE", headers: bearer })).status).toBe(204);
    expect(lines().filter((l) => l["msg"] === "silence expired").at(-1)).toMatchObject({ silence: third.id, expiredBy: expect.stringContaining("no expiredBy given") });
  });
});
