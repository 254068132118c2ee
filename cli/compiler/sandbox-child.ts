import { readFileSync } from "node:fs";
import path from "node:path";
import { collectConstructs, constructStack, type Construct, type ProjectConfig } from "../../sdk/index.js";
import { diagnostic, parseSource, type Location } from "./diagnostic.js";
import { bundleFrameMapper } from "./evaluate.js";
import { exportLine, exportProblems } from "./exports.js";
import { guardProcess, SandboxViolation } from "./sandbox-guard.js";
import { serveSandboxRequest } from "./sandbox-serve.js";
import type { LoadRequest, LoadResult } from "./sandbox-protocol.js";
import { errorMessage, frameLocator } from "./stack.js";
import { synthesizeManifest } from "./synthesize.js";
import type { Diagnostic } from "./types.js";

/**
 * The loader that runs inside the sandboxed child. It is bundled into the load bundle together
 * with the project (see sandbox-entry.ts), so it and the modules share one copy of the SDK and
 * the bundle is the child's whole program.
 */

/** What the generated entry hands the loader: lazy imports, so each module runs (and fails) on its own. */
export interface SandboxEntry {
  configFile: string;
  loadConfig: () => Promise<{ default?: unknown }>;
  modules: [string, () => Promise<Record<string, unknown>>][];
}

/** The project as loaded inside the child: live constructs, before synthesis. */
export interface LiveProject {
  config: ProjectConfig;
  constructs: Construct[];
  locations: Map<Construct, Location>;
}

/** Waits for the compiler's request, loads, and answers once over IPC. */
export function runSandboxChild(entry: SandboxEntry): void {
  serveSandboxRequest(
    "load a project",
    (request, loading) => load(entry, request, loading),
    (error) => emptyResult([bug(error)]),
  );
}

async function load(entry: SandboxEntry, request: LoadRequest, loading: (file: string) => void): Promise<LoadResult> {
  const { projectDir, sdk, mode } = request;
  const locate = frameLocator(projectDir, sdk, bundleFrameMapper({ file: request.bundleFile, mapFile: request.mapFile }));
  const diagnostics: Diagnostic[] = [];
  // Errors that escape a module's load (a timer that throws, a promise nobody awaits) are charged
  // to the module whose line their stack names, else to the module loading when they happened.
  let current = entry.configFile;
  const escaped: { error: unknown; during: string; kind: "throw" | "rejection" }[] = [];
  process.on("uncaughtException", (error) => escaped.push({ error, during: current, kind: "throw" }));
  process.on("unhandledRejection", (error) => escaped.push({ error, during: current, kind: "rejection" }));
  guardProcess();

  const threw = (error: unknown, file: string, code: string): Diagnostic => {
    const where = locate((error as Error | undefined)?.stack) ?? { file, line: 1, column: 1 };
    const who = where.file === file ? (file === entry.configFile ? "the config" : "this module") : file;
    return diagnostic("error", code, `${who} ${describeThrow(error)}`, hintFor(error), where);
  };

  loading(entry.configFile);
  let config: unknown;
  let configLoaded = false;
  try {
    config = (await entry.loadConfig()).default;
    configLoaded = true;
  } catch (error) {
    diagnostics.push(threw(error, entry.configFile, mode === "config" ? "WK1002" : "WK2001"));
  }

  const namespaces: Record<string, unknown>[] = [];
  for (const [file, importModule] of mode === "project" ? entry.modules : []) {
    current = file;
    loading(file);
    let namespace: Record<string, unknown>;
    try {
      namespace = await importModule();
    } catch (error) {
      diagnostics.push(threw(error, file, "WK2001"));
      continue;
    }
    namespaces.push(namespace);
    const problems = exportProblems(namespace);
    const source = problems.length > 0 ? readFileSync(path.join(projectDir, file), "utf8") : "";
    for (const problem of problems) {
      diagnostics.push(diagnostic("error", "WK2003", problem.message, problem.hint, { file, line: exportLine(source, problem.name), column: 1 }));
    }
  }

  // One turn of the event loop lets zero-delay timers and unhandled rejections surface; later
  // timers never run, since the compiler ends this process once it has the answer.
  await new Promise((resolve) => setTimeout(() => setImmediate(resolve), 0));
  for (const { error, during, kind } of escaped) {
    const where = locate((error as Error | undefined)?.stack) ?? { file: during, line: 1, column: 1 };
    const what = kind === "throw" ? "a callback it scheduled throws after it loaded" : "a promise it made rejects and nobody handles the rejection";
    diagnostics.push(
      diagnostic("error", "WK2001", `${where.file === during ? "this module" : during}: ${what}: ${errorMessage(error)}`, "await the work at the module's top level and handle its errors, or move it into a script check, which runs in the runtime", where),
    );
  }

  let configData: Record<string, unknown> | null = null;
  try {
    if (configLoaded && config !== undefined) configData = toConfigData(config);
  } catch (error) {
    diagnostics.push(threw(error, entry.configFile, mode === "config" ? "WK1002" : "WK2001"));
  }
  const result: LoadResult = { config: configData, configExported: configLoaded && config !== undefined, manifest: null, locations: [], diagnostics };
  if (mode === "config" || !configLoaded || config === undefined || diagnostics.some((d) => d.severity === "error")) return result;

  const constructs = collectConstructs([config, ...namespaces]);
  const locations = new Map<Construct, Location>();
  for (const c of constructs) locations.set(c, locate(constructStack(c)) ?? { file: null, line: null, column: null });
  const synthesized = synthesizeManifest({ config: config as ProjectConfig, constructs, locations });
  diagnostics.push(...synthesized.diagnostics);
  const manifest = synthesized.manifest as Record<string, unknown> | null;
  const notData = manifest ? nonDataDiagnostics(manifest) : [];
  diagnostics.push(...notData);
  return { ...result, manifest: notData.length > 0 ? null : manifest, locations: [...locations.values()] };
}

