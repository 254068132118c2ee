import { describe, expect, it } from "vitest";
import type { Manifest } from "../../sdk/manifest/index.js";
import { validSchedules } from "../../cli/rules/valid-schedules.js";
import { manifestOf } from "../runtime/support/manifest.js";
import { runUnderMocks } from "../../cli/plan/mock-run.js";
import { sampleManifest } from "../infra/sample-manifest.js";

function windowAt(start: string, end: string): Omit<Manifest, "hash"> {
  const m = manifestOf([]);
  return {
    ...m,
    silences: [{ id: "db-upgrade", kind: "maintenance", start, end, comment: "", matchers: { monitors: [], services: ["checkout"], labels: {} }, source: "policies/maintenance.ts:3" }],
  };
}

function check(start: string, end: string) {
  return validSchedules({
    manifest: windowAt(start, end),
    config: { name: "t" } as never,
    sources: new Map(),
    now: new Date("2026-12-01T00:00:00Z"),
    locate: () => ({ file: "policies/maintenance.ts", line: 3, column: 1 }),
  });
}

describe("silence and maintenance window times", () => {
  // The runtime and `wk simulate` read a time without an offset in the machine's own zone, the
  // rule read it as UTC, and PagerDuty's maintenance window needs RFC 3339 with an offset.
  it("refuses a start or end without an offset", () => {
    for (const [start, end] of [
      ["2026-12-05T22:00:00", "2026-12-06T02:00:00Z"],
      ["2026-12-05T22:00:00Z", "2026-12-06 02:00"],
      ["2026-12-05", "2026-12-06T02:00:00+01:00"],
    ] as const) {
      const found = check(start, end);
      expect(found.map((d) => d.message).join("\n")).toMatch(/offset/);
      expect(found[0]).toMatchObject({ severity: "error", code: "valid-schedules" });
    }
  });

  it("accepts times with Z or an offset", () => {
    expect(check("2026-12-05T22:00:00+01:00", "2026-12-06T02:00:00+01:00")).toEqual([]);
    expect(check("2026-12-05T21:00:00Z", "2026-12-06T01:00Z")).toEqual([]);
  });
});

describe("maintenance windows sent to PagerDuty", () => {
  it("writes a time without seconds or with a colonless offset as RFC 3339", async () => {
    const manifest = sampleManifest((d) => {
      d.silences[0]!.start = "2026-12-01T03:00+0100";
      d.silences[0]!.end = "2026-12-01T04:00Z";
    });
    const found = (await runUnderMocks(manifest)).resources.find((r) => r.name === "maintenance-window:db-upgrade")!;
    expect(found.inputs).toMatchObject({ startTime: "2026-12-01T02:00:00+00:00", endTime: "2026-12-01T04:00:00+00:00" });
  });
});
