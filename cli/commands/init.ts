import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { renderTsconfig } from "../compiler/checker-options.js";
import { locateSdk } from "../compiler/paths.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { shellWord } from "../init/shell-word.js";
import { visible } from "../plan/render-common.js";
import { detectWatchkeeperSpec, explicitWatchkeeperSpec, type WatchkeeperSpec } from "../init/watchkeeper-spec.js";

/** Files npm would drop from (or treat specially in) a published package keep another name in the template. */
const RENAMES: Record<string, string> = { _gitignore: ".gitignore", _npmrc: ".npmrc", _dockerignore: ".dockerignore", _github: ".github" };

/**
 * Where the published runtime image lives (this repository's main workflow pushes it, tagged
 * with the package version); the scaffold's Dockerfile builds FROM it.
 */
export const RUNTIME_IMAGE = "ghcr.io/watchkeeper/watchkeeper";

/** Template files with `__NAME__` placeholders filled in at init time. */
const RENDERED = ["Dockerfile"];

interface InitArgs {
  dir?: string;
  force?: boolean;
  from?: string;
  image?: string;
}

/**
 * `wk init [dir]`: copy the project template, depending on exactly the Watchkeeper that runs
 * (`--from` overrides), with a tsconfig.json equal to the checker's options. Refuses a folder
 * that already has files unless `--force`.
 */
export async function run(raw: Record<string, unknown>): Promise<ExitStatus> {
  const args = raw as InitArgs;
  const dir = path.resolve(String(args.dir ?? "."));
  const packageRoot = locateSdk().packageRoot;
  const template = path.join(packageRoot, "templates", "init");
  if (!existsSync(template)) throw new Error(`the project template is missing from this installation (${template})`);
  if (existsSync(dir)) {
    const present = await readdir(dir);
    if (present.length > 0 && args.force !== true) {
      throw new UserError(`${dir} is not empty`, EXIT.usage, "pick an empty or new folder, or pass --force to write the template into this one");
    }
  }
  const from = typeof args.from === "string" && args.from !== "" ? args.from : null;
  if (from !== null && looksLikePath(from) && !existsSync(path.resolve(from.replace(/^file:/, "")))) {
    throw new UserError(`--from ${from}: no such file or folder`, EXIT.usage, "give a path to a watchkeeper tarball (npm pack) or checkout, or a version such as 0.1.0");
  }
  const imageArg = typeof args.image === "string" && args.image !== "" ? args.image : null;
  if (imageArg !== null) refuseBadImage(imageArg);
  const watchkeeper = from !== null ? explicitWatchkeeperSpec(from, dir, process.cwd()) : detectWatchkeeperSpec(packageRoot);
  const version = await packageVersion(packageRoot);

  await mkdir(dir, { recursive: true });
  await cp(template, dir, { recursive: true, force: true });
  for (const [stored, real] of Object.entries(RENAMES)) {
    if (!existsSync(path.join(dir, stored))) continue;
    // Copied over, not renamed: with --force, `.github` may already exist and must be merged into.
    await cp(path.join(dir, stored), path.join(dir, real), { recursive: true, force: true });
    await rm(path.join(dir, stored), { recursive: true, force: true });
  }
  await writePackageJson(dir, watchkeeper);
  await writeFile(path.join(dir, "tsconfig.json"), renderTsconfig());
  // A mirror or a fork publishes the runtime image elsewhere; the scaffold builds FROM what it is told.
  const image = imageArg ?? RUNTIME_IMAGE;
  const values: Record<string, string> = { WATCHKEEPER_IMAGE: image, WATCHKEEPER_VERSION: version };
  for (const file of RENDERED) await fillPlaceholders(path.join(dir, file), values);

  const relative = path.relative(process.cwd(), dir);
  const shown = relative === "" ? "." : relative.startsWith("..") ? dir : relative;
  process.stdout.write(
    `created a watchkeeper project in ${visible(shown)}\n` +
      `watchkeeper dependency: ${visible(watchkeeper.spec)} (${visible(watchkeeper.origin)})\n\n` +
      `next:\n  cd ${shellWord(shown)}\n  npm install\n  npx wk validate\n  npm test\n`,
  );
  return EXIT.ok;
}

async function packageVersion(packageRoot: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(packageRoot, "package.json"), "utf8")) as { version: string };
  return manifest.version;
}

/** The template's package.json, named after the folder, depending on this Watchkeeper. */
async function writePackageJson(dir: string, watchkeeper: WatchkeeperSpec): Promise<void> {
  const file = path.join(dir, "package.json");
  const manifest = JSON.parse(await readFile(file, "utf8")) as { name: string; dependencies: Record<string, string> };
  manifest.name = packageName(path.basename(dir)) ?? manifest.name;
  manifest.dependencies = { ...manifest.dependencies, watchkeeper: watchkeeper.spec };
  await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A folder name as an npm package name, or null when nothing usable is left of it. */
function packageName(folder: string): string | null {
  const name = folder.toLowerCase().replace(/[^a-z0-9._~-]+/g, "-").replace(/^[._-]+|-+$/g, "");
  return name === "" ? null : name.slice(0, 214);
}

async function fillPlaceholders(file: string, values: Record<string, string>): Promise<void> {
  if (!existsSync(file)) return;
  const text = await readFile(file, "utf8");
  const filled = text.replace(/__([A-Z_]+)__/g, (whole, name: string) => values[name] ?? whole);
  await writeFile(file, filled);
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
