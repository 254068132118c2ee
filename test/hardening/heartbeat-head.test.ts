import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const monitors = [monitorSpec({ id: "nightly", schedule: { kind: "every", every: "1h" }, check: { kind: "heartbeat", every: "1h", grace: "5m" } as never })];

let rt: HttpRuntime | null = null;
afterEach(async () => {
  await rt?.stop();
  rt = null;
});

/** A raw request, so the answer's bytes after the headers can be seen (fetch hides a HEAD's). */
function raw(url: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { "user-agent": "curl/8.5.0", ...headers } }, (res) => {
      let body = "";
      res.on("data", (c) => (body += String(c)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HEAD answers as GET does, without a body", () => {
  it("counts `curl -I` on a heartbeat as a ping, as Healthchecks.io does", async () => {
    rt = await startHttpRuntime({ monitors });
    const res = await raw(`${rt.url}/heartbeat/nightly`, "HEAD");
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
    expect(await rt.runtime.store.lastHeartbeat("nightly")).not.toBeNull();
    expect((await raw(`${rt.url}/heartbeat/no-such-job`, "HEAD")).status).toBe(404);
  });

  it("answers HEAD on every GET route, and lists HEAD where GET is allowed", async () => {
    rt = await startHttpRuntime({ monitors });
    for (const path of ["/healthz", "/readyz", "/metrics", "/status", "/login"]) {
      const head = await raw(`${rt.url}${path}`, "HEAD");
      const get = await raw(`${rt.url}${path}`, "GET");
      expect(head.status, path).toBe(get.status);
      expect(head.body, path).toBe("");
      expect(head.headers["content-type"], path).toBe(get.headers["content-type"]);
    }
    const refused = await raw(`${rt.url}/heartbeat/nightly`, "DELETE");
    expect(refused.status).toBe(405);
    expect(String(refused.headers.allow).split(/,\s*/).sort()).toEqual(["GET", "HEAD", "POST"]);
    const healthz = await raw(`${rt.url}/healthz`, "PUT");
    expect(String(healthz.headers.allow).split(/,\s*/).sort()).toEqual(["GET", "HEAD"]);
  });
});
