import { readFileSync, statSync } from "node:fs";
import path from "node:path";

/** Why `wk init --from` cannot use what it was given, with what to give instead; null when it can. */
export interface FromProblem {
  message: string;
  hint: string;
}

const GIVE = "give a path to a watchkeeper tarball (npm pack) or checkout, or a version such as 0.1.0";

/**
 * Checks a `--from` that names a path before anything is written: npm would only fail at
 * `npm install`, after the scaffold is in place, with an error about a package the author never
 * meant. A tarball is a `.tgz` file; a folder is the watchkeeper package itself (its package.json
 * says so), not some other package and not a project made by `wk init`.
 */
export function fromPathProblem(from: string, cwd: string): FromProblem | null {
  const target = path.resolve(cwd, from.replace(/^file:/, ""));
  let stat;
  try {
    stat = statSync(target);
  } catch {
    return { message: `--from ${from}: no such file or folder`, hint: GIVE };
  }
  if (stat.isFile()) {
    if (/\.(tgz|tar\.gz)$/.test(target)) return null;
    return { message: `--from ${from}: is a file, not a watchkeeper tarball (.tgz) or folder`, hint: `${GIVE}; \`npm pack\` in a checkout makes the tarball` };
  }
  if (!stat.isDirectory()) return { message: `--from ${from}: is neither a file nor a folder`, hint: GIVE };
  let name: unknown;
  try {
    name = (JSON.parse(readFileSync(path.join(target, "package.json"), "utf8")) as { name?: unknown }).name;
  } catch {
    return { message: `--from ${from}: the folder has no readable package.json, so it is not a watchkeeper checkout`, hint: GIVE };
  }
  if (name === "watchkeeper") return null;
  let project = false;
  try {
    project = statSync(path.join(target, "watchkeeper.config.ts")).isFile();
  } catch {
    project = false;
  }
  if (project) {
    return {
      message: `--from ${from}: is a watchkeeper project (it has watchkeeper.config.ts), not the watchkeeper package`,
      hint: "--from names the watchkeeper the new project installs; to start from that project, copy it instead, or leave --from out",
    };
  }
  return { message: `--from ${from}: the folder is the package ${JSON.stringify(name ?? "(no name)")}, not watchkeeper`, hint: GIVE };
}
