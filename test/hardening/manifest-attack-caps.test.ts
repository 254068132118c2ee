import { describe, expect, it } from "vitest";
import { parseManifest as parseAnyManifest, sealManifest, type ChannelSpec, type CheckSpec, type Manifest } from "../../sdk/manifest/index.js";
import { tempProjects } from "../compiler/temp-project.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/** As the runtime parses an artifact before it starts: with the schema's limits. */
const parseManifest = (json: unknown) => parseAnyManifest(json, { limits: true });

/**
 * What a careless author can write into headers, labels, names and OpsGenie channels. Each of
 * these used to compile clean and then fail on every tick ("invalid header key"), be dropped
 * without a word (the 51st OpsGenie responder, the 21st tag), or make a page read backwards.
 */
const compile = tempProjects();

const PROJECT = {
  "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "caps" });\n`,
  "monitors/caps.ts": `import { channel, check, monitor } from "watchkeeper";

export const spaced = monitor({ id: "spaced", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/", headers: { "X Api Key": "k" } }) });

export const broken = monitor({ id: "broken", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/", headers: { "x-trace": "a\\r\\nx-injected: 1" } }) });

const many = channel.opsgenie({ id: "many", apiKey: { secret: "OG" } as never, responders: Array.from({ length: 51 }, (_, i) => ({ type: "team" as const, name: "team-" + i })), tags: ["ok"] });

export const paged = monitor({ id: "paged", name: "Payments \\u202edeggulp\\u202c", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/" }), channels: [many] });
`,
};

const http = (headers: Record<string, string>): CheckSpec => ({ ...(monitorSpec({ id: "x" }).check as Extract<CheckSpec, { kind: "http" }>), headers });
const opsgenie = (over: Partial<Extract<ChannelSpec, { kind: "opsgenie" }>>): ChannelSpec => ({
  id: "og",
  kind: "opsgenie",
  baseUrl: null,
  groupWait: null,
  groupInterval: null,
  rateLimitPerMinute: null,
  source: "monitors/og.ts:1",
  apiKey: { secret: "OG_KEY" },
  region: "us",
  responders: [],
  tags: [],
  ...over,
});
const withChannel = (channel: ChannelSpec): Manifest => {
  const { hash: _h, ...rest } = manifestOf([monitorSpec({ id: "site" })]);
  return sealManifest({ ...rest, channels: [channel] });
};
const reasonOf = (m: Manifest): string => {
  const parsed = parseManifest(JSON.parse(JSON.stringify(m)));
  return parsed.ok ? "accepted" : parsed.reason;
};

describe("caps on what a definition carries", () => {
  it("a header name with spaces, a header value with a line break, 51 OpsGenie responders and a name with a bidi override are each reported at their line", async () => {
    const { result } = await compile(PROJECT);
    const at = (text: string) => result.diagnostics.find((d) => d.severity === "error" && d.message.includes(text));
    expect(at('monitor "spaced" check.headers.X Api Key')).toMatchObject({ file: "monitors/caps.ts", line: 3 });
    expect(at('monitor "spaced"')!.message).toContain("is not a header name");
    expect(at('monitor "broken" check.headers.x-trace')).toMatchObject({ file: "monitors/caps.ts", line: 5 });
    expect(at('channel "many" responders')).toMatchObject({ file: "monitors/caps.ts", line: 7 });
    expect(at('channel "many" responders')!.message).toContain("at most 50 responders");
    expect(at('monitor "paged" name')).toMatchObject({ file: "monitors/caps.ts", line: 9 });
    expect(at('monitor "paged" name')!.message).toContain("bidirectional override");
    expect(result.ok).toBe(false);
  }, 60_000);

  it.each([
    ["a header name with a colon", { "x-a:": "1" }, "is not a header name"],
    ["an empty header name", { "": "1" }, "is not a header name"],
    ["a header undici refuses to send", { "Transfer-Encoding": "chunked" }, "managed by the HTTP client"],
    ["a header value with a newline", { "x-a": "1\nx-b: 2" }, "one line"],
    ["65 headers", Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`x-h${i}`, "1"])), "at most 64 headers"],
  ])("the schema refuses %s", (_what, headers, message) => {
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", check: http(headers) })]))).toContain(message);
  });

  it("the schema accepts ordinary headers, a connection: close and a secret header", () => {
    const check = { ...(http({ authorization: "Bearer x", "x-request-id": "abc", connection: "close" }) as Extract<CheckSpec, { kind: "http" }>) };
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", check: { ...check, headers: { ...check.headers, "x-key": { secret: "API_KEY" } } } })]))).toBe("accepted");
  });

  it.each([
    ["21 tags", opsgenie({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), "at most 20 tags"],
    ["a 51-character tag", opsgenie({ tags: ["t".repeat(51)] }), "at most 50 characters"],
    ["a nameless responder", opsgenie({ responders: [{ type: "team", name: "  " }] }), "a responder needs a name"],
  ])("an OpsGenie channel with %s is refused", (_what, channel, message) => {
    expect(reasonOf(withChannel(channel))).toContain(message);
  });

  it.each([
    ["65 labels", Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, "v"])), "at most 64 labels"],
    ["a 2,000-character label value", { team: "x".repeat(2000) }, "at most 1024 characters"],
    ["an empty label name", { "": "x" }, "1 to 128 characters"],
  ])("monitor labels: %s are refused", (_what, labels, message) => {
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", labels })]))).toContain(message);
  });

  it.each([
    ["/dev/zero", "/dev/zero", "is a device"],
    ["a path that climbs into /dev", "/proc/../dev/urandom", "is a device"],
    ["a relative path", "proc/loadavg", "is not an absolute path"],
  ])("a hostLoad diagnostic reading %s is refused", (_what, loadavgFile, message) => {
    const diagnostics = [{ kind: "hostLoad" as const, loadavgFile, meminfoFile: "/proc/meminfo" }];
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", diagnostics })]))).toContain(`monitors.0.diagnostics.0.loadavgFile: "${loadavgFile}" ${message}`);
  });

  it("eleven diagnostics, or a sweep of 21 URLs, are refused: they all run on every alert", () => {
    const sweep = (n: number) => ({ kind: "httpSweep" as const, urls: Array.from({ length: n }, (_, i) => `https://example.com/${i}`), timeout: "5s" });
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", diagnostics: Array.from({ length: 11 }, () => sweep(1)) })]))).toContain("at most 10 diagnostics per monitor");
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", diagnostics: [sweep(21)] })]))).toContain("at most 20 URLs");
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", diagnostics: [sweep(20), { kind: "hostLoad", loadavgFile: "/host/proc/loadavg", meminfoFile: "/proc/meminfo" }] })]))).toBe("accepted");
  });

  it.each([
    ["a newline", "Payments\napi"],
    ["an ANSI escape", "Payments \u001b[2J"],
    ["a right-to-left override", "Payments \u202eKO"],
    ["300 characters", "n".repeat(300)],
  ])("a monitor name with %s is refused", (_what, name) => {
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", name })]))).toMatch(/monitors\.0\.name: (names are at most 255|holds a control character)/);
  });

  it("names in other scripts, with emoji and right-to-left text without overrides, are accepted", () => {
    expect(reasonOf(manifestOf([monitorSpec({ id: "site", name: "Zahlungen – 決済 – תשלומים 💳" })]))).toBe("accepted");
  });
});
