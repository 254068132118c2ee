import { readFileSync } from "node:fs";
import path from "node:path";
import { collectConstructs, constructStack, synthesize, type Construct, type ProjectConfig } from "../../sdk/index.js";
import { listenForConstructs } from "../../sdk/constructs/definition.js";
import { diagnostic, parseSource, type Location } from "./diagnostic.js";
import { authorFunctionText, bundleFrameMapper, readBundleMap } from "./evaluate.js";
import { exportLine, exportProblems } from "./exports.js";
import { guardHost, guardProcess, SandboxViolation } from "./sandbox-guard.js";
import { serveSandboxRequest } from "./sandbox-serve.js";
import type { LoadRequest, LoadResult, ManifestPart, ProjectParts } from "./sandbox-protocol.js";
import { errorMessage, frameLocator } from "./stack.js";
import type { Diagnostic } from "./types.js";
import { unreachedConstructs } from "./unexported.js";

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
  const bundle = { file: request.bundleFile, mapFile: request.mapFile };
  let map: ReturnType<typeof readBundleMap> | undefined;
  const bundleMap = () => (map === undefined ? (map = readBundleMap(bundle)) : map);
  const locate = frameLocator(projectDir, sdk, bundleFrameMapper(bundle, bundleMap));
  const diagnostics: Diagnostic[] = [];
  // Errors that escape a module's load (a timer that throws, a promise nobody awaits) are charged
  // to the module whose line their stack names, else to the module loading when they happened.
  let current = entry.configFile;
  const escaped: { error: unknown; during: string; kind: "throw" | "rejection" }[] = [];
  process.on("uncaughtException", (error) => escaped.push({ error, during: current, kind: "throw" }));
  process.on("unhandledRejection", (error) => escaped.push({ error, during: current, kind: "rejection" }));
  guardProcess();
  guardHost();
  // Every construct the project makes, with the module loading then: one no export reaches is
  // reported (unexported.ts). The SDK module is the project's own copy (one per bundle).
  const made: { construct: Construct; module: string }[] = [];
  listenForConstructs((construct) => made.push({ construct, module: current }));

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

  const namespaces: [string, Record<string, unknown>][] = [];
  const failed = new Set<string>();
  for (const [file, importModule] of mode === "project" ? entry.modules : []) {
    current = file;
    loading(file);
    let namespace: Record<string, unknown>;
    try {
      namespace = await importModule();
    } catch (error) {
      diagnostics.push(threw(error, file, "WK2001"));
      failed.add(file);
      continue;
    }
    namespaces.push([file, namespace]);
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
  const notConfig = configLoaded && config !== undefined && configData === null ? notAConfig(config, entry.configFile, projectDir) : null;
  if (notConfig) diagnostics.push(notConfig);
  const result: LoadResult = { config: configData, configExported: configLoaded && config !== undefined, project: null, diagnostics };
  // Without the config (it threw, or is not one) there is no project to assemble.
  if (mode === "config" || configData === null) return result;

  // The modules that loaded go on to validation even when another one threw or exported the
  // wrong thing: one broken module must not hide what is wrong with the others (the compiler
  // writes nothing while an error stands). What a module that threw made before it threw is no
  // one's export, and is not reported as dropped.
  const roots: [string, unknown][] = [[entry.configFile, config], ...namespaces];
  const kept = made.filter(({ module }) => !failed.has(module));
  const parts = projectParts(config as ProjectConfig, roots, kept, locate, authorFunctionText(bundle, bundleMap()));
  diagnostics.push(...parts.diagnostics);
  // The constructs that synthesized still go on to validation: one malformed schedule must not
  // hide what is wrong with every other definition.
  return { ...result, project: parts.project };
}

/** The manifest's lists, in the order the manifest has them. */
const SECTIONS = ["monitors", "services", "escalationPolicies", "schedules", "teams", "users", "channels", "silences", "statusPages"] as const;

/**
 * Synthesizes each construct once, and lists for each file the constructs its exports reach: the
 * compiler assembles the manifest from these parts (and keeps them per module in its cache).
 */