function describeThrow(error: unknown): string {
  if (error instanceof SandboxViolation) return `calls ${error.what} while loading; modules load in a disposable sandbox and cannot end or hook the compiler`;
  const denied = error as { code?: unknown; permission?: unknown; resource?: unknown };
  if (denied?.code === "ERR_ACCESS_DENIED") {
    const what = denied.permission === "FileSystemWrite" ? "write" : denied.permission === "FileSystemRead" ? "read" : "use";
    const resource = typeof denied.resource === "string" ? ` ${denied.resource}` : "";
    return `tries to ${what}${resource} while loading; the sandbox lets modules read the project and nothing else`;
  }
  return `throws while loading: ${errorMessage(error)}`;
}

function hintFor(error: unknown): string {
  if (error instanceof SandboxViolation || (error as { code?: unknown })?.code === "ERR_ACCESS_DENIED") {
    return "modules only describe monitors and policy; do work with files, processes or the environment in a script check, which runs in the runtime";
  }
  return "module top level runs at compile time: fix the error at this line, or move work that needs the running system into a script check";
}

/** The config as data for the compiler's rules: functions dropped, a value inside itself cut. */
function toConfigData(config: unknown): Record<string, unknown> | null {
  const path = new Set<object>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return typeof v === "function" || typeof v === "symbol" || typeof v === "bigint" ? undefined : v;
    if (path.has(v)) return undefined;
    path.add(v);
    const out = Array.isArray(v) ? v.map(copy) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]).filter(([, x]) => x !== undefined));
    path.delete(v);
    return out;
  };
  const data = copy(config);
  return data !== null && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
}

/** Definitions whose synthesized form holds something that is not data, at the definition's line. */
function nonDataDiagnostics(manifest: Record<string, unknown>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [section, entries] of Object.entries(manifest)) {
    const list = Array.isArray(entries) ? entries : [entries];
    for (const entry of list) {
      const problem = firstNonData(entry, []);
      if (!problem) continue;
      const record = (entry ?? {}) as { id?: unknown; source?: unknown };
      const where = typeof record.source === "string" ? parseSource(record.source) : {};
      const name = typeof record.id === "string" ? `"${record.id}"` : section;
      out.push(
        diagnostic(
          "error",
          "WK4002",
          `${name} holds ${problem.what} at ${problem.path || "its top level"}; definitions must be plain data`,
          "give the property strings, numbers and plain objects; an object that refers to itself cannot be written to the manifest",
          where,
        ),
      );
    }
  }
  return out;
}

function firstNonData(value: unknown, trail: string[], seen: Set<object> = new Set()): { path: string; what: string } | null {
  if (typeof value === "function") return { path: trail.join("."), what: "a function" };
  if (typeof value === "symbol" || typeof value === "bigint") return { path: trail.join("."), what: `a ${typeof value}` };
  if (value === null || typeof value !== "object") return null;
  if (seen.has(value)) return { path: trail.join("."), what: "an object that contains itself" };
  seen.add(value);
  // One trail, pushed and popped: a copy per property was most of this walk's cost.
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    trail.push(key);
    const found = firstNonData((value as Record<string, unknown>)[key], trail, seen);
    trail.pop();
    if (found) return found;
  }
  seen.delete(value);
  return null;
}

function emptyResult(diagnostics: Diagnostic[]): LoadResult {
  return { config: null, configExported: false, manifest: null, locations: [], diagnostics };
}

function bug(error: unknown): Diagnostic {
  return diagnostic("error", "WK2006", `the sandboxed loader failed: ${errorMessage(error)}`, "this is a bug in watchkeeper; please report it with the project that shows it");
}
