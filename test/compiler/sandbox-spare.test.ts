import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { locateSdk } from "../../cli/compiler/paths.js";
import { runSandbox, SandboxSpare, sandboxReadable, type SandboxOutcome } from "../../cli/compiler/sandbox.js";

// A spare is a sandbox child started before its bundle exists. These run it on small bundles that
// answer the loader's protocol by hand: what the child sees must be what a child started on the
// bundle sees.

const sdk = locateSdk();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function folder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "wk-spare-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Seen {
  env: Record<string, string>;
  wrote: string;
  requestMode: string;
}

/** A bundle that answers with what it sees; `before` runs at its top level, before it listens. */
function bundleText(before = ""): string {
  return `${before}
process.once("message", (request) => {
  let wrote = "written";
  try { (await import("node:fs")).writeFileSync(${JSON.stringify(path.join(tmpdir(), "wk-spare-should-not-exist"))}, "x"); } catch (error) { wrote = error.code; }
  process.send({ nonce: request.nonce, type: "result", seen: { env: { ...process.env }, wrote, requestMode: request.mode } });
});`.replace("process.once(\"message\", (request) =>", "process.once(\"message\", async (request) =>");
}

async function run(dir: string, bundle: string, spare?: SandboxSpare, secrets: string[] = ["API_TOKEN"]): Promise<SandboxOutcome<Seen>> {
  const file = path.join(dir, `bundle-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(file, bundle);
  return runSandbox({ mode: "config", projectDir: dir, sdk, workDir: dir, bundle: { file, mapFile: null }, timeoutMs: 10_000, secrets, ...(spare ? { spare } : {}) }, (message) => (message as { seen?: Seen }).seen ?? null);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe("a spare sandbox child", () => {
  it("runs the bundle with placeholders only in its environment and cannot write, like a child started on the bundle", async () => {
    const dir = await folder();
    process.env["WK_SPARE_TEST_SECRET"] = "real-secret-of-the-parent";
    try {
      const spare = new SandboxSpare(sandboxReadable(dir, sdk, dir), dir);
      expect(spare.waiting).toBe(true);
      const viaSpare = await run(dir, bundleText(), spare);
      expect(spare.waiting).toBe(false);
      const direct = await run(dir, bundleText());
      expect(viaSpare.kind, JSON.stringify(viaSpare)).toBe("result");
      expect(direct.kind).toBe("result");
      const [a, b] = [viaSpare, direct].map((o) => (o as { result: Seen }).result);
      expect(a).toEqual(b);
      expect(a!.env).toEqual({ API_TOKEN: "PLACEHOLDER_API_TOKEN" });
      expect(a!.wrote).toBe("ERR_ACCESS_DENIED");
      expect(a!.requestMode).toBe("config");
    } finally {
      delete process.env["WK_SPARE_TEST_SECRET"];
    }
  });

  it("hands over a request that arrives while the bundle is still loading", async () => {
    const dir = await folder();
    const spare = new SandboxSpare(sandboxReadable(dir, sdk, dir), dir);
    // The bundle's top level takes a while before the loader listens.
    const outcome = await run(dir, bundleText("await new Promise((r) => setTimeout(r, 300));"), spare);
    expect(outcome.kind, JSON.stringify(outcome)).toBe("result");
  });

  it("is not taken by a run for other folders, and ends when disposed", async () => {
    const dir = await folder();
    const other = await folder();
    const spare = new SandboxSpare(sandboxReadable(other, sdk, other), other);
    const pid = spare.pid!;
    const outcome = await run(dir, bundleText(), spare);
    expect(outcome.kind).toBe("result");
    expect(spare.waiting).toBe(true);
    spare.dispose();
    expect(spare.waiting).toBe(false);
    expect(await until(() => !alive(pid))).toBe(true);
  });

  it("that ended before it was taken is replaced by a child of the run's own", async () => {
    const dir = await folder();
    const spare = new SandboxSpare(sandboxReadable(dir, sdk, dir), dir);
    process.kill(spare.pid!, "SIGKILL");
    // Until its parent has seen the end, a dead spare looks alive; the run must still be answered.
    await new Promise((r) => setTimeout(r, 200));
    const outcome = await run(dir, bundleText(), spare);
    expect(outcome.kind, JSON.stringify(outcome)).toBe("result");
  });
});
