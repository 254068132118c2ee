import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import picocolors from "picocolors";

const colors = picocolors.createColors(process.stdout.isTTY === true && !process.env["NO_COLOR"]);
import { Agent } from "undici";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { codeOf, loadArtifact } from "../../runtime/artifact.js";
import { observe, type LabeledObservation } from "../../runtime/evaluate/observe.js";
import { runWithDeadline } from "../../runtime/evaluate/run-check.js";
import { systemClock } from "../../runtime/scheduler/clock.js";
import { createSecretSource, type RuntimeSecrets } from "../../runtime/secrets.js";
import { redact as redactSecrets } from "../../runtime/text/redact.js";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { compileToArtifact } from "../compile-first.js";
import { compileFailureJson } from "../compiler/format.js";
import { nearIds } from "../near-ids.js";
import { visibleJson, visibleLine } from "../visible-text.js";

interface TestArgs {
  monitors?: string[];
  project?: string;
  json?: boolean;
  unit?: boolean;
}

/** What `wk test` found for one monitor. */
interface MonitorReport {
  id: string;
  name: string;
  kind: string;
  durationMs: number;
  error: string | null;
  series: Array<{
    labels: Record<string, string>;
    ok: boolean;
    value: number | null;
    message: string;
    /** Whether the alert condition holds; null when an error counts as unknown. */
    firing: boolean | null;
    alert: { dedupKey: string; severity: string; summary: string; service: string | null; channels: string[]; delay: string | null } | null;
  }>;
}

/**
 * `wk test <ids...>`: compiles, runs the named monitors once now against their real targets, and
 * prints each result, the condition's verdict and the alert that would fire. Exit 1 when one would
 * fire, 2 for unknown ids or none (the project's ids are listed then).
 */
export async function run(raw: Record<string, unknown>): Promise<ExitStatus> {
  const args = raw as TestArgs;
  // Each monitor once, however often it is named (`wk test api api` checks the target once).
  const ids = [...new Set((args.monitors ?? []).map(String))];
  if (args.unit) {
    if (ids.length > 0) throw new UserError("wk test --unit runs the project's test modules; it takes no monitor ids", EXIT.usage, "drop the ids, or run `wk test ID` without --unit to check a monitor live");
    const { runUnitCommand } = await import("../unit-tests/unit-command.js");
    return runUnitCommand(resolve(args.project ?? "."), args.json === true, colors);
  }
  const outDir = await mkdtemp(join(tmpdir(), "wk-test-"));
  try {
    const compiled = await compileToArtifact(resolve(args.project ?? "."), { outDir });
    if (!compiled.ok) {
      if (args.json === true) process.stdout.write(compileFailureJson(compiled.diagnostics, { monitors: [] }));
      return EXIT.findings;
    }
    // The project's code runs in this process (the runtime runs it in a worker whose output it
    // redacts): what it prints while loaded and checked reaches a terminal or a CI log, so every
    // write to stdout and stderr is scrubbed of every declared secret until the report is printed.
    const secrets = createSecretSource({ declared: compiled.manifest?.secrets ?? [], env: process.env, dir: process.env.WK_SECRETS_DIR || null, now: Date.now });
    const restore = redactPrinted(() => secrets.values());
    try {
      return await testMonitors(args, ids, outDir, secrets);
    } finally {
      restore();
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Loads the compiled artifact, runs the named monitors once and prints the report. */
async function testMonitors(args: TestArgs, ids: string[], outDir: string, secrets: RuntimeSecrets): Promise<ExitStatus> {
  const { manifest, bundle, missing } = await loadArtifact(outDir);
  if (ids.length === 0) refuseWithoutIds(manifest.monitors, args.json === true);
  const known = manifest.monitors.map((m) => m.id);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    const near = unknown.map((id) => [id, nearIds(id, known)] as const);
    const hints = near.filter(([, ids]) => ids.length > 0).map(([id, ids]) => `${id}: did you mean ${ids.join(", ")}?`);
    if (hints.length < unknown.length) hints.push(known.length === 0 ? "the project has no monitors yet" : `the project's monitors: ${known.slice(0, 8).join(", ")}${known.length > 8 ? ", ..." : ""}`);
    throw new UserError(`unknown monitor id${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`, EXIT.usage, hints.join("\n      "));
  }
  const { runCheck } = await import("../../runtime/checks/index.js");
  const { InMemoryInboundEvents } = await import("../../runtime/checks/index.js");
  const dispatcher = new Agent();
  const reports: MonitorReport[] = [];
  try {
    for (const id of ids) {
      const monitor = manifest.monitors.find((m) => m.id === id)!;
      const gap = missing.filter((g) => g.monitorId === id);
      const code = codeOf(bundle, id);
      const now = systemClock.now();
      const outcome = gap.length > 0
        ? { kind: "error" as const, error: `monitors.mjs lacks ${gap.map((g) => g.export).join(", ")}`, durationMs: 0 }
        : await runWithDeadline(runCheck, monitor, {
            now: new Date(now), startedAt: new Date(now), monitorId: id, code, inbound: new InMemoryInboundEvents(),
            secret: (name: string) => secrets.get(name), dispatcher, signal: new AbortController().signal,
          }, systemClock);
      reports.push(report(monitor, outcome.kind === "error" ? outcome.error : null, outcome.kind === "error" ? outcome.durationMs : Math.max(0, ...outcome.results.map((r) => r.durationMs)), observe(outcome, monitor, code, [])));
    }
  } finally {
    await dispatcher.close();
  }
  // Every form the runtime removes (URL-encoded, JSON-escaped, base64), and the head of a secret
  // that a check's quote of a long answer was cut inside of: the check removed only what it sent.
  const values = secrets.values();
  const redact = (text: string) => redactSecrets(text, values);
  // What the target answered and the project's code returned is redacted, then its controls
  // spelled out: it is printed in a terminal or a CI log.
  const shown = (text: string) => visibleLine(redact(text));
  // JSON redacts each string before it is serialised, as the text does field by field: in the
  // JSON text a secret holding a quote or a backslash is spelled escaped and would not match.
  process.stdout.write(args.json ? visibleJson(JSON.stringify({ monitors: redactedStrings(reports, redact) }, null, 2)) + "\n" : reports.map((r) => render(r, shown)).join("\n"));
  return reports.some((r) => r.series.some((s) => s.firing === true)) ? EXIT.findings : EXIT.ok;
}

/**
 * Makes every write to stdout and stderr redacted of `secrets()` (console.log and console.error
 * write through them); returns what puts the streams back. A write is redacted whole: console
 * writes a line in one.
 */
function redactPrinted(secrets: () => string[]): () => void {
  const restores = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write;
    stream.write = function (this: NodeJS.WriteStream, chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      // A string in another encoding (hex, base64) is not the text it prints: left as it is.
      const encoding = typeof rest[0] === "string" ? rest[0] : "utf8";
      const text = typeof chunk !== "string" ? Buffer.from(chunk).toString("utf8") : /^utf-?8$/i.test(encoding) ? chunk : null;
      const clean = text === null ? null : redactSecrets(text, secrets());
      if (clean === null || clean === text) return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
      return (write as (...a: unknown[]) => boolean).call(this, clean, ...rest.filter((arg) => typeof arg === "function"));
    } as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  return () => restores.forEach((restore) => restore());
}

/** The value with `redact` applied to every string in it, object keys included (a result's label names are the check's to choose). */
function redactedStrings(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactedStrings(item, redact));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [redact(key), redactedStrings(item, redact)]));
}

