import { describe, expect, it } from "vitest";
import { parseManifest } from "../../sdk/manifest/index.js";
import { tempProjects } from "./temp-project.js";

/** Monitor label names follow Prometheus' rule, so every alert's labels can be matched and templated. */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "labels", secrets: [] });\n`;

describe("monitor label names", () => {
  it("a name with a space, a dash, a leading digit or a leading __ is an error at the label, naming it and the rule; nothing is written", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";

export const site = monitor({
  id: "site",
  schedule: "*/5 * * * *",
  check: check.tcp({ host: "db.internal", port: 5432 }),
  labels: {
    team: "payments",
    "team name": "payments",
    "k8s-cluster": "eu-1",
    "1st": "x",
    __shard: "a",
    _ok_Name9: "fine",
  },
});
`,
    });
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const about = (name: string) => result.diagnostics.find((d) => d.code === "WK3001" && d.message.startsWith(`monitor "site" labels.${name}:`));
    expect(about("team name")).toMatchObject({ severity: "error", file: "monitors/site.ts", line: 9, column: 5 });
    expect(about("team name")!.message).toContain('"team name" is not a label name');
    expect(about("team name")!.message).toContain("[a-zA-Z_][a-zA-Z0-9_]*");
    expect(about("team name")!.hint).toMatch(/^write "team_name"/);
    expect(about("k8s-cluster")).toMatchObject({ line: 10 });
    expect(about("k8s-cluster")!.hint).toMatch(/^write "k8s_cluster"/);
    expect(about("1st")).toMatchObject({ line: 11 });
    expect(about("1st")!.hint).toMatch(/^write "_1st"/);
    expect(about("__shard")).toMatchObject({ line: 12 });
    expect(about("__shard")!.message).toMatch(/starting with "__" are reserved/);
    expect(about("__shard")!.hint).toMatch(/^write "shard"/);
    expect(about("team")).toBeUndefined();
    expect(about("_ok_Name9")).toBeUndefined();
    expect(result.diagnostics.filter((d) => d.code === "WK3001")).toHaveLength(4);
  });

  it("a hand-edited manifest with such a label name does not start", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";\n\nexport const site = monitor({ id: "site", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), labels: { team: "payments" } });\n`,
    });
    expect(result.ok).toBe(true);
    const edited = JSON.parse(JSON.stringify(result.manifest));
    edited.monitors[0].labels = { "team name": "payments" };
    const parsed = parseManifest(edited, { limits: true });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain('monitors.0.labels.team name: "team name" is not a label name');
  });
});
