import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { schemaDiagnostics } from "../../cli/compiler/schema-check.js";
import { outdatedLabelsWarning, loadArtifact } from "../../runtime/artifact.js";
import { manifestHash, parseManifest, type Manifest } from "../../sdk/manifest/index.js";
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

  it("an artifact an older compiler wrote with such label names still starts, with one warning naming them, while compiling the same manifest refuses them", async () => {
    const { result, outDir } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";\n\nexport const site = monitor({ id: "site", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), labels: { team: "payments" } });\nexport const db = monitor({ id: "db", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5433 }) });\n`,
    });
    expect(result.ok).toBe(true);
    // As an older compiler wrote it: the names it allowed, sealed with the content hash.
    const manifestPath = path.join(outDir, "manifest.json");
    const { hash: _hash, ...written } = JSON.parse(await readFile(manifestPath, "utf8")) as Manifest;
    const site = written.monitors.find((m) => m.id === "site")!;
    site.labels = { team: "payments", "team name": "payments", "k8s-cluster": "eu-1", __shard: "a" };
    const older = { ...written, hash: manifestHash(written) } as Manifest;
    await writeFile(manifestPath, JSON.stringify(older));

    // Compile time: the schema check the compiler runs refuses each name, and so does a strict parse.
    const findings = schemaDiagnostics(older).map((f) => f.diagnostic);
    expect(findings.filter((d) => d.code === "WK3001").map((d) => d.message).sort()).toEqual([
      expect.stringMatching(/^monitor "site" labels\.__shard: /),
      expect.stringMatching(/^monitor "site" labels\.k8s-cluster: /),
      expect.stringMatching(/^monitor "site" labels\.team name: /),
    ]);
    expect(parseManifest(older, { limits: true }).ok).toBe(false);

    // Run time: the same artifact loads, runs its labels as written, and says once what the next compile refuses.
    const loaded = await loadArtifact(outDir, { importBundle: false });
    expect(loaded.manifest.monitors.find((m) => m.id === "site")!.labels).toEqual(site.labels);
    expect(loaded.refusedLabels).toEqual([{ monitorId: "site", names: ["team name", "k8s-cluster", "__shard"] }]);
    const warning = outdatedLabelsWarning(loaded.refusedLabels);
    expect(warning).toContain('monitor "site" ("team name", "k8s-cluster", "__shard")');
    expect(warning).toContain("the next `wk compile` refuses these names");
    expect(warning).not.toContain('"db"');
    expect(outdatedLabelsWarning([])).toBeNull();
    // A fleet with many of them gets ten names and a count, not one line per monitor.
    const many = Array.from({ length: 2_500 }, (_, i) => ({ monitorId: `m-${i}`, names: ["team name"] }));
    const long = outdatedLabelsWarning(many)!;
    expect(long).toContain('monitor "m-9" ("team name") and 2490 more monitors (`wk validate` lists them all)');
    expect(long).not.toContain('"m-10"');
    expect(long.length).toBeLessThan(800);
    expect(outdatedLabelsWarning(many.slice(0, 11))).toContain("and 1 more monitor (");

    // The other limits still hold at a runtime's start.
    const oversized = { ...written, monitors: written.monitors.map((m) => (m.id === "site" ? { ...m, labels: { ...site.labels, team: "x".repeat(2000) } } : m)) };
    await writeFile(manifestPath, JSON.stringify({ ...oversized, hash: manifestHash(oversized as Manifest) }));
    await expect(loadArtifact(outDir, { importBundle: false })).rejects.toThrow(/a label value is at most/);
  });
});
