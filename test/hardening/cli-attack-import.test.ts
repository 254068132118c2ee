import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { run } from "../../cli/commands/import.js";
import { EXIT, UserError } from "../../cli/errors.js";
import { ROOT } from "../compiler/support.js";
import { displayNameSchema, NAME_MAX } from "../../sdk/manifest/schema.js";
import { generateModule } from "../../cli/import/generate-module.js";
import { parseRulesFile } from "../../cli/import/prometheus-rules.js";
import { draftModules } from "../../cli/import/rule-to-monitor.js";

/** A rules file with one group of `count` alerting rules (generated dashboards and exporters write such groups). */
function rulesFile(count: number, name: (i: number) => string = (i) => `HighErrorRate${i}`): string {
  const rules = Array.from({ length: count }, (_, i) => `      - alert: ${name(i)}\n        expr: rate(errors_total{job="j${i}"}[5m]) > 0.1\n        for: 5m\n        annotations:\n          summary: "{{ $labels.instance }} fails"\n`);
  return `groups:\n  - name: generated\n    rules:\n${rules.join("")}`;
}

function modulesOf(text: string): string[] {
  const parsed = parseRulesFile(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const drafts = draftModules(parsed.groups, "myService");
  return drafts.map((draft) => generateModule({ draft, service: { exportName: "myService", specifier: "../../policies/oncall.js" }, server: "http://localhost:9090", rulesFile: "rules.yml" }));
}

describe("wk import prometheus: a large rules file", () => {
  it("writes a group of 2,000 rules in seconds, not minutes (time grows with the rules, not their square)", { timeout: 120_000 }, () => {
    const started = performance.now();
    const [module] = modulesOf(rulesFile(2_000));
    const elapsed = performance.now() - started;
    expect(module!.match(/^export const /gm)).toHaveLength(2_000);
    expect(module).toContain('id: "high-error-rate1999"');
    // Each monitor used to be inserted into the module one by one, the whole module parsed again
    // each time: 1,000 rules took two minutes, 10,000 most of an hour.
    expect(elapsed).toBeLessThan(30_000);
  });
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** This repository's config and policies (service checkout-payments) in a temporary project. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "wk-import-attack-"));
  dirs.push(dir);
  cpSync(join(ROOT, "watchkeeper.config.ts"), join(dir, "watchkeeper.config.ts"));
  cpSync(join(ROOT, "policies"), join(dir, "policies"), { recursive: true });
  return dir;
}

/** Runs the import in this process; what it printed on stdout and stderr. */
async function importRules(dir: string, rules: string): Promise<{ code: unknown; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((c) => (out.push(String(c)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((c) => (err.push(String(c)), true));
  try {
    const code = await run({ project: dir, rules, service: "checkout-payments", server: "http://prometheus:9090" }).catch((error: unknown) => error);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("wk import prometheus: terminal escapes in a rules file", () => {
  // ESC [2K ESC [1A erases the line above: a rules file from a pull request could hide a warning.
  const hostile = 'groups:\n  - name: "g\\e[2K\\e[1Aok\\u202e"\n    rules:\n      - alert: "A\\e[31m"\n        expr: up\n        labels:\n          severity: "x\\e[2J"\n';

  it("prints group names and warnings with the escapes spelled out, never sent to the terminal", async () => {
    const dir = project();
    const rules = join(dir, "rules.yml");
    writeFileSync(rules, hostile);
    const ran = await importRules(dir, rules);
    expect(ran.code).toBe(0);
    expect(ran.stdout + ran.stderr).not.toMatch(/[\u001b\u202e]/);
    expect(ran.stdout).toContain('from group "g\\u001b[2K\\u001b[1Aok\\u202e"');
    expect(ran.stderr).toContain('group "g\\u001b[2K\\u001b[1Aok\\u202e" sets no interval');
  });

  it("spells them out in the errors of a file it refuses too", async () => {
    const dir = project();
    const rules = join(dir, "rules.yml");
    writeFileSync(rules, 'groups:\n  - name: "g\\e[2K"\n    rules:\n      - alert: "A\\e[1A"\n        expr: "rate(up[5m) \\e[2K"\n');
    const ran = await importRules(dir, rules);
    expect(ran.stderr).toMatch(/error: /);
    expect(ran.stderr).not.toMatch(/\u001b/);
  });
});

describe("wk import prometheus: alert names a monitor name cannot hold", () => {
  it("imports a name with control characters or past 255 characters as a name that validates, and says what changed", () => {
    const text = `groups:\n  - name: g\n    rules:\n      - alert: "Tab\\there\\e[31m\\u202eX"\n        expr: up\n      - alert: ${"Long".repeat(80)}\n        expr: up\n`;
    const parsed = parseRulesFile(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [draft] = draftModules(parsed.groups, "myService");
    const [tab, long] = draft!.monitors;
    for (const m of [tab!, long!]) expect(displayNameSchema.safeParse(m.name).success, m.name).toBe(true);
    expect(tab!.name).toBe("Tab here [31m X");
    expect(long!.name).toBe("Long".repeat(80).slice(0, NAME_MAX));
    expect(tab!.notes.map((n) => n.message).join("\n")).toMatch(/name .* holds control characters/);
    expect(long!.notes.map((n) => n.message).join("\n")).toMatch(/longer than 255 characters/);
  });
});

describe("wk import prometheus: an --out that goes through a link", () => {
  it("is refused before anything is written: the compiler does not follow links, so the modules would never compile", async () => {
    const dir = project();
    const elsewhere = mkdtempSync(join(tmpdir(), "wk-import-elsewhere-"));
    dirs.push(elsewhere);
    mkdirSync(join(dir, "monitors"));
    symlinkSync(elsewhere, join(dir, "monitors", "imported"));
    const rules = join(dir, "rules.yml");
    writeFileSync(rules, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n");
    const ran = await importRules(dir, rules);
    expect(ran.code).toBeInstanceOf(UserError);
    expect((ran.code as UserError).exitCode).toBe(EXIT.usage);
    expect((ran.code as UserError).message).toContain("monitors/imported is a link");
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
