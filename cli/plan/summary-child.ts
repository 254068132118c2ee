import { setImmediate as nextTurn } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { guardHost, guardProcess, SandboxViolation } from "../compiler/sandbox-guard.js";
import { serveSandboxRequest } from "../compiler/sandbox-serve.js";
import type { SummaryAnswer, SummaryCall, SummaryJob, SummaryJobResult } from "./summary-protocol.js";

/**
 * The loader of `wk plan`'s summary previews, run in the compiler's sandboxed child: it may read
 * only the work folder that holds the compiled bundles, its environment holds placeholders, and
 * the parent kills it at the time limit. It imports each bundle, then calls each summary function
 * on the sample, one at a time with a time limit of its own, so one endless loop costs only that
 * monitor's preview. The parent judges the answers; nothing here decides a verdict.
 */

/** A summary longer than this is cut before it crosses to the parent (the runtime keeps 1,024 characters). */
const TEXT_LIMIT = 64 * 1024;

export function runSummaryChild(): void {
  serveSandboxRequest(
    "preview summary functions",
    (request, progress) => callSummaries(request.job as SummaryJob, progress),
    (): SummaryJobResult => ({ answers: [] }),
  );
}

async function callSummaries(job: SummaryJob, progress: (what: string) => void): Promise<SummaryJobResult> {
  guardProcess();
  guardHost();
  const bundles = new Map<string, { code: Record<string, unknown> } | { problem: string }>();
  for (const b of job.bundles) {
    progress(`bundle:${b.id}`);
    try {
      const exported = ((await import(pathToFileURL(b.file).href)) as { default?: unknown }).default;
      bundles.set(b.id, exported !== null && typeof exported === "object" ? { code: exported as Record<string, unknown> } : { problem: "cannot run: the compiled bundle exports no monitor code" });
    } catch (error) {
      bundles.set(b.id, { problem: `cannot run: loading the compiled bundle, it ${describeThrow(error, job.callLimitMs)}` });
    }
  }
  const answers: SummaryAnswer[] = [];
  for (const call of job.calls) {
    progress(`call:${call.key}`);
    const bundle = bundles.get(call.bundle);
    if (!bundle || "problem" in bundle) {
      answers.push({ key: call.key, problem: bundle?.problem ?? "cannot run: no compiled bundle" });
      continue;
    }
    answers.push({ key: call.key, ...callOne(bundle.code, call, job.callLimitMs) });
    // What the call left queued (a promise chain, process.nextTick, setImmediate) runs now, while
    // the call is still the one named: a loop there is charged to it, not to the next monitor.
    await nextTurn();
  }
  return { answers };
}

/** One context and script for every call: a context costs a millisecond, a thousand of them a second. */
const callContext = vm.createContext({});
const CALL = new vm.Script("summary(result, monitor)");

function callOne(code: Record<string, unknown>, call: SummaryCall, limitMs: number): { text: string } | { problem: string } {
  const summary = (code[call.exportId] as { summary?: unknown } | undefined)?.summary;
  if (typeof summary !== "function") return { problem: "cannot run: the compiled bundle has no summary function for this monitor" };
  const restore = denyEnvironment();
  let value: unknown;
  try {
    // A call inside a script with a timeout: V8 stops a loop wherever it spins, even in the
    // bundle's own code, and the next call runs.
    Object.assign(callContext, { summary, result: call.result, monitor: call.context });
    value = CALL.runInContext(callContext, { timeout: limitMs });
  } catch (error) {
    return { problem: describeThrow(error, limitMs) };
  } finally {
    restore();
  }
  if (typeof value === "string") return { text: value.length > TEXT_LIMIT ? value.slice(0, TEXT_LIMIT) : value };
  if (value instanceof Promise) return { problem: "returns a Promise (an async function), not a string: the runtime needs the text at once and would send \"[object Promise]\"" };
  return { problem: `returns ${kindOf(value)}, not a string` };
}

/**
 * Makes a read of `process.env` throw at the line that reads it, for the length of one call. The
 * environment holds placeholders only; the refusal is there so the preview says plainly that the
 * function reads it (in the runtime it would read real secrets into a page). Node's own reads
 * (console colours) pass.
 */
function denyEnvironment(): () => void {
  const real = process.env;
  const refuse = (key: string | symbol) => {
    if (fromNode()) return;
    // JSON.stringify asks for toJSON first: that is a read of the whole environment.
    throw new SandboxViolation(`reading process.env${typeof key === "string" && key !== "" && key !== "toJSON" ? `.${key}` : ""}`);
  };
  process.env = new Proxy(real, {
    get: (target, key) => (refuse(key), Reflect.get(target, key)),
    has: (target, key) => (refuse(key), Reflect.has(target, key)),
    ownKeys: (target) => (refuse(""), Reflect.ownKeys(target)),
    getOwnPropertyDescriptor: (target, key) => (refuse(key), Reflect.getOwnPropertyDescriptor(target, key)),
  });
  return () => {
    process.env = real;
  };
}

/** True when the code reading the environment is Node's own (the trap's caller is a `node:` frame). */
function fromNode(): boolean {
  // Frames: this function, refuse, the trap, then the reader. A cut stack trace counts as the author's.
  const reader = new Error().stack?.split("\n")[4] ?? "";
  return /\(node:|at node:/.test(reader);
}

function describeThrow(error: unknown, limitMs: number): string {
  const e = error as { code?: unknown; permission?: unknown; resource?: unknown } | null;
  if (e?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return `did not return within ${limitMs} ms (an endless loop?)`;
  if (error instanceof SandboxViolation) {
    const did = error.what.startsWith("reading ") ? `reads ${error.what.slice("reading ".length)}` : `calls ${error.what}`;
    return `${did}: a summary function only formats the result into text`;
  }
  if (e?.code === "ERR_ACCESS_DENIED") {
    // process.binding() is refused with no permission name, only its own name as the message.
    const what = ACCESS[String(e.permission)] ?? `use ${String(e.permission || (error as Error).message || "something the sandbox refuses")}`;
    const resource = typeof e.resource === "string" && e.resource !== "" ? ` ${e.resource}` : "";
    return `tries to ${what}${resource}: a summary function only formats the result into text`;
  }
  return `throws: ${errorText(error)}`;
}

/** What Node's permission model refused, in words. */
const ACCESS: Record<string, string> = {
  FileSystemRead: "read",
  FileSystemWrite: "write",
  ChildProcess: "start a process",
  WorkerThreads: "start a worker",
  Addons: "load a native addon",
};

function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${String(error.message).split("\n")[0]}`;
    return `thrown value: ${String(error)}`;
  } catch {
    return "a value that cannot be shown";
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}
