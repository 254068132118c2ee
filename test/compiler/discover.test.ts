import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { discover, likelyRoots } from "../../cli/compiler/discover.js";
import { locateSdk } from "../../cli/compiler/paths.js";
import { copyFixture } from "./support.js";

let project: { dir: string; cleanup: () => Promise<void> } | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

async function discovered(dir: string, listed: string[] | null): Promise<string[]> {
  const work = await mkdtemp(path.join(tmpdir(), "wk-discover-"));
  try {
    const found = await discover(dir, locateSdk(), work, undefined, null, listed);
    if (!found.ok) throw new Error(JSON.stringify(found.diagnostics));
    return found.discovery.modules.map((f) => path.relative(dir, f));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

describe("discover", () => {
  it("takes the listing made before the config ran while the config keeps the default globs, and lists its own globs otherwise", { timeout: 120_000 }, async () => {
    project = await copyFixture("ok");
    const { dir } = project;
    const likely = (await likelyRoots(dir))!;
    expect(likely.map((f) => path.relative(dir, f))).toEqual(["watchkeeper.config.ts", "monitors/payments.ts", "policies/oncall.ts"]);
    // The listing given is the one used: no second walk of the folders.
    const given = [path.join(dir, "monitors", "payments.ts")];
    expect(await discovered(dir, given)).toEqual(["monitors/payments.ts"]);
    expect(await discovered(dir, null)).toEqual(["monitors/payments.ts", "policies/oncall.ts"]);

    // A config with globs of its own is listed by them, whatever was listed before.
    await writeFile(path.join(dir, "checks.ts"), await readFile(path.join(dir, "monitors", "payments.ts"), "utf8"));
    const config = path.join(dir, "watchkeeper.config.ts");
    await writeFile(config, (await readFile(config, "utf8")).replace('name: "fixture-ok",', 'name: "fixture-ok",\n  monitors: ["checks.ts"],'));
    expect(await discovered(dir, given)).toEqual(["checks.ts", "policies/oncall.ts"]);
  });
});
