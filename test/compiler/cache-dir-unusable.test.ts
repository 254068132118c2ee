import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture } from "./support.js";
import { ensureBuild, wk } from "../gitops/cli-process.js";

// Node 20's mkdirSync({ recursive: true }) never returns for a path under /proc: a WK_CACHE_DIR
// there made every compile hang. The CLI runs as its own process with a time limit, so a hang
// fails this test rather than stalling it.
const fixture = await copyFixture("ok");
afterAll(() => fixture.cleanup());

describe.skipIf(!existsSync("/proc/self"))("WK_CACHE_DIR that cannot be a cache folder", () => {
  beforeAll(() => ensureBuild(), 120_000);

  for (const dir of ["/proc/wk-cache/compile", "/proc/self/wk-cache", "/sys/wk-cache"]) {
    it(`${dir}: wk validate ends, compiles without a cache and says why`, async () => {
      const ran = await wk(["validate", "--project", fixture.dir], { env: { WK_CACHE_DIR: dir }, timeoutMs: 45_000 });
      expect(ran.code, `stderr: ${ran.stderr}`).toBe(0);
      expect(ran.stderr).toContain(`warning: WK_CACHE_DIR ${dir} cannot hold the compile cache`);
      expect(ran.stdout).toContain("no problems found");
    }, 60_000);
  }
});
