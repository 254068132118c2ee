import { describe, expect, it } from "vitest";
import { offClockMs } from "./clock-agreement.js";

const HOUR = 3_600_000;

describe("which replicas take ticks when clocks disagree", () => {
  it("stops the one replica an hour ahead of Redis and the others", () => {
    expect(offClockMs(HOUR, [0, 10])).toBe(HOUR);
    expect(offClockMs(0, [HOUR, 10])).toBe(0);
  });

  it("keeps a lone replica taking ticks whichever of its clock and Redis's is off: stopping it would leave nothing checked", () => {
    expect(offClockMs(HOUR, [])).toBe(0);
    expect(offClockMs(-HOUR, [])).toBe(0);
  });

  it("keeps replicas that agree with each other running when Redis's clock is the one off", () => {
    expect(offClockMs(HOUR, [HOUR + 20])).toBe(0);
    expect(offClockMs(HOUR + 20, [HOUR, HOUR - 30])).toBe(0);
  });

  it("takes the replica off Redis's clock as the one that is wrong when two disagree", () => {
    expect(offClockMs(HOUR, [0])).toBe(HOUR);
    expect(offClockMs(0, [HOUR])).toBe(0);
  });

  it("ignores the few seconds any two NTP clocks may differ by", () => {
    expect(offClockMs(1_500, [0])).toBe(0);
    expect(offClockMs(-4_000, [0, 0])).toBe(0);
  });
});
