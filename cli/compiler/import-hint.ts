import { builtinModules } from "node:module";

/**
 * The hint for an import that does not resolve (TypeScript's TS2307, esbuild's "Could not
 * resolve"), by what was imported: a relative path needs its extension, as NodeNext resolution
 * requires; a package needs installing (telling the author to add an extension to `zod` sends
 * them the wrong way); a Node built-in needs Node's types.
 */
export function unresolvedImportHint(specifier: string | null): string {
  if (specifier === null) return "check the import path (relative imports need the file's extension, `./team.js`) or install the package (`npm install NAME`)";
  if (specifier.startsWith(".") || specifier.startsWith("/")) {
    return /\.[cm]?[jt]sx?$|\.json$/.test(specifier)
      ? "no file at this path: check it, relative to this module's folder"
      : "check the import path; relative imports need the file's extension (`./team.js`)";
  }
  if (specifier.startsWith("node:") || builtinModules.includes(specifier)) return "Node's built-in modules need Node's types: `npm install --save-dev @types/node`";
  const name = packageName(specifier);
  return `install the package: \`npm install ${name}\` in the project (or check the name: \`${name}\` is not in node_modules)`;
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
