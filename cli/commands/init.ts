import { existsSync } from "node:fs";
import { cp, mkdir, readdir, rename } from "node:fs/promises";
import path from "node:path";
import { locateSdk } from "../compiler/paths.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";

/** Files npm would drop from a published package are kept under another name in the template. */
const RENAMES: Record<string, string> = { _gitignore: ".gitignore", _npmrc: ".npmrc" };

/** `wk init [dir]`: copy the project template; refuse a folder that already has files. */
export async function run(args: Record<string, unknown>): Promise<ExitStatus> {
  const dir = path.resolve(String(args.dir ?? "."));
  const template = path.join(locateSdk().packageRoot, "templates", "init");
  if (!existsSync(template)) throw new Error(`the project template is missing from this installation (${template})`);
  if (existsSync(dir)) {
    const present = await readdir(dir);
    if (present.length > 0 && args.force !== true) {
      throw new UserError(`${dir} is not empty`, EXIT.usage, "pick an empty or new folder, or pass --force to write the template into this one");
    }
  }
  await mkdir(dir, { recursive: true });
  await cp(template, dir, { recursive: true, force: true });
  for (const [from, to] of Object.entries(RENAMES)) {
    if (existsSync(path.join(dir, from))) await rename(path.join(dir, from), path.join(dir, to));
  }
  const relative = path.relative(process.cwd(), dir);
  const shown = relative === "" ? "." : relative.startsWith("..") ? dir : relative;
  process.stdout.write(
    `created a watchkeeper project in ${shown}\n\nnext:\n  cd ${shown}\n  wk validate\n  wk compile\n`,
  );
  return EXIT.ok;
}
