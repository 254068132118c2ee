import { describe, expect, it } from "vitest";
import { HeartbeatPings } from "./heartbeat-pings.js";

const T = Date.parse("2026-03-01T12:00:00Z");

describe("heartbeat pings past the limit", () => {
  it("writes every ping up to the limit, per heartbeat, and every ping again as the minute slides", () => {
    const pings = new HeartbeatPings(3);
    for (let i = 0; i < 3; i++) expect(pings.take("backup", T + i)).toEqual({ stamp: true, limited: false });
    expect(pings.take("backup", T + 10)).toEqual({ stamp: false, limited: true });
    expect(pings.take("report", T + 10)).toEqual({ stamp: true, limited: false });
    expect(pings.take("backup", T + 60_000)).toEqual({ stamp: true, limited: false });
  });

  it("still stamps a limited heartbeat once a second, so it never reads older than its last ping by more", () => {
    const pings = new HeartbeatPings(1);
    expect(pings.take("backup", T)).toEqual({ stamp: true, limited: false });
    expect(pings.take("backup", T + 500)).toEqual({ stamp: false, limited: true });
    expect(pings.take("backup", T + 1_000)).toEqual({ stamp: true, limited: true });
    expect(pings.take("backup", T + 1_200)).toEqual({ stamp: false, limited: true });
    expect(pings.take("backup", T + 2_000)).toEqual({ stamp: true, limited: true });
    // A clock set back: the next ping is stamped, not held back until the old time comes round.
    expect(pings.take("backup", T - 5_000)).toMatchObject({ stamp: true });
  });
});
