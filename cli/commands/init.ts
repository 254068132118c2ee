import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { locateSdk } from "../compiler/paths.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { fromPathProblem } from "../init/from-source.js";
import { renderScaffold } from "../init/scaffold.js";
import { shellWord } from "../init/shell-word.js";
import { applyWrites, planWrites, type FileAction } from "../init/write-plan.js";
import { visible } from "../visible-text.js";
import { detectWatchkeeperSpec, explicitWatchkeeperSpec } from "../init/watchkeeper-spec.js";

/**
 * Where the published runtime image lives (this repository's main workflow pushes it, tagged
 * with the package version); the scaffold's Dockerfile builds FROM it.
 */
export const RUNTIME_IMAGE = "ghcr.io/watchkeeper/watchkeeper";

interface InitArgs {
  dir?: string;
  force?: boolean;
  from?: string;
  image?: string;
}

/**
 * `wk init [dir]`: copy the project template, depending on exactly the Watchkeeper that runs
 * (`--from` overrides), with a tsconfig.json equal to the checker's options. Refuses a folder
 * that already has files unless `--force`, and even then writes over none of the user's files
 * (see init/write-plan.ts): it says per file what it did.
 */
export async function run(raw: Record<string, unknown>): Promise<ExitStatus> {
  const args = raw as InitArgs;
  const dir = path.resolve(String(args.dir ?? "."));
  const packageRoot = locateSdk().packageRoot;
  const template = path.join(packageRoot, "templates", "init");
  if (!existsSync(template)) throw new Error(`the project template is missing from this installation (${template})`);
  refuseInsideModules(dir);
  let occupied = false;
  if (existsSync(dir)) {
    const present = await readdir(dir);
    occupied = present.length > 0;
    if (occupied && args.force !== true) {
      throw new UserError(`${dir} is not empty`, EXIT.usage, "pick an empty or new folder, or pass --force to add the template to this one (your files are kept: package.json is merged, others get the scaffold's copy beside them as NAME.wk-init)");
    }
  }
  if (args.from !== undefined && (typeof args.from !== "string" || args.from.trim() === "")) {
    throw new UserError("--from needs a value", EXIT.usage, "give a path to a watchkeeper tarball (npm pack) or checkout, or a version such as 0.1.0; leave --from out to use this watchkeeper");
  }
  const from = typeof args.from === "string" ? args.from : null;
  const fromProblem = from !== null && looksLikePath(from) ? fromPathProblem(from, process.cwd()) : null;
  if (fromProblem) throw new UserError(fromProblem.message, EXIT.usage, fromProblem.hint);
  const imageArg = typeof args.image === "string" && args.image !== "" ? args.image : null;
  if (imageArg !== null) refuseBadImage(imageArg);
  const watchkeeper = from !== null ? explicitWatchkeeperSpec(from, dir, process.cwd()) : detectWatchkeeperSpec(packageRoot);
  const version = await packageVersion(packageRoot);

  // A mirror or a fork publishes the runtime image elsewhere; the scaffold builds FROM what it is told.
  const scaffold = await renderScaffold(template, { dir, watchkeeper, image: imageArg ?? RUNTIME_IMAGE, version });
  // Everything is decided (and anything in the way refused) before the first write.
  const actions = await planWrites(dir, scaffold, watchkeeper.spec);
  await applyWrites(dir, actions);

  const relative = path.relative(process.cwd(), dir);
  const shown = relative === "" ? "." : relative.startsWith("..") ? dir : relative;
  process.stdout.write(
    `${occupied ? `added the watchkeeper scaffold to ${visible(shown)}` : `created a watchkeeper project in ${visible(shown)}`}\n` +
      (occupied ? report(actions) : "") +
      `watchkeeper dependency: ${visible(watchkeeper.spec)} (${visible(watchkeeper.origin)})\n\n` +
      `next:\n  cd ${shellWord(shown)}\n  npm install\n  npx wk validate\n  npm test\n`,
  );
  return EXIT.ok;
}

/** The folders a project compiles every module of, by default (DEFAULT_MONITOR_GLOBS and DEFAULT_POLICY_GLOBS). */
const MODULE_FOLDERS = ["monitors", "policies"];

/**
 * `wk init` run from inside a project (`cd monitors && wk init team-b`) would put a second project
 * where the first compiles every .ts file: its config would be a module that exports a config,
 * and each example definition a duplicate id. Refused before anything is written, naming the
 * project. A nested project elsewhere (a monorepo's team folder) is left to the author.
 */
function refuseInsideModules(dir: string): void {
  for (let above = path.dirname(dir); above !== path.dirname(above); above = path.dirname(above)) {
    if (!existsSync(path.join(above, "watchkeeper.config.ts"))) continue;
    const folder = path.relative(above, dir).split(path.sep)[0]!;
    if (!MODULE_FOLDERS.includes(folder)) return;
    throw new UserError(
      `${dir} is inside the project ${above}, under its ${folder}/ folder: that project would compile the new one's config and modules as its own`,
      EXIT.usage,
      `make the new project outside it (such as ${path.join(path.dirname(above), path.basename(dir))}), or add the monitors to ${above}`,
    );
  }
}

/** One line per file for a folder that had files: what was created, merged, kept or left alone. */
function report(actions: readonly FileAction[]): string {
  const lines = actions.map((a) => {
    switch (a.kind) {
      case "create":
        return `  created    ${visible(a.file)}`;
      case "unchanged":
        return `  unchanged  ${visible(a.file)}${a.notes && a.notes.length > 0 ? `: ${visible(a.notes.join("; "))}` : ""}`;
      case "merge":
        return `  merged     ${visible(a.file)}: ${visible(a.notes.join("; "))}`;
      case "aside":
        return `  kept yours ${visible(a.file)} (${a.why}); the scaffold's is ${visible(a.aside)}`;
    }
  });
  const asides = actions.filter((a) => a.kind === "aside").length;
  const compare = asides > 0 ? `compare each NAME.wk-init with your file, take what you want from it, then delete it\n` : "";
  return `${lines.join("\n")}\n${compare}`;
}

async function packageVersion(packageRoot: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(packageRoot, "package.json"), "utf8")) as { version: string };
  return manifest.version;
}

/** A `--from` that names a file or folder (npm would read it so), not a version, range or URL. */
function looksLikePath(from: string): boolean {
  return /^(file:|\.{1,2}([/\\]|$)|[/\\]|[A-Za-z]:[/\\])/.test(from) || /\.(tgz|tar\.gz)$/.test(from);
}

/** A registry's host (with a port) and lowercase path components, as Docker's reference grammar has them. */
const IMAGE_NAME = /^(?:[A-Za-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** The Dockerfile writes `--image` followed by `:VERSION`: it must be a bare image name. */
function refuseBadImage(image: string): void {
  const shown = JSON.stringify(image);
  const tagged = /^(.*\/)?[^/]*[:@][^/]*$/.test(image) && IMAGE_NAME.test(image.replace(/[:@][^/]*$/, ""));
  if (tagged) throw new UserError(`--image ${shown} carries a tag or digest`, EXIT.usage, `give the image name without a tag: wk init adds the version of this Watchkeeper (${image.replace(/[:@][^/]*$/, "")})`);
  if (!IMAGE_NAME.test(image)) throw new UserError(`--image ${shown} is not an image name`, EXIT.usage, "write it as REGISTRY/NAME in lowercase, such as ghcr.io/acme/watchkeeper or registry.example.com:5000/watchkeeper");
}
