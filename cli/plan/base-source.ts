import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative, sep } from "node:path";
import { promisify } from "node:util";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { readManifestFile } from "../../infra/manifest-file.js";
import type { CompileResult, Diagnostic } from "../compiler/types.js";
import type { SourceReader } from "./code-sources.js";
import { baseCacheKey, readCachedBase, writeCachedBase } from "./base-cache.js";
import { EXIT, UserError } from "../errors.js";
import { provideBaseDependencies } from "./base-dependencies.js";
import { missingBaseHint } from "./fetch-hint.js";
import { checkOutBaseSubmodules } from "./base-submodules.js";

const exec = promisify(execFile);

/**
 * Compiles a project folder without writing anything (the command passes compileProject with
 * write: false); `typecheck: false` skips the TypeScript check, `rules` names the rules to run.
 */
export type CompileFn = (projectDir: string, options?: { typecheck?: boolean; rules?: readonly string[] }) => Promise<CompileResult>;

/** Compiles the base checkout. */
export type BaseCompileFn = (projectDir: string) => Promise<CompileResult>;

/** Reads a previously deployed manifest; an unreadable, invalid or newer one is a user error (exit 1). */
export async function baseFromFile(path: string): Promise<Manifest> {
  const loaded = await readManifestFile(path);
  if (!loaded.ok) {
    throw new UserError(`cannot use the base manifest: ${loaded.reason}`, EXIT.findings, "pass the manifest.json that `wk deploy` saved, or compare with a git ref: --base main");
  }
  return loaded.manifest;
}

/**
 * The compiled monitors.mjs beside a base manifest (a compiled artifact folder has both), for the
 * preview of the base's summary functions; null when there is none.
 */
export async function bundleBeside(manifestPath: string): Promise<string | null> {
  return readFile(join(dirname(manifestPath), "monitors.mjs"), "utf8").catch(() => null);
}

/** A git base as the plan gets it: its manifest, and what goes with it. */
export interface GitBase {
  manifest: Manifest;
  bundle: string | null;
  readSource: SourceReader;
}

/**
 * A git base made ready to compile: the ref resolved, the cache asked, and on a miss the commit
 * checked out in a temporary detached worktree. `compile` compiles it once; `release` removes the
 * worktree whatever happened (safe to call twice, and after `compile`).
 */
export interface PreparedGitBase {
  compile(compile: BaseCompileFn): Promise<GitBase>;
  release(): Promise<void>;
}

/**
 * The project as it is at a git ref, made ready to compile: the ref resolved, the cache asked, and
 * on a miss the commit checked out in a temporary detached worktree (removed by `release`). It
 * needs only git, so the plan starts it while the working tree compiles; a ref that does not
 * resolve rejects with the user error the plan reports.
 */
export async function prepareGitBase(projectDir: string, ref: string, cacheDir: string | null = null): Promise<PreparedGitBase> {
  const top = await git(projectDir, ["rev-parse", "--show-toplevel"]).catch(() => {
    throw new UserError(`--base ${ref}: ${projectDir} is not inside a git repository`, EXIT.findings, "run wk plan inside the repository, or use --base-manifest FILE");
  });
  const commit = await git(top, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]).catch(async () => {
    const remotes = (await git(top, ["remote"]).catch(() => "")).split("\n").filter((r) => r !== "");
    throw new UserError(`the base ref ${JSON.stringify(ref)} does not name a commit in this repository`, EXIT.findings, missingBaseHint(ref, remotes));
  });
  const rel = relative(top, await realpath(projectDir));
  // The base's sources, for the diff of monitor code: read from the commit, no checkout needed.
  const readSource: SourceReader = (file) => git(top, ["show", `${commit}:${posix.join(rel.split(sep).join("/"), file)}`]).catch(() => null);
  const key = cacheDir ? baseCacheKey(await git(top, ["rev-parse", `${commit}^{tree}`]), rel) : null;
  const cached = cacheDir && key ? await readCachedBase(cacheDir, key) : null;
  if (cached) return { compile: async () => ({ ...cached, readSource }), release: async () => undefined };
  const scratch = await mkdtemp(join(tmpdir(), "wk-base-"));
  const tree = join(scratch, "tree");
  let released: Promise<void> | null = null;
  let submodules: { release: () => Promise<void> } | null = null;
  const release = () =>
    (released ??= (async () => {
      await git(top, ["worktree", "remove", "--force", tree]).catch(() => undefined);
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
      await git(top, ["worktree", "prune"]).catch(() => undefined);
      await submodules?.release();
    })());
  try {
    await git(top, ["worktree", "add", "--detach", tree, commit]);
    submodules = await checkOutBaseSubmodules({ top, tree, commit, ref });
    const baseProject = join(tree, rel);
    if (!existsSync(baseProject)) {
      throw new UserError(`the project folder ${rel || "."} does not exist at ${ref}`, EXIT.findings, "compare with a ref that has the project, or use --base-manifest FILE");
    }
    // Dependencies are not in git: the base gets its own (see provideBaseDependencies).
    const packages = await provideBaseDependencies({ top: await realpath(top), projectDir, rel, commit, tree, ref });
    const compileOnce = async (compile: BaseCompileFn): Promise<GitBase> => {
      const result = await compile(baseProject);
      if (!result.ok || !result.manifest) {
        const fromCheckout =
          packages.fromCheckout.length > 0
            ? `\n  (packages that live in the repository are read from the base's checkout, as committed there, unbuilt: ${packages.fromCheckout.join(", ")})`
            : "";
        throw new UserError(
          `the base ${ref} does not compile:\n${summarize(result.diagnostics)}${fromCheckout}`,
          EXIT.findings,
          "plan against a ref that compiles (e.g. the last deployed commit), or use --base-manifest with the deployed manifest",
        );
      }
      if (cacheDir && key) await writeCachedBase(cacheDir, key, { manifest: result.manifest, bundle: result.bundle });
      return { manifest: result.manifest, bundle: result.bundle, readSource };
    };
    return { compile: compileOnce, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/** git's output, trimmed; rejects when git fails. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

function summarize(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error");
  const lines = errors.slice(0, 5).map((d) => `  ${d.file ?? "(project)"}${d.line !== null ? `:${d.line}` : ""}: ${d.message} [${d.code}]`);
  if (errors.length > 5) lines.push(`  ... and ${errors.length - 5} more`);
  return lines.join("\n");
}
