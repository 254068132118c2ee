import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { esbuild } from "../compiler/esbuild.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { redact } from "../../runtime/text/redact.js";
import { truncate } from "../../runtime/text/truncate.js";
import { locateSdk } from "../compiler/paths.js";
import { DEFAULT_LOAD_TIMEOUT_MS, runSandbox, SANDBOX_MEMORY_MB, type SandboxOutcome } from "../compiler/sandbox.js";
import { previewPairs, sampleResult } from "./notification-preview.js";
import { parseSummaryJobResult, summaryKey, type SummaryCall, type SummaryJob, type SummaryJobResult, type SummaryOutcome } from "./summary-protocol.js";
import type { MonitorChange } from "./types.js";
import { maskCredentials } from "../rules/no-secret-literals.js";

/**
 * Runs the summary functions of the monitors a plan previews, on the preview's sample, in the
 * compiler's sandbox: one disposable child for the whole plan, reading only a work folder that
 * holds copies of the compiled monitors.mjs (the target's and, when it has one, the base's), so
 * the function runs against exactly the code the runtime would load and nothing of the project
 * or the machine. The parent reads the answers as untrusted input.
 */

export interface SummarySide {
  manifest: Manifest;
  /** The compiled monitors.mjs, or null when this side has none. */
  bundle: string | null;
  /** Why the side has no bundle, said where its summaries would be. */
  noBundle?: string;
}

export interface SummaryPreviewOptions {
  target: SummarySide;
  base: SummarySide | null;
  monitors: readonly MonitorChange[];
  /** Where the values of declared secrets may be (the runtime reads the environment): never shown. */
  env?: NodeJS.ProcessEnv;
  /** Time limit of the whole child (importing the bundles and every call). */
  timeoutMs?: number;
  /** Time limit of one summary call. */
  callLimitMs?: number;
}

/** One call may take this long: a summary function formats a string, and runs on every firing. */
export const SUMMARY_CALL_LIMIT_MS = 2_000;

