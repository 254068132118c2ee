/**
 * The compiler options `wk validate` type-checks a project with, spelled as in tsconfig.json.
 *
 * One source of truth: the checker (`typecheck.ts`) writes these into the tsconfig.json it hands
 * TypeScript 7, and `wk init` writes them verbatim into the new project's tsconfig.json, so the
 * editor (TypeScript 7 from the project's devDependencies) and the CLI (TypeScript 7 from its own
 * `typescript7` dependency) never disagree about an error. TypeScript 7 dropped `baseUrl`,
 * `moduleResolution: node10`, `esModuleInterop: false` and ES5 targets, so none of those appear.
 *
 * The checker adds only what depends on the machine, never on taste: `paths` mapping
 * `watchkeeper` to the SDK of the CLI that runs (a project compiles against its compiler's SDK,
 * which is also what the project's node_modules holds), the `@types` folder it found, and, for a
 * folder without `"type": "module"` or without `@types/node`, the fallbacks `typecheck.ts` names.
 */
export const CHECKER_TSCONFIG_OPTIONS = {
  strict: true,
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  lib: ["ES2023"],
  types: ["node"],
  skipLibCheck: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  esModuleInterop: true,
  resolveJsonModule: true,
} as const;

/** What the scaffold's tsconfig.json type-checks: the project's own modules and its config. */
export const SCAFFOLD_TSCONFIG_INCLUDE = ["watchkeeper.config.ts", "monitors", "policies"] as const;

/** The text of a project's tsconfig.json: exactly the checker's options. */
export function renderTsconfig(): string {
  const document = { compilerOptions: CHECKER_TSCONFIG_OPTIONS, include: SCAFFOLD_TSCONFIG_INCLUDE };
  return `${JSON.stringify(document, null, 2)}\n`;
}