function projectParts(
  config: ProjectConfig,
  roots: [string, unknown][],
  made: readonly { construct: Construct; module: string }[],
  locate: (stack: string | undefined) => Location | null,
  functionText: ((fn: Function) => string) | undefined,
): { project: ProjectParts; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const skeleton = synthesize({ config, constructs: [], sourceOf: () => "unknown" }) as unknown as Record<string, unknown>;
  const skeletonProblem = firstNonData(skeleton, []);
  if (skeletonProblem) {
    diagnostics.push(
      diagnostic("error", "WK4002", `the project config holds ${skeletonProblem.what} at ${skeletonProblem.path}; settings must be plain data`, skeletonProblem.hint ?? "give the property strings, numbers and plain objects", { file: "watchkeeper.config.ts", line: 1 }),
    );
  }
  // An entry never depends on the declared secrets (only the skeleton lists them): without them,
  // each construct's synthesis does not sort the project's secret names again.
  let entryConfig: ProjectConfig = config;
  try {
    entryConfig = { ...config, secrets: [] };
  } catch {
    // A getter that throws on copying: synthesize reads the config as it is.
  }
  const parts: ManifestPart[] = [];
  const projectText = { chars: 0 };
  // Per construct: its index in `parts`, or -1 for one that has no entry or could not be synthesized.
  const index = new Map<Construct, number>();
  const partOf = (c: Construct): number => {
    const at = locate(constructStack(c));
    const source = at?.file ? `${at.file}:${at.line ?? 1}` : "unknown";
    let manifest: Record<string, unknown>;
    try {
      manifest = synthesize({ config: entryConfig, constructs: [c], sourceOf: () => source, ...(functionText ? { functionText } : {}) }) as unknown as Record<string, unknown>;
    } catch (error) {
      diagnostics.push(diagnostic("error", "WK4001", `${definitionName(c)} holds a value the SDK cannot read: ${errorMessage(error)}`, unreadableHint(error, locate), at ?? {}));
      return -1;
    }
    for (const section of SECTIONS) {
      const list = manifest[section];
      if (!Array.isArray(list) || list.length === 0) continue;
      const entry = list[0] as Record<string, unknown>;
      const problem = nonDataDiagnostic(section, entry, projectText);
      if (problem) {
        diagnostics.push(problem);
        return -1;
      }
      return parts.push([section, entry, at?.column ?? null]) - 1;
    }
    return -1; // a construct the manifest does not hold (a monitor test)
  };
  const modules: [string, number[]][] = roots.map(([file, root]) => {
    const reached: number[] = [];
    for (const c of collectConstructs([root])) {
      let i = index.get(c);
      if (i === undefined) index.set(c, (i = partOf(c)));
      if (i >= 0) reached.push(i);
    }
    return [file, reached];
  });
  const unreached = unreachedConstructs(made, new Set(index.keys()), locate);
  return { project: { skeleton, parts, modules, unreached }, diagnostics };
}

/**
 * What to look for when synthesizing a definition threw. The types rule most causes out, so it is
 * either a value forced past them (`as any`), which the SDK trips over in its own code, or the
 * project's own code running as the SDK reads the definition (a getter, a Proxy trap): the thrown
 * error's stack tells the two apart when it reaches a project file.
 */
function unreadableHint(error: unknown, locate: (stack: string | undefined) => Location | null): string {
  let thrownAt: Location | null = null;
  try {
    thrownAt = error instanceof Error ? locate(error.stack) : null;
  } catch {
    // A stack that cannot be read says nothing about where the error came from.
  }
  if (thrownAt?.file) {
    const where = `${thrownAt.file}:${thrownAt.line ?? 1}`;
    return `the project's own code threw at ${where} while the SDK read this definition (a getter or a Proxy runs when it is read): give the definition plain values`;
  }
  return "look for a value forced past the types (`as any`, `as unknown as`) and give it its documented shape, or for a getter or a Proxy in the definition that throws when read";
}

/** `schedule "rota"`, or "a definition" when the construct's kind or id cannot be read. */
function definitionName(c: Construct): string {
  try {
    const kind = (c as { kind?: unknown }).kind;
    const id = (c as { id?: unknown }).id;
    const noun = typeof kind === "string" ? kind.replace(/[A-Z]/g, (l) => ` ${l.toLowerCase()}`) : null;
    if (noun !== null && typeof id === "string" && id.length <= 100) return `${noun} "${id}"`;
    if (noun !== null) return `a ${noun}`;
  } catch {
    // A getter that throws: the generic name stands.
  }
  return "a definition";
}

function describeThrow(error: unknown): string {
  if (error instanceof SandboxViolation) return `calls ${error.what} while loading; modules load in a disposable sandbox and ${error.why}`;
  const denied = error as { code?: unknown; permission?: unknown; resource?: unknown };
  if (denied?.code === "ERR_ACCESS_DENIED") {
    const what = denied.permission === "FileSystemWrite" ? "write" : denied.permission === "FileSystemRead" ? "read" : "use";
    const resource = typeof denied.resource === "string" ? ` ${denied.resource}` : "";
    return `tries to ${what}${resource} while loading; the sandbox lets modules read the project and nothing else (not its node_modules, .git or .watchkeeper, nor a symbolic link that leads out of it)`;
  }
  return `throws while loading: ${errorMessage(error)}`;
}

function hintFor(error: unknown): string {
  if (error instanceof SandboxViolation || (error as { code?: unknown })?.code === "ERR_ACCESS_DENIED") {
    return "modules only describe monitors and policy; do work with files, processes or the environment in a script check, which runs in the runtime";
  }
  return "module top level runs at compile time: fix the error at this line, or move work that needs the running system into a script check";
}

