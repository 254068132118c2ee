import { existsSync } from "node:fs";
import { lstat, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { EXIT, UserError } from "../errors.js";
import { mergePackageJson } from "./package-merge.js";
import { makeFolders } from "../../sdk/make-folders.js";

/**
 * What `wk init` does with each scaffold file, decided before anything is written. Into a new or
 * empty folder every file is created. With `--force` into a folder that has files, a file the
 * user already has is never written over: package.json is merged (package-merge.ts), .gitignore
 * gets the scaffold's missing lines, a file equal to the scaffold's is left alone, and any other
 * file that differs (README, tsconfig.json, a workflow, an example monitor) is kept and the
 * scaffold's version is written beside it as `NAME.wk-init` for the user to compare.
 */
export type FileAction =
  | { kind: "create"; file: string; bytes: Buffer }
  | { kind: "unchanged"; file: string; notes?: string[] }
  | { kind: "merge"; file: string; bytes: Buffer; notes: string[] }
  | { kind: "aside"; file: string; aside: string; bytes: Buffer; why: string };

/** The suffix of the scaffold's version of a file the user already has. */
export const ASIDE_SUFFIX = ".wk-init";

/** Files merged line by line: adding an ignore line never undoes one of the user's. */
const LINE_MERGED = new Set([".gitignore"]);

export async function planWrites(dir: string, scaffold: ReadonlyMap<string, Buffer>, watchkeeperSpec: string): Promise<FileAction[]> {
  // A folder that is not there yet (or cannot be: a file in its path) holds nothing to keep;
  // creating it reports what is in the way.
  if (!existsSync(dir)) return [...scaffold].map(([file, bytes]) => ({ kind: "create", file, bytes }));
  const actions: FileAction[] = [];
  for (const [file, bytes] of scaffold) {
    const target = path.join(dir, ...file.split("/"));
    await refuseInTheWay(dir, file);
    const info = await lstat(target).catch(() => null);
    if (info === null) {
      actions.push({ kind: "create", file, bytes });
      continue;
    }
    if (!info.isFile() && !info.isSymbolicLink()) throw inTheWay(file, "a folder", "a file");
    const theirs = await readFile(target).catch(() => null);
    if (theirs !== null && theirs.equals(bytes)) {
      actions.push({ kind: "unchanged", file });
      continue;
    }
    // Never written through a link: it may lead out of the project.
    if (info.isFile() && theirs !== null) {
      if (file === "package.json") {
        const merge = mergePackageJson(theirs.toString("utf8"), bytes.toString("utf8"), watchkeeperSpec);
        if (!merge.ok) {
          throw new UserError(
            `${path.join(dir, file)} cannot be merged with the scaffold's: ${merge.reason}`,
            EXIT.usage,
            "fix the file or move it away, then run wk init --force again; nothing was written",
          );
        }
        const text = Buffer.from(merge.text);
        // Merged before: what is left to say is which of the scaffold's values theirs keeps out.
        actions.push(text.equals(theirs) ? { kind: "unchanged", file, notes: merge.notes } : { kind: "merge", file, bytes: text, notes: merge.notes });
        continue;
      }
      if (LINE_MERGED.has(file)) {
        const missing = missingLines(theirs.toString("utf8"), bytes.toString("utf8"));
        if (missing.length === 0) {
          actions.push({ kind: "unchanged", file });
          continue;
        }
        const text = theirs.toString("utf8");
        const merged = `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${missing.join("\n")}\n`;
        actions.push({ kind: "merge", file, bytes: Buffer.from(merged), notes: [`added ${missing.join(", ")}`] });
        continue;
      }
    }
    const aside = `${file}${ASIDE_SUFFIX}`;
    const asideInfo = await lstat(path.join(dir, ...aside.split("/"))).catch(() => null);
    if (asideInfo !== null && !asideInfo.isFile() && !asideInfo.isSymbolicLink()) throw inTheWay(aside, "a folder", "a file");
    actions.push({ kind: "aside", file, aside, bytes, why: info.isSymbolicLink() ? "yours is a symbolic link" : "yours differs from the scaffold's" });
  }
  return actions;
}

/** Carries out the plan; nothing the user wrote is replaced (see planWrites). */
export async function applyWrites(dir: string, actions: readonly FileAction[]): Promise<void> {
  makeFolders(dir);
  for (const action of actions) {
    if (action.kind === "unchanged") continue;
    const file = action.kind === "aside" ? action.aside : action.file;
    const target = path.join(dir, ...file.split("/"));
    makeFolders(path.dirname(target));
    // An earlier run's `.wk-init` copy (or a link in its place) is replaced, not written through.
    if (action.kind === "aside") await rm(target, { force: true });
    await writeFile(target, action.bytes);
  }
}

/** Lines of `ours` (not blank, not comments) that `theirs` does not have, `node_modules` and `/node_modules/` counting as one. */
function missingLines(theirs: string, ours: string): string[] {
  const bare = (line: string) => line.trim().replace(/^\/|\/$/g, "");
  const have = new Set(theirs.split(/\r?\n/).map(bare));
  return ours.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#") && !have.has(bare(l)));
}

/** A parent of `file` inside the project that exists and is not a folder. */
async function refuseInTheWay(dir: string, file: string): Promise<void> {
  const parts = file.split("/").slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const parent = parts.slice(0, i).join("/");
    const info = await lstat(path.join(dir, ...parts.slice(0, i))).catch(() => null);
    if (info === null) return;
    if (!info.isDirectory()) throw inTheWay(parent, info.isSymbolicLink() ? "a symbolic link" : "a file", "a folder");
  }
}

function inTheWay(file: string, what: string, needed: string): UserError {
  return new UserError(`${file} is ${what} in this folder, where the scaffold needs ${needed}`, EXIT.usage, "move it away, or pick another folder; nothing was written");
}
