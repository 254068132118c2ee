import { readdirSync, type Dirent } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { nearIds } from "../near-ids.js";

/**
 * The hint for an import that does not resolve (TypeScript's TS2307, esbuild's "Could not
 * resolve"), by what was imported: a relative path needs its extension, as NodeNext resolution
 * requires; a package needs installing (telling the author to add an extension to `zod` sends
 * them the wrong way); a Node built-in needs Node's types.
 */
export function unresolvedImportHint(specifier: string | null, importer?: string | null): string {
  if (specifier === null) return "check the import path (relative imports need the file's extension, `./team.js`) or install the package (`npm install NAME`)";
  if (specifier.startsWith(".") || specifier.startsWith("/")) {
    if (!/\.[cm]?[jt]sx?$|\.json$/.test(specifier)) return "check the import path; relative imports need the file's extension (`./team.js`)";
    const meant = importer ? meantPath(specifier, path.dirname(importer)) : null;
    if (meant?.caseOnly) return `did you mean ${JSON.stringify(meant.specifier)}? The case differs: macOS and Windows find the file anyway, Linux (and CI) does not`;
    if (meant) return `did you mean ${JSON.stringify(meant.specifier)}? No file is at this path`;
    return "no file at this path: check it, relative to this module's folder";
  }
  if (specifier.startsWith("node:") || builtinModules.includes(specifier)) return "Node's built-in modules need Node's types: `npm install --save-dev @types/node`";
  const name = packageName(specifier);
  return `install the package: \`npm install ${name}\` in the project (or check the name: \`${name}\` is not in node_modules)`;
}

/** The source extensions an import's `.js` (or other) extension stands for, as NodeNext resolves them. */
const SOURCE_FOR: Record<string, string[]> = { ".js": [".ts", ".tsx", ".js"], ".mjs": [".mts", ".mjs"], ".cjs": [".cts", ".cjs"] };

/**
 * The relative import an author meant, when a file answers to it: each folder and the file found
 * without regard to case, else the file of the nearest name in that folder. Null when none is
 * near, or the folders cannot be read.
 */
function meantPath(specifier: string, from: string): { specifier: string; caseOnly: boolean } | null {
  const segments = specifier.split("/");
  const file = segments.pop()!;
  let dir = from;
  const walked: string[] = [];
  for (const segment of segments) {
    if (segment === "." || segment === ".." || segment === "") {
      walked.push(segment);
      dir = segment === ".." ? path.dirname(dir) : dir;
      continue;
    }
    const entry = entriesOf(dir).find((e) => e.isDirectory() && e.name.toLowerCase() === segment.toLowerCase());
    if (!entry) return null;
    walked.push(entry.name);
    dir = path.join(dir, entry.name);
  }
  const ext = path.extname(file);
  const stem = file.slice(0, file.length - ext.length);
  const sources = SOURCE_FOR[ext] ?? [ext];
  const names = entriesOf(dir).filter((e) => e.isFile() && sources.includes(path.extname(e.name))).map((e) => e.name.slice(0, e.name.length - path.extname(e.name).length));
  const same = names.find((n) => n.toLowerCase() === stem.toLowerCase());
  const chosen = same ?? nearIds(stem.toLowerCase(), names.map((n) => n.toLowerCase())).map((lower) => names.find((n) => n.toLowerCase() === lower)!)[0];
  if (chosen === undefined) return null;
  const written = [...walked, `${chosen}${ext}`].join("/");
  if (written === specifier) return null;
  return { specifier: written, caseOnly: written.toLowerCase() === specifier.toLowerCase() };
}

function entriesOf(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** `lodash/fp` -> `lodash`, `@scope/pkg/sub` -> `@scope/pkg`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") && parts.length > 1 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** The specifier a TS2307 message names: `Cannot find module 'x' or its corresponding type declarations.` */
export function specifierOfTs2307(message: string): string | null {
  return /Cannot find module '([^']+)'/.exec(message)?.[1] ?? null;
}

/** The specifier an esbuild resolve error names: `Could not resolve "x"`. */
export function specifierOfEsbuild(text: string): string | null {
  return /^Could not resolve "([^"]+)"/.exec(text)?.[1] ?? null;
}
