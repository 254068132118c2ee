import { join, resolve } from "node:path";
import { compileProject } from "../compiler/index.js";
import { formatDiagnostics } from "../compiler/format.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { planProject, type BaseSpec } from "../plan/plan-project.js";
import { renderJson } from "../plan/render-json.js";
import { renderMarkdown } from "../plan/render-markdown.js";
import { renderText } from "../plan/render-text.js";

type Format = "text" | "markdown" | "json";

/** `wk plan`: compile the working tree and a base, print the property-level diff. */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const projectDir = resolve(String(args["project"] ?? "."));
  const format = (args["format"] ?? "text") as Format;
  const base = baseSpec(args);
  const result = await planProject({
    projectDir,
    base,
    compile: (dir, o) => compileProject({ projectDir: dir, write: false, ...o }),
    // Committed content compiles the same every time: reuse it (WK_PLAN_CACHE=off to disable).
    baseCacheDir: process.env["WK_PLAN_CACHE"] === "off" ? null : join(projectDir, ".watchkeeper", "plan-cache"),
    now: new Date(),
  });
  if (!result.ok) {
    process.stderr.write(formatDiagnostics(result.head.diagnostics, { color: process.stderr.isTTY === true }) + "\n");
    process.stderr.write("error: the project does not compile; fix the errors above, then plan again\n");
    return EXIT.findings;
  }
  process.stdout.write(render(result.plan, format));
  return args["detailed-exitcode"] === true && result.plan.changesPresent ? EXIT.changes : EXIT.ok;
}

function baseSpec(args: Record<string, unknown>): BaseSpec {
  const ref = args["base"];
  const file = args["base-manifest"] ?? args["baseManifest"];
  if (typeof ref === "string" && typeof file === "string") {
    throw new UserError("--base and --base-manifest both name a base; give one", 1, "--base REF compiles a git ref, --base-manifest FILE reads a deployed manifest");
  }
  if (typeof ref === "string") return { kind: "git", ref };
  if (typeof file === "string") return { kind: "file", path: resolve(file) };
  return { kind: "empty" };
}

function render(plan: Parameters<typeof renderJson>[0], format: Format): string {
  switch (format) {
    case "text":
      return renderText(plan, { color: process.stdout.isTTY === true && !process.env["NO_COLOR"] });
    case "markdown":
      return renderMarkdown(plan);
    case "json":
      return renderJson(plan);
  }
}
