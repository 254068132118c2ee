import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuild, ROOT } from "../delivery/support/process.js";

// On Node 20, mkdir's `recursive` option never returns for a path under /proc, sync or async. Every
// folder the CLI or the runtime makes on a user's word (an output file's folder, the state folder,
// the compile cache) is made one level at a time instead, so such a path fails at once. Each case
// runs in a child with a time limit: a hang fails the test instead of holding it.
const run = (script: string) => {
  const started = Date.now();
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
  return { signal: child.signal, ms: Date.now() - started, answer: child.stdout.trim() ? (JSON.parse(child.stdout.trim()) as Record<string, string>) : {}, stderr: child.stderr };
};
const built = (file: string) => JSON.stringify(pathToFileURL(join(ROOT, "build", file)).href);

describe.skipIf(process.platform !== "linux")("folders named under /proc", () => {
  beforeAll(() => ensureBuild(), 300_000);

  it("an output path under /proc is refused at once, naming the path", () => {
    const { signal, ms, answer } = run(`
      const { refuseUnwritable } = await import(${built("cli/writable-path.js")});
      try {
        await refuseUnwritable("/proc/wk-out/keys/routing-keys.json", "--routing-keys-out", "nothing was deployed");
        console.log(JSON.stringify({ written: true }));
      } catch (error) {
        console.log(JSON.stringify({ exitCode: error.exitCode, message: error.message }));
      }`);
    expect(signal, "making the folder hung").toBeNull();
    expect(ms).toBeLessThan(10_000);
    expect(answer.exitCode, "a refusal for the user, not a crash").toBeDefined();
    expect(answer.message).toContain("cannot write --routing-keys-out /proc/wk-out/keys/routing-keys.json");
  }, 30_000);

  it("a state folder under /proc stops the runtime's start at once with a state error", () => {
    const { signal, ms, answer } = run(`
      const { ensureStateFolder } = await import(${built("runtime/store/sqlite/open-database.js")});
      try {
        ensureStateFolder("/proc/wk-state/state");
        console.log(JSON.stringify({ made: true }));
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, message: error.message }));
      }`);
    expect(signal, "making the folder hung").toBeNull();
    expect(ms).toBeLessThan(10_000);
    expect(answer.made).toBeUndefined();
    expect(answer.message).toContain("/proc/wk-state");
  }, 30_000);

  it("folders a user names elsewhere are still made, parents included", () => {
    const { answer } = run(`
      const { makeFolders } = await import(${built("sdk/make-folders.js")});
      const { mkdtempSync, statSync, rmSync } = await import("node:fs");
      const { join } = await import("node:path");
      const root = mkdtempSync(join(${JSON.stringify(tmpdir())}, "wk-folders-"));
      makeFolders(join(root, "a", "b", "c"), 0o700);
      makeFolders(join(root, "a", "b", "c"));
      const mode = (statSync(join(root, "a", "b", "c")).mode & 0o777).toString(8);
      rmSync(root, { recursive: true, force: true });
      console.log(JSON.stringify({ mode }));`);
    expect(answer.mode).toBe("700");
  }, 30_000);
});
