import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { loadArtifact } from "../../runtime/artifact.js";
import { CodeHost } from "../../runtime/code-host/code-host.js";
import { hasFunctions } from "../../runtime/code-host/hosted-code.js";
import { compileToArtifact } from "../compile-first.js";
import { discover } from "../compiler/discover.js";
import type { Diagnostic } from "../compiler/types.js";
import { locateSdk } from "../compiler/paths.js";
import { DEFAULT_LOAD_TIMEOUT_MS } from "../compiler/sandbox.js";
import { compare, type TimelineRow } from "./compare.js";
import { findTestModules, loadTests } from "./load-tests.js";
import { simulate, simulationMetrics, SimulationTooLong } from "./simulate.js";
import { elementLines } from "./source-lines.js";
import { parseTest, type TestProblem } from "./test-shape.js";

/** One test's verdict, as printed and as `--json` writes it. */
export interface TestReport {
  name: string;
  monitor: string;
  file: string;
  line: number;
  /** The test's start, ms since the epoch; rows are shown as offsets from it. */
  start: number;
  ok: boolean;
  /** How long the simulation took (wall clock, ms). */
  durationMs: number;
  /** Evaluations of the monitor under test (simulated times). */
  ticks: number;
  rows: Array<TimelineRow & { line: number }>;
}

/** A bad input: in a test, or a module that could not be loaded. */
export interface InputProblem {
  file: string | null;
  line: number | null;
  message: string;
  hint: string | null;
}

export type UnitRun =
  | { kind: "compile-failed"; diagnostics: Diagnostic[] }
  | { kind: "ran"; files: string[]; reports: TestReport[]; problems: InputProblem[] };

/**
 * `wk test --unit`: compiles the project, loads its test modules in the sandbox, checks each
 * test against the manifest, and simulates the valid ones one after the other.
 */
export async function runUnitTests(projectDir: string): Promise<UnitRun> {
  const outDir = await mkdtemp(path.join(tmpdir(), "wk-unit-artifact-"));
  const workDir = await mkdtemp(path.join(tmpdir(), "wk-unit-load-"));
  let codeHost: CodeHost | null = null;
  try {
    const compiled = await compileToArtifact(projectDir, { outDir });
    if (!compiled.ok) return { kind: "compile-failed", diagnostics: compiled.diagnostics };
    const sdk = locateSdk(new URL("../compiler/index.js", import.meta.url).href);
    const found = await discover(projectDir, sdk, workDir);
    if (!found.ok) return { kind: "compile-failed", diagnostics: found.diagnostics };
    const files = await findTestModules(projectDir, found.discovery.config);
    const problems: InputProblem[] = [];
    const reports: TestReport[] = [];
    if (files.length === 0) return { kind: "ran", files, reports, problems };
    const { manifest, bundle, bundleUrl } = await loadArtifact(outDir);
    // What the code worker stopped (a loop, an exit) is said at the test that ran it.
    const stopped: string[] = [];
    const codeLog = pino({ level: "error" }, { write: (line: string) => stopped.push((JSON.parse(line) as { msg: string }).msg) });
    codeHost = Object.values(bundle).some(hasFunctions) ? new CodeHost({ bundleUrl, bundleSha256: manifest.bundle?.sha256 ?? null, logger: codeLog }) : null;
    const loaded = await loadTests(projectDir, files, sdk, workDir, DEFAULT_LOAD_TIMEOUT_MS);
    problems.push(...loaded.problems.map((p) => ({ ...p, hint: null })));
    const metrics = simulationMetrics();
    for (const raw of loaded.tests) {
      const { test, problems: bad } = parseTest(raw, manifest);
      if (!test) {
        problems.push(...(await located(projectDir, raw.file, raw.line, bad)));
        continue;
      }
      const started = performance.now();
      let result: Awaited<ReturnType<typeof simulate>>;
      try {
        result = await simulate(test, manifest, bundle, metrics, codeHost);
      } catch (error) {
        if (!(error instanceof SimulationTooLong)) throw error;
        problems.push({ file: test.file, line: test.line, message: error.message, hint: null });
        continue;
      } finally {
        for (const message of stopped.splice(0)) problems.push({ file: test.file, line: test.line, message, hint: "a condition, summary or extract function must return within 2 s" });
      }
      const rows = compare(test, result);
      const ok = rows.every((r) => r.ok);
      const lines = ok ? new Map<string, number>() : await elementLines(projectDir, test.file, test.line);
      reports.push({
        name: test.name,
        monitor: test.monitor.id,
        file: test.file,
        line: test.line,
        start: test.start,
        ok,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ticks: result.ticks.length,
        rows: rows.map((r) => ({ ...r, line: lines.get(`expect[${r.index}]`) ?? test.line })),
      });
    }
    problems.sort((a, b) => (a.file ?? "").localeCompare(b.file ?? "") || (a.line ?? 0) - (b.line ?? 0));
    return { kind: "ran", files, reports, problems };
  } finally {
    await codeHost?.close();
    await rm(outDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  }
}

async function located(projectDir: string, file: string, testLine: number, problems: TestProblem[]): Promise<InputProblem[]> {
  const lines = await elementLines(projectDir, file, testLine);
  return problems.map((p) => ({
    file,
    line: (p.path ? (lines.get(p.path) ?? lines.get(p.path.replace(/\[\d+\]$/, ""))) : undefined) ?? testLine,
    message: p.path ? `${p.path}: ${p.message}` : p.message,
    hint: p.hint,
  }));
}
