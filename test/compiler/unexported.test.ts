import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileProject } from "../../cli/compiler/index.js";
import type { Diagnostic } from "../../cli/compiler/types.js";
import { NOW, temporaryUserCache } from "./support.js";
import { tempProjects } from "./temp-project.js";

/**
 * A construct made in a module and never exported used to vanish without a word: the compile was
 * clean, and the next deploy removed the monitor and resolved its incidents as "removed".
 */
temporaryUserCache();
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "unexported", secrets: ["SLACK_WEBHOOK"] });\n`;

const FORGOTTEN = `import { channel, check, monitor, secret } from "watchkeeper";

export const api = monitor({ id: "api-health", schedule: { every: "1m" }, check: check.http({ url: "https://api.example.com/health" }) });

const checkoutLatency = monitor({
  id: "checkout-latency",
  schedule: { every: "1m" },
  check: check.http({ url: "https://checkout.example.com/health" }),
  channels: [channel.slack({ id: "checkout-slack", webhookUrl: secret("SLACK_WEBHOOK") })],
});
`;

const wk2008 = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.code === "WK2008");

describe("constructs that no export reaches", () => {
  it("warns at the place a monitor was made when the module does not export it, with the export to write", async () => {
    const { result } = await compile({ "watchkeeper.config.ts": CONFIG, "monitors/checkout.ts": FORGOTTEN });
    expect(result.manifest?.monitors.map((m) => m.id)).toEqual(["api-health"]);
    const found = wk2008(result.diagnostics);
    // The channel made inline comes back with the monitor once it is exported: one warning, not two.
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", file: "monitors/checkout.ts", line: 5, column: 25 });
    expect(found[0]!.message).toMatch(/monitor "checkout-latency" is made here but not exported/);
    expect(found[0]!.hint).toContain("export const checkoutLatency = monitor(...)");
    // A warning: the project still compiles.
    expect(result.ok).toBe(true);
  });

  it("names each kind with its factory: a service, a schedule and a channel made and dropped", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { channel, escalationPolicy, schedule, secret, service, user } from "watchkeeper";

export const ada = user({ id: "ada", name: "Ada", email: "ada@example.com" });
const weekly = schedule({ id: "weekly", timeZone: "UTC", layers: [{ start: "2026-01-05T09:00:00Z", rotation: "1w", users: [ada] }] });
const policy = escalationPolicy({ id: "policy", loops: 1, rules: [{ delay: "5m", targets: [ada] }] });
const payments = service({ id: "payments", escalationPolicy: policy });
const ops = channel.slack({ id: "ops-slack", webhookUrl: secret("SLACK_WEBHOOK") });
`,
    });
    expect(result.ok, JSON.stringify(result.diagnostics)).toBe(true);
    const found = wk2008(result.diagnostics).map((d) => [d.line, d.message.split(" is made")[0], d.hint!.match(/= ([\w.]+)\(/)?.[1]]);
    // The escalation policy is held by the dropped service: reported through it.
    expect(found).toEqual([
      [4, 'schedule "weekly"', "schedule"],
      [6, 'service "payments"', "service"],
      [7, 'channel "ops-slack"', "channel.slack"],
    ]);
  });

  it("does not flag constructs that reach the manifest through an array, a record, a default export or a reference", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/family.ts": `import { check, monitor } from "watchkeeper";
import { payments } from "../policies/services.js";

const site = (name: string) => monitor({ id: \`\${name}-health\`, schedule: { every: "1m" }, check: check.http({ url: \`https://\${name}.example.com/health\` }), service: payments });

export const sites = ["shop", "blog"].map(site);
export const byRegion = { eu: site("eu"), us: site("us") };
export default [site("docs")];
`,
      "policies/services.ts": `import { escalationPolicy, service, user } from "watchkeeper";

const ada = user({ id: "ada", name: "Ada", email: "ada@example.com" });
const policy = escalationPolicy({ id: "policy", loops: 1, rules: [{ delay: "5m", targets: [ada] }] });
export const payments = service({ id: "payments", escalationPolicy: policy });
`,
    });
    expect(result.diagnostics.filter((d) => d.severity !== "notice"), JSON.stringify(result.diagnostics)).toEqual([]);
    expect(result.manifest?.monitors).toHaveLength(5);
    expect(wk2008(result.diagnostics)).toEqual([]);
  });

  it("does not flag a dropped copy whose id another export puts in the manifest", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";

const site = () => monitor({ id: "site-health", schedule: { every: "1m" }, check: check.http({ url: "https://example.com/health" }) });
site();
export const health = site();
`,
    });
    expect(wk2008(result.diagnostics)).toEqual([]);
  });

  it("reports it again on a warm compile that reuses the module's cached load", async () => {
    const files = { "watchkeeper.config.ts": CONFIG, "monitors/checkout.ts": FORGOTTEN, "monitors/other.ts": 'export const nothing = 1;\n' };
    const first = await compile(files);
    process.env["WK_CACHE_DIR"] = path.join(first.projectDir, "..", "cache");
    try {
      const again = () => compileProject({ projectDir: first.projectDir, outDir: first.outDir, now: NOW });
      expect(wk2008((await again()).diagnostics)).toHaveLength(1);
      // Every module from the cache.
      expect(wk2008((await again()).diagnostics)).toHaveLength(1);
      // Only the other module loads: the checkout module's record still says what it dropped.
      await writeFile(path.join(first.projectDir, "monitors/other.ts"), "export const nothing = 2;\n");
      expect(wk2008((await again()).diagnostics)).toHaveLength(1);
    } finally {
      delete process.env["WK_CACHE_DIR"];
    }
  });
});
