import path from "node:path";
import { fileURLToPath } from "node:url";
import { esbuild } from "../compiler/esbuild.js";
import { glob } from "tinyglobby";
import type { ProjectConfig } from "../../sdk/index.js";
import { DEFAULT_TEST_GLOBS, TEST_IGNORE } from "../compiler/discover.js";
import { baseBuildOptions, ENTRY_NAMESPACE, entryPlugin } from "../compiler/esbuild-options.js";
import { buildFailureDiagnostics } from "../compiler/evaluate.js";
import { relativePath, type SdkLocation } from "../compiler/paths.js";
import { runSandbox } from "../compiler/sandbox.js";
import { sandboxVerdict } from "../compiler/sandbox-verdict.js";
import { parseTestLoadResult, type LoadProblem, type TestLoadResult } from "./test-protocol.js";

/** The test loader bundled into the entry: `.ts` from source (tests), `.js` from the build. */
const TEST_LOADER = fileURLToPath(new URL(`./test-loader-child${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** The project's test modules (the config's `tests` globs, default `**\/*.wktest.ts`), sorted. */
export async function findTestModules(projectDir: string, config: Pick<ProjectConfig, "tests">): Promise<string[]> {
  const found = await glob(config.tests ?? DEFAULT_TEST_GLOBS, { cwd: projectDir, ignore: TEST_IGNORE, absolute: true, onlyFiles: true, followSymbolicLinks: false });
  return [...new Set(found.map((f) => path.normalize(f)))].sort();
}

/**
 * Bundles the test modules (with the project modules they import) and loads them in the compiler's
 * sandbox: the same permission model, placeholder environment, time limit and parent verdict as
 * monitor modules, since a test module is as untrusted as any other.
 */
export async function loadTests(projectDir: string, files: string[], sdk: SdkLocation, workDir: string, timeoutMs: number): Promise<TestLoadResult> {
  const specifier = (file: string) => JSON.stringify("./" + relativePath(projectDir, file));
  const entry = [
    `import { runTestLoaderChild } from ${JSON.stringify(TEST_LOADER)};`,
    "runTestLoaderChild({ modules: [",
    ...files.map((f) => `  [${JSON.stringify(relativePath(projectDir, f))}, () => import(${specifier(f)})],`),
    "] });",
  ].join("\n");
  try {
    const base = baseBuildOptions(projectDir, sdk);
    await esbuild.build({
      ...base,
      plugins: [entryPlugin({ tests: entry }, projectDir), ...(base.plugins ?? [])],
      entryPoints: [`${ENTRY_NAMESPACE}:tests`],
      outfile: path.join(workDir, "tests.mjs"),
      sourcemap: "external",
      sourcesContent: false,
      write: true,
    });
  } catch (error) {
    const diagnostics = buildFailureDiagnostics(error);
    if (!diagnostics) throw error;
    return { tests: [], problems: diagnostics.map((d) => ({ file: d.file, line: d.line, message: d.message })) };
  }
  const bundle = { file: path.join(workDir, "tests.mjs"), mapFile: path.join(workDir, "tests.mjs.map") };
  const outcome = await runSandbox({ mode: "tests", projectDir, sdk, workDir, bundle, timeoutMs, secrets: [] }, parseTestLoadResult);
  const verdict = sandboxVerdict(outcome, timeoutMs);
  const problems: LoadProblem[] = verdict.diagnostics.map((d) => ({ file: d.file, line: d.line, message: d.message }));
  return verdict.result ? { tests: verdict.result.tests, problems: [...problems, ...verdict.result.problems] } : { tests: [], problems };
}
