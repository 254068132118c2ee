import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Writes the artifact next to its destination, then swaps it in with renames, so a reader never
 * sees a half-written dist/watchkeeper/ and a failed write leaves the previous one in place.
 */
export async function writeArtifact(outDir: string, files: Record<string, string>): Promise<void> {
  const parent = path.dirname(outDir);
  await mkdir(parent, { recursive: true });
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
