import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { EXIT, UserError } from "../errors.js";
import { makeFolders } from "../../sdk/make-folders.js";

/**
 * Writes the artifact next to its destination, then swaps it in with renames, so a reader never
 * sees a half-written dist/watchkeeper/ and a failed write leaves the previous one in place.
 */
export async function writeArtifact(outDir: string, files: Record<string, string>): Promise<void> {
  await refuseToReplaceOther(outDir, Object.keys(files));
  const parent = path.dirname(outDir);
  makeFolders(parent);
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const staging = path.join(parent, `.${path.basename(outDir)}.tmp-${suffix}`);
  const previous = path.join(parent, `.${path.basename(outDir)}.old-${suffix}`);
  await mkdir(staging);
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(staging, name), text);
    let moved = false;
    try {
      await rename(outDir, previous);
      moved = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    try {
      await rename(staging, outDir);
    } catch (error) {
      if (moved) await rename(previous, outDir);
      throw error;
    }
    if (moved) await rm(previous, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The swap replaces whatever `outDir` is: only a folder an earlier write made (the artifact's own
 * files, nothing else) or none may be replaced, whoever the caller (`wk compile --out` checks it
 * first, with its own message; this holds for every other caller).
 */
async function refuseToReplaceOther(outDir: string, names: string[]): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(outDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    // ENOTDIR: the path is a file, or a folder on its way is (then the write says where it failed).
    if (code === "ENOTDIR" && (await stat(outDir).catch(() => null))?.isFile()) {
      throw new UserError(`${outDir} is a file; the artifact folder is not written over it`, EXIT.usage, "name a new or empty folder for the artifact");
    }
    if (code === "ENOTDIR") return;
    throw error;
  }
  const others = entries.filter((name) => !names.includes(name));
  if (others.length > 0) throw new UserError(`${outDir} holds ${others.slice(0, 3).join(", ")}${others.length > 3 ? ` and ${others.length - 3} more` : ""}, not part of an artifact; it is not replaced`, EXIT.usage, "name a new or empty folder for the artifact");
}
