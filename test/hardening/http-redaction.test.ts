import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime, type HttpRuntime } from "./support/http-runtime.js";

const TOKEN = "api-token-canary-redaction";
const PASSWORD = "pa55word";
const KEY = "K3Y";
const hour = { kind: "every", every: "1h" } as const;

function httpCheck(url: string): MonitorSpec["check"] {
  return { ...monitorSpec({ id: "x" }).check, url } as MonitorSpec["check"];
}

/** Monitor URLs with credentials in userinfo and query never show in any answer, page or log line. */
describe("public and detail views leak no URL credentials", () => {
  let target: Server;
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  let rt: HttpRuntime;

  beforeAll(async () => {
    // The target fails, so the runtime stores failing results and fires alerts that name the URL.
    target = createServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      res.writeHead(503).end("down for maintenance");
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const port = (target.address() as { port: number }).port;
    rt = await startHttpRuntime({
      monitors: [
        // Answers 503: a failing result whose message names the URL.
        monitorSpec({ id: "plain", name: "Plain", schedule: hour, check: httpCheck(`http://user:${PASSWORD}@127.0.0.1:${port}/x?api_key=${KEY}&x=1`) }),
        // TLS against a plain HTTP port: a check error that names the URL.
        monitorSpec({ id: "tls", name: "TLS", schedule: hour, check: httpCheck(`https://user:${PASSWORD}@127.0.0.1:${port}/x?api_key=${KEY}&x=1#access_token=${KEY}`) }),
      ],
      env: { WATCHKEEPER_API_TOKEN: TOKEN },
    });
    await rt.runtime.tickNow("plain");
    await rt.runtime.tickNow("tls");
  }, 30_000);

  afterAll(async () => {
    await rt?.stop();
    await new Promise<void>((r) => target.close(() => r()));
  });

  it("really sent the credentials to the target (the check used them)", () => {
    expect(seen.some((s) => s.url.includes(`api_key=${KEY}`))).toBe(true);
  });

  it("shows neither the password nor the key in any route's answer (with the token), the status page, or the log", async () => {
    const paths = ["/", "/monitors/plain", "/monitors/tls", "/healthz", "/readyz", "/metrics", "/api/monitors", "/api/monitors/plain", "/api/monitors/tls", "/api/alerts?all=1", "/api/silences", "/api/deliveries"];
    const answers: string[] = [];
    for (const path of paths) {
      const res = await fetch(`${rt.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status, path).toBe(200);
      answers.push(`${path}: ${await res.text()}`);
    }
    const all = answers.join("\n");
    // The answers do talk about the monitors and their URLs, only without the credentials.
    expect(all).toContain("api_key=[redacted]");
    expect(all).toContain("127.0.0.1");
    for (const leaked of [PASSWORD, `api_key=${KEY}`, `access_token=${KEY}`]) {
      expect(all, leaked).not.toContain(leaked);
      expect(rt.logs(), leaked).not.toContain(leaked);
    }
    const stored = [...(await rt.runtime.store.recentResults("plain")), ...(await rt.runtime.store.recentResults("tls"))];
    expect(stored.length).toBeGreaterThan(0);
    expect(JSON.stringify(stored)).not.toContain(PASSWORD);
    expect(JSON.stringify(stored)).not.toContain(`api_key=${KEY}`);
  });
});
