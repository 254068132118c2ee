import { describe, expect, it } from "vitest";
import { parseManifest as parseAnyManifest, sealManifest, type ChannelSpec, type CheckSpec, type Manifest } from "../../sdk/manifest/index.js";
import { tempProjects } from "../compiler/temp-project.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/** As the runtime parses an artifact before it starts: with the schema's limits. */
const parseManifest = (json: unknown) => parseAnyManifest(json, { limits: true });

/**
 * A URL the runtime fetches that is not an absolute http(s) URL used to compile clean and then
 * fail as a config error on every tick; it is now refused at its file:line. Private addresses stay
 * fine: checking internal services is the product.
 */
const compile = tempProjects();

const PROJECT = {
  "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "urls", secrets: ["HOOK_URL"] });\n`,
  "monitors/urls.ts": `import { channel, check, monitor, secret } from "watchkeeper";

export const bare = monitor({ id: "bare", schedule: { every: "1m" }, check: check.http({ url: "api.example.com/health" }) });

export const prom = monitor({ id: "prom", schedule: { every: "1m" }, check: check.prometheus({ server: "prometheus:9090", query: "up == 0" }) });

const hook = channel.webhook({ id: "hook", url: "hooks.example.com/alert" });
const secretHook = channel.webhook({ id: "secret-hook", url: secret("HOOK_URL") });

export const internal = monitor({ id: "internal", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.7:8080/health" }), channels: [hook, secretHook] });
`,
};

function withCheck(check: CheckSpec): Manifest {
  return manifestOf([monitorSpec({ id: "site", check })]);
}

function withChannel(channel: ChannelSpec): Manifest {
  const { hash: _h, ...rest } = manifestOf([monitorSpec({ id: "site" })]);
  return sealManifest({ ...rest, channels: [channel] });
}

const http = (url: string): CheckSpec => ({ ...(monitorSpec({ id: "x" }).check as Extract<CheckSpec, { kind: "http" }>), url });
const window = (url: string): CheckSpec => ({ kind: "httpWindow", url, method: "GET", headers: {}, body: null, window: "5m", timeFormat: "iso", extract: "count", timeout: "10s" });
const prometheus = (server: string): CheckSpec => ({ kind: "prometheus", server, query: "up", headers: {}, timeout: "10s" });
const webhook = (url: Extract<ChannelSpec, { kind: "webhook" }>["url"]): ChannelSpec => ({
  id: "hook",
  kind: "webhook",
  baseUrl: null,
  groupWait: null,
  groupInterval: null,
  rateLimitPerMinute: null,
  source: "monitors/hook.ts:1",
  url,
  headers: {},
  hmacSecret: null,
});
const ok = (m: Manifest) => parseManifest(JSON.parse(JSON.stringify(m)));

describe("URLs the runtime fetches", () => {
  it("reports a scheme-less check URL, Prometheus server and webhook URL at their lines, and leaves private addresses and secret URLs alone", async () => {
    const { result } = await compile(PROJECT);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    const about = (text: string) => errors.find((d) => d.message.includes(text));
    expect(about('"api.example.com/health"')).toMatchObject({ code: "WK3001", file: "monitors/urls.ts", line: 3 });
    expect(about('"api.example.com/health"')!.message).toContain('monitor "bare" check.url');
    expect(about('"prometheus:9090"')).toMatchObject({ file: "monitors/urls.ts", line: 5 });
    expect(about('"prometheus:9090"')!.message).toMatch(/scheme is prometheus:, and only http: and https: are fetched/);
    expect(about('"hooks.example.com/alert"')).toMatchObject({ file: "monitors/urls.ts", line: 7 });
    expect(errors).toHaveLength(3);
  }, 60_000);

  it.each([
    ["an http check", withCheck(http("ftp://files.example.com/"))],
    ["an http check", withCheck(http("file:///etc/passwd"))],
    ["an http check", withCheck(http("/health"))],
    ["an httpWindow check", withCheck(window("logs.example.com/count?from={{from}}"))],
    ["a Prometheus server", withCheck(prometheus("localhost:9090"))],
    ["a literal webhook URL", withChannel(webhook("javascript:alert(1)"))],
  ])("the schema refuses %s whose URL is not absolute http(s)", (_what, manifest) => {
    const parsed = ok(manifest);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/cannot be fetched/);
  });

  it.each([
    ["a private address", withCheck(http("http://10.0.0.7:8080/health"))],
    ["IPv6 loopback", withCheck(http("http://[::1]:9090/"))],
    ["a window template", withCheck(window("https://logs.internal/count?from={{from}}&to={{ to }}"))],
    ["a Prometheus server by service name", withCheck(prometheus("http://prometheus:9090"))],
    ["a webhook URL from a secret", withChannel(webhook({ secret: "HOOK_URL" }))],
  ])("the schema accepts %s", (_what, manifest) => {
    const parsed = ok(manifest);
    expect(parsed.ok, parsed.ok ? "" : parsed.reason).toBe(true);
  });
});
