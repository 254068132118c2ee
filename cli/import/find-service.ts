import { readFile } from "node:fs/promises";
import path from "node:path";
import { glob } from "tinyglobby";
import { Node, Project, SyntaxKind } from "ts-morph";

/** A service as declared in the project's source: the module and the exported constant that holds it. */
export interface ServiceBinding {
  id: string;
  /** Absolute path of the module. */
  file: string;
  /** The exported constant, e.g. `checkoutPayments`. */
  exportName: string;
}

const IGNORE = ["**/node_modules/**", "**/*.d.ts", "**/*.test.ts", "dist/**", "build/**", ".watchkeeper/**"];

/**
 * Every `export const x = service({ id: "..." , ... })` in the project's TypeScript, read with
 * ts-morph (parsed, never run: the import only needs to know where to import the service from).
 */
export function findServices(projectDir: string): Promise<ServiceBinding[]> {
  return findDefinitions(projectDir, "service");
}

/** Every exported `monitor({ id: "..." })`: the ids an import must not take. */
export function findMonitors(projectDir: string): Promise<ServiceBinding[]> {
  return findDefinitions(projectDir, "monitor");
}

async function findDefinitions(projectDir: string, factory: "service" | "monitor"): Promise<ServiceBinding[]> {
  const files = await glob(["**/*.ts"], { cwd: projectDir, ignore: IGNORE, absolute: true, onlyFiles: true, followSymbolicLinks: false });
  const project = new Project({ useInMemoryFileSystem: true, skipLoadingLibFiles: true });
  const found: ServiceBinding[] = [];
  for (const file of files.sort()) {
    const text = await readFile(file, "utf8");
    // Cheap filter first: parsing every file of a large repository is the slow part.
    if (!new RegExp(`\\b${factory}\\s*\\(`).test(text)) continue;
    const source = project.createSourceFile(file, text, { overwrite: true });
    for (const statement of source.getVariableStatements()) {
      if (!statement.isExported()) continue;
      for (const declaration of statement.getDeclarations()) {
        const init = declaration.getInitializer();
        if (!init || !Node.isCallExpression(init)) continue;
        const callee = init.getExpression().getText();
        if (callee !== factory && !callee.endsWith(`.${factory}`)) continue;
        const arg = init.getArguments()[0];
        if (!arg || !Node.isObjectLiteralExpression(arg)) continue;
        const idProp = arg.getProperty("id");
        if (!idProp || !Node.isPropertyAssignment(idProp)) continue;
        const value = idProp.getInitializer();
        if (!value || (!value.isKind(SyntaxKind.StringLiteral) && !value.isKind(SyntaxKind.NoSubstitutionTemplateLiteral))) continue;
        found.push({ id: value.getLiteralText(), file: path.normalize(file), exportName: declaration.getName() });
      }
    }
  }
  return found;
}

/** The import specifier of `target` from a module in `fromDir`: relative, with `.js` as the project's ESM imports have. */
export function importSpecifier(fromDir: string, target: string): string {
  const rel = path.relative(fromDir, target).split(path.sep).join("/").replace(/\.ts$/, ".js");
  return rel.startsWith(".") ? rel : `./${rel}`;
}
