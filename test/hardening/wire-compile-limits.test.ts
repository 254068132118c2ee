import { describe, expect, it } from "vitest";
import { compileFixture } from "../compiler/support.js";

/** Ids and PagerDuty incident senders that would break on the wire are caught at compile time, with file:line. */
describe("compile-time limits for what goes on the wire", () => {
  it("reports an id over 63 characters and a non-email PagerDuty `from` at the lines that define them, together", async () => {
    const { result, wrote } = await compileFixture("wire-limits");
    const tooLong = result.diagnostics.filter((d) => d.code === "WK3001" && /at most 63 characters/.test(d.message));
    expect(tooLong).toHaveLength(1);
    expect(tooLong[0]).toMatchObject({ severity: "error", file: "monitors/emergency.ts", line: 11, column: 3 });
    expect(tooLong[0]!.message).toContain("emergency-button-for-the-payments-checkout-and-the-refunds-backoffice");

    const from = result.diagnostics.filter((d) => d.code === "pagerduty-incident-from");
    expect(from).toHaveLength(1);
    expect(from[0]).toMatchObject({ severity: "error", file: "monitors/emergency.ts", line: 3 });
    expect(from[0]!.message).toContain('"On-call team"');
    expect(from[0]!.message).not.toContain("named-incident");
    expect(wrote).toBe(false);
  }, 60_000);
});
