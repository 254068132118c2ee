import { describe, expect, it } from "vitest";
import { cronProblem } from "../../cli/rules/cron.js";
import { CronSchedule } from "../../runtime/scheduler/cron.js";

/** docs/compiler.md, "Cron and croner 9": what a cron does on the days clocks change, in its own zone. */
describe("cron across daylight saving time", () => {
  const zone = "Europe/Berlin";

  it("a time in the spring-forward gap is valid and runs once, an hour later", () => {
    expect(cronProblem("30 2 * * *", zone, new Date("2026-03-27T00:00:00Z"))).toBeNull();
    const cron = new CronSchedule("30 2 * * *", zone);
    const runs: string[] = [];
    for (let t = Date.parse("2026-03-28T12:00:00Z"); runs.length < 2; ) {
      t = cron.nextAfter(t)!;
      runs.push(new Date(t).toISOString());
    }
    // 03:30 CEST on the 29th (01:30Z), then 02:30 CEST on the 30th (00:30Z).
    expect(runs).toEqual(["2026-03-29T01:30:00.000Z", "2026-03-30T00:30:00.000Z"]);
  });

  it("a time in the repeated autumn hour runs once", () => {
    const cron = new CronSchedule("30 2 * * *", zone);
    const runs: number[] = [];
    for (let t = Date.parse("2026-10-24T12:00:00Z"); runs.length < 2; ) runs.push((t = cron.nextAfter(t)!));
    expect(runs.map((t) => new Date(t).toISOString())).toEqual(["2026-10-25T01:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it("an empty expression is called empty, not an expression of one field", () => {
    expect(cronProblem("  ", zone, new Date("2026-11-23T00:00:00Z"))).toBe("the expression is empty");
  });

  it("a date that never comes (31 February) is refused, with or without a seconds field", () => {
    expect(cronProblem("0 0 31 2 *", zone, new Date("2026-11-23T00:00:00Z"))).toBe("the expression never fires");
    expect(cronProblem("0 0 0 31 2 *", zone, new Date("2026-11-23T00:00:00Z"))).toBe("the expression never fires");
  });
});
