import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/errors.js";
import { ensureBuild, ROOT, wk } from "../gitops/cli-process.js";

const PROJECT = path.join(ROOT, "test/simulate/fixtures/paging");
const simulate = (...args: string[]) => wk(["simulate", "--monitor", "checkout-errors", "--at", "2026-01-01T00:00Z", ...args, "--project", PROJECT], { timeoutMs: 120_000 });

beforeAll(() => ensureBuild());

describe("wk simulate with durations past any calendar", () => {
  it.each([
    ["--until-ack", "99999999d"],
    ["--until-ack", "367d"],
  ])("%s %s is a usage error (exit 2) with the limit, not an internal error", async (flag, value) => {
    const ran = await simulate(flag, value);
    expect(ran.stderr).not.toMatch(/internal error|RangeError|^\s+at /m);
    expect(ran.code, ran.stderr).toBe(EXIT.usage);
    expect(ran.stderr).toContain(`error: ${flag} ${value} is longer than a year`);
    expect(ran.stderr).toMatch(/^hint: /m);
  });

  it("--until-ack of a year still simulates", async () => {
    const ran = await simulate("--until-ack", "365d");
    expect([EXIT.ok, EXIT.findings]).toContain(ran.code);
    expect(ran.stdout).toContain("acknowledged 365d after it fires");
  });
});
