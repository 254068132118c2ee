import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { compileProject, type CompileResult } from "../../cli/compiler/index.js";
import { NOW } from "./support.js";

export interface TempCompile {
  result: CompileResult;
  projectDir: string;
  outDir: string;
  /** Whether anything was written to the output folder. */
  wrote: boolean;
}

/**
 * Compiles a project made of `files` (project-relative path -> source) in a fresh temp folder,
 * for tests whose whole project fits in the test; the folders go when the file's tests end.
 */
export function tempProjects(): (files: Record<string, string>) => Promise<TempCompile> {
  const bases: string[] = [];
  afterAll(async () => Promise.all(bases.map((b) => rm(b, { recursive: true, force: true }))));
  return async (files) => {
    const base = await mkdtemp(path.join(tmpdir(), "wk-temp-project-"));
    bases.push(base);
    const projectDir = path.join(base, "project");
    await mkdir(projectDir);
    await writeFile(path.join(projectDir, "package.json"), JSON.stringify({ name: "temp-project", private: true, type: "module" }));
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(projectDir, file)), { recursive: true });
      await writeFile(path.join(projectDir, file), text);
    }
    const outDir = path.join(base, "out", "watchkeeper");
    const result = await compileProject({ projectDir, outDir, now: NOW });
    return { result, projectDir, outDir, wrote: existsSync(outDir) };
  };
}
