import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../cli/compiler/index.js";
import { findCycles } from "../../cli/compiler/cycles.js";
import { parseManifest } from "../../sdk/manifest/index.js";
import type { MonitorBundle } from "../../sdk/result.js";
import { copyFixture, NOW } from "./support.js";

const CANARY = "wk-canary-7f3c9e1d5b";

describe("the compiled artifact", () => {
  let project: Awaited<ReturnType<typeof copyFixture>>;
  beforeAll(async () => {
    project = await copyFixture("ok");
  });
  afterAll(async () => {
    await project.cleanup();
  });

  it("is byte-identical when compiled twice, into different folders", async () => {
    const a = path.join(project.dir, "out-a");
    const b = path.join(project.dir, "out-b");
    const first = await compileProject({ projectDir: project.dir, outDir: a, now: NOW });
    const second = await compileProject({ projectDir: project.dir, outDir: b, now: NOW });
    expect(first.ok, JSON.stringify(first.diagnostics)).toBe(true);
    expect(second.ok).toBe(true);
    for (const file of ["manifest.json", "monitors.mjs"]) {
      expect(await readFile(path.join(b, file))).toEqual(await readFile(path.join(a, file)));
    }
    const bundle = await readFile(path.join(a, "monitors.mjs"), "utf8");
    expect(bundle).not.toContain(project.dir);
    expect(bundle).not.toMatch(/sourceMappingURL/);
    expect(await readFile(path.join(a, "manifest.json"), "utf8")).not.toContain(project.dir);
  });

  it("holds a manifest the runtime accepts and a bundle that exports each monitor's code by id", async () => {
    const out = path.join(project.dir, "dist", "watchkeeper");
    const result = await compileProject({ projectDir: project.dir, now: NOW });
    expect(result.outDir).toBe(out);
    const parsed = parseManifest(JSON.parse(await readFile(path.join(out, "manifest.json"), "utf8")));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.manifest.monitors.map((m) => [m.id, m.source])).toEqual([
      ["payments-error-rate", "monitors/payments.ts:6"],
      ["payments-health", "monitors/payments.ts:16"],
      ["payments-nightly-script", "monitors/payments.ts:25"],
    ]);
    expect(parsed.manifest.services[0]!.source).toBe("policies/oncall.ts:22");
    // References are followed: the Slack channel is not exported, yet the monitors bring it along.
    expect(parsed.manifest.channels.map((c) => [c.id, c.source])).toEqual([["payments-slack", "monitors/payments.ts:4"]]);
    const code = (await import(pathToFileURL(path.join(out, "monitors.mjs")).href)).default as MonitorBundle;
    expect(Object.keys(code)).toEqual(["payments-error-rate", "payments-health", "payments-nightly-script"]);
    expect(code["payments-health"]!.condition!({ ok: true, value: 900, message: "", labels: {}, details: {}, durationMs: 1 })).toBe(true);
    expect(code["payments-health"]!.condition!({ ok: true, value: 100, message: "", labels: {}, details: {}, durationMs: 1 })).toBe(false);
    expect(await code["payments-nightly-script"]!.run!({ now: NOW, signal: new AbortController().signal, secret: () => undefined })).toEqual({ ok: true, value: 1 });
    expect(Object.keys(code["payments-error-rate"]!)).toEqual([]);
  });

  it("keeps the previous artifact untouched when a later compile has errors", async () => {
    const out = path.join(project.dir, "keep");
    expect((await compileProject({ projectDir: project.dir, outDir: out, now: NOW })).ok).toBe(true);
    const before = await readFile(path.join(out, "manifest.json"));
    const broken = path.join(project.dir, "monitors", "broken.ts");
    await writeFile(broken, 'import { monitor } from "watchkeeper";\nexport const m = monitor({ id: "x" });\n');
    try {
      const result = await compileProject({ projectDir: project.dir, outDir: out, now: NOW });
      expect(result.ok).toBe(false);
      expect(await readFile(path.join(out, "manifest.json"))).toEqual(before);
      expect((await readdir(project.dir)).filter((f) => f.includes(".tmp-") || f.includes(".old-"))).toEqual([]);
    } finally {
      await writeFile(broken, "export {};\n");
    }
  });

  it("never carries a secret's value, even when a module reads it from the environment", async () => {
    const configFile = path.join(project.dir, "watchkeeper.config.ts");
    const config = await readFile(configFile, "utf8");
    await writeFile(configFile, config.replace('secrets: ["SLACK_WEBHOOK"', 'rules: { "no-process-env": "warning" }, secrets: ["COMPILE_CANARY_TOKEN", "SLACK_WEBHOOK"'));
    await mkdir(path.join(project.dir, "monitors"), { recursive: true });
    await writeFile(
      path.join(project.dir, "monitors", "env.ts"),
      [
        'import { check, monitor } from "watchkeeper";',
        "export const env = monitor({",
        '  id: "reads-env",',
        '  schedule: "* * * * *",',
        '  check: check.http({ url: "https://x.example.com", headers: { "x-token": process.env.COMPILE_CANARY_TOKEN ?? "unset" } }),',
        '  condition: (r) => r.message === (process.env.COMPILE_CANARY_TOKEN ?? ""),',
        "});",
      ].join("\n"),
    );
    process.env.COMPILE_CANARY_TOKEN = CANARY;
    const out = path.join(project.dir, "canary-out");
    try {
      const result = await compileProject({ projectDir: project.dir, outDir: out, now: NOW });
      expect(result.ok, JSON.stringify(result.diagnostics)).toBe(true);
      expect(process.env.COMPILE_CANARY_TOKEN).toBe(CANARY);
      expect(JSON.stringify(result.manifest)).not.toContain(CANARY);
      expect(result.bundle).not.toContain(CANARY);
      expect(JSON.stringify(result.diagnostics)).not.toContain(CANARY);
      for (const file of await readdir(out)) expect(await readFile(path.join(out, file), "utf8")).not.toContain(CANARY);
    } finally {
      delete process.env.COMPILE_CANARY_TOKEN;
      await writeFile(configFile, config);
      await writeFile(path.join(project.dir, "monitors", "env.ts"), "export {};\n");
    }
  });

  it("writes nothing with write: false", async () => {
    const out = path.join(project.dir, "not-written");
    const result = await compileProject({ projectDir: project.dir, outDir: out, write: false, now: NOW });
    expect(result.ok).toBe(true);
    expect(result.bundle).toContain("export {");
    expect(existsSync(out)).toBe(false);
    expect(Object.keys(result.timings)).toEqual(["discover", "typecheck", "load", "validate", "synthesize"]);
  });
});

describe("findCycles", () => {
  it("lists each cycle once from its smallest file, and ignores chains", () => {
    const graph = new Map([
      ["c.ts", ["a.ts"]],
      ["a.ts", ["b.ts", "d.ts"]],
      ["b.ts", ["c.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]],
    ]);
    expect(findCycles(graph)).toEqual([
      ["a.ts", "b.ts", "c.ts", "a.ts"],
      ["e.ts", "e.ts"],
    ]);
  });
});
