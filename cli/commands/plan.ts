import { basename, join, resolve } from "node:path";
import { findPulumiCli } from "../../infra/automation/pulumi-cli.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { folderWithin } from "../compiler/compile-cache.js";
import { compileProject } from "../compiler/index.js";
import { compileFailureJson, formatDiagnostics } from "../compiler/format.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { planDocument, refuseOverwritingNonPlan, writePlanDocument } from "../plan/plan-document.js";
import { planProject, type BaseSpec } from "../plan/plan-project.js";
import { hasSummaryFunctions } from "../plan/summary-preview.js";
import { renderJson } from "../plan/render-json.js";
import { refuseCommittedBackend } from "../plan/stack-backend.js";
import { readStackRecord } from "../plan/stack-record.js";
import { renderMarkdown } from "../plan/render-markdown.js";
import { renderSummary } from "../plan/render-summary.js";
import { renderText } from "../plan/render-text.js";

type Format = "text" | "markdown" | "json";

/** `wk plan`: compile the working tree and a base, print the property-level diff. */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const projectDir = resolve(String(args["project"] ?? "."));
  const format = (args["format"] ?? "text") as Format;
  if (args["summary"] === true && format !== "text") {
    throw new UserError(`--summary prints counts as text; --format ${format} prints the whole plan`, EXIT.usage, `leave out --summary for the whole plan as ${format}, or leave out --format for the counts`);
  }
  const base = baseSpec(args);
  const out = typeof args["out"] === "string" ? resolve(args["out"]) : null;
  if (out !== null) await refuseOverwritingNonPlan(out, String(args["out"]));
  const result = await planProject({
    projectDir,
    base,
    // The notification preview runs summary functions from the compiled monitors.mjs: it is built
    // for a side whose monitors have any.
    compile: (dir, o) => compileProject({ projectDir: dir, write: false, bundle: hasSummaryFunctions, ...o }),
    // Committed content compiles the same every time: reuse it (WK_PLAN_CACHE=off to disable).
    // Only in folders of the checkout's own: a link committed in their place turns the cache off.
    baseCacheDir: process.env["WK_PLAN_CACHE"] === "off" ? null : folderWithin(projectDir, [".watchkeeper", "plan-cache"], false),
    readStack: (stackName) => readStackBase(stackName, projectDir, join(projectDir, ".watchkeeper")),
    now: new Date(),
  });
  if (!result.ok) {
    process.stderr.write(formatDiagnostics(result.head.diagnostics, { color: process.stderr.isTTY === true }) + "\n");
    process.stderr.write("error: the project does not compile; fix the errors above, then plan again\n");
    // A pull request's job parses stdout: it gets the diagnostics as JSON, not an empty string.
    if (format === "json") process.stdout.write(compileFailureJson(result.head.diagnostics));
    return EXIT.findings;
  }
  if (out !== null) await writePlanDocument(out, planDocument(result.plan, result.target.project.name));
  const summary = args["summary"] === true;
  process.stdout.write(summary ? renderSummary(result.plan) : render(result.plan, format, out === null ? undefined : basename(out)));
  return args["detailed-exitcode"] === true && result.plan.changesPresent ? EXIT.changes : EXIT.ok;
}

function baseSpec(args: Record<string, unknown>): BaseSpec {
  const ref = args["base"];
  const file = args["base-manifest"] ?? args["baseManifest"];
  const stack = args["base-stack"] ?? args["baseStack"];
  if ([ref, file, stack].filter((v) => typeof v === "string").length > 1) {
    throw new UserError(
      "--base, --base-manifest and --base-stack each name a base; give one",
      EXIT.usage,
      "--base REF compiles a git ref, --base-manifest FILE reads a deployed manifest, --base-stack NAME reads what a Pulumi stack has deployed",
    );
  }
  if (typeof ref === "string") return { kind: "git", ref };
  if (typeof file === "string") return { kind: "file", path: resolve(file) };
  if (typeof stack === "string") return { kind: "stack", stackName: stack };
  return { kind: "empty" };
}

/** `--base-stack NAME`: the manifest the stack records as deployed, read through the Automation API. */
async function readStackBase(stackName: string, projectDir: string, stateDir: string): Promise<Manifest | null> {
  await refuseCommittedBackend(stackName, projectDir, stateDir, process.env);
  const pulumiBin = findPulumiCli(process.env);
  if (pulumiBin === null) {
    throw new UserError(
      `--base-stack ${stackName} reads the deployed manifest through the pulumi CLI, which is not on PATH`,
      EXIT.findings,
      "install the Pulumi CLI (or set WK_PULUMI_BIN); offline, compare with a git ref (--base main) or a saved manifest (--base-manifest FILE)",
    );
  }
  const { readDeployed } = await import("../../infra/automation/read-deployed.js");
  const record = await readStackRecord(readDeployed, { stackName, stateDir, env: process.env, pulumiBin });
  switch (record.kind) {
    case "none":
      return null;
    case "manifest":
      return record.manifest;
    case "hash-only":
      throw new UserError(
        `stack ${stackName} records only the hash of its deployed manifest (${record.hash}), deployed by an older Watchkeeper`,
        EXIT.findings,
        "plan with --base-manifest and the deployed-manifest.json that deploy saved; the next wk deploy records the whole manifest in the stack",
      );
    case "invalid":
      throw new UserError(`cannot tell what stack ${stackName} has deployed: ${record.reason}`, EXIT.findings, "inspect the stack (pulumi stack output) and redeploy from a known commit");
  }
}

function render(plan: Parameters<typeof renderJson>[0], format: Format, fullPlan: string | undefined): string {
  switch (format) {
    case "text":
      return renderText(plan, { color: process.stdout.isTTY === true && !process.env["NO_COLOR"] });
    case "markdown":
      return renderMarkdown(plan, { ...(fullPlan ? { fullPlan } : {}) });
    case "json":
      return renderJson(plan);
  }
}
