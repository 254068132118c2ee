import { describe, expect, it } from "vitest";
import type { Manifest } from "../../sdk/manifest/index.js";
import { parseTest } from "./test-shape.js";
import type { LoadedTest } from "./test-protocol.js";

const manifest = { monitors: [{ id: "api", check: { kind: "heartbeat" }, labels: {} }] } as unknown as Manifest;
const raw = (start: string): LoadedTest => ({ file: "monitors/api.wktest.ts", line: 4, column: 1, name: "t", monitorId: "api", start, steps: [{ at: "+0s", heartbeat: "received" }], expect: [{ at: "+5m", alert: "inactive" }], others: [] });

describe("a monitor test's start", () => {
  it("a date past its month's end (February 30) is refused at start, not moved into March", () => {
    const { test, problems } = parseTest(raw("2026-02-30T02:00:00Z"), manifest);
    expect(test).toBeNull();
    expect(problems).toEqual([expect.objectContaining({ path: "start", message: 'start "2026-02-30T02:00:00Z" is not an ISO time with a zone' })]);
  });

  it("a real date is read as written", () => {
    expect(parseTest(raw("2026-02-28T02:00:00Z"), manifest).test?.start).toBe(Date.parse("2026-02-28T02:00:00Z"));
  });
});
