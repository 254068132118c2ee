import type { CompileResult } from "./compiler/types.js";

/** Compiles a project to its artifact folder for `wk run --project` and `wk test`; prints diagnostics. */
export async function compileToArtifact(projectDir: string, opts: { write?: boolean; outDir?: string } = {}): Promise<CompileResult> {
  const { compileProject } = await import("./compiler/index.js");
  const { formatDiagnostics } = await import("./compiler/format.js");
  const result = await compileProject({ projectDir, write: opts.write ?? true, ...(opts.outDir ? { outDir: opts.outDir } : {}) });
  if (result.diagnostics.length > 0) {
    const text = formatDiagnostics(result.diagnostics, { color: process.stderr.isTTY === true });
    process.stderr.write(text.endsWith("\n") ? text : text + "\n");
  }
  if (!result.ok) process.stderr.write("error: the project does not compile; fix the errors above\n");
  return result;
}
