import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { run } from "../../cli/commands/import.js";
import { compileProject } from "../../cli/compiler/index.js";
import { EXIT, UserError } from "../../cli/errors.js";
import { monitorCode, type CheckResult, type MonitorBundle } from "../../sdk/index.js";
import type { MonitorSpec } from "../../sdk/manifest/index.js";
import { observe } from "../../runtime/evaluate/observe.js";
import { renderSummary } from "../../runtime/evaluate/summary.js";
import { ensureBuild, wk } from "../gitops/cli-process.js";
import { loadRepoProject, ROOT } from "../examples/project.js";

const FIXTURES = join(ROOT, "test/import/fixtures");
const RULES = join(FIXTURES, "rules.yml");
const dirs: string[] = [];

/** A copy of this repository's project without its monitors: its config and policies (services, schedules). */
function fixtureProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "wk-import-"));
  dirs.push(dir);
  cpSync(join(ROOT, "watchkeeper.config.ts"), join(dir, "watchkeeper.config.ts"));
  cpSync(join(ROOT, "policies"), join(dir, "policies"), { recursive: true });
  return dir;
}

async function importRules(args: Record<string, unknown>): Promise<{ code: number | unknown; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((c) => (out.push(String(c)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((c) => (err.push(String(c)), true));
  try {
    const code = await run({ service: "checkout-payments", server: "http://prometheus.monitoring:9090", ...args }).catch((error: unknown) => error);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const filesOf = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("wk import prometheus: a rules file with several groups, templates and unsupported fields", { timeout: 180_000 }, () => {
  let project: string;
  let first: Awaited<ReturnType<typeof importRules>>;
  let modules: Record<string, string>;

  beforeAll(async () => {
    project = fixtureProject();
    first = await importRules({ project, rules: RULES });
    modules = filesOf(join(project, "monitors/imported"));
  });

  test("writes one module per group, with stable, unique kebab-case ids from the rule names", () => {
    expect(first.code).toBe(EXIT.ok);
    expect(Object.keys(modules)).toEqual(["checkout.ts", "node-rules.ts", "recording-only.ts"]);
    const ids = Object.values(modules).flatMap((text) => [...text.matchAll(/^ {2}id: "([^"]+)"/gm)].map((m) => m[1]));
    // The two CheckoutHighErrorRate rules (page and warning) get distinct ids: the second by its severity.
    expect(ids).toEqual(["checkout-high-error-rate", "checkout-high-error-rate-warning", "checkout-latency-high", "node-disk-almost-full", "watchdog"]);
    expect(first.stdout).toContain("5 monitors paging service checkout-payments");
  });

  test("maps expr, interval, for, keep_firing_for, labels, severity and the service reference", () => {
    const checkout = modules["checkout.ts"]!;
    expect(checkout).toContain('import { checkoutPayments } from "../../policies/services.js";');
    expect(checkout).toContain('const prometheusServer = "http://prometheus.monitoring:9090";');
    expect(checkout).toMatch(/id: "checkout-high-error-rate",\n {2}name: "CheckoutHighErrorRate",\n {2}schedule: \{ every: "30s" \},/);
    expect(checkout).toContain('for: "5m",\n  keepFiringFor: "2m",\n  severity: "critical",\n  service: checkoutPayments,\n  labels: { team: "payments" },');
    // 1h30m becomes one unit; the severity label becomes the severity, not a label.
    expect(checkout).toContain('for: "90m",');
    expect(checkout).not.toContain("severity: \"page\"");
  });

  test("translates templates: labels and value as summary syntax, formatters as a summary function", () => {
    const checkout = modules["checkout.ts"]!;
    expect(checkout).toContain('import { check, humanizeDuration, humanizePercentage, monitor } from "watchkeeper";');
    expect(checkout).toContain('summary: (result) => `High error rate on ${result.labels["instance"] ?? ""}: ${humanizePercentage(result.value)}`,');
    expect(checkout).toContain('summary: "Elevated error rate on {{labels.instance}}: {{value}}",');
    expect(checkout).toContain('description: "{{labels.instance}} answers {{value}} of requests with 5xx.",');
    expect(checkout).toContain('runbook: "https://runbooks.example.com/checkout/high-error-rate",');
    expect(modules["node-rules.ts"]).toContain('result.value === null ? "n/a" : result.value.toFixed(1)');
  });

  test("every construct without an equivalent is a `// wk import:` comment and a warning with file:line, never lost", () => {
    const expected: [string, RegExp][] = [
      ["limit", /rules\.yml:6:\d+: warning: limit: 10 is not imported/],
      ["recording rule", /rules\.yml:8:\d+: warning: recording rule job:http_requests:rate5m is not imported/],
      ["other annotation", /rules\.yml:21:\d+: warning: annotation dashboard: "https:\/\/grafana\.example\.com\/d\/checkout" is not imported/],
      ["templated label", /rules\.yml:35:\d+: warning: label instance_short: .* is not imported/],
      ["control flow", /rules\.yml:38:\d+: warning: description uses \{\{ if gt \$value 1\.0 \}\}/],
      ["unknown severity", /rules\.yml:46:\d+: warning: severity "major" is not one Watchkeeper knows .*: imported as warning/],
      ["function in template", /rules\.yml:48:\d+: warning: summary: \{\{ \$externalLabels\.cluster \}\} left out/],
      ["templated runbook", /rules\.yml:49:\d+: warning: runbook_url uses labels or the value/],
      ["query in template", /rules\.yml:55:\d+: warning: message .* uses \{\{ with query "up" \}\}/],
      ["recording-only group", /rules\.yml:59:\d+: warning: recording rule instance:node_cpu:ratio is not imported/],
    ];
    const all = Object.values(modules).join("\n");
    for (const [what, warning] of expected) {
      expect(first.stderr, what).toMatch(warning);
      const line = /rules\\\.yml:(\d+)/.exec(warning.source)![1];
      expect(all, what).toMatch(new RegExp(`^// wk import: rules\\.yml:${line}: `, "m"));
    }
    expect(modules["recording-only.ts"]).toMatch(/\/\/ wk import: rules\.yml:59: recording rule instance:node_cpu:ratio[^\n]*\nexport \{\};\n$/);
  });

  test("the output validates: `wk validate` on the project exits 0 with no errors", async () => {
    ensureBuild();
    const ran = await wk(["validate", "--json"], { cwd: project, timeoutMs: 120_000 });
    expect(ran.code, ran.stderr + ran.stdout).toBe(EXIT.ok);
    const report = JSON.parse(ran.stdout) as { ok: boolean; diagnostics: { severity: string }[]; summary: { errors: number } };
    expect(report.ok).toBe(true);
    expect(report.summary.errors).toBe(0);
    expect(report.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const compiled = await compileProject({ projectDir: project, write: false });
    expect(compiled.manifest!.monitors.map((m) => m.id).sort()).toEqual(
      ["checkout-high-error-rate", "checkout-high-error-rate-warning", "checkout-latency-high", "node-disk-almost-full", "watchdog"],
    );
  });

  test("re-running is idempotent (same bytes), and refuses files it did not write or that were edited, unless --force", async () => {
    const again = await importRules({ project, rules: RULES });
    expect(again.code).toBe(EXIT.ok);
    expect(again.stdout).toContain("unchanged monitors/imported/checkout.ts");
    expect(filesOf(join(project, "monitors/imported"))).toEqual(modules);

    const target = join(project, "monitors/imported/checkout.ts");
    writeFileSync(target, modules["checkout.ts"]!.replace('for: "5m"', 'for: "7m"'));
    const edited = await importRules({ project, rules: RULES });
    expect(edited.code).toBeInstanceOf(UserError);
    expect((edited.code as UserError).message).toBe("refusing to overwrite monitors/imported/checkout.ts (edited since it was imported); nothing was written");
    expect((edited.code as UserError).exitCode).toBe(EXIT.findings);

    writeFileSync(target, "// my own monitors\nexport {};\n");
    const foreign = await importRules({ project, rules: RULES });
    expect((foreign.code as UserError).message).toContain("monitors/imported/checkout.ts (not written by wk import)");
    expect(readFileSync(target, "utf8")).toBe("// my own monitors\nexport {};\n");

    const forced = await importRules({ project, rules: RULES, force: true });
    expect(forced.code).toBe(EXIT.ok);
    expect(filesOf(join(project, "monitors/imported"))).toEqual(modules);
  });

  test("an unknown service is an error naming the near ids, exit 1", async () => {
    const result = await importRules({ project, rules: RULES, service: "checkout-payment" });
    expect(result.code).toBeInstanceOf(UserError);
    const error = result.code as UserError;
    expect(error.exitCode).toBe(EXIT.findings);
    expect(error.message).toContain('unknown service "checkout-payment"');
    expect(error.hint).toContain('"checkout-payments"');
  });

  test("an id the project already uses is refused before anything is written", async () => {
    const other = fixtureProject();
    cpSync(join(ROOT, "monitors/checkout"), join(other, "monitors/checkout"), { recursive: true });
    const result = await importRules({ project: other, rules: join(FIXTURES, "checkout-error-rate.yml") });
    expect(result.code).toBeInstanceOf(UserError);
    expect((result.code as UserError).message).toMatch(/^monitor id "checkout-error-rate" \(CheckoutErrorRate, .*checkout-error-rate\.yml:6\) is already a monitor in monitors\/checkout\/error-rate\.ts; nothing was written$/);
    expect(readdirSync(join(other, "monitors"))).toEqual(["checkout"]);
  });

  test("the fixture is valid Prometheus: promtool check rules accepts it", () => {
    let promtool: string;
    try {
      promtool = execFileSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" }).trim();
    } catch {
      console.warn("promtool not on PATH (Debian's prometheus package): the fixture's own validity was not checked");
      return;
    }
    const out = execFileSync(promtool, ["check", "rules", RULES, join(FIXTURES, "checkout-error-rate.yml")], { encoding: "utf8" });
    expect(out).toContain("SUCCESS: 7 rules found");
    expect(out).toContain("SUCCESS: 1 rules found");
  });
});

describe("the microservice scenario's alerting rule round-trips", { timeout: 180_000 }, () => {
  test("import, compile, and the manifest monitor matches monitors/checkout/error-rate.ts in every field that matters", async () => {
    const project = fixtureProject();
    const imported = await importRules({ project, rules: join(FIXTURES, "checkout-error-rate.yml") });
    expect(imported.code).toBe(EXIT.ok);
    expect(imported.stderr).toBe("");
    const outDir = join(project, "dist/watchkeeper");
    const compiled = await compileProject({ projectDir: project, write: true, outDir });
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const after = compiled.manifest!.monitors.find((m) => m.id === "checkout-error-rate")!;
    const repo = await loadRepoProject();
    const before = repo.monitor("checkout-error-rate");

    const meaningful = (m: MonitorSpec) => ({
      id: m.id,
      schedule: m.schedule,
      check: m.check,
      for: m.for,
      keepFiringFor: m.keepFiringFor,
      failureThreshold: m.failureThreshold,
      successThreshold: m.successThreshold,
      onError: m.onError,
      severity: m.severity,
      service: m.service,
      channels: m.channels,
      labels: m.labels,
      runbook: m.runbook,
    });
    expect(meaningful(after)).toEqual(meaningful(before));

    // The original restates the query's `> 0.05` as a threshold; the import keeps Prometheus's
    // meaning (every returned series fires). Both fire, and resolve, on exactly the same results.
    expect(before.threshold).toEqual({ op: ">", value: 0.05 });
    expect(after.threshold).toBeNull();
    const bundle = (await import(pathToFileURL(join(outDir, "monitors.mjs")).href)).default as MonitorBundle;
    const series = (value: number, labels: Record<string, string>): CheckResult => ({ ok: true, value, message: "", labels, details: {}, durationMs: 3 });
    const returned = [series(0.123456, { instance: "checkout-7f9c:8080", status: "503" }), series(0.07, { instance: "checkout-2b1d:8080", status: "500" })];
    const gone = [{ instance: "checkout-0000:8080", status: "502" }];
    const verdicts = (m: MonitorSpec, code: MonitorBundle[string] | undefined) =>
      observe({ kind: "results", results: returned }, m, code, gone).map((o) => [o.labels, o.firing, o.observation.kind]);
    const originalCode = monitorCode(repo.construct("checkout-error-rate"));
    expect(verdicts(after, bundle[after.id])).toEqual(verdicts(before, originalCode));

    // The summary reads the same: the Go template became a summary function with the same text.
    for (const result of returned) {
      expect(renderSummary(after, result, bundle[after.id])).toBe(renderSummary(before, result, originalCode));
    }
    expect(renderSummary(after, returned[0]!, bundle[after.id])).toBe("Checkout 5xx rate on checkout-7f9c:8080: 0.123 503 responses/s (limit 0.05/s)");
  });
});

describe("label names a monitor cannot hold", { timeout: 120_000 }, () => {
  test("a rules file with k8s-cluster and team name labels imports whole, with a warning per rename, and compiles", async () => {
    const project = fixtureProject();
    const rules = join(project, "labels.yml");
    writeFileSync(
      rules,
      [
        "groups:",
        "  - name: nodes",
        "    rules:",
        "      - alert: NodeDown",
        "        expr: up == 0",
        "        labels:",
        "          k8s-cluster: eu-1",
        '          "team name": payments',
        "      - alert: DiskFull",
        "        expr: node_filesystem_avail_bytes < 1e9",
        "",
      ].join("\n"),
    );
    const ran = await importRules({ project, rules });
    expect(ran.code, ran.stderr).toBe(EXIT.ok);
    expect(ran.stderr).toMatch(/labels\.yml:7:24: warning: alert NodeDown: label k8s-cluster is imported as k8s_cluster: /m);
    expect(ran.stderr).toMatch(/labels\.yml:8:24: warning: alert NodeDown: label team name is imported as team_name: /m);
    const module = readFileSync(join(project, "monitors/imported/nodes.ts"), "utf8");
    expect(module).toContain("// wk import: labels.yml:7: alert NodeDown: label k8s-cluster is imported as k8s_cluster");
    const compiled = await compileProject({ projectDir: project, write: false });
    expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(compiled.manifest!.monitors.find((m) => m.id === "node-down")!.labels).toEqual({ k8s_cluster: "eu-1", team_name: "payments" });
    expect(compiled.manifest!.monitors.map((m) => m.id).sort()).toEqual(["disk-full", "node-down"]);
  });
});

describe("bad rules files: a clear error with file:line, exit 1, nothing written", { timeout: 120_000 }, () => {
  beforeAll(() => ensureBuild());

  const cases: [string, string, RegExp[]][] = [
    ["not YAML", "groups:\n  - name: a\n    rules: [\n", [/^bad\.yml:4:1: error: not valid YAML: /m]],
    ["not Prometheus rules", "apiVersion: v1\nkind: ConfigMap\n", [/^bad\.yml:1:1: error: not a Prometheus rules file: unknown top-level field "apiVersion"/m, /^bad\.yml:2:1: error: not a Prometheus rules file: unknown top-level field "kind"/m]],
    [
      "rules Prometheus refuses",
      [
        "groups:",
        "  - name: a",
        "    rules:",
        "      - alert: Both",
        "        record: both:total",
        "        expr: up",
        "      - alert: BadFor",
        "        expr: up == 0",
        "        for: 5 minutes",
        "      - alert: BadExpr",
        "        expr: sum(rate(x[5m])",
        '        labels: { "": x }',
        "      - alert: Unknown",
        "        expr: up",
        "        severity: page",
        "  - name: a",
        "",
      ].join("\n"),
      [
        /^bad\.yml:4:9: error: a rule is either an alerting rule or a recording rule/m,
        /^bad\.yml:9:14: error: `for: 5 minutes` is not a Prometheus duration/m,
        /^bad\.yml:11:15: error: alert "BadExpr": expr does not parse/m,
        /^bad\.yml:12:19: error: labels name "" is not valid/m,
        /^bad\.yml:15:9: error: unknown field "severity" in a rule/m,
        /^bad\.yml:16:\d+: error: group name "a" is repeated \(first at line 2\)/m,
      ],
    ],
  ];

  test.each(cases)("%s", async (_what, text, errors) => {
    const project = fixtureProject();
    writeFileSync(join(project, "bad.yml"), text);
    const ran = await wk(["import", "prometheus", "bad.yml", "--service", "checkout-payments"], { cwd: project });
    expect(ran.code, ran.stderr).toBe(EXIT.findings);
    for (const error of errors) expect(ran.stderr).toMatch(error);
    expect(ran.stderr).toMatch(/^error: bad\.yml is not a valid Prometheus rules file \(\d+ problems?\); nothing was written$/m);
    expect(readdirSync(project)).not.toContain("monitors");
  });

  test("a missing file and an unknown source are refused too", async () => {
    const project = fixtureProject();
    const missing = await wk(["import", "prometheus", "nope.yml", "--service", "checkout-payments"], { cwd: project });
    expect(missing.code).toBe(EXIT.findings);
    expect(missing.stderr).toContain("error: cannot read the rules file nope.yml: no such file");
    const other = await wk(["import", "nagios", "x.cfg", "--service", "checkout-payments"], { cwd: project });
    expect(other.code).toBe(EXIT.usage);
  });
});
