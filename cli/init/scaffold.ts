import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { renderTsconfig } from "../compiler/checker-options.js";
import type { WatchkeeperSpec } from "./watchkeeper-spec.js";

/** Files npm would drop from (or treat specially in) a published package keep another name in the template. */
const RENAMES: Record<string, string> = { _gitignore: ".gitignore", _npmrc: ".npmrc", _dockerignore: ".dockerignore", _github: ".github" };

/** Template files with `__NAME__` placeholders filled in at init time. */
const RENDERED = new Set(["Dockerfile"]);

export interface ScaffoldValues {
  /** The project folder: package.json is named after it. */
  dir: string;
  watchkeeper: WatchkeeperSpec;
  /** The runtime image the Dockerfile builds FROM, and its version tag. */
  image: string;
  version: string;
}

/**
 * What `wk init` writes, rendered in memory before anything touches the folder: by
 * project-relative path (forward slashes), the file's bytes. Deciding what to do with a file the
 * folder already holds (`write-plan.ts`) needs the scaffold's version of it first.
 */
export async function renderScaffold(template: string, values: ScaffoldValues): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const stored of await templateFiles(template)) {
    const [first, ...rest] = stored.split("/");
    const real = [RENAMES[first!] ?? first!, ...rest].join("/");
    let bytes = await readFile(path.join(template, ...stored.split("/")));
    if (RENDERED.has(real)) bytes = Buffer.from(fillPlaceholders(bytes.toString("utf8"), { WATCHKEEPER_IMAGE: values.image, WATCHKEEPER_VERSION: values.version }));
    if (real === "package.json") bytes = Buffer.from(renderPackageJson(bytes.toString("utf8"), values.dir, values.watchkeeper));
    if (NAMED.has(real)) bytes = Buffer.from(nameProject(bytes.toString("utf8"), values.dir));
    files.set(real, bytes);
  }
  files.set("tsconfig.json", Buffer.from(renderTsconfig()));
  return files;
}

/** Every file under `dir`, relative, with forward slashes, sorted. */
async function templateFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await templateFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** The template's package.json, named after the folder, depending on this Watchkeeper. */
function renderPackageJson(text: string, dir: string, watchkeeper: WatchkeeperSpec): string {
  const manifest = JSON.parse(text) as { name: string; dependencies: Record<string, string> };
  manifest.name = packageName(path.basename(dir)) ?? manifest.name;
  manifest.dependencies = { ...manifest.dependencies, watchkeeper: watchkeeper.spec };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The template's own name for the project, in the files that show it (the config's `name`, the README's title). */
const TEMPLATE_NAME = "my-monitors";
const NAMED = new Set(["watchkeeper.config.ts", "README.md"]);

/**
 * The project named after its folder wherever the template says `my-monitors`, as package.json is:
 * one name in the config, the README and the package. The package name's characters
 * (`[a-z0-9._~-]`) need no quoting in a TypeScript string or a Markdown title.
 */
function nameProject(text: string, dir: string): string {
  const name = packageName(path.basename(dir));
  return name === null ? text : text.split(`"${TEMPLATE_NAME}"`).join(JSON.stringify(name)).replace(`# ${TEMPLATE_NAME}\n`, `# ${name}\n`);
}

/** A folder name as an npm package name, or null when nothing usable is left of it. */
function packageName(folder: string): string | null {
  const name = folder.toLowerCase().replace(/[^a-z0-9._~-]+/g, "-").replace(/^[._-]+|-+$/g, "");
  return name === "" ? null : name.slice(0, 214);
}

function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/__([A-Z_]+)__/g, (whole, name: string) => values[name] ?? whole);
}
