import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as testCommand } from "../../cli/commands/test.js";
import { formatDiagnostics, compileFailureJson } from "../../cli/compiler/format.js";
import { diffPlan } from "../../cli/plan/build-plan.js";
import { renderJson } from "../../cli/plan/render-json.js";
import { renderText } from "../../cli/plan/render-text.js";
import { renderReports } from "../../cli/unit-tests/render.js";
import { visibleJson } from "../../cli/visible-text.js";
import { sampleManifest } from "../infra/sample-manifest.js";
import { captured } from "../support/stdout.js";

// A monitored target and a pull request's module write text the CLI prints to a terminal or a CI
// log. An OSC sets the window title, CSI sequences clear the screen or recolour it (the 8-bit CSI
// U+009B as well as ESC [), a carriage return and line feed forge a log line, a bidi override
// reorders what follows. The CLI shows all of them, escaped; JSON stays JSON of the same value.
const HOSTILE = "\u001b]0;owned\u0007\u001b[2J\u009b31m\r\nall monitors ok\u007f\u202eevil";
/** Anything a terminal acts on, line feeds excepted (the CLI's own line structure). */
const ACTED_ON = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;


describe("wk test prints what a target answered, escaped", () => {
  let dir: string;
  let target: Server;
  let project: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-terminal-"));
    // Header values are Latin-1 on the wire: byte 0x9b arrives as the 8-bit CSI.
    target = createServer((_req, res) => res.writeHead(200, { "x-state": Buffer.from("\u009b2J\u009b31mdegraded", "latin1").toString("latin1") }).end("ok"));
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
    project = join(dir, "project");
    await mkdir(join(project, "monitors"), { recursive: true });
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "terminal-fixture", private: true, type: "module" }));
    await writeFile(
      join(project, "watchkeeper.config.ts"),
      `import { config } from "watchkeeper";\nexport default config({ name: "terminal-fixture", monitors: ["monitors/**/*.ts"], secrets: [], defaults: { timezone: "UTC" } });\n`,
    );
    await writeFile(
      join(project, "monitors", "hostile.ts"),
      `import { check, monitor } from "watchkeeper";
export const script = monitor({ id: "hostile-script", name: "Hostile script", schedule: { every: "1m" }, severity: "warning",
  summary: "{{message}}", check: check.script({ run: async () => ({ ok: false, value: 1, message: ${JSON.stringify(HOSTILE)} }) }) });
export const header = monitor({ id: "hostile-header", name: "Hostile header", schedule: { every: "1m" }, severity: "warning",
  check: check.http({ url: "${base}/", expect: { headers: { "x-state": "ok" } } }) });
`,
    );
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((r) => target.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it("spells out escape sequences and control characters in the text report", async () => {
    const ran = await captured(() => testCommand({ monitors: ["hostile-script", "hostile-header"], project }));
    expect(ran.code).toBe(1);
    expect(ran.out).not.toMatch(ACTED_ON);
    expect(ran.out).toContain("\\u001b]0;owned\\u0007\\u001b[2J\\u009b31m\\u000d\\nall monitors ok\\u007f\\u202eevil");
    expect(ran.out).toContain("\\u009b2J\\u009b31mdegraded");
    // The forged line stays on the line of the message that carried it.
    expect(ran.out.split("\n").some((line) => line.startsWith("all monitors ok"))).toBe(false);
  }, 60_000);

  it("keeps --json valid, holding the same text, with nothing a terminal acts on", async () => {
    const ran = await captured(() => testCommand({ monitors: ["hostile-script", "hostile-header"], project, json: true }));
    expect(ran.out).not.toMatch(ACTED_ON);
    const report = JSON.parse(ran.out) as { monitors: Array<{ id: string; series: Array<{ message: string; alert: { summary: string } | null }> }> };
    const script = report.monitors.find((m) => m.id === "hostile-script")!;
    expect(script.series[0]!.message).toBe(HOSTILE);
    expect(script.series[0]!.alert!.summary).toContain("\u009b31m");
    expect(report.monitors.find((m) => m.id === "hostile-header")!.series[0]!.message).toContain("\u009b2J");
  }, 60_000);
});

describe("wk plan and the compiler's diagnostics print a module's text escaped", () => {
  const diagnostic = { severity: "error" as const, code: "WK2001", message: `monitors/a.ts printed ${HOSTILE}`, hint: `remove ${HOSTILE}`, file: "monitors/a.ts", line: 3, column: 1 };

  it("a diagnostic's message and hint cannot rewrite the terminal, in text or JSON", () => {
    const text = formatDiagnostics([diagnostic], { color: false });
    expect(text).not.toMatch(ACTED_ON);
    expect(text).toContain("printed \\u001b]0;owned\\u0007");
    const json = compileFailureJson([diagnostic]);
    expect(json).not.toMatch(ACTED_ON);
    expect((JSON.parse(json) as { diagnostics: Array<{ message: string }> }).diagnostics[0]!.message).toBe(diagnostic.message);
  });

  it("a plan's property values, warnings and titles are escaped in text, and JSON keeps the value", () => {
    const now = new Date("2026-11-21T00:00:00Z");
    const p = diffPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed-manifest.json" }, target: sampleManifest((d) => (d.monitors[0]!.summary = HOSTILE)), now }, [], []);
    p.warnings.push({ code: "summary-not-previewed", subject: "x", message: `the summary function throws: ${HOSTILE}` });
    const text = renderText(p, { color: false });
    expect(text).not.toMatch(ACTED_ON);
    expect(text.split("\n").some((line) => line.startsWith("all monitors ok"))).toBe(false);
    const json = renderJson(p);
    expect(json).not.toMatch(ACTED_ON);
    expect((JSON.parse(json) as { warnings: Array<{ message: string }> }).warnings[0]!.message).toBe(`the summary function throws: ${HOSTILE}`);
  });

  it("wk test --unit's report spells out a test's name and a problem's message", () => {
    const plain = { red: (s: string) => s, green: (s: string) => s, bold: (s: string) => s, dim: (s: string) => s };
    const out = renderReports([], [{ file: "tests/a.wktest.ts", line: 1, message: HOSTILE, hint: HOSTILE } as never], plain);
    expect(out).not.toMatch(ACTED_ON);
  });

  it("visibleJson escapes only inside strings: the JSON parses to the same value", () => {
    const value = { [`k${HOSTILE}`]: [HOSTILE, "\u{e0001}tag", "\u2028", 1] };
    const json = visibleJson(JSON.stringify(value));
    expect(json).not.toMatch(/[\u007f-\u009f\u2028\u202e]/u);
    expect(JSON.parse(json)).toEqual(value);
  });
});
