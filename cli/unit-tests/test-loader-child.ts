import { constructStack, isMonitorTest, type MonitorFeed, type MonitorTest } from "../../sdk/index.js";
import { bundleFrameMapper } from "../compiler/evaluate.js";
import { guardHost, guardProcess } from "../compiler/sandbox-guard.js";
import type { LoadRequest } from "../compiler/sandbox-protocol.js";
import { serveSandboxRequest } from "../compiler/sandbox-serve.js";
import { errorMessage, frameLocator } from "../compiler/stack.js";
import type { LoadedTest, TestLoadResult } from "./test-protocol.js";

/**
 * The loader of `*.wktest.ts` modules, run in the same sandboxed child as the compiler's loader
 * (sandbox.ts): it imports each test module, finds the exported monitorTest() values, and answers
 * with them as plain data (monitors by id, services and channels by destination id, each test at
 * its file:line). The parent validates the answer; nothing here decides a verdict.
 */

export interface TestEntry {
  modules: [string, () => Promise<Record<string, unknown>>][];
}

export function runTestLoaderChild(entry: TestEntry): void {
  serveSandboxRequest(
    "run `wk test --unit`",
    (request, loading) => load(entry, request, loading),
    (error): TestLoadResult => ({ tests: [], problems: [{ file: null, line: null, message: `the test loader failed: ${errorMessage(error)}` }] }),
  );
}

async function load(entry: TestEntry, request: LoadRequest, loading: (file: string) => void): Promise<TestLoadResult> {
  const locate = frameLocator(request.projectDir, request.sdk, bundleFrameMapper({ file: request.bundleFile, mapFile: request.mapFile }));
  guardProcess();
  guardHost();
  const result: TestLoadResult = { tests: [], problems: [] };
  for (const [file, importModule] of entry.modules) {
    loading(file);
    let namespace: Record<string, unknown>;
    try {
      namespace = await importModule();
    } catch (error) {
      const where = locate((error as Error | undefined)?.stack) ?? { file, line: 1, column: 1 };
      result.problems.push({ file: where.file ?? file, line: where.line ?? 1, message: `this module throws while loading: ${errorMessage(error)}` });
      continue;
    }
    let found = 0;
    for (const value of Object.values(namespace)) {
      for (const test of Array.isArray(value) ? value : [value]) {
        if (!isMonitorTest(test)) continue;
        found++;
        const at = locate(constructStack(test)) ?? { file, line: 1, column: 1 };
        result.tests.push(toData(test, at.file ?? file, at.line ?? 1, at.column ?? 1, locate));
      }
    }
    if (found === 0) result.problems.push({ file, line: 1, message: "this test module exports no monitorTest()" });
  }
  return result;
}

type Locate = ReturnType<typeof frameLocator>;

function toData(test: MonitorTest, file: string, line: number, column: number, locate: Locate): LoadedTest {
  const others = (Array.isArray(test.others) ? test.others : []).map((f: MonitorFeed) => ({
    monitorId: monitorIdOf(f?.monitor),
    steps: plain(f?.steps ?? []),
    line: locate(constructStack(f))?.line ?? line,
  }));
  return {
    file,
    line,
    column,
    name: typeof test.name === "string" ? test.name : null,
    monitorId: monitorIdOf(test.monitor),
    start: plain(test.start),
    steps: plain(test.steps),
    expect: plain(test.expect),
    others,
  };
}

/** A monitor construct's id, or null for anything else (the parent reports it). */
function monitorIdOf(value: unknown): string | null {
  const m = value as { kind?: unknown; id?: unknown } | null;
  return m && typeof m === "object" && m.kind === "monitor" && typeof m.id === "string" ? m.id : null;
}

/**
 * Data only: services and channels become destination ids, monitors their id; functions and a
 * value inside itself are dropped (the parent reports what is then missing).
 */
function plain(value: unknown, depth = 0, path: Set<object> = new Set()): unknown {
  if (depth > 32) return null;
  if (value === null || typeof value !== "object") return typeof value === "function" || typeof value === "symbol" || typeof value === "bigint" ? null : value;
  const construct = value as { kind?: unknown; id?: unknown };
  if (typeof construct.kind === "string" && typeof construct.id === "string") {
    if (construct.kind === "service") return `service:${construct.id}`;
    if (construct.kind === "channel") return `channel:${construct.id}`;
    if (construct.kind === "monitor") return `monitor:${construct.id}`;
  }
  if (path.has(value)) return null;
  path.add(value);
  const out = Array.isArray(value) ? value.map((v) => plain(v, depth + 1, path)) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, depth + 1, path)]));
  path.delete(value);
  return out;
}
