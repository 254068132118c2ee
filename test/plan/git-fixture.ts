import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalJson, parseManifest, type Manifest } from "../../sdk/manifest/index.js";
import type { CompileResult } from "../../cli/compiler/types.js";

/**
 * A throwaway git repository whose "project" is a manifest.json, compiled by reading that file.
 * It gives the planner real history (commits, refs, worktrees) independent of the TypeScript compiler.
 */
export class FixtureRepo {
  readonly dir = mkdtempSync(join(tmpdir(), "wk-plan-repo-"));

  constructor() {
    this.git("init", "-q", "-b", "main");
    this.git("config", "user.email", "ci@example.test");
    this.git("config", "user.name", "CI");
    this.git("config", "commit.gpgsign", "false");
  }

  git(...args: string[]): string {
    return execFileSync("git", args, { cwd: this.dir, encoding: "utf8" }).trim();
  }

  /** Writes the project's manifest into the working tree (not committed). */
  write(manifest: Manifest | string, file = "manifest.json"): void {
    writeFileSync(join(this.dir, file), typeof manifest === "string" ? manifest : canonicalJson(manifest));
  }

  commit(message: string): string {
    this.git("add", "-A");
    this.git("commit", "-q", "-m", message);
    return this.git("rev-parse", "HEAD");
  }

  worktrees(): string[] {
    return this.git("worktree", "list", "--porcelain").split("\n").filter((l) => l.startsWith("worktree "));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Compiles a fixture project: its manifest.json, or an error diagnostic when it does not parse. */
export async function compileFixture(projectDir: string): Promise<CompileResult> {
  const file = join(projectDir, "manifest.json");
  const fail = (message: string): CompileResult => ({
    ok: false,
    diagnostics: [{ severity: "error", code: "fixture", message, hint: null, file: "manifest.json", line: 1, column: 1 }],
    manifest: null,
    bundle: null,
    outDir: join(projectDir, "dist", "watchkeeper"),
    timings: {},
  });
  if (!existsSync(file)) return fail("no manifest.json");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return fail(`invalid JSON: ${(error as Error).message}`);
  }
  const parsed = parseManifest(json);
  if (!parsed.ok) return fail(parsed.reason);
  return { ok: true, diagnostics: [], manifest: parsed.manifest, bundle: "", outDir: join(projectDir, "dist", "watchkeeper"), timings: {} };
}