/** The child's entry: the summary loader, `.ts` from source (tests), `.js` from the build. */
const SUMMARY_LOADER = fileURLToPath(new URL(`./summary-child${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** Whether any monitor formats its summary with a function: only then does a side's preview need its monitors.mjs. */
export function hasSummaryFunctions(manifest: Manifest): boolean {
  return manifest.monitors.some((monitor) => monitor.code.summary);
}

/** Evaluates every previewed summary function; monitors whose summary is a template are left out. */
export async function previewSummaries(options: SummaryPreviewOptions): Promise<Map<string, SummaryOutcome>> {
  const out = new Map<string, SummaryOutcome>();
  const calls: SummaryCall[] = [];
  const sources = new Map<string, string>();
  const sides = { after: options.target, before: options.base };
  for (const { after, before } of previewPairs(options.base?.manifest ?? null, options.target.manifest, options.monitors)) {
    const result = sampleResult(after, before);
    for (const [side, spec] of [["after", after], ["before", before]] as const) {
      if (!spec?.code.summary) continue;
      const key = summaryKey(side, after.id);
      sources.set(key, spec.source);
      const from = sides[side]!;
      if (from.bundle === null) {
        out.set(key, { ok: false, reason: from.noBundle ?? "no compiled code to run the summary function from" });
        continue;
      }
      calls.push({ key, bundle: side, exportId: spec.id, context: { monitorId: after.id, name: spec.name, severity: spec.severity }, result });
    }
  }
  if (calls.length === 0) return out;

  const secretValues = declaredSecretValues([options.target.manifest, options.base?.manifest], options.env ?? process.env);
  // Declared secrets' values, and text shaped like a credential (a base's summary may return one).
  const clean = (text: string) => maskCredentials(redact(text, secretValues));
  const answers = await runCalls(calls, sides, options);
  for (const call of calls) {
    const answer = answers.get(call.key) ?? { problem: "cannot run: the sandbox gave no answer for it" };
    const where = sources.get(call.key);
    out.set(
      call.key,
      "text" in answer ? { ok: true, text: clean(answer.text) } : { ok: false, reason: oneLine(clean(`the summary function${where ? ` at ${where}` : ""} ${answer.problem}`)) },
    );
  }
  return out;
}

/**
 * One child for all calls. A child that does not answer (the time limit, a crash) is charged to
 * what it was doing, named by its last progress message; the calls left run again in a new child,
 * so one broken function costs only its own preview.
 */
async function runCalls(calls: SummaryCall[], sides: { after: SummarySide; before: SummarySide | null }, options: SummaryPreviewOptions): Promise<Map<string, { text: string } | { problem: string }>> {
  const answers = new Map<string, { text: string } | { problem: string }>();
  const workDir = await mkdtemp(path.join(tmpdir(), "wk-summaries-"));
  try {
    const bundles: SummaryJob["bundles"] = [];
    for (const side of ["after", "before"] as const) {
      const text = sides[side]?.bundle;
      if (!text || !calls.some((c) => c.bundle === side)) continue;
      const file = path.join(workDir, `${side}-monitors.mjs`);
      await writeFile(file, text);
      bundles.push({ id: side, file });
    }
    const entry = path.join(workDir, "summaries.mjs");
    await esbuild.build({
      stdin: { contents: `import { runSummaryChild } from ${JSON.stringify(SUMMARY_LOADER)};\nrunSummaryChild();\n`, resolveDir: path.dirname(SUMMARY_LOADER), loader: "js" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: entry,
      write: true,
      logLevel: "silent",
    });
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
    let pending = calls;
    while (pending.length > 0) {
      const job: SummaryJob = { bundles: bundles.filter((b) => pending.some((c) => c.bundle === b.id)), calls: pending, callLimitMs: options.callLimitMs ?? SUMMARY_CALL_LIMIT_MS };
      const outcome: SandboxOutcome<SummaryJobResult> = await runSandbox(
        {
          mode: "summaries",
          projectDir: workDir,
          sdk: locateSdk(),
          workDir,
          bundle: { file: entry, mapFile: null },
          timeoutMs,
          // The placeholders the compiler's loader gives; the calls themselves are refused the environment.
          secrets: sides.after.manifest.secrets,
          readable: [workDir],
          job,
        },
        parseSummaryJobResult,
      );
      if (outcome.kind === "result") {
        for (const a of outcome.result.answers) if (pending.some((c) => c.key === a.key)) answers.set(a.key, a);
        break;
      }
      const what = outcome.loading ?? "";
      const how = stopped(outcome, timeoutMs);
      if (what.startsWith("call:")) {
        const key = what.slice("call:".length);
        answers.set(key, { problem: how });
        pending = pending.filter((c) => c.key !== key);
      } else if (what.startsWith("bundle:")) {
        const id = what.slice("bundle:".length);
        for (const c of pending) if (c.bundle === id) answers.set(c.key, { problem: `cannot run: loading its compiled bundle ${how}` });
        pending = pending.filter((c) => c.bundle !== id);
      } else {
        for (const c of pending) answers.set(c.key, { problem: `cannot run: the sandbox ${how}` });
        pending = [];
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return answers;
}

function stopped(outcome: Exclude<SandboxOutcome<unknown>, { kind: "result" }>, timeoutMs: number): string {
  switch (outcome.kind) {
    case "timeout":
      return `did not finish within ${timeoutMs} ms and was stopped`;
    case "memory":
      return `used more than ${SANDBOX_MEMORY_MB / 1024} GiB of memory and was stopped`;
    case "ended":
      return `ended the sandbox process (${outcome.signal ? `signal ${outcome.signal}` : `exit code ${outcome.code ?? "unknown"}`})`;
    case "unreadable":
      return "interferes with the sandbox's answer";
  }
}

/** Values of the secrets either manifest declares, where this process can see them. */
function declaredSecretValues(manifests: (Manifest | undefined)[], env: NodeJS.ProcessEnv): string[] {
  const names = new Set(manifests.flatMap((m) => m?.secrets ?? []));
  return [...names].map((n) => env[n]).filter((v): v is string => typeof v === "string" && v.length > 0);
}

function oneLine(text: string): string {
  return truncate(text.replace(/\s+/g, " ").trim(), 300);
}
