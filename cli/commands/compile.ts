import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { BUNDLE_FILE, compileProject, formatDiagnostics, jsonReport, MANIFEST_FILE } from "../compiler/index.js";
import type { Manifest } from "../../sdk/manifest/index.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { readPlanDocument } from "../plan/plan-document.js";
import { refuseOtherTarget } from "../plan/reviewed-plan.js";
import { visibleJson } from "../visible-text.js";

/** `wk compile`: validate, then write manifest.json and monitors.mjs when nothing is wrong. */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const outDir = typeof args.out === "string" && args.out !== "" ? args.out : undefined;
  if (outDir !== undefined) await refuseToReplace(path.resolve(outDir), outDir);
  // The deploy job compiles the runtime artifact after `wk deploy --plan` checked its own compile:
  // a module that reads the clock or the checkout can compile to something else the second time,
  // and that artifact, not the plan, is what runs. With the plan, only its target is written.
  const planFile = typeof args.plan === "string" && args.plan !== "" ? args.plan : null;
  const reviewed = planFile === null ? null : await readPlanDocument(path.resolve(planFile));
  const result = await compileProject({
    projectDir: String(args.project ?? "."),
    outDir,
    ...(reviewed ? { beforeWrite: (manifest: Manifest) => refuseOtherTarget(reviewed, planFile!, manifest.project.name, manifest.hash) } : {}),
  });
  const written = result.ok && result.manifest ? { dir: result.outDir, hash: result.manifest.hash } : null;
  if (args.json === true) {
    process.stdout.write(visibleJson(JSON.stringify(jsonReport(result.diagnostics, written), null, 2)) + "\n");
  } else {
    process.stdout.write(formatDiagnostics(result.diagnostics, { color: process.stdout.isTTY === true }));
    if (written) {
      const shown = path.relative(process.cwd(), written.dir) || ".";
      process.stdout.write(`wrote ${shown}/${MANIFEST_FILE} and ${BUNDLE_FILE} (${result.manifest!.monitors.length} monitors, ${written.hash})\n`);
    } else {
      process.stdout.write("nothing written: fix the errors above and compile again\n");
    }
  }
  return result.ok ? EXIT.ok : EXIT.findings;
}

const REPLACE_HINT = "give an empty or new folder, or one that wk compile wrote (the default is PROJECT/dist/watchkeeper)";

/**
 * The artifact folder is swapped in whole (a reader never sees half of it), so whatever `--out`
 * names is replaced: a folder holding anything but an artifact (`--out .`, `--out monitors`) or a
 * file is refused before the compile. A path that does not exist yet, or cannot be read, is left
 * to the write, which says what is wrong with it.
 */
async function refuseToReplace(outDir: string, shown: string): Promise<void> {
  const info = await stat(outDir).catch(() => null);
  if (info === null) return;
  if (!info.isDirectory()) throw new UserError(`--out ${shown} is a file; compiling would replace it with the artifact folder`, EXIT.usage, REPLACE_HINT);
  const others = (await readdir(outDir).catch(() => [] as string[])).filter((name) => name !== MANIFEST_FILE && name !== BUNDLE_FILE).sort();
  if (others.length === 0) return;
  const named = others.length > 3 ? `${others.slice(0, 3).join(", ")} and ${others.length - 3} more` : others.join(", ");
  throw new UserError(`--out ${shown} holds ${named}, which ${others.length === 1 ? "is" : "are"} not part of a compiled artifact; compiling would replace the whole folder`, EXIT.usage, REPLACE_HINT);
}