/**
 * A default export that is not an object (`export default 42`, an array, a function, null), named
 * as what it is at the export's line. Only the object passes to the compiler as data, so without
 * this the schema saw nothing and said "received undefined".
 */
function notAConfig(config: unknown, configFile: string, projectDir: string): Diagnostic {
  const what =
    config === null ? "null" : Array.isArray(config) ? "an array" : typeof config === "function" ? "a function" : typeof config === "object" ? "an object that is not data" : `a ${typeof config}`;
  let line = 1;
  try {
    line = exportLine(readFileSync(path.join(projectDir, configFile), "utf8"), "default");
  } catch {
    // The line is a courtesy: the message stands without it.
  }
  return diagnostic(
    "error",
    "WK1002",
    `the default export of ${configFile} is ${what}, not a config`,
    'export the config object itself: `export default config({ name: "..." })` (import { config } from "watchkeeper")',
    { file: configFile, line, column: 1 },
  );
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

/** A definition whose synthesized form holds something that is not data, at the definition's line. */
function nonDataDiagnostic(section: string, entry: Record<string, unknown>, project: { chars: number }): Diagnostic | null {
  const text = { chars: 0 };
  let problem = firstNonData(entry, [], new Set(), text);
  project.chars += text.chars;
  if (!problem && project.chars > PROJECT_TEXT_MAX_CHARS) {
    problem = { path: "", what: `text that takes the project's definitions past ${PROJECT_TEXT_MAX_CHARS.toLocaleString("en-US")} characters in all`, hint: TEXT_HINT };
  }
  if (!problem) return null;
  const record = entry as { id?: unknown; source?: unknown };
  const where = typeof record.source === "string" ? parseSource(record.source) : {};
  const name = typeof record.id === "string" ? `"${record.id}"` : section;
  return diagnostic(
    "error",
    "WK4002",
    `${name} holds ${problem.what} at ${problem.path || "its top level"}; definitions must be plain data${problem.hint ? " of a readable size" : ""}`,
    problem.hint ?? "give the property strings, numbers and plain objects; an object that refers to itself cannot be written to the manifest",
    where,
  );
}

/**
 * The longest text one property may hold, and the most text one definition may hold in all (keys
 * included). A name, a query or a script is kilobytes; hundreds of megabytes of text would pass
 * every other check and then end the compile past what a JavaScript string can hold.
 */
export const TEXT_MAX_CHARS = 1024 * 1024;
export const DEFINITION_TEXT_MAX_CHARS = 16 * 1024 * 1024;
/** The most text all definitions may hold together: the manifest is one JSON text, and a JavaScript string holds at most about 512 MiB. */
export const PROJECT_TEXT_MAX_CHARS = 256 * 1024 * 1024;

interface DataProblem {
  path: string;
  what: string;
  hint?: string;
}

const TEXT_HINT = "keep names, descriptions, queries and scripts to what a person reads: read large data at run time in a script check instead";

function firstNonData(value: unknown, trail: string[], seen: Set<object> = new Set(), text = { chars: 0 }): DataProblem | null {
  if (typeof value === "function") return { path: trail.join("."), what: "a function" };
  if (typeof value === "symbol" || typeof value === "bigint") return { path: trail.join("."), what: `a ${typeof value}` };
  if (typeof value === "string") {
    if (value.length > TEXT_MAX_CHARS) return { path: trail.join("."), what: `a text of ${value.length.toLocaleString("en-US")} characters (at most ${TEXT_MAX_CHARS.toLocaleString("en-US")})`, hint: TEXT_HINT };
    text.chars += value.length;
    return text.chars > DEFINITION_TEXT_MAX_CHARS ? { path: trail.join("."), what: `more than ${DEFINITION_TEXT_MAX_CHARS.toLocaleString("en-US")} characters of text in all`, hint: TEXT_HINT } : null;
  }
  if (value === null || typeof value !== "object") return null;
  if (seen.has(value)) return { path: trail.join("."), what: "an object that contains itself" };
  seen.add(value);
  // One trail, pushed and popped: a copy per property was most of this walk's cost.
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    trail.push(key);
    const found = firstNonData(key, trail, seen, text) ?? firstNonData((value as Record<string, unknown>)[key], trail, seen, text);
    trail.pop();
    if (found) return found;
  }
  seen.delete(value);
  return null;
}

function emptyResult(diagnostics: Diagnostic[]): LoadResult {
  return { config: null, configExported: false, project: null, diagnostics };
}

function bug(error: unknown): Diagnostic {
  return diagnostic("error", "WK2006", `the sandboxed loader failed: ${errorMessage(error)}`, "this is a bug in watchkeeper; please report it with the project that shows it");
}