/**
 * `wk test` with no ids: the ids to choose from go to stdout (one per line, id first, so a script
 * can cut them out), the refusal to stderr; exit 2 as for any command line missing its arguments.
 */
function refuseWithoutIds(monitors: readonly MonitorSpec[], json: boolean): never {
  const width = Math.max(0, ...monitors.map((m) => m.id.length));
  process.stdout.write(
    json
      ? visibleJson(JSON.stringify({ monitors: monitors.map((m) => ({ id: m.id, name: m.name, kind: m.check.kind })) }, null, 2)) + "\n"
      : monitors.map((m) => `${m.id.padEnd(width)}  ${visibleLine(m.name)} (${m.check.kind})\n`).join(""),
  );
  throw new UserError(
    monitors.length === 0 ? "name a monitor id to test; this project has no monitors yet" : `name the monitor ids to test; this project has ${monitors.length} (listed above)`,
    EXIT.usage,
    monitors.length === 0 ? "add a monitor under monitors/ (see docs/authoring.md), then wk test ID" : `for example: wk test ${monitors[0]!.id}`,
    json,
  );
}

function report(monitor: MonitorSpec, error: string | null, tookMs: number, judged: LabeledObservation[]): MonitorReport {
  const delays = [
    monitor.failureThreshold > 1 ? `${monitor.failureThreshold} consecutive failures` : null,
    durationMs(monitor.for) > 0 ? `failing for ${monitor.for}` : null,
  ].filter(Boolean);
  return {
    id: monitor.id,
    name: monitor.name,
    kind: monitor.check.kind,
    durationMs: tookMs,
    error,
    series: judged.map((o) => ({
      labels: o.labels,
      ok: o.result.ok,
      value: o.result.value,
      message: o.result.message,
      firing: o.firing,
      alert:
        o.observation.kind === "failing"
          ? {
              dedupKey: alertKey(monitor.id, o.labels),
              severity: monitor.severity,
              summary: o.observation.summary,
              service: monitor.service,
              channels: monitor.channels,
              delay: delays.length > 0 ? `after ${delays.join(" and ")}` : null,
            }
          : null,
    })),
  };
}

/**
 * Colors only on a terminal (picocolors alone would also color under CI=true). `shown` is applied
 * to every text the target or the project's code wrote (a check error, a message, labels, a summary).
 */
function render(r: MonitorReport, shown: (text: string) => string): string {
  const pc = colors;
  const lines = [`${pc.bold(r.id)} (${r.kind}, ${Math.round(r.durationMs)} ms)`];
  if (r.error) lines.push(`  check error: ${shown(r.error)}`);
  for (const s of r.series) {
    const labels = Object.keys(s.labels).length > 0 ? ` ${shown(JSON.stringify(s.labels))}` : "";
    lines.push(`  result${labels}: ${s.ok ? pc.green("ok") : pc.red("failed")} — ${shown(s.message)}`);
    lines.push(`  value: ${s.value === null ? "n/a" : s.value}`);
    const verdict = s.firing === null ? pc.yellow("unknown (errors count as unknown)") : s.firing ? pc.red("firing") : pc.green("not firing");
    lines.push(`  condition: ${verdict}`);
    if (s.alert) {
      const route = shown([s.alert.service ? `service ${s.alert.service}` : null, s.alert.channels.length ? `channels ${s.alert.channels.join(", ")}` : null].filter(Boolean).join("; "));
      lines.push(`  would fire: [${s.alert.severity}] ${shown(s.alert.summary)}`);
      lines.push(`    dedup key ${s.alert.dedupKey}${route ? `; ${route}` : ""}${s.alert.delay ? `; ${s.alert.delay}` : ""}`);
    }
  }
  return lines.join("\n") + "\n";
}
