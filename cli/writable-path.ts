import { rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EXIT, UserError } from "./errors.js";
import { fileRefusal } from "./system-error.js";
import { makeFolders } from "../sdk/make-folders.js";

/**
 * Proves, before anything is changed, that a file can be written at `path` (its folder is
 * created, a probe file written and removed). For outputs that come last, such as the routing
 * keys after a deploy has applied: finding out then would leave the runtime without its keys.
 */
export async function refuseUnwritable(path: string, flag: string, consequence: string): Promise<void> {
  const dir = dirname(path);
  const probe = join(dir, `.wk-write-probe-${process.pid}`);
  try {
    const existing = await stat(path).catch(() => null);
    if (existing?.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR", syscall: "open", path });
    makeFolders(dir, 0o700);
    await writeFile(probe, "", { flag: "wx", mode: 0o600 });
    await rm(probe, { force: true });
  } catch (error) {
    const refusal = fileRefusal(error);
    if (refusal === null) throw error;
    const where = refusal.path === probe ? ` (in ${dir})` : refusal.path && refusal.path !== path ? ` (${refusal.path})` : "";
    throw new UserError(`cannot write ${flag} ${path}: ${refusal.reason}${where} (${refusal.code}); ${consequence}`, EXIT.findings, refusal.hint);
  }
}
