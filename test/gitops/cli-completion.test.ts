import { execFile, execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/errors.js";
import { ensureBuild, ROOT, wk } from "./cli-process.js";

const COMMANDS = ["validate", "compile", "init", "run", "test", "plan", "deploy", "dev", "import", "completion", "simulate", "oncall"];
const PLAN_OPTIONS = ["--project", "--base", "--base-manifest", "--base-stack", "--out", "--format", "--detailed-exitcode", "--help"];

function has(shell: string): boolean {
  try {
    execFileSync(shell, ["-c", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const hasZsh = has("zsh");
if (!hasZsh) console.warn("zsh is not installed: the zsh completion test is skipped (the bash one still runs)");

/** Runs a shell script with `wk` and `watchkeeper` on PATH, as an installed package puts them. */
function shell(program: string, script: string, args: string[], binDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PATH: `${binDir}:${process.env["PATH"] ?? ""}` };
    execFile(program, [...(program === "bash" ? ["--norc", "--noprofile"] : ["-f"]), "-c", script, "_", ...args], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${program} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe("wk completion", () => {
  let dir = "";
  let binDir = "";
  let bashScript = "";
  let zshScript = "";

  beforeAll(async () => {
    ensureBuild();
    dir = await mkdtemp(join(tmpdir(), "wk-completion-"));
    binDir = join(dir, "bin");
    await mkdir(binDir);
    for (const name of ["wk", "watchkeeper"]) {
      await writeFile(join(binDir, name), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "bin/watchkeeper.js")}" "$@"\n`);
      await chmod(join(binDir, name), 0o755);
    }
    const bash = await wk(["completion", "--shell", "bash"]);
    expect(bash.code, bash.stderr).toBe(EXIT.ok);
    bashScript = join(dir, "wk.bash");
    await writeFile(bashScript, bash.stdout);
    const zsh = await wk(["completion", "--shell", "zsh"]);
    expect(zsh.code, zsh.stderr).toBe(EXIT.ok);
    zshScript = join(dir, "_wk");
    await writeFile(zshScript, zsh.stdout);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** What bash offers after the words typed so far (the last one may be partial). */
  const bashComplete = async (...words: string[]) => {
    const out = await shell(
      "bash",
      'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); "$(complete -p "$1" | awk \'{print $(NF-1)}\')"; printf "%s\\n" "${COMPREPLY[@]}"',
      [bashScript, ...words],
      binDir,
    );
    return out.split("\n").filter(Boolean);
  };

  it("in bash, `wk ` offers the command names", async () => {
    expect((await bashComplete("wk", "")).sort()).toEqual([...COMMANDS].sort());
  });

  it("in bash, `wk plan --` offers plan's options and no commands", async () => {
    const offered = await bashComplete("wk", "plan", "--");
    expect(offered).toEqual(expect.arrayContaining(PLAN_OPTIONS));
    expect(offered.filter((o) => COMMANDS.includes(o))).toEqual([]);
    expect(offered).not.toContain("--routing-keys-out");
  });

  it("in bash, the watchkeeper name completes too, with partial words and option values", async () => {
    expect(await bashComplete("watchkeeper", "pl")).toEqual(["plan"]);
    expect((await bashComplete("wk", "plan", "--format", "")).sort()).toEqual(["json", "markdown", "text"]);
    expect(await bashComplete("wk", "deploy", "--routing")).toEqual(["--routing-keys-out"]);
  });

  it.skipIf(!hasZsh)("in zsh, the script registers wk and watchkeeper and offers plan's options with descriptions", async () => {
    const stubs = 'compdef() { print -r -- "compdef $*"; }; _describe() { print -rl -- "${(@P)2}"; }; _default() { print -- "(files)"; };';
    const out = await shell("zsh", `${stubs} source "$1"; words=(wk plan --); CURRENT=3; _wk_completions`, [zshScript], binDir);
    const lines = out.split("\n").filter(Boolean);
    expect(lines[0]).toBe("compdef _wk_completions wk watchkeeper");
    expect(lines).toContain("--base-stack:compare against what this Pulumi stack records as deployed (needs the pulumi CLI)");
    const commands = await shell("zsh", `${stubs} source "$1"; words=(watchkeeper ''); CURRENT=2; _wk_completions`, [zshScript], binDir);
    expect(commands).toMatch(/^plan:show what would change/m);
  });

  it("picks the script from $SHELL, and refuses a shell it has no script for", async () => {
    expect((await wk(["completion"], { env: { SHELL: "/usr/bin/zsh" } })).stdout).toMatch(/^#compdef wk watchkeeper$/m);
    expect((await wk(["completion"], { env: { SHELL: "/bin/bash" } })).stdout).toMatch(/^complete .* wk watchkeeper$/m);
    const fish = await wk(["completion"], { env: { SHELL: "/usr/bin/fish" } });
    expect(fish.code).toBe(EXIT.usage);
    expect(fish.stderr).toMatch(/^hint: .*--shell bash or --shell zsh/m);
  });
});
